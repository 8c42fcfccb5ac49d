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
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def unavailable() -> Callable[[str], None]:
    """``unavailable(reason)`` skips a test whose tools are missing, or fails it under CI (which must run it)."""
    return _unavailable


@pytest.fixture
def open_page(browser: Any, browser_errors: BrowserErrors) -> Iterator[Callable[..., Any]]:
    """``open_page(width, height)`` opens a fresh page (a context of its own, closed when the test ends, also when it
    fails), its JavaScript errors in ``browser_errors``; every wait may take ``timeout_ms`` (60 s: the suite runs on
    2 shared cores)."""
    contexts: list[Any] = []

    def open_(width: int, height: int, timeout_ms: float | None = 60_000) -> Any:
        contexts.append(browser.new_context(viewport={"width": width, "height": height}))
        page = browser_errors.watch(contexts[-1].new_page())
        if timeout_ms is not None:
            page.set_default_timeout(timeout_ms)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Any]) -> Any:
    """A fresh page 1200 px wide (a laptop's browser window), its JavaScript errors in ``browser_errors``."""
    return open_page(1200, 900, timeout_ms=None)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots go to (``build/screenshots``), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Servers:
    """HTTP servers on 127.0.0.1, each on a free port and in a thread of its own, all stopped by ``close``."""

    def __init__(self) -> None:
        self._running: list[http.server.ThreadingHTTPServer] = []

    def start(self, handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> str:
        """Serve requests with ``handler`` (a request handler class or factory); returns the base URL."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._running.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    def static(self, folder: Path) -> str:
        """Serve the files of ``folder``; returns the base URL."""
        return self.start(functools.partial(_QuietHandler, directory=str(folder)))

    def close(self) -> None:
        for server in self._running:
            server.shutdown()
            server.server_close()
        self._running.clear()


def _running_servers() -> Iterator[Servers]:
    servers = Servers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Servers a test starts (``servers.start(handler)``, ``servers.static(folder)``), stopped when it ends."""
    yield from _running_servers()


@pytest.fixture(scope="session")
def session_servers() -> Iterator[Servers]:
    """Servers that live for the whole session (a site built once and shared by its tests)."""
    yield from _running_servers()


@pytest.fixture
def serve(servers: Servers) -> Callable[[Path], str]:
    """``serve(folder)`` starts a static file server for ``folder`` on 127.0.0.1 and returns its base URL."""
    return servers.static


# front end -> (the Python module that serves it, the URL path where it opens a notebook)
FRONT_ENDS = {"jupyterlab": ("jupyterlab", "lab/tree/"), "notebook7": ("notebook", "notebooks/")}


class JupyterServer:
    """JupyterLab 4 or Jupyter Notebook 7 on 127.0.0.1 (random port, random token) serving a temporary folder."""

    def __init__(self, front: str, root: Path, port: int, token: str) -> None:
        self.front, self.root, self.port, self.token = front, root, port, token

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code ``cells`` into the served folder, start its Python 3 kernel; returns its URL.

        The kernel's session exists before the page opens, so JupyterLab attaches to it without asking.
        """
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for i, source in enumerate(cells)
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.root / name).write_text(json.dumps(notebook), encoding="utf-8")
        session = {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
        request = urllib.request.Request(
            self.url("api/sessions"),
            data=json.dumps(session).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 201, response.read()
        return self.url(FRONT_ENDS[self.front][1] + name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=sorted(FRONT_ENDS))
def jupyter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JupyterServer]:
    """JupyterLab 4, then Notebook 7 (this venv's), on 127.0.0.1 with a fresh token and their own settings, kernels
    importing this checkout. Stopped, with its kernels, at teardown.
    """
    front = request.param
    module = FRONT_ENDS[front][0]
    pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[lab]')")
    root, state = tmp_path / "notebooks", tmp_path / "jupyter"
    root.mkdir()
    token, port = secrets.token_hex(16), _free_port()
    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
    }
    command = [
        sys.executable, "-m", module, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False", "--allow-root",
        # window.jupyterapp, so a test can wait for what the page shows no sign of (a notebook's kernel connected)
        "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if front == "jupyterlab":  # Notebook 7 has no such plugin: a settings file for it is an error in the page
        notification = state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True)
        notification.write_text('{"fetchNews": "false"}', encoding="utf-8")  # no "get Jupyter news?" toast
    # JupyterLab 4 renders off-screen cells lazily (windowing): a widget output below the fold may never be drawn
    # while a test waits for it. Tests see the whole notebook, as a person scrolling through it does.
    tracker = state / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text('{"windowingMode": "none"}', encoding="utf-8")
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lab = JupyterServer(front, root, port, token)
    deadline = time.monotonic() + 90
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}: {(tmp_path / 'jupyterlab.log').read_text()}")
            try:
                with urllib.request.urlopen(lab.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start in 90 s: {(tmp_path / 'jupyterlab.log').read_text()}")
            time.sleep(0.3)
        yield lab
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


# ------------------------------------------------------------------ a live widget without Jupyter
# The page talks to the Python widget the way anywidget does, through a model object (get/set/on/off/
# save_changes/send): `send` and `save_changes` POST to this server, which applies them to the real widget
# (its custom-message handler, its traits) and answers with the widget's state; changed traits fire
# change events. The same lab.js runs unchanged.
_BRIDGE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>deltagrad live</title><link rel="icon" href="data:,">
<style>{css}</style></head>
<body style="margin:0">
<div id="widget"></div>
<script type="text/plain" id="viz">{viz}</script>
<script type="module">
import lab from "./lab.js";
class BridgeModel {{
  constructor(state, viz) {{
    this.state = state; this.listeners = {{}}; this.dirty = {{}}; this.graphvizSource = viz; this.pending = 0;
  }}
  get(key) {{ return this.state[key]; }}
  set(key, value) {{ this.state[key] = value; this.dirty[key] = value; this.emit(key); }}
  save_changes() {{ const changes = this.dirty; this.dirty = {{}}; return this.post("set", changes); }}
  send(message) {{ return this.post("send", message); }}
  on(event, cb) {{ (this.listeners[event] ||= []).push(cb); }}
  off(event, cb) {{ this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== cb); }}
  emit(key) {{ for (const cb of this.listeners[`change:${{key}}`] || []) cb(); }}
  async post(path, body) {{
    this.pending++;
    try {{
      this.apply(await (await fetch(path, {{ method: "POST", body: JSON.stringify(body) }})).json());
    }} finally {{ this.pending--; }}
  }}
  // the Python side changed on its own (a test's lab.step): fetch its state, as a kernel's messages would bring it
  async sync() {{ this.apply(await (await fetch("state")).json()); }}
  apply(state) {{
    for (const [key, value] of Object.entries(state)) {{
      if (JSON.stringify(this.state[key]) !== JSON.stringify(value)) {{ this.state[key] = value; this.emit(key); }}
    }}
  }}
}}
const state = await (await fetch("state")).json();
window.dgModel = new BridgeModel(state, document.getElementById("viz").textContent.trim());
lab.render({{ model: window.dgModel, el: document.getElementById("widget") }});
</script>
</body></html>
"""


def _bridge(widget: Any) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler serving the bridge page for ``widget`` and applying the page's changes to it."""
    from viz.page import STATIC, wasm_renderer

    lock = threading.Lock()
    page = _BRIDGE_PAGE.format(css=(STATIC / "lab.css").read_text(encoding="utf-8"), viz=wasm_renderer())

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _state(self) -> None:
            with lock:
                state = {k: v for k, v in widget.get_state().items() if not k.startswith("_") and k != "renderer"}
            self._reply(json.dumps(state).encode("utf-8"), "application/json")

        def do_GET(self) -> None:
            if self.path == "/":
                self._reply(page.encode("utf-8"), "text/html; charset=utf-8")
            elif self.path == "/lab.js":
                self._reply((STATIC / "lab.js").read_bytes(), "text/javascript")
            elif self.path == "/state":
                self._state()
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            with lock:
                if self.path == "/send":
                    widget._handle_custom_msg(body, [])
                elif self.path == "/set":
                    try:
                        widget.set_state(body)  # what the kernel does with a front end's trait changes
                    except Exception as e:  # a trait's validation: shown as the widget shows it
                        widget.error = str(e)
            self._state()

    return Handler


@pytest.fixture
def live_widget(servers: Servers) -> Callable[[Any], str]:
    """``live_widget(widget)`` serves a page showing a viz widget (``explore``, ``Lab``) live on 127.0.0.1 and
    returns its URL; the browser's actions reach the Python widget as they would through anywidget."""
    return lambda widget: servers.start(_bridge(widget))
