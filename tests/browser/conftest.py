"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright; never a downloaded browser."""

from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import need

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TABLET = {"width": 1280, "height": 800}  # a 10-inch tablet in landscape


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = need("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_context(browser):
    contexts = []

    def make(**kw):
        ctx = browser.new_context(ignore_https_errors=True, viewport=kw.pop("viewport", TABLET), locale="zh-CN", **kw)
        ctx.set_default_timeout(10000)
        contexts.append(ctx)
        return ctx

    yield make
    for c in contexts:
        c.close()


@contextmanager
def staff_clients(server):
    """(admin, secretary): two API clients of the real server, signed in, sending its Origin."""
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=30) as admin, \
         httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=30) as sec:
        assert admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
        assert sec.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
        yield admin, sec


@pytest.fixture
def api(demo_server):
    with staff_clients(demo_server) as clients:
        yield clients


def submit_ballot(page, choice=None):
    """Vote on a tablet's ballot sheet as a member does: pick (a motion's choice, if given), 提交,
    then 确认提交 on the confirm step. Marks on a ballot sheet are made by the caller first."""
    if choice is not None:
        page.locator(f'#ballot > .choices .choice[data-choice="{choice}"]').click()
    page.locator("#submit-ballot").click()
    page.locator("#confirm-ballot").click()


def confirm_dialog(page):
    """Answer the shared confirm step (confirm.js) of an irreversible action with its OK button."""
    page.locator("#confirm-dialog button.ok").click()
    page.locator("#confirm-dialog").wait_for(state="hidden")
