"""Hostile input, by hand: each case gets a clear 4xx (or, for text that is legitimately free text, is stored
verbatim and never interpreted), and nothing else is stored or changed. Runs on SQLite and PostgreSQL.

XSS: payloads in comments and in a segment option's label are text (never markup) in the survey pages, the served
HTML report and the PDF's text layer, and headless Chromium shows that none of them runs (no dialog, no injected
element), both with the app's CSP header and on the bare HTML.

Generated input (schemathesis over the whole OpenAPI) is in test_schemathesis.py; the load and crash tests in
test_load_crash.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.app import create_app
from service.reporting import build_report
from service.settings import Settings
from survey_defs import template_path
from tests.service.payloads import good_submission
from tests.service.web.respondent import Respondent, full_answers

SLUG = "utility_csi"
SUBMIT = f"/api/v1/surveys/{SLUG}/responses"
SQLI = [
    "' OR '1'='1",
    "'; DROP TABLE response; --",
    "1; DELETE FROM survey WHERE 1=1",
    "\" OR \"\"=\"",
    "x' UNION SELECT key_hash, role FROM api_key --",
    "%' AND 1=0 UNION SELECT NULL --",
    "Robert'); DROP TABLE survey;--",
    ":survey_id %(s)s $1 ?",
]
TRAVERSAL = ["..%2F..%2Fetc%2Fpasswd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%00",
             "utility_csi%00", "utility_csi%00.yaml", "ｕｔｉｌｉｔｙ＿ｃｓｉ", "utility_csı", "UTILITY_CSI", "..",
             "%252e%252e%252f", "utility_csi%2F..%2F..", "%C0%AE%C0%AE%2F", "a" * 300]


def rows(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM response")).scalar_one())


def surveys(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM survey")).scalar_one())


@pytest.fixture
def before(engine: Engine, utility: str) -> Iterator[tuple[int, int]]:
    """Counts before the test; the test asserts they did not move (or moved exactly as it says)."""
    yield rows(engine), surveys(engine)


def assert_nothing_stored(engine: Engine, before: tuple[int, int]) -> None:
    assert (rows(engine), surveys(engine)) == before


# --------------------------------------------------------------------------------------------------- size, depth
def test_oversized_bodies_get_413(client: TestClient, engine: Engine, store_url: str, before: tuple[int, int]) -> None:
    big = b'{"answers": {"q_comment": "' + b"x" * 1_000_001 + b'"}}'
    r = client.post(SUBMIT, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than 1000000 bytes" in r.text
    # Without Content-Length (chunked): refused while streaming, before anything is parsed.
    r = client.post(SUBMIT, content=iter([b"[" * 400_000] * 3), headers={"content-type": "application/json"})
    assert r.status_code == 413
    # The limit is configuration: a tiny one refuses an ordinary submission.
    small = Settings(database_url=store_url, environment="test", max_body_bytes=500)
    with TestClient(create_app(small, engine)) as c:
        r = c.post(SUBMIT, json=good_submission())
        assert r.status_code == 413 and "500 bytes" in r.text
    assert_nothing_stored(engine, before)


def test_deeply_nested_json_is_a_4xx_everywhere(client: TestClient, engine: Engine, admin: dict[str, str],
                                                before: tuple[int, int]) -> None:
    """100,000 levels: parsers must refuse it with a 4xx, never overflow the stack into a 500."""
    n = 100_000
    arrays = "[" * n + "]" * n
    objects = '{"a":' * n + "1" + "}" * n
    json_h = {**admin, "content-type": "application/json"}
    cases = [
        (SUBMIT, arrays, {"content-type": "application/json"}),
        (SUBMIT, '{"answers": ' + objects + "}", {"content-type": "application/json"}),
        (SUBMIT, '{"brands": {"jiangcheng": ' + objects + "}}", {"content-type": "application/json"}),
        (f"{SUBMIT}/batch", objects, json_h),
        (f"/api/v1/surveys/{SLUG}/invitations", objects, json_h),
        (f"/api/v1/surveys/{SLUG}/settings", arrays, json_h),
        ("/api/v1/keys", objects, json_h),
        ("/api/v1/surveys", '{"yaml": ' + arrays + "}", json_h),
        ("/api/v1/surveys", "slug: " + arrays, {**admin, "content-type": "application/yaml"}),
        ("/api/v1/surveys", "a: " + "{b: " * 20_000 + "}" * 20_000, {**admin, "content-type": "application/yaml"}),
    ]
    for path, body, headers in cases:
        r = client.post(path, content=body.encode(), headers=headers)
        assert 400 <= r.status_code < 500, (path, body[:20], r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/json")
    # The web form: deep brackets in field names and values are only text.
    p = Respondent(client)
    p.open(f"/s/{SLUG}")
    r = client.post(f"/s/{SLUG}", data={**p.hidden, "go": "next", "a:q_region": arrays[:200_000],
                                        "[" * 5000: "x"})
    assert r.status_code in (200, 303, 422), r.status_code
    assert_nothing_stored(engine, before)


# ------------------------------------------------------------------------------------------------ answers, types
BAD_ANSWERS: list[tuple[str, dict[str, Any], str]] = [
    ("out of range", {"answers": {"q_overall": 6}}, "q_overall"),
    ("negative", {"answers": {"q_overall": -1}}, "q_overall"),
    ("nps out of range", {"answers": {"q_recommend": 11}}, "q_recommend"),
    ("huge number", {"answers": {"q_overall": 10**40}}, "q_overall"),
    ("float", {"answers": {"q_overall": 3.5}}, "q_overall"),
    ("nan", {"answers": {"q_overall": "NaN"}}, "q_overall"),
    ("boolean on a scale", {"answers": {"q_overall": True}}, "q_overall"),
    ("NA not allowed", {"answers": {"q_overall": "NA"}}, "q_overall"),
    ("unknown option", {"answers": {"q_region": "moon"}}, "q_region"),
    ("number for yes/no", {"answers": {"q_complained": 7}}, "q_complained"),
    ("list as answer", {"answers": {"q_overall": [4]}}, "q_overall"),
    ("object as answer", {"answers": {"q_overall": {"v": 4}}}, "q_overall"),
    ("text not a string", {"answers": {"q_comment": 12}}, "q_comment"),
    ("text too long", {"answers": {"q_comment": "x" * 5001}}, "q_comment"),
    ("unknown item", {"answers": {"q_nope": 3}}, "q_nope"),
    ("brand item at top level", {"answers": {"q_price": 3}}, "q_price"),
    ("unknown brand", {"brands": {"acme": {"q_price": 3}}}, "acme"),
    ("brand not an object", {"brands": {"jiangcheng": 5}}, "jiangcheng"),
    ("unknown wave", {"wave": "1999H1"}, "wave"),
    ("unknown channel", {"channel": "fax"}, "channel"),
    ("extra field", {"admin": True}, "admin"),
    ("answers not an object", {"answers": [1, 2]}, "answers"),
    ("future submission", {"submitted_at": "2999-01-01T00:00:00Z"}, "submitted_at"),
    ("bad time", {"started_at": "yesterday"}, "started_at"),
    ("respondent too long", {"respondent": "r" * 129}, "respondent"),
]


@pytest.mark.parametrize(("what", "over", "item"), BAD_ANSWERS, ids=[c[0] for c in BAD_ANSWERS])
def test_bad_answers_get_422_naming_the_item(client: TestClient, engine: Engine, before: tuple[int, int],
                                             what: str, over: dict[str, Any], item: str) -> None:
    body = good_submission()
    for k, v in over.items():
        if k in ("answers", "brands") and isinstance(v, dict) and isinstance(body[k], dict):
            body[k] = {**body[k], **v}
        else:
            body[k] = v
    r = client.post(SUBMIT, json=body, headers={"Idempotency-Key": f"bad-{what}"})
    assert r.status_code == 422, (what, r.status_code, r.text)
    locs = [".".join(map(str, e["loc"])) for e in r.json()["detail"]]
    assert any(item in loc for loc in locs), (what, locs)
    assert_nothing_stored(engine, before)


def test_body_that_is_not_json_or_not_utf8(client: TestClient, engine: Engine, before: tuple[int, int]) -> None:
    for raw in (b"\xc2\x00\xff\xfe", b"not json", b"", b"null", b"[]", b'{"answers": }', "\ud800".encode("utf-8",
                                                                                                          "surrogatepass")):
        r = client.post(SUBMIT, content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw, r.status_code, r.text)
    assert_nothing_stored(engine, before)


# --------------------------------------------------------------------------------------------- tokens and keys
def test_forged_and_reused_tokens(client: TestClient, engine: Engine, admin: dict[str, str],
                                  before: tuple[int, int]) -> None:
    r = client.post(f"/api/v1/surveys/{SLUG}/invitations", json={"count": 2}, headers=admin)
    assert r.status_code == 201
    token, other = (i["token"] for i in r.json()["invitations"])
    forged = [token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper(), "x" * 32, token + "x", "", " ",
              *SQLI, "t" * 129]
    for f in forged:
        r = client.post(SUBMIT, json=good_submission(token=f))
        assert r.status_code in (403, 422), (f, r.status_code, r.text)
    assert_nothing_stored(engine, before)
    assert client.post(SUBMIT, json=good_submission(token=token)).status_code == 201
    again = client.post(SUBMIT, json=good_submission(token=token), headers={"Idempotency-Key": "other-key"})
    assert again.status_code == 409 and "already been answered" in again.text
    assert rows(engine) == before[0] + 1
    # A used token opens no survey page either, and a forged one says "not valid".
    assert "name=\"draft\"" not in client.get(f"/s/{SLUG}?t={token}").text
    assert client.get(f"/s/{SLUG}?t={quote(forged[0])}").status_code == 404
    assert client.post(SUBMIT, json=good_submission(token=other)).status_code == 201


def test_idempotency_key_reused_with_another_body(client: TestClient, engine: Engine, before: tuple[int, int]) -> None:
    h = {"Idempotency-Key": "k-123"}
    first = client.post(SUBMIT, json=good_submission(), headers=h)
    assert first.status_code == 201
    replay = client.post(SUBMIT, json=good_submission(), headers=h)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    r = client.post(SUBMIT, json=good_submission(respondent="someone else"), headers=h)
    assert r.status_code == 422 and "different request body" in r.text
    for bad in ("", "k" * 129):
        assert client.post(SUBMIT, json=good_submission(), headers={"Idempotency-Key": bad}).status_code == 422
    assert rows(engine) == before[0] + 1


# ------------------------------------------------------------------------------------------------ SQL injection
def test_sql_injection_in_every_text_field(client: TestClient, engine: Engine, admin: dict[str, str],
                                           analyst: dict[str, str], before: tuple[int, int]) -> None:
    """Free text (comment, respondent key, idempotency key, key name) is stored verbatim and never executed; every
    other field refuses the string with a 4xx; the tables are intact afterwards."""
    ids = []
    for k, s in enumerate(SQLI):
        body = good_submission(respondent=s)
        body["answers"]["q_comment"] = s
        r = client.post(SUBMIT, json=body, headers={"Idempotency-Key": s})
        assert r.status_code == 201, (s, r.text)
        assert client.post(SUBMIT, json=body, headers={"Idempotency-Key": s}).json()["id"] == r.json()["id"]
        ids.append(r.json()["id"])
        refused: list[tuple[str, dict[str, Any]]] = [
            ("wave", good_submission(wave=s)),
            ("segment", good_submission(answers={**good_submission()["answers"], "q_region": s})),
            ("option", good_submission(answers={**good_submission()["answers"], "q_age": s})),
            ("item id", good_submission(answers={**good_submission()["answers"], s: 1})),
            ("brand id", good_submission(brands={s: {"q_price": 3}})),
            ("channel", good_submission(channel=s)),
            ("token", good_submission(token=s)),
            ("time", good_submission(started_at=s)),
        ]
        for what, bad in refused:
            r = client.post(SUBMIT, json=bad, headers={"Idempotency-Key": f"refused-{what}-{k}"})
            assert r.status_code in (403, 422), (what, s, r.status_code, r.text)
        q = quote(s, safe="")
        for path, h in [(f"/api/v1/surveys/{q}/definition", {}), (f"/s/{q}", {}), (f"/api/v1/surveys/{q}", analyst),
                        (f"/api/v1/surveys/{q}/export", analyst), (f"/api/v1/surveys/{q}/counts", analyst),
                        (f"/api/v1/surveys/{q}/analytics", analyst)]:
            assert client.get(path, headers=h).status_code == 404, path
        assert client.post(f"/api/v1/surveys/{q}/responses", json=good_submission()).status_code == 404
        assert client.post(f"/api/v1/surveys/{q}/close", headers=admin).status_code == 404
        for params in ({"labels": s}, {"format": s}):
            assert client.get(f"/api/v1/surveys/{SLUG}/export", params=params, headers=analyst).status_code == 422
        for params in ({"wave": s}, {"brand": s}, {"segment": s}, {"segment": f"q_region={s}"},
                       {"segment": f"{s}=urban"}):
            r = client.get(f"/api/v1/surveys/{SLUG}/analytics", params=params, headers=analyst)
            assert r.status_code == 422, (params, r.status_code)
        assert client.delete(f"/api/v1/keys/{q}", headers=admin).status_code in (404, 422)
        assert client.get(f"/s/{SLUG}", params={"t": s}).status_code == 404
        assert client.get(f"/s/{SLUG}", params={"r": s}).status_code == 404
        made = client.post("/api/v1/keys", json={"role": "analyst", "name": s}, headers=admin)
        assert made.status_code == 201 and made.json()["name"] == s
        assert client.post("/api/v1/keys", json={"role": s}, headers=admin).status_code == 422
    # Stored verbatim, nothing else stored, nothing dropped.
    assert rows(engine) == before[0] + len(SQLI) and surveys(engine) == before[1]
    exported = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=analyst).json()["responses"]
    by_id = {e["id"]: e for e in exported}
    for rid, s in zip(ids, SQLI, strict=True):
        assert by_id[rid]["respondent"] == s and by_id[rid]["answers"]["q_comment"] == s
    with engine.connect() as c:
        keys = {r[0] for r in c.execute(text("SELECT idempotency_key FROM response"))}
        assert set(SQLI) <= keys
        assert int(c.execute(text("SELECT count(*) FROM api_key")).scalar_one()) == 2 + len(SQLI)


# ------------------------------------------------------------------------------------------------ path traversal
@pytest.mark.parametrize("slug", TRAVERSAL)
def test_slug_with_path_traversal_is_404(client: TestClient, engine: Engine, admin: dict[str, str],
                                         before: tuple[int, int], slug: str) -> None:
    for method, path, h in [("GET", f"/api/v1/surveys/{slug}/definition", {}), ("GET", f"/s/{slug}", {}),
                            ("GET", f"/s/{slug}/thanks", {}), ("POST", f"/api/v1/surveys/{slug}/responses", {}),
                            ("GET", f"/api/v1/surveys/{slug}", admin), ("GET", f"/api/v1/surveys/{slug}/export", admin),
                            ("GET", f"/api/v1/surveys/{slug}/analytics", admin),
                            ("POST", f"/api/v1/surveys/{slug}/close", admin),
                            ("POST", f"/api/v1/surveys/{slug}/invitations", admin)]:
        kw: dict[str, Any] = {"json": good_submission()} if path.endswith("responses") else {}
        if path.endswith("invitations"):
            kw = {"json": {"count": 1}}
        r = client.request(method, path, headers=h, **kw)
        # "/s/.." is normalised by the client to "/", which redirects to the staff console: no survey is served.
        to_console = r.status_code == 200 and r.url.path.startswith("/staff/") and "csrf" in r.text
        assert r.status_code in (404, 405) or to_console, (method, path, r.status_code, r.text[:200])
        assert "root:" not in r.text and "[core]" not in r.text
    assert_nothing_stored(engine, before)


# ------------------------------------------------------------------------------------------------------- XSS
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_xss_in_segment_answers_and_field_names_is_escaped(client: TestClient, engine: Engine,
                                                            before: tuple[int, int]) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    r = p.post("next", {**full_answers(), "a:q_region": XSS, "a:q_customer_type": XSS}, **{f"a:{XSS}": XSS})
    assert r.status_code == 422  # the segment answers are not options
    assert "<script>alert" not in r.text and "onerror=alert" not in r.text.replace("onerror=alert(2)&gt;", "")
    assert "<img src=x" not in r.text
    # The draft (saved with the bad values) shows them back escaped, never as markup.
    resume = re.search(r"/s/utility_csi\?r=[^\"&]+", r.text)
    assert resume is not None
    again = client.get(resume.group(0))
    assert "<script>alert" not in again.text and "<img src=x" not in again.text
    assert_nothing_stored(engine, before)


# XSS stored by respondents (comments) and by a definition (a segment option's label, so the segment answer a
# respondent picks is shown as the payload in the survey page and in the report's segment tables).
XSS_COMMENT = XSS + " </textarea><svg onload=alert(3)> '><iframe srcdoc='<script>alert(4)</script>'>"
XSS_LABEL = "<img src=y onerror=alert(5)>Urban</span><script>alert(6)</script>"
REPORT = f"/api/v1/surveys/{SLUG}/report"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
ORIGIN = "http://csi.test"  # served by the app through Playwright's routing, never over the network


class _Markup(HTMLParser):
    """Text nodes, and any element or attribute a payload would have become had it not been escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.injected: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (name == "srcdoc") or (tag == "img" and value in ("x", "y")):
                self.injected.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "script":
            if "alert(" in data:
                self.injected.append(f"<script>{data[:80]}")
        else:
            self.text.append(data)


