"""Fixtures for the browser tests: a throw-away JupyterLab server and a headless Chromium.

The tests run when a Chromium executable is found (``$LECTURE_NN_CHROMIUM``, else
``chromium`` or ``chromium-browser`` on PATH) and Playwright for Python is installed;
otherwise they are skipped with a message saying how to enable them.  Playwright only
drives that executable: its own browser download (``playwright install``) is never used.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM_ENV = "LECTURE_NN_CHROMIUM"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SERVER_START_TIMEOUT_S = 90
SERVER_STOP_TIMEOUT_S = 15
HOW_TO_ENABLE = (
    "UI tests need Chromium and Playwright: `apt-get install chromium` (or set "
    f"{CHROMIUM_ENV}=/path/to/chromium) and `.venv/bin/python -m pip install playwright` "
    "(never `playwright install`)."
)

# The test server gets an empty private user-settings directory, so a developer's own settings
# neither leak in nor get changed; what a new user sees (no news toast) comes from the overrides
# that `make setup` puts in the venv, as in `make lab`.


def find_chromium() -> str | None:
    """The Chromium executable to drive: $LECTURE_NN_CHROMIUM, else chromium on PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return shutil.which(named)
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode())


class LabServer:
    """A JupyterLab process serving ``root`` on 127.0.0.1 without a token."""

    def __init__(self, root: Path, state_dir: Path, log_path: Path):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings_dir = state_dir / "settings"
        settings_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(JUPYTER_CONFIG_DIR=str(state_dir / "config"),
                   JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
                   JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"))
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
            # Lets shutdown_kernels() DELETE over plain HTTP; the server is local and short-lived.
            "--ServerApp.disable_check_xsrf=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
            command.append("--allow-root")
        self.log = open(log_path, "w")
        # A new session (process group) so that stop() also reaches the kernels it started.
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self, timeout: float = SERVER_START_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}; "
                                   f"see {self.log.name}")
            try:
                http_get_json(f"{self.url}/api/status", timeout=2)
                return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s; see {self.log.name}")

    def shutdown_kernels(self):
        """Stop every kernel (sessions first) so one notebook's kernel never slows the next."""
        for kind in ("sessions", "kernels"):
            try:
                items = http_get_json(f"{self.url}/api/{kind}")
            except (urllib.error.URLError, OSError, ValueError):
                return
            for item in items:
                request = urllib.request.Request(f"{self.url}/api/{kind}/{item['id']}",
                                                 method="DELETE")
                try:
                    urllib.request.urlopen(request, timeout=10).close()
                except (urllib.error.URLError, OSError):
                    pass

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        try:  # kernels left behind in the group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        self.log.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        named = os.environ.get(CHROMIUM_ENV)
        where = f"{CHROMIUM_ENV}={named!r} is not an executable" if named else \
            "no chromium or chromium-browser on PATH"
        pytest.skip(f"UI tests skipped: {where}. {HOW_TO_ENABLE}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(f"UI tests skipped: Playwright for Python is not installed. {HOW_TO_ENABLE}")
    return path


@pytest.fixture(scope="session")
def lab_server(chromium_executable, tmp_path_factory, artifacts_dir):
    """JupyterLab on a free port, serving a temporary copy of notebooks/ (Lab autosaves)."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    server = LabServer(root, base / "state", artifacts_dir / "jupyterlab.log")
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, headless=True,
                                              args=CHROMIUM_FLAGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


def _local_only(route):
    """Only the test server and local files may be fetched: this machine has no internet."""
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "file://", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(browser):
    """A fresh browser context and page, 1400×900, that can reach only 127.0.0.1 and files."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    context.route("**/*", _local_only)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- the course site (tests/ui/test_site*.py) ---------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(chromium_executable, built_site):    # skips first without Chromium
    """The built site (tests/conftest.py) on http://127.0.0.1:<free port>/."""
    handler = functools.partial(QuietHandler, directory=str(built_site[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watch:
    """What went wrong while a page loaded."""
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def assert_clean(self, name: str):
        assert not self.blocked, f"{name} asked other hosts for: {self.blocked}"
        assert not self.failed, f"{name}: failed requests: {self.failed}"
        assert not self.console_errors, f"{name}: console errors: {self.console_errors}"


@pytest.fixture
def watched(page, site_url):
    """The browser page, allowed to reach the site only, and a record of what went wrong."""
    host = urlparse(site_url).netloc
    watch = Watch()

    def route(route):
        url = route.request.url
        if urlparse(url).netloc == host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: watch.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: watch.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.console_errors.append(str(e)))
    return page, watch
