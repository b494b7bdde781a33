"""The invitation mail's HTML part, rendered in Chromium (zh and en, phone and desktop width) for a human to look
at: test-artifacts/screenshots/invitation-mail-*.png. The page loads nothing from outside (a mail client would
block it) and the button carries the personal link."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.mail.compose import Recipient, html_body
from survey_defs import load_definition_text
from tests.browser.test_web_survey import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.service.fieldwork.common import definition_text

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_invitation_mail_renders(lang: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    d = load_definition_text(definition_text(), "utility_csi.yaml")
    link = f"https://survey.example.com/s/utility_csi?t=AbCdEfGhIjKlMnOpQrStUvWxYz012345&lang={lang}"
    r = Recipient(link=link, unsubscribe_link=link.replace("utility_csi?", "utility_csi/unsubscribe?"),
                  email="x@example.com", name="王<小明>" if lang == "zh" else "Alice O'Neil", lang=lang)
    f = tmp_path / f"mail-{lang}.html"
    f.write_text(html_body(d, r), encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, width in (("phone", 360), ("desktop", 900)):
                page = b.new_page(viewport={"width": width, "height": 700})
                page.on("request", lambda req: requests.append(req.url))
                page.goto(f.as_uri())
                assert page.locator("a", has_text="开始答卷" if lang == "zh" else "Start the survey"
                                    ).get_attribute("href") == link
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                text = page.inner_text("body")
                assert ("王<小明>，您好" if lang == "zh" else "Dear Alice O'Neil,") in text
                page.screenshot(path=SHOTS / f"invitation-mail-{lang}-{name}.png", full_page=True)
                page.close()
        finally:
            b.close()
    assert all(u.startswith("file://") for u in requests), requests
