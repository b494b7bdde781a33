"""The survey in a real browser: the real service (uvicorn, SQLite) and headless Chromium at phone size.

Screenshots go to test-artifacts/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.served import served

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
VIEWPORT = {"width": 360, "height": 740}
SLUG = "utility_csi"

pytestmark = pytest.mark.browser

BRAND = {"q_reliability": "5", "q_voltage": "4", "q_outage_notice": "NA", "q_restore": "4", "q_hall": "4",
         "q_hotline": "3", "q_online": "5", "q_install": "4", "q_complaint_handling": "3", "q_price": "3",
         "q_bill_clear": "4", "q_payment": "5", "q_billing_errors": "2", "q_trust": "4", "q_social": "4"}


@dataclass
class Service:
    base: str
    admin: dict[str, str]
    token_url: str
    db_url: str


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A fresh migrated SQLite store with utility_csi, an admin key and an invitation; uvicorn serving it."""
    from service.invitations.schemas import InviteeIn
    from service.invitations.service import create_invitations
    from service.staff.keys import create_key
    from service.store.engine import make_engine
    from service.store.migrate import upgrade
    from service.surveys.service import publish
    from survey_defs import template_path

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'csi.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ref, _ = publish(engine, template_path(SLUG).read_text(encoding="utf-8"), "utility_csi.yaml")
    _, key = create_key(engine, "admin", "browser test")
    (issued,), _ = create_invitations(engine, ref, 1, invitees=[InviteeIn(customer_ref="ZH-001")])
    engine.dispose()
    with served(url) as base:
        yield Service(base, {"Authorization": f"Bearer {key}"}, base + issued.path(SLUG), url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{page.url} scrolls sideways: {width}px"


def big_targets(page: Any) -> None:
    """Every answer option is at least 44 px tall and fits the screen."""
    boxes = page.eval_on_selector_all(
        ".opt span", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.height, r.right]; })")
    assert all(h >= 44 and right <= VIEWPORT["width"] for h, right in boxes), boxes


