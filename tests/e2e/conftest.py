import os
import shutil
from functools import cache
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwrights_event_loop():
    """Playwright's sync API runs an event loop in this thread while a module's browser is open,
    and Django refuses ORM calls from a thread with a running loop unless told they are safe.
    They are (the tests are synchronous), so it is allowed here — for the browser tests' modules
    only, while their browser is open, not for the whole test session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_orm_beside_playwrights_event_loop):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(username, password):
        page.goto(f"{live_server.url}/auth/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("[data-testid=sign-in]")
        page.wait_for_load_state("networkidle")
        return page

    return _sign_in


@cache
def _axe_script() -> str:
    import axe_core_python  # the wheel carries axe-core's axe.min.js

    return (Path(axe_core_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core on the page as it is now; one line per rule broken at these impacts.

    Injected through the DevTools protocol (page.evaluate), so a Content-Security-Policy
    without inline scripts does not stop it."""
    page.evaluate(_axe_script())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} — " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)`: no serious or critical axe-core violation on the page.

    Every app's browser tests call it on each page they open (in both languages)."""

    def _check(page, impacts=("serious", "critical")):
        problems = axe_violations(page, impacts)
        assert not problems, f"{page.url} ({page.locator('html').get_attribute('lang')}):\n" + "\n".join(problems)

    return _check


@pytest.fixture
def use_language(page, live_server):
    """Switch the signed-in session's language the way the menu does (en or zh-hans)."""

    def _use(code):
        page.goto(f"{live_server.url}/")
        page.click("[data-testid=language-menu]")
        page.click(f"[data-testid=lang-{code}]")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == code

    return _use
