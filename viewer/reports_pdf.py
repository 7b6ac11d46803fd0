"""PDF export of a report with headless Chromium (``--print-to-pdf``).

When the request came through a real HTTP server (waitress or werkzeug's), Chromium loads the
report's print page from this very server at ``http://127.0.0.1:<port>/reports/<id>/print``, so
embedded widgets fetch their data and draw before the page is printed (``--virtual-time-budget``
lets scripts settle; it does not wait for a sandboxed frame's cross-origin fetch, so printed
widgets carry their data in their page, see ``markdown.render(lazy_frames=False)``). Without a
server (Flask's test client), the print page is rendered into a temporary HTML file and printed
from there: text, tables and code come out, widgets do not.

Assumptions: a Chromium binary (``app.config["RINGLOG_CHROMIUM"]``, else ``chromium``,
``chromium-browser``, ``google-chrome`` on PATH); the server handles more than one request at
a time (waitress does), since this request waits while Chromium fetches pages. ``RINGLOG_PDF_BASE_URL``
overrides where Chromium reaches the viewer. Cost: one Chromium start, 1 to 5 s.

Bounded (:class:`PdfLimiter`, one per app): requests for a report whose PDF is being made wait
for that one run (single flight; at most two wait, more get 429), a report printed less than
``min_interval`` seconds ago is answered from that result, and at most two Chromium processes run
at once (429 beyond). The guard (``guard.py``) refuses the export to cross-site requests.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import current_app, render_template, request, url_for

from .errors import ViewerError
from .guard import TOKEN_PARAM, current_guard

log = logging.getLogger("ringlog.viewer")

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailableError(RuntimeError):
    """Raised when no Chromium is installed or it failed to print (HTTP 503)."""


class PdfBusyError(ViewerError):
    """Raised when too many PDF exports run or wait at once (HTTP 429): retry in a few seconds."""

    code = 429
    kind = "busy"


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.waiters = 0
        self.result: bytes | None = None
        self.error: BaseException | None = None


class PdfLimiter:
    """Single flight per key, a result reused for ``min_interval`` s, at most ``concurrency`` runs.

    ``run(key, make)`` returns ``make()``'s bytes (or raises its error) without calling it again
    while a call for ``key`` is in flight (up to ``max_waiters`` callers wait for that call; more
    get :class:`PdfBusyError`) or finished less than ``min_interval`` s ago (its outcome, bytes or
    error, is answered again). A new call while ``concurrency`` others run is refused with
    :class:`PdfBusyError`. The last ``keep`` outcomes are kept.
    """

    def __init__(self, *, min_interval: float = 10.0, concurrency: int = 2, max_waiters: int = 2,
                 wait_timeout: float = 120.0, keep: int = 16, clock: Callable[[], float] = time.monotonic):
        self.min_interval, self.concurrency, self.max_waiters = min_interval, concurrency, max_waiters
        self.wait_timeout, self.keep, self.clock = wait_timeout, keep, clock
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._recent: OrderedDict[Hashable, tuple[float, _Flight]] = OrderedDict()
        self.runs = 0  # calls of make(), for tests and logs

    def run(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                if flight.waiters >= self.max_waiters:
                    raise PdfBusyError("a PDF of this report is being made; retry in a few seconds")
                flight.waiters += 1
                owner = False
            else:
                recent = self._recent.get(key)
                if recent is not None and self.clock() - recent[0] < self.min_interval:
                    return self._outcome(recent[1])
                if len(self._flights) >= self.concurrency:
                    raise PdfBusyError(f"{self.concurrency} PDF exports are running; retry in a few seconds")
                flight = self._flights[key] = _Flight()
                self.runs += 1
                owner = True
        if not owner:
            if not flight.done.wait(self.wait_timeout):
                raise PdfBusyError("the PDF of this report is taking long; retry later")
            return self._outcome(flight)
        try:
            flight.result = make()
        except BaseException as e:
            flight.error = e
        finally:
            with self._lock:
                del self._flights[key]
                self._recent[key] = (self.clock(), flight)
                self._recent.move_to_end(key)
                while len(self._recent) > self.keep:
                    self._recent.popitem(last=False)
            flight.done.set()
        return self._outcome(flight)

    @staticmethod
    def _outcome(flight: _Flight) -> bytes:
        if flight.error is not None:
            raise flight.error
        assert flight.result is not None
        return flight.result


def limiter() -> PdfLimiter:
    """The app's limiter (made on first use; ``RINGLOG_PDF_LIMITER`` may hold one)."""
    ext = current_app.extensions
    if "ringlog_pdf_limiter" not in ext:
        ext.setdefault("ringlog_pdf_limiter", current_app.config.get("RINGLOG_PDF_LIMITER") or PdfLimiter())
    return ext["ringlog_pdf_limiter"]


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
        # the tail names temp paths: it goes to the server log, not to the client
        log.warning("chromium exited with %s without a PDF: %s", proc.returncode,
                    proc.stderr.decode("utf-8", "replace")[-500:])
        raise PdfUnavailableError(f"chromium exited with {proc.returncode} without a PDF (details in the server log)")
    return out.read_bytes()


def report_pdf(doc: dict[str, Any], body: str) -> bytes:
    """PDF bytes of the report ``doc`` whose sanitized HTML is ``body`` (through the app's limiter)."""
    return limiter().run((doc["id"], doc.get("version")), lambda: _report_pdf(doc, body))


def _report_pdf(doc: dict[str, Any], body: str) -> bytes:
    chromium = find_chromium()
    if chromium is None:
        raise PdfUnavailableError("PDF export needs Chromium: install it (Debian: apt-get install chromium) "
                                  "or set RINGLOG_CHROMIUM to its path")
    with tempfile.TemporaryDirectory(prefix="ringlog-pdf-") as tmp:
        work = Path(tmp)
        base = _live_base_url()
        if base is not None:
            url = base + url_for("reports.report_print", report_id=doc["id"])
            token = current_guard().token
            if token is not None:  # Chromium logs in like a browser: the URL token sets its cookie
                url += "?" + urlencode({TOKEN_PARAM: token})
        else:
            page = work / "report.html"
            page.write_text(render_template("reports_print.html", report=doc, body=body),
                            encoding="utf-8")
            url = page.as_uri()
        return print_to_pdf(chromium, url, work)