def pick(page: Any, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def rate_brand(page: Any, brand: str, skip: str | None = None) -> None:
    for item, v in BRAND.items():
        if item != skip:
            pick(page, f"b:{brand}:{item}", v)


def press(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.locator("main .nav button", has_text=label).click()
    no_sideways_scroll(page)


def pick_overall(page: Any, values: dict[str, str]) -> None:
    """The overall page; the extra satisfaction items are answered when the definition has them."""
    for name, v in values.items():
        if page.locator(f'input[name="{name}"]').count():
            pick(page, name, v)


def draft(service: Service, draft_id: str) -> dict[str, Any] | None:
    """A draft as stored (straight from the service's SQLite file); None if it is not stored."""
    from sqlalchemy import create_engine, text

    eng = create_engine(service.db_url)
    try:
        with eng.connect() as c:
            row = c.execute(text("SELECT answers, brands, page, started_at, submitted_at FROM draft WHERE id = :i"),
                            {"i": draft_id}).one_or_none()
    finally:
        eng.dispose()
    if row is None:
        return None
    return {"answers": json.loads(row[0]), "brands": json.loads(row[1]), "page": row[2], "started_at": row[3],
            "submitted_at": row[4]}


def draft_id(page: Any) -> str:
    return str(page.locator('input[name="draft"]').get_attribute("value"))


def switch_language(page: Any, name: str) -> None:
    """Click the language link of a message page (a plain link, no form)."""
    with page.expect_navigation():
        page.locator("a.lang", has_text=name).click()
    no_sideways_scroll(page)


def export(service: Service) -> list[dict[str, Any]]:
    r = httpx.get(f"{service.base}/api/v1/surveys/{SLUG}/export?format=json", headers=service.admin, timeout=10)
    assert r.status_code == 200, r.text
    return list(r.json()["responses"])


def test_chinese_with_invitation(service: Service, browser: Any) -> None:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    page.goto(service.token_url)
    assert page.locator("h1").inner_text() == "供电服务客户满意度调查"
    assert "第 1 / 4 页" in page.locator(".progress").inner_text()
    no_sideways_scroll(page)
    big_targets(page)
    page.screenshot(path=SHOTS / "zh-1-first.png", full_page=True)

    pick(page, "a:q_customer_type", "residential")
    pick(page, "a:q_usage", "100-300")  # q_region forgotten
    press(page, "下一页")
    err = page.locator("#q-a-q_region .err")
    assert err.inner_text() == "! 请回答此题" or err.inner_text() == "请回答此题"
    assert page.locator('input[name="a:q_usage"][value="100-300"]').is_checked()
    page.screenshot(path=SHOTS / "zh-2-error.png", full_page=True)
    pick(page, "a:q_region", "rural")
    press(page, "下一页")

    assert page.locator('input[type="checkbox"][value="jiangcheng"]').is_checked()  # our own brand: always
    page.locator('input[name="brands"][value="xinda"]').check()
    press(page, "下一页")
    assert "第 3 / 6 页" in page.locator(".progress").inner_text() and "江城电力" in page.inner_text(".brand-heading")
    big_targets(page)
    rate_brand(page, "jiangcheng")
    press(page, "下一页")
    rate_brand(page, "xinda")
    press(page, "下一页")
    pick_overall(page, {"a:q_overall": "5", "a:q_sat_expect": "4", "a:q_sat_ideal": "4", "a:q_recommend": "9",
                        "a:q_continue": "4", "a:q_complained": "0"})
    big_targets(page)
    page.screenshot(path=SHOTS / "zh-overall.png", full_page=True)
    press(page, "下一页")
    pick(page, "a:q_age", "50-64")
    page.fill("textarea", "抢修很快，<b>点赞</b>")
    press(page, "提交问卷")
    assert page.locator("h1").inner_text() == "感谢您的参与！"
    page.screenshot(path=SHOTS / "zh-3-thanks.png", full_page=True)

    (rec,) = [r for r in export(service) if r["respondent"] == "ZH-001"]
    assert rec["channel"] == "web" and rec["answers"]["q_region"] == "rural" and rec["answers"]["q_recommend"] == 9
    assert set(rec["brands"]) == {"jiangcheng", "xinda"} and rec["brands"]["xinda"]["q_outage_notice"] == "NA"
    assert rec["answers"]["q_comment"] == "抢修很快，<b>点赞</b>"
    assert rec["started_at"] <= rec["submitted_at"]

    # The used invitation again, in a new browser: a polite page, nothing stored.
    other = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    other.goto(service.token_url)
    assert other.locator("h1").inner_text() == "您已经完成了本问卷"
    no_sideways_scroll(other)
    other.screenshot(path=SHOTS / "zh-4-already-answered.png", full_page=True)
    # Its language switch opens the same message in English (not a new survey).
    switch_language(other, "English")
    assert other.locator("h1").inner_text() == "You have already answered this survey"
    other.screenshot(path=SHOTS / "en-4-already-answered.png", full_page=True)
    assert len([r for r in export(service) if r["respondent"] == "ZH-001"]) == 1
    ctx.close()


def test_english_anonymous(service: Service, browser: Any) -> None:
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US")  # Accept-Language picks English
    page = ctx.new_page()
    page.goto(f"{service.base}/s/{SLUG}")
    assert page.locator("h1").inner_text() == "Electricity Supply Customer Satisfaction Survey"
    assert "Page 1 of 4" in page.locator(".progress").inner_text()
    no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "en-1-first.png", full_page=True)
    pick(page, "a:q_customer_type", "non_residential")
    pick(page, "a:q_region", "urban")
    pick(page, "a:q_usage", "gt1000")
    press(page, "Next")
    page.screenshot(path=SHOTS / "en-1b-after-first-post.png", full_page=True)  # the draft is stored from here
    assert page.locator('input[type="checkbox"][value="jiangcheng"]').is_checked()  # our own brand: always
    press(page, "Next")

    rate_brand(page, "jiangcheng", skip="q_price")
    press(page, "Next")
    assert page.locator("#q-b-jiangcheng-q_price .err").inner_text().endswith("Please answer this question")
    assert page.locator('input[name="b:jiangcheng:q_trust"][value="4"]').is_checked()
    page.screenshot(path=SHOTS / "en-2-error.png")
    page.locator("#q-b-jiangcheng-q_price").screenshot(path=SHOTS / "en-2-error-item.png")
    pick(page, "b:jiangcheng:q_price", "2")
    press(page, "Next")
    pick_overall(page, {"a:q_overall": "3", "a:q_sat_expect": "3", "a:q_sat_ideal": "2", "a:q_recommend": "6",
                        "a:q_continue": "3", "a:q_complained": "1"})
    page.screenshot(path=SHOTS / "en-overall.png", full_page=True)
    press(page, "Next")
    # "Yes, I complained": the complaint page (show_if: q_complained == yes), counted now that it is shown.
    assert "Page 5 of 6" in page.locator(".progress").inner_text()
    assert "Was your complaint resolved?" in page.inner_text("main")
    pick(page, "a:q_complaint_resolved", "0")
    pick(page, "a:q_complaint_handling_sat", "2")
    big_targets(page)
    page.screenshot(path=SHOTS / "en-conditional.png", full_page=True)
    press(page, "Next")
    assert "Page 6 of 6" in page.locator(".progress").inner_text()
    pick(page, "a:q_age", "20-34")
    page.screenshot(path=SHOTS / "en-last.png", full_page=True)
    press(page, "Submit")
    assert page.locator("h1").inner_text() == "Thank you!"
    page.screenshot(path=SHOTS / "en-3-thanks.png", full_page=True)

    recs = [r for r in export(service) if r["respondent"] is None or r["respondent"] != "ZH-001"]
    assert len(recs) == 1
    rec = recs[0]
    assert rec["answers"]["q_customer_type"] == "non_residential" and rec["answers"]["q_complained"] == 1
    assert rec["answers"]["q_complaint_resolved"] == 0 and rec["answers"]["q_complaint_handling_sat"] == 2
    assert rec["brands"] == {"jiangcheng": {**{k: (v if v == "NA" else int(v)) for k, v in BRAND.items()},
                                            "q_price": 2}}
    # The thank-you page's language switch shows the same thanks in Chinese.
    switch_language(page, "中文")
    assert page.locator("h1").inner_text() == "感谢您的参与！"
    page.screenshot(path=SHOTS / "zh-3-thanks-switched.png", full_page=True)
    # The same browser comes back: already answered.
    page.goto(f"{service.base}/s/{SLUG}")
    assert page.locator("h1").inner_text() == "You have already answered this survey"
    ctx.close()


def test_conditional_page_in_chinese(service: Service, browser: Any) -> None:
    """The complaint page appears only after "是" and is skipped after "否", in both directions."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{service.base}/s/{SLUG}")
    for name, v in (("a:q_customer_type", "residential"), ("a:q_region", "urban"), ("a:q_usage", "100-300")):
        pick(page, name, v)
    press(page, "下一页")
    # Our own brand is required, so the picker shows it ticked and locked: nothing to tick.
    assert page.locator('input[type="checkbox"][name="brands"][value="jiangcheng"]').is_checked()
    press(page, "下一页")
    rate_brand(page, "jiangcheng")
    press(page, "下一页")
    pick_overall(page, {"a:q_overall": "2", "a:q_sat_expect": "2", "a:q_sat_ideal": "2", "a:q_recommend": "3",
                        "a:q_continue": "2", "a:q_complained": "0"})
    assert "第 4 / 5 页" in page.locator(".progress").inner_text()  # no complaint yet: the page is not counted
    press(page, "下一页")
    assert "第 5 / 5 页" in page.locator(".progress").inner_text() and page.locator('[name="a:q_age"]').count()
    press(page, "上一页")
    pick(page, "a:q_complained", "1")
    press(page, "下一页")
    assert "第 5 / 6 页" in page.locator(".progress").inner_text()
    assert "您的投诉问题最终得到解决了吗？" in page.inner_text("main")
    pick(page, "a:q_complaint_resolved", "1")
    pick(page, "a:q_complaint_handling_sat", "4")
    no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "zh-conditional.png", full_page=True)
    ctx.close()


def test_back_and_forward_keep_the_answers(service: Service, browser: Any) -> None:
    """The browser's own Back/Forward buttons: every page is a GET of the saved draft, nothing is re-posted."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{service.base}/s/{SLUG}")
    first_url, did = page.url, draft_id(page)
    assert f"r={did}" in first_url and "page=1" in first_url
    assert draft(service, did) is None  # opening the survey stores nothing
    pick(page, "a:q_customer_type", "residential")
    pick(page, "a:q_region", "rural")
    pick(page, "a:q_usage", "lt100")
    press(page, "Next")
    assert draft(service, did) is not None  # the first answered page does
    # our own brand (always rated) is the only one picked
    press(page, "Next")
    assert "Page 3 of 5" in page.locator(".progress").inner_text()

    page.go_back()
    assert "Page 2 of 5" in page.locator(".progress").inner_text()
    assert page.locator('input[type="checkbox"][value="jiangcheng"]').is_checked()
    page.go_back()
    assert page.url == first_url and draft_id(page) == did
    for name, v in (("a:q_customer_type", "residential"), ("a:q_region", "rural"), ("a:q_usage", "lt100")):
        assert page.locator(f'input[name="{name}"][value="{v}"]').is_checked(), name
    page.go_forward()
    page.go_forward()
    assert "Page 3 of 5" in page.locator(".progress").inner_text() and draft_id(page) == did

    # A validation error, corrected, then Next, then Back: the draft is intact and no POST is replayed.
    rate_brand(page, "jiangcheng", skip="q_hotline")
    press(page, "Next")
    assert "check=1" in page.url
    assert page.locator("#q-b-jiangcheng-q_hotline .err").inner_text().endswith("Please answer this question")
    assert page.locator('input[name="b:jiangcheng:q_trust"][value="4"]').is_checked()
    pick(page, "b:jiangcheng:q_hotline", "2")
    press(page, "Next")
    assert "Page 4 of 5" in page.locator(".progress").inner_text()
    saved = draft(service, did)
    assert saved is not None
    assert saved["brands"]["answers"]["jiangcheng"]["q_hotline"] == "2" and saved["answers"]["q_region"] == "rural"
    page.go_back()  # onto the error page's address: it shows the corrected page
    assert page.locator(".err").count() == 0
    assert page.locator('input[name="b:jiangcheng:q_hotline"][value="2"]').is_checked()
    page.go_back()
    page.go_forward()
    page.go_forward()
    assert "Page 4 of 5" in page.locator(".progress").inner_text()
    after = draft(service, did)
    assert after is not None and after["answers"] == saved["answers"] and after["brands"] == saved["brands"]
    assert dialogs == []  # no "Confirm form resubmission"
    ctx.close()


def test_a_form_on_another_site_cannot_post_answers(service: Service, browser: Any) -> None:
    """A real cross-site POST (a page on another origin, holding even a valid draft id and token): refused."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = ctx.new_page()
    page.goto(f"{service.base}/s/{SLUG}")
    pick(page, "a:q_customer_type", "residential")
    press(page, "Next")  # an error on this page, but the answer is saved: the draft is stored
    did = draft_id(page)
    hidden = {el.get_attribute("name"): el.get_attribute("value")
              for el in page.locator('input[type="hidden"]').element_handles()}
    before = draft(service, did)
    fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v or "")}">' for k, v in hidden.items())
    evil = (f'<html><body><form method="post" action="{service.base}/s/{SLUG}">{fields}'
            '<input type="hidden" name="a:q_region" value="urban"><input type="hidden" name="go" value="next">'
            '<button id="go">Win a prize</button></form></body></html>')
    page.route("http://attacker.example/", lambda route: route.fulfill(body=evil, content_type="text/html"))
    page.goto("http://attacker.example/")
    with page.expect_navigation():
        page.click("#go")
    assert page.locator("h1").inner_text() == "Submissions from other websites are not accepted"
    no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "en-5-cross-site-refused.png", full_page=True)
    assert before is not None and draft(service, did) == before
    ctx.close()
