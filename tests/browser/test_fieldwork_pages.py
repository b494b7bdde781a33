"""The quota-full and closed-wave pages, and the brand picker in the definition's words, in real Chromium.

Screenshots (zh and en) go to test-artifacts/screenshots/fieldwork-*.png for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.served import served
from tests.browser.test_web_survey import SHOTS, VIEWPORT, browser
from tests.service.fieldwork.defs import BRAND_OPTIONS, dated

__all__ = ["browser"]
pytestmark = pytest.mark.browser
QUOTA_FULL = "\nquotas:\n  q_region: {urban: 0, rural: 100}\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn over a fresh SQLite store with utility_csi (urban cell full, own brand required) and a copy whose
    waves are all over (utility_closed)."""
    from service.store.engine import make_engine
    from service.store.migrate import upgrade
    from service.surveys.service import publish

    url = f"sqlite:///{tmp_path_factory.mktemp('fieldwork') / 'csi.db'}"
    engine = make_engine(url)
    upgrade(engine)
    publish(engine, dated(QUOTA_FULL + BRAND_OPTIONS.replace("own_required: false", "own_required: true")),
            "utility_csi.yaml")
    closed = dated(past=(-90, -61), current=(-60, -1)).replace("slug: utility_csi", "slug: utility_closed")
    publish(engine, closed, "utility_closed.yaml")
    engine.dispose()
    with served(url) as root:
        yield root


def _page(browser: Any) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=2)
    return ctx.new_page()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_closed_wave_page(base: str, browser: Any, lang: str) -> None:
    page = _page(browser)
    resp = page.goto(f"{base}/s/utility_closed?lang={lang}")
    assert resp is not None and resp.status == 409
    heading = page.locator("h1").inner_text()
    assert heading == {"zh": "本问卷目前未开放", "en": "This survey is not open now"}[lang]
    assert page.locator("form").count() == 0
    page.screenshot(path=SHOTS / f"fieldwork-closed-wave-{lang}.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_quota_full_page_after_the_segment_question(base: str, browser: Any, lang: str) -> None:
    page = _page(browser)
    page.goto(f"{base}/s/utility_csi?lang={lang}")
    for name, value in (("a:q_customer_type", "residential"), ("a:q_region", "urban"), ("a:q_usage", "lt100")):
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    with page.expect_navigation():
        page.locator('button.primary[value="next"]').click()
    assert "/notice/quota_full" in page.url
    assert page.locator("h1").inner_text() == {"zh": "感谢您的参与！", "en": "Thank you for your time!"}[lang]
    page.screenshot(path=SHOTS / f"fieldwork-quota-full-{lang}.png", full_page=True)
    page.context.close()


def test_brand_picker_speaks_the_definitions_words(base: str, browser: Any) -> None:
    page = _page(browser)
    page.goto(f"{base}/s/utility_csi?lang=zh")
    for name, value in (("a:q_customer_type", "residential"), ("a:q_region", "rural"), ("a:q_usage", "lt100")):
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    with page.expect_navigation():
        page.locator('button.primary[value="next"]').click()
    assert "您用过哪些售电公司？" in page.locator("legend").first.inner_text()
    own = page.locator('input[type="checkbox"][value="jiangcheng"]')
    assert own.is_checked() and own.is_disabled()
    page.locator('input[type="checkbox"][value="hengyuan"]').check()
    page.screenshot(path=SHOTS / "fieldwork-brand-picker-zh.png", full_page=True)
    with page.expect_navigation():
        page.locator('button.primary[value="next"]').click()
    assert "江城电力" in page.content()  # our own brand's ratings come first: it was sent although disabled
    page.context.close()
