"""The survey in a real browser: the real service (uvicorn, SQLite) and headless Chromium at phone size.

Screenshots go to test-artifacts/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    port = _free_port()
    env = {**os.environ, "CSI_DATABASE_URL": url, "CSI_ENVIRONMENT": "test",
           "CSI_SECRET_KEY": secrets.token_urlsafe(32)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "service.app:app_from_env", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"the service did not start:\n{out}")
            time.sleep(0.1)
        yield Service(base, {"Authorization": f"Bearer {key}"}, base + issued.path(SLUG))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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

    page.locator('input[name="brands"][value="jiangcheng"]').check()
    page.locator('input[name="brands"][value="xinda"]').check()
    press(page, "下一页")
    assert "第 3 / 6 页" in page.locator(".progress").inner_text() and "江城电力" in page.inner_text(".brand-heading")
    big_targets(page)
    rate_brand(page, "jiangcheng")
    press(page, "下一页")
    rate_brand(page, "xinda")
    press(page, "下一页")
    for name, v in (("a:q_overall", "5"), ("a:q_recommend", "9"), ("a:q_continue", "4"), ("a:q_complained", "0")):
        pick(page, name, v)
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
    page.locator('input[name="brands"][value="jiangcheng"]').check()
    press(page, "Next")

    rate_brand(page, "jiangcheng", skip="q_price")
    press(page, "Next")
    assert page.locator("#q-b-jiangcheng-q_price .err").inner_text().endswith("Please answer this question")
    assert page.locator('input[name="b:jiangcheng:q_trust"][value="4"]').is_checked()
    page.screenshot(path=SHOTS / "en-2-error.png")
    page.locator("#q-b-jiangcheng-q_price").screenshot(path=SHOTS / "en-2-error-item.png")
    pick(page, "b:jiangcheng:q_price", "2")
    press(page, "Next")
    for name, v in (("a:q_overall", "3"), ("a:q_recommend", "6"), ("a:q_continue", "3"), ("a:q_complained", "1")):
        pick(page, name, v)
    page.screenshot(path=SHOTS / "en-overall.png", full_page=True)
    press(page, "Next")
    pick(page, "a:q_age", "20-34")
    page.screenshot(path=SHOTS / "en-last.png", full_page=True)
    press(page, "Submit")
    assert page.locator("h1").inner_text() == "Thank you!"
    page.screenshot(path=SHOTS / "en-3-thanks.png", full_page=True)

    recs = [r for r in export(service) if r["respondent"] is None or r["respondent"] != "ZH-001"]
    assert len(recs) == 1
    rec = recs[0]
    assert rec["answers"]["q_customer_type"] == "non_residential" and rec["answers"]["q_complained"] == 1
    assert rec["brands"] == {"jiangcheng": {**{k: (v if v == "NA" else int(v)) for k, v in BRAND.items()},
                                            "q_price": 2}}
    # The same browser comes back: already answered.
    page.goto(f"{service.base}/s/{SLUG}")
    assert page.locator("h1").inner_text() == "You have already answered this survey"
    ctx.close()
