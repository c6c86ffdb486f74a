"""A real server on a localhost port and Debian's Chromium for the desk (the real worker
process is the shared module-scoped fixture of tests/conftest.py).

The app is served by uvicorn in a thread against the session's embedded PostgreSQL and
broker; Playwright drives /usr/bin/chromium (nothing downloads a browser). Each is
started once for the module that uses it and stopped after it, so no extra worker
outlives the desk tests.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from service.app import create_app
from service.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Where the tests write the README's screenshots (TESSERA_SCREENSHOTS moves them).
SCREENSHOTS = Path(
    os.environ.get("TESSERA_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "docs" / "screenshots"
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    """The app under uvicorn on a free localhost port, for the browser."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the desk's server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Browser) -> Page:
    """A page in a fresh context (its own cookies) at 1280×800."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(20_000)
    return context.new_page()


def assert_accessible(page: Page) -> None:
    """axe-core (vendored, loaded from disk) finds no serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, (
        "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(node["target"][0] for node in v["nodes"][:5] if node.get("target"))
            for v in bad
        )
        + f"\n on {page.url}"
    )
