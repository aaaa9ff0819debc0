"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright's sync API.

Playwright's own browser download does not work on these machines, so the tests launch the system
Chromium (`tools/test.sh` installs it) headless, with the flags that keep it off the network. Servers the
tests start bind 127.0.0.1 only and are always killed. Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""
import os
from pathlib import Path
import pytest

CHROMIUM = os.environ.get('LRWIDGETS_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync',
                 '--disable-default-apps', '--disable-extensions']

@pytest.fixture(scope='session')
def browser():
    "A headless system Chromium; the tests fail (not skip) when it is missing: run tools/test.sh."
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not found: install Debian's chromium (tools/test.sh does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield b
        b.close()

class PageLog:
    "What a page did that tests check: JS errors, dialogs (an injected alert would open one), off-host requests."
    def __init__(self, page):
        self.errors, self.dialogs, self.requests = [], [], []
        page.on('pageerror', lambda e: self.errors.append(str(e)))
        page.on('dialog', lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on('request', lambda r: self.requests.append(r.url))
    def off_host(self):
        "Requested URLs that are neither file:// nor this machine's loopback."
        return [u for u in self.requests if not u.startswith(('file:', 'data:', 'blob:', 'http://127.0.0.1', 'ws://127.0.0.1'))]

@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={'width': 1280, 'height': 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.log = PageLog(pg)
    yield pg
    ctx.close()
