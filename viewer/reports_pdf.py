"""PDF export of a report with headless Chromium (``--print-to-pdf``).

When the request came through a real HTTP server (waitress or werkzeug's), Chromium loads the
report's print page from this very server at ``http://127.0.0.1:<port>/reports/<id>/print``, so
embedded widgets fetch their data and draw before the page is printed (``--virtual-time-budget``
lets scripts settle). Without a server (Flask's test client), the print page is rendered into a
temporary HTML file and printed from there: text, tables and code come out, widgets do not.

Assumptions: a Chromium binary (``app.config["RINGLOG_CHROMIUM"]``, else ``chromium``,
``chromium-browser``, ``google-chrome`` on PATH); the server handles more than one request at
a time (waitress does), since this request waits while Chromium fetches pages. ``RINGLOG_PDF_BASE_URL``
overrides where Chromium reaches the viewer. Cost: one Chromium start, 1 to 5 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from flask import current_app, render_template, request, url_for

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailableError(RuntimeError):
    """Raised when no Chromium is installed or it failed to print (HTTP 503)."""


def find_chromium() -> str | None:
    configured = current_app.config.get("RINGLOG_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def _live_base_url() -> str | None:
    base = current_app.config.get("RINGLOG_PDF_BASE_URL")
    if base:
        return base.rstrip("/")
    env = request.environ
    if "SERVER_SOFTWARE" not in env and "REMOTE_PORT" not in env:
        return None  # Flask's test client: no server for Chromium to reach
    return f"http://127.0.0.1:{env.get('SERVER_PORT', '80')}"


def print_to_pdf(chromium: str, url: str, workdir: Path, timeout: float = 90.0) -> bytes:
    """Run headless Chromium on ``url`` and return the PDF bytes."""
    out = workdir / "report.pdf"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", f"--user-data-dir={workdir / 'profile'}",
           "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
           "--virtual-time-budget=8000", f"--print-to-pdf={out}", url]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                              env={**os.environ, "HOME": str(workdir)})
    except subprocess.TimeoutExpired:
        raise PdfUnavailableError(f"chromium did not finish printing within {timeout:.0f} s") from None
    if not out.is_file() or out.stat().st_size == 0:
        tail = proc.stderr.decode("utf-8", "replace")[-500:]
        raise PdfUnavailableError(f"chromium exited with {proc.returncode} without a PDF: {tail}")
    return out.read_bytes()


def report_pdf(doc: dict[str, Any], body: str) -> bytes:
    """PDF bytes of the report ``doc`` whose sanitized HTML is ``body``."""
    chromium = find_chromium()
    if chromium is None:
        raise PdfUnavailableError("PDF export needs Chromium: install it (Debian: apt-get install chromium) "
                                  "or set RINGLOG_CHROMIUM to its path")
    with tempfile.TemporaryDirectory(prefix="ringlog-pdf-") as tmp:
        work = Path(tmp)
        base = _live_base_url()
        if base is not None:
            url = base + url_for("reports.report_print", report_id=doc["id"])
        else:
            page = work / "report.html"
            page.write_text(render_template("reports_print.html", report=doc, body=body),
                            encoding="utf-8")
            url = page.as_uri()
        return print_to_pdf(chromium, url, work)
