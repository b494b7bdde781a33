"""The staff console in a real browser (the real service under uvicorn, headless Chromium), in zh and en:
first-admin setup, sign out and in, account page, users page (create a colleague), keys page, audit page.

Screenshots: test-artifacts/screenshots/console-{lang}-*.png (laptop 1280 px; the users page also at tablet
width 820 px).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.served import served
from tests.browser.test_web_survey import CHROMIUM, CHROMIUM_ARGS, SHOTS, SLUG

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
PASSWORD = "quality first 2026"
TEXT = {
    "zh": {"setup": "创建第一个管理员", "setup_button": "创建管理员并登录", "home": "问卷", "logout": "退出登录",
           "login": "登录", "account": "我的账户", "users": "用户", "create": "创建", "keys": "API 密钥",
           "audit": "审计日志", "created": "用户已创建。", "key_shown": "新密钥", "filter": "筛选"},
    "en": {"setup": "Create the first admin", "setup_button": "Create admin and sign in", "home": "Surveys",
           "logout": "Sign out", "login": "Sign in", "account": "My account", "users": "Users", "create": "Create",
           "keys": "API keys", "audit": "Audit log", "created": "User created.", "key_shown": "New key",
           "filter": "Filter"},
}


@pytest.fixture(params=["zh", "en"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A fresh store (utility_csi published, no staff user yet) served by uvicorn; yields (base URL, language)."""
    from service.store.engine import make_engine
    from service.store.migrate import upgrade
    from service.surveys.service import publish
    from survey_defs import template_path

    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'csi.db'}"
    engine = make_engine(url)
    upgrade(engine)
    publish(engine, template_path(SLUG).read_text(encoding="utf-8"), "utility_csi.yaml")
    engine.dispose()
    with served(url) as b:
        yield b, request.param


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def shot(page: Any, lang: str, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px > {viewport}px"
    page.screenshot(path=SHOTS / f"console-{lang}-{name}.png", full_page=True)


def submit(page: Any, form: str, button: str) -> None:
    with page.expect_navigation():
        page.locator(form).get_by_role("button", name=button).click()


def test_console_journey(base: tuple[str, str], browser: Any) -> None:
    url, lang = base
    t = TEXT[lang]
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN" if lang == "zh" else "en-GB")
    page = ctx.new_page()

    page.goto(url + "/")  # / -> /staff/ -> login -> setup (no user yet)
    assert page.url == f"{url}/staff/setup"
    assert page.locator("h1").inner_text() == t["setup"]
    page.fill('input[name="email"]', "Wang.Fang@Example.cn")
    page.fill('input[name="name"]', "王芳" if lang == "zh" else "Fang Wang")
    page.fill('input[name="password"]', PASSWORD)
    page.fill('input[name="password2"]', PASSWORD)
    shot(page, lang, "1-setup")
    submit(page, "main form", t["setup_button"])
    assert page.url == f"{url}/staff/"
    assert page.locator("h1").inner_text() == t["home"]
    assert page.locator("table.grid td code", has_text=SLUG).count() == 1
    shot(page, lang, "2-home")

    submit(page, 'form[action="/staff/logout"]', t["logout"])
    assert page.url.startswith(f"{url}/staff/login")
    page.fill('input[name="email"]', "wang.fang@example.cn")
    page.fill('input[name="password"]', "not the password")
    submit(page, "main form", t["login"])
    assert page.locator("main .errors").count() == 1
    page.fill('input[name="password"]', PASSWORD)
    shot(page, lang, "3-login")
    submit(page, "main form", t["login"])
    assert page.url == f"{url}/staff/"

    with page.expect_navigation():
        page.locator("header a.who").click()
    assert page.locator("h1").inner_text() == t["account"]
    shot(page, lang, "4-account")

    with page.expect_navigation():
        page.locator("header nav a", has_text=t["users"]).click()
    page.fill('form[action="/staff/users"] input[name="email"]', "li.lei@example.cn")
    page.fill('form[action="/staff/users"] input[name="name"]', "李雷" if lang == "zh" else "Lei Li")
    page.select_option('form[action="/staff/users"] select[name="role"]', "analyst")
    page.fill('form[action="/staff/users"] input[name="password"]', "analyst password 1")
    submit(page, 'form[action="/staff/users"]', t["create"])
    assert page.locator(".notice").inner_text() == t["created"]
    assert page.locator("td", has_text="li.lei@example.cn").count() == 1
    shot(page, lang, "5-users")
    page.set_viewport_size(TABLET)
    shot(page, lang, "5-users-tablet")
    page.set_viewport_size(LAPTOP)

    with page.expect_navigation():
        page.locator("header nav a", has_text=t["keys"]).click()
    page.fill('form[action="/staff/keys"] input[name="name"]', "nightly export")
    submit(page, 'form[action="/staff/keys"]', t["create"])
    secret = page.locator("code.key").inner_text()
    assert secret.startswith("csi_") and t["key_shown"] in page.locator(".secret").inner_text()
    assert httpx.get(f"{url}/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    shot(page, lang, "6-keys")

    with page.expect_navigation():
        page.locator("header nav a", has_text=t["audit"]).click()
    actions = page.locator("table.audit td code").all_inner_texts()
    assert {"user.created", "login", "logout", "login.failed", "key.created"} <= set(actions)
    shot(page, lang, "7-audit")

    other = "en" if lang == "zh" else "zh"
    with page.expect_navigation():
        page.locator(f"header .langswitch button[value='{other}']").click()
    assert page.url == f"{url}/staff/audit"
    assert page.locator("h1").inner_text() == TEXT[other]["audit"]
    ctx.close()
