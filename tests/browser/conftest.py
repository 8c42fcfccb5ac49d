"""Real-browser fixtures: Debian's headless Chromium driven by Playwright for Python.

No browser is ever downloaded: Playwright launches the system's ``chromium``
(``apt-get install -y chromium``; ``make test`` installs it). Where Chromium is
missing the browser tests skip with that reason, except under CI (``CI`` set),
where a missing browser is a failure: CI must run them.

Servers the tests start listen on 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) shared by the session's browser tests."""
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install '.[test]')")
    with sync_playwright() as playwright:  # Playwright gives each launch a fresh, empty profile
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class BrowserErrors(list[str]):
    """JavaScript errors and console errors seen by a page, in order."""

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda error: self.append(f"pageerror: {error}"))
        page.on("console", lambda msg: self.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
        return page


@pytest.fixture
def browser_errors() -> BrowserErrors:
    """Collects the errors of pages passed to its ``watch`` (the ``page`` fixture's page is watched)."""
    return BrowserErrors()


@pytest.fixture
def page(browser: Any, browser_errors: BrowserErrors) -> Iterator[Any]:
    """A fresh page 1200 px wide (a laptop's browser window), its JavaScript errors in ``browser_errors``."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    yield browser_errors.watch(context.new_page())
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots go to (``build/screenshots``), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(folder)`` starts a static file server for ``folder`` on 127.0.0.1 and returns its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
