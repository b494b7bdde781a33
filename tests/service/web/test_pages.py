"""The survey pages on both stores: languages, pages, drafts, validation, CSRF, escaping, the stored response."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.service.web.respondent import BRAND, Respondent, checked, errors, full_answers

SLUG = "utility_csi"


def export(client: TestClient, admin: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    r = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin)
    assert r.status_code == 200, r.text
    return list(r.json()["responses"])


@pytest.mark.parametrize(("lang", "title", "progress", "switch"), [
    ("zh", "供电服务客户满意度调查", "第 1 / 4 页", 'value="lang:en"'),
    ("en", "Electricity Supply Customer Satisfaction Survey", "Page 1 of 4", 'value="lang:zh"'),
])
def test_first_page_in_each_language(client: TestClient, utility: str, lang: str, title: str, progress: str,
                                     switch: str) -> None:
    p = Respondent(client)
    r = p.open(f"/s/{SLUG}?lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert title in r.text and p.progress == progress and switch in r.text
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text
    # Segment questions as accessible radio groups: fieldset + legend, one radio per option.
    assert '<fieldset class="item list choice" id="q-a-q_customer_type">' in r.text
    assert r.text.count('name="a:q_region" value=') == 3
    assert "<script" not in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize(("header", "expect"), [
    ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("fr-FR, en;q=0.5", "en"), ("fr", "zh"), ("", "zh"),
])
def test_accept_language_then_default(client: TestClient, utility: str, header: str, expect: str) -> None:
    r = client.get(f"/s/{SLUG}", headers={"Accept-Language": header})
    assert r.status_code == 200
    assert ("Page 1 of" in r.text) == (expect == "en")
    # ?lang= wins over the header; an unknown ?lang= falls back to the header.
    assert "第 1 / 4 页" in client.get(f"/s/{SLUG}?lang=zh", headers={"Accept-Language": "en"}).text
    assert "Page 1 of 4" in client.get(f"/s/{SLUG}?lang=xx", headers={"Accept-Language": "en"}).text


def test_every_item_type_renders(client: TestClient, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    a = full_answers()
    p.post("next", a)
    assert p.progress == "Page 2 of 4" and "jiangcheng" in p.html
    # The picker lists our brand first, marked as ours.
    assert p.html.index('value="jiangcheng"') < p.html.index('value="hengyuan"') < p.html.index('value="xinda"')
    assert "our company" in p.html
    p.post("next", a)
    assert p.progress == "Page 3 of 6"  # one rating page per picked brand
    assert "Jiangcheng Power" in p.html and 'class="item list likert"' in p.html
    assert p.html.count('name="b:jiangcheng:q_outage_notice" value=') == 6  # 5 points + N/A
    assert p.html.count('name="b:jiangcheng:q_price" value=') == 5  # no N/A where not allowed
    assert "Not applicable / don&#39;t know" in p.html and "Fairly satisfied" in p.html
    p.post("next", a)
    p.post("next", a)
    assert p.progress == "Page 5 of 6"
    assert 'class="item grid nps"' in p.html and p.html.count('name="a:q_recommend" value=') == 11
    assert "0 Not at all likely" in p.html and "10 Extremely likely" in p.html
    assert 'class="item pair yes_no"' in p.html
    p.post("next", a)
    assert '<textarea id="q-a-q_comment-input" name="a:q_comment"' in p.html and "(optional)" in p.html
    assert 'value="submit" class="primary"' in p.html


def test_web_submission_is_stored(client: TestClient, engine: Engine, utility: str, admin: dict[str, str]) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=zh")
    r = p.complete()
    assert r.status_code == 200 and "感谢您的参与" in r.text and str(r.url).endswith("/thanks?lang=zh")
    (rec,) = export(client, admin)
    assert rec["channel"] == "web" and rec["started_at"] and rec["submitted_at"] >= rec["started_at"]
    assert rec["answers"]["q_region"] == "urban" and rec["answers"]["q_recommend"] == 8
    assert rec["answers"]["q_complained"] == 0 and rec["answers"]["q_comment"] == "停电通知要更及时"
    assert set(rec["brands"]) == {"jiangcheng", "hengyuan"}
    assert rec["brands"]["jiangcheng"]["q_outage_notice"] == "NA" and rec["brands"]["hengyuan"]["q_reliability"] == 3
    with engine.connect() as c:
        sub, rid = c.execute(text("SELECT submitted_at, response_id FROM draft")).one()
    assert sub is not None and rid == rec["id"]


def test_validation_error_rerenders_with_messages_next_to_items(client: TestClient, utility: str) -> None:
    for lang, msg in (("zh", "请回答此题"), ("en", "Please answer this question")):
        p = Respondent(client)
        p.open(f"/s/{SLUG}?lang={lang}")
        r = p.post("next", {"a:q_customer_type": "residential", "a:q_usage": "lt100"})
        assert r.status_code == 422
        assert errors(r.text) == {"q-a-q_region": msg}
        assert checked(r.text, "a:q_customer_type") == ["residential"] and checked(r.text, "a:q_usage") == ["lt100"]
        assert 'href="#q-a-q_region"' in r.text  # the summary links to the item
        r = p.post("next", {"a:q_region": "rural", "a:q_customer_type": "residential", "a:q_usage": "lt100"})
        assert r.status_code == 200 and not errors(r.text) and ("第 2" in p.progress or "Page 2" in p.progress)


def test_back_and_forth_keeps_answers(client: TestClient, utility: str) -> None:
    a = full_answers()
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    p.post("next", a)
    p.post("next", a)  # brands
    # Half of a rating page, then back: nothing is validated and nothing is lost.
    p.post("prev", {"b:jiangcheng:q_reliability": "2", "b:jiangcheng:q_voltage": "NA"})
    assert p.progress == "Page 2 of 6" and checked(p.html, "brands") == ["jiangcheng", "hengyuan"]
    p.post("prev")
    assert checked(p.html, "a:q_region") == ["urban"]
    p.post("next")
    p.post("next")
    assert checked(p.html, "b:jiangcheng:q_reliability") == ["2"]
    assert checked(p.html, "b:jiangcheng:q_price") == []
    # Switching language saves the page first.
    p.post("lang:zh", {"b:jiangcheng:q_price": "1"})
    assert p.progress == "第 3 / 6 页" and checked(p.html, "b:jiangcheng:q_price") == ["1"]
    # A brand dropped later is not rated (its pages go), but picking it again brings its answers back.
    p.post("next", {f"b:jiangcheng:{k}": v for k, v in BRAND.items()})
    assert p.progress == "第 4 / 6 页"
    p.post("prev", {"b:hengyuan:q_reliability": "4"})
    p.post("prev")
    p.post("next", brands=["jiangcheng"])
    assert p.progress == "第 3 / 5 页" and "江城电力" in p.html
    p.post("prev")
    p.post("next", brands=["jiangcheng", "hengyuan"])
    p.post("next")
    assert checked(p.html, "b:hengyuan:q_reliability") == ["4"]


def test_resume_link_continues_in_another_browser(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    # Nothing is stored before the first answered page, so no link to continue is offered yet: the page says when.
    assert 'class="resume-link"' not in p.html and "a link to continue later appears here" in p.html
    p.post("next", full_answers())
    link = p.html.split('class="resume-link">', 1)[1].split("<", 1)[0]
    assert link == f"http://testserver/s/utility_csi?r={p.hidden['draft']}&amp;lang=en"
    other = Respondent(TestClient(client.app))  # another browser: its own cookies
    other.open(link.replace("&amp;", "&"))
    assert other.status == 200 and other.progress == "Page 2 of 4" and other.hidden["draft"] == p.hidden["draft"]
    other.post("prev")
    assert other.status == 200 and checked(other.html, "a:q_usage") == ["100-300"]
    assert client.get(f"/s/{SLUG}?r=NotARealResumeCodeNotARealResumeCode").status_code == 404
    with engine.connect() as c:
        started, n = c.execute(text("SELECT started_at, count(*) FROM draft GROUP BY started_at")).one()
    assert n == 1 and started > 0


def test_csrf_is_checked_on_every_post(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open()
    good = dict(p.hidden)
    with engine.connect() as c:
        before = c.execute(text("SELECT id, answers, updated_at FROM draft")).all()
    for bad in ({"csrf": "0" * 64}, {"csrf": ""}, {"draft": "A" * 32}):
        r = client.post(f"/s/{SLUG}", data={**good, **bad, "go": "next", "a:q_region": "urban"})
        assert r.status_code == 403 and "表单已失效" in r.text and "Traceback" not in r.text
    with engine.connect() as c:
        assert c.execute(text("SELECT id, answers, updated_at FROM draft")).all() == before  # nothing saved
    assert p.post("next", full_answers()).status_code == 200


def test_free_text_is_escaped_when_shown_again(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    evil = '</textarea><script>alert("x")</script><b onmouseover=alert(1)>hi</b>'
    a = full_answers(comment=evil)
    del a["a:q_age"]  # one required item left out: the last page comes back with the comment in it
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    for _ in range(5):
        p.post("next", a)
    r = p.post("submit", a)
    assert r.status_code == 422 and errors(r.text) == {"q-a-q_age": "Please answer this question"}
    assert "<script>" not in r.text and "<b onmouseover" not in r.text
    assert "&lt;/textarea&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    r = p.post("submit", {**a, "a:q_age": "65plus"})
    assert "Thank you" in r.text
    assert export(client, admin)[0]["answers"]["q_comment"] == evil  # stored as typed


def test_submit_runs_the_api_validation_and_goes_to_the_first_bad_page(client: TestClient, utility: str,
                                                                         admin: dict[str, str]) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    # A hand-made POST that jumps to "submit" from page 1: everything is checked, the first bad page is shown.
    r = p.post("submit", {"a:q_customer_type": "residential", "a:q_region": "mars", "a:q_usage": "lt100"})
    assert r.status_code == 422 and p.progress == "Page 1 of 4"
    assert errors(r.text) == {"q-a-q_region": "This answer is not valid; please choose again"}
    r = p.post("submit", {"a:q_customer_type": "residential", "a:q_region": "urban", "a:q_usage": "lt100"})
    assert r.status_code == 422 and p.progress == "Page 2 of 4"
    assert errors(r.text) == {"q-brands": "Please pick at least one company"}
    assert export(client, admin) == []


def test_error_pages_are_html_and_the_api_stays_json(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    r = client.get("/s/no_such_survey", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "Survey not found" in r.text and r.headers["content-type"].startswith("text/html")
    assert client.get("/s/..%2Fetc").status_code == 404
    assert client.get("/s/utility_csi/nope").status_code == 404
    assert client.get("/api/v1/surveys/nope/definition").json()["detail"][0]["loc"] == ["path", "slug"]
    assert client.post(f"/api/v1/surveys/{SLUG}/close", headers=admin).status_code == 200
    r = client.get(f"/s/{SLUG}?lang=zh")
    assert r.status_code == 410 and "本问卷已结束" in r.text


def test_stylesheet_is_served(client: TestClient) -> None:
    r = client.get("/static/survey.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css") and ".opts.grid" in r.text


def test_anonymous_double_submit_guard(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    draft_page = None
    for _ in range(5):
        p.post("next", full_answers())
        draft_page = dict(p.hidden)
    assert "Thank you" in p.post("submit", full_answers()).text
    # The same browser comes back: polite page, nothing new.
    again = client.get(f"/s/{SLUG}?lang=en")
    assert again.status_code == 200 and "already answered" in again.text and 'name="draft"' not in again.text
    # Re-posting the submitted draft (the Back button) stores nothing either.
    assert draft_page is not None
    r = client.post(f"/s/{SLUG}", data={**draft_page, "go": "submit", **{k: v for k, v in full_answers().items()
                                                                          if k.startswith("a:q_")}})
    assert "already answered" in r.text
    assert len(export(client, admin)) == 1
    # Another browser (no cookie) may answer.
    fresh = TestClient(client.app)
    assert 'name="draft"' in fresh.get(f"/s/{SLUG}").text


def test_notice_pages(client: TestClient, utility: str) -> None:
    """The GET addresses of messages reached from a POST; "service busy" leads back to the respondent's draft."""
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    r = client.get(f"/s/{SLUG}/notice/error?r={p.hidden['draft']}&page=3&lang=en")
    assert r.status_code == 503 and "nothing you entered is lost" in r.text
    assert f'href="/s/{SLUG}?r={p.hidden["draft"]}&amp;page=3&amp;lang=en"' in r.text
    r = client.get(f"/s/{SLUG}/notice/error?r=..%2Fx&lang=zh")  # not a draft id: back to the survey's start
    assert r.status_code == 503 and f'href="/s/{SLUG}?lang=zh"' in r.text
    assert client.get(f"/s/{SLUG}/notice/../../etc").status_code == 404
    r = client.get(f"/s/{SLUG}/notice/no_such_kind?lang=en")
    assert r.status_code == 404 and "<h1>Survey not found</h1>" in r.text and 'name="draft"' not in r.text
    assert client.get("/s/no_such_survey/notice/already").status_code == 404