def markup(html: str) -> _Markup:
    m = _Markup()
    m.feed(html)
    m.close()
    return m


def assert_escaped(html: str, *payloads: str) -> None:
    """Each payload is in the document as text (escaped in the source), and nothing of it became markup."""
    m = markup(html)
    text = "".join(m.text)
    assert not m.injected, m.injected
    for p in payloads:
        assert p not in html, f"raw payload in the source: {p[:40]}"
        assert p in text, f"payload not shown as text: {p[:40]}"


@pytest.fixture
def xss_store(engine: Engine, client: TestClient) -> Engine:
    """utility_csi with the "urban" option labelled with a payload; 30 responses, every comment a payload."""
    from service.surveys.service import publish

    src = template_path(SLUG).read_text(encoding="utf-8")
    old = 'label: {zh: 城区, en: "Urban area"}'
    assert src.count(old) == 1
    publish(engine, src.replace(old, "label: {zh: " + json.dumps(XSS_LABEL) + ", en: " + json.dumps(XSS_LABEL)
                                + "}"), "utility_csi.yaml")
    for k in range(30):
        body = good_submission(respondent=f"x{k}")
        body["answers"]["q_overall"] = 1 + k % 5
        body["answers"]["q_region"] = "urban" if k % 2 else "rural"
        body["answers"]["q_comment"] = f"{XSS_COMMENT} #{k}"
        assert client.post(SUBMIT, json=body).status_code == 201
    return engine


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), launched as tests/browser does."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _page(browser: Any, app: Any) -> tuple[Any, Any, list[str]]:
    """A new browser page whose requests to ORIGIN are answered by the app (with its real headers, CSP included);
    every dialog (alert, confirm, prompt) is recorded and dismissed."""
    # Redirects are followed here: Chromium does not route the request a fulfilled 303 leads to.
    tc = TestClient(app, base_url=ORIGIN, follow_redirects=True)
    ctx = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-GB")

    def serve(route: Any, request: Any) -> None:
        tc.cookies.clear()  # the browser's cookies only
        sent = {k: v for k, v in request.all_headers().items() if k.lower() in ("cookie", "content-type")}
        r = tc.request(request.method, request.url.removeprefix(ORIGIN), headers=sent, content=request.post_data_buffer)
        headers = {k: v for k, v in r.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        route.fulfill(status=r.status_code, headers=headers, body=r.content)

    ctx.route(f"{ORIGIN}/**", serve)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return ctx, page, dialogs


def _no_payload_ran(page: Any, dialogs: list[str], *visible: str) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # an onerror/onload handler would have fired by now
    assert dialogs == [], f"a payload ran: {dialogs}"
    injected = page.evaluate("""() => [...document.querySelectorAll('img[src="x"], img[src="y"], svg[onload], iframe,'
                                + ' [onerror], [onload]')].map(e => e.outerHTML)""")
    assert injected == [], injected
    shown = page.evaluate("""() => document.body.innerText + [...document.querySelectorAll('textarea')]
                                     .map(t => t.value).join('\\n')""")
    for v in visible:
        assert v in shown, f"not shown as text: {v[:40]}"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_xss_is_escaped_in_the_served_reports(xss_store: Engine, client: TestClient, analyst: dict[str, str],
                                              tmp_path: Path) -> None:
    """GET report.html / report.pdf as an analyst: 200; in the HTML every payload is text, never markup (also in
    the Chinese report, built directly); the PDF's text layer has the payloads literally."""
    served = client.get(f"{REPORT}.html?lang=en", headers=analyst)
    assert served.status_code == 200, served.text[:300]
    assert served.headers["content-type"].startswith("text/html")
    assert_escaped(served.text, f"{XSS_COMMENT} #1", XSS_LABEL)
    assert_escaped(build_report(xss_store, SLUG, fmt="html", lang="zh").decode(), f"{XSS_COMMENT} #1", XSS_LABEL)
    pdf = client.get(f"{REPORT}.pdf?lang=en", headers=analyst)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text[:300]
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    out = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    layer = " ".join(out.stdout.split())  # lines wrap inside a long comment
    assert " ".join(XSS_COMMENT.split()) in layer  # the literal text, nothing interpreted or dropped
    # The segment label, in the segment tables: a narrow cell wraps it, with other cells' text between its lines,
    # so piece by piece.
    pieces = ("<img src=y", "onerror=alert(5)>Urban", "<script>alert(6)")
    assert all(piece in out.stdout for piece in pieces), out.stdout


@pytest.mark.browser
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_payload_runs_in_the_html_report(xss_store: Engine, client: TestClient, analyst: dict[str, str],
                                            browser: Any, tmp_path: Path) -> None:
    """The served HTML report opened in Chromium from a file (as a reader would open a download, so without the
    HTTP headers' protection): no dialog, no injected element, the payloads visible as text."""
    served = client.get(f"{REPORT}.html?lang=en", headers=analyst)
    assert served.status_code == 200
    report = tmp_path / "report.html"
    report.write_bytes(served.content)
    ctx, page, dialogs = _page(browser, client.app)
    try:
        page.goto(report.as_uri())
        _no_payload_ran(page, dialogs, f"{XSS_COMMENT} #1", XSS_LABEL)
    finally:
        ctx.close()


@pytest.mark.browser
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_payload_runs_in_the_survey_pages(xss_store: Engine, client: TestClient, browser: Any) -> None:
    """The survey pages that show a payload back, in Chromium: the first page (the segment option labelled with
    one), a draft's last page (the stored comment in its textarea), and the page refusing a forged segment answer.
    Each is loaded twice: served with the app's headers (CSP), and with the bare HTML (escaping alone)."""
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    answers = full_answers(comment=XSS_COMMENT)
    refused = p.post("next", {**answers, "a:q_region": XSS_COMMENT})
    assert refused.status_code == 422
    refused_html = refused.text
    for _ in range(5):  # on to the last page, where the comment is, and back: the draft keeps the comment
        p.post("next", answers)
    p.post("prev", answers)
    resume = re.search(r"/s/utility_csi\?r=[A-Za-z0-9_-]+", p.html)
    assert resume is not None
    last = f"{resume.group(0)}&page=6&lang=en"
    assert XSS_COMMENT not in client.get(last).text  # escaped in the source
    ctx, page, dialogs = _page(browser, client.app)
    try:
        page.goto(f"{ORIGIN}/s/{SLUG}?lang=en")
        _no_payload_ran(page, dialogs, XSS_LABEL)
        page.goto(ORIGIN + last)
        assert page.locator("textarea").input_value() == XSS_COMMENT
        _no_payload_ran(page, dialogs, XSS_COMMENT)
        for html in (client.get(f"/s/{SLUG}?lang=en").text, client.get(last).text, refused_html):
            page.set_content(html)  # no CSP header now: only the escaping stands between the payload and a run
            _no_payload_ran(page, dialogs)
        page.set_content(client.get(last).text)
        assert page.locator("textarea").input_value() == XSS_COMMENT
    finally:
        ctx.close()
