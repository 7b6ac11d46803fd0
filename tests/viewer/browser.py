"""Headless Debian chromium driven by Playwright's Python package, for the browser test and the
viewer benchmark. ``chromium_or_skip_reason()`` says why a browser cannot run here."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("RINGLOG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_or_skip_reason() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which("chromium"):
        return f"no chromium at {CHROMIUM} (Debian package 'chromium'; `make test` installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (test extra)"
    return None


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
