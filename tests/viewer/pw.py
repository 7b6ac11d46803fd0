"""A served viewer app and one chromium page on it, for the short browser tests of issue 19.

``browser_page(app, ...)`` skips the test when no browser can run here (see browser.py), collects
page errors, console errors and dialogs, and fails the test on any of them at the end."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _browser():
    key = "ringlog_viewer_tests_browser"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "browser.py")
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


@contextlib.contextmanager
def browser_page(app, *, width: int = 1300, height: int = 900, timezone: str | None = None,
                 allow_errors: tuple[str, ...] = ()):
    """``(server, page, errors)``; ``allow_errors``: substrings of console errors a test expects
    (e.g. the 400 of a rejected filter)."""
    br = _browser()
    reason = br.chromium_or_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from ringlog.viewer.serve import BackgroundServer

    errors: list[str] = []

    def console(m):
        if m.type == "error" and not any(a in m.text for a in allow_errors):
            errors.append(m.text)

    with BackgroundServer(app) as srv, sync_playwright() as p:
        browser = br.launch(p)
        ctx = browser.new_context(viewport={"width": width, "height": height}, timezone_id=timezone)
        ctx.on("page", lambda pg: (pg.on("pageerror", lambda e: errors.append(str(e))),
                                   pg.on("console", console),
                                   pg.on("dialog", lambda d: errors.append("dialog opened: " + d.message))))
        page = ctx.new_page()
        try:
            yield srv, page, errors
        finally:
            browser.close()
    assert not errors, errors
