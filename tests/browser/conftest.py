"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the `server` fixture.

Skipped, with the reason, when the browser, Playwright or the vendor bundles (`npm ci` in web/) are
missing. Screenshots go to CITYBPM_SCREENSHOT_DIR (default /tmp/citybpm-screenshots) for review.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from api import web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}  # the command centre's laptops
SCREENSHOT_DIR = Path(os.environ.get("CITYBPM_SCREENSHOT_DIR", "/tmp/citybpm-screenshots"))


def missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium fonts-wqy-microhei)"
    if not (web.NODE_MODULES / "@bpmn-io" / "form-js" / "dist").is_dir():
        return "needs the vendor bundles: run `npm ci` in web/"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs Playwright for Python (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def web_server(app, server):
    """The test server with the web pages. Registers api.web's blueprint if the app factory does not
    (yet): Flask refuses new blueprints once an app has served a request, so the flag is lifted for it."""
    if "web" not in app.blueprints:
        served, app._got_first_request = app._got_first_request, False
        try:
            app.register_blueprint(web.blp)
        finally:
            app._got_first_request = served
    return server


@pytest.fixture(scope="session")
def browser():
    reason = missing_requirement()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, web_server):
    """new_page() → a page in a fresh browser context (its own sessionStorage: its own login), 1366×768,
    zh-CN. JavaScript errors on the page fail the test: a broken module shows nothing else."""
    contexts, page_errors = [], []

    def make():
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=web_server)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page, 'name') → SCREENSHOT_DIR/name.png"""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")  # toasts and tags mid-transition look blank
        return path

    return take
