"""Viewer errors and the one place where they (and everything else) become HTTP responses.

Raised when:

* :class:`BadRequestError` -- a query parameter is missing, malformed or out of range (400);
  the message names the parameter, the rule and what was given.
* :class:`NotFoundError` -- an unknown task, series, media file or page (404).
* :class:`ForbiddenError` -- a cross-site request tried to change something (403).
* :class:`RefusedError` -- the request guard (``guard.py``) refused the request before any route
  ran: :class:`MisdirectedError` (421, a Host this viewer does not serve),
  :class:`UnauthorizedError` (401, no or a wrong token), :class:`CrossSiteError` (403, a write from
  another site). Refusals answer JSON on every route (a script meets them, not a reader) and are
  never cached.
* :class:`TooLargeError` -- an upload is over its limit (413).
* :class:`UnavailableError` -- an optional feature's dependency is missing (503).

:data:`STATUS_OF` maps every other error class the viewer meets to its HTTP code: the store's
(``TaskNotFoundError``/``SeriesNotFoundError``/``MediaNotFoundError`` -> 404,
``StoreValueError``/``StoreTypeError``, an argument passed through -> 400, ``CorruptStoreError``
-> 500 naming the damaged data) and the report store's (404 unknown, 400 bad argument, 409 stale
version, 423 published, 403 delete of a non-archived report; each with a ``kind``).

The body is JSON ``{"error": {"code": ..., "message": ..., ["kind": ...]}}`` for the API, media and
widget data, else a small escaped HTML page (the widget frame's, the reports area's or the
viewer's own). Unexpected exceptions are logged with their traceback on the server and answered
with a 500 whose body says only that something failed: no stack trace ever reaches the client.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ringlog.store import (CorruptStoreError, MediaNotFoundError, SeriesNotFoundError, StoreTypeError,
                           StoreValueError, TaskNotFoundError)
from ringlog.store.reports import (ReportError, ReportNotArchivedError, ReportNotFoundError, ReportPublishedError,
                                   ReportVersionConflictError)

from . import provider

log = logging.getLogger("ringlog.viewer")


class ViewerError(Exception):
    """Base class of the viewer's public errors; ``code`` is the HTTP status, ``kind`` an optional
    machine-readable word added to the JSON body."""

    code = 500
    kind: str | None = None
    #: answer JSON whatever the route (else JSON for the API, an HTML page for pages)
    json_only = False
    #: extra response headers
    headers: dict[str, str] = {}

    def __init__(self, message: str = "", *, kind: str | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class BadRequestError(ViewerError, ValueError):
    """A query parameter broke its rule (HTTP 400)."""

    code = 400

    def __init__(self, parameter: str, rule: str, given: object = None):
        self.parameter = parameter
        msg = f"query parameter {parameter!r} {rule}"
        if given is not None:
            msg += f"; got {given!r}"
        super().__init__(msg)


class NotFoundError(ViewerError, LookupError):
    """An unknown task id, series, media file or page (HTTP 404)."""

    code = 404


class ForbiddenError(ViewerError, PermissionError):
    """A request the viewer refuses to act on, e.g. a cross-site write (HTTP 403)."""

    code = 403


class RefusedError(ViewerError):
    """The request guard refused the request (see ``guard.py``): JSON on every route, never cached."""

    json_only = True
    headers = {"Cache-Control": "no-store"}


class MisdirectedError(RefusedError):
    """The ``Host`` header names a host this viewer does not serve, e.g. after DNS rebinding (HTTP 421)."""

    code = 421


class UnauthorizedError(RefusedError, PermissionError):
    """The viewer needs its token and the request has none, or a wrong one (HTTP 401).

    ``json_only=False`` for a request that simply lacks the token: a reader who opened a page
    without it gets a page saying how to get in."""

    code = 401
    headers = {"Cache-Control": "no-store", "WWW-Authenticate": 'Bearer realm="ringlog"'}

    def __init__(self, message: str = "", *, json_only: bool = True):
        super().__init__(message)
        self.json_only = json_only


class CrossSiteError(RefusedError, ForbiddenError):
    """A state-changing (or costly) request came from another site (HTTP 403)."""

    code = 403


class TooLargeError(ViewerError, ValueError):
    """A request body over its limit (HTTP 413)."""

    code = 413


class UnavailableError(ViewerError, RuntimeError):
    """A feature whose optional dependency is missing (HTTP 503)."""

    code = 503


#: (error class, HTTP code, kind) -- the first matching row wins, so subclasses come first
STATUS_OF: tuple[tuple[type[BaseException], int, str | None], ...] = (
    (TaskNotFoundError, 404, None), (SeriesNotFoundError, 404, None), (MediaNotFoundError, 404, None),
    (StoreValueError, 400, None), (StoreTypeError, 400, None),
    (ReportVersionConflictError, 409, "version_conflict"), (ReportPublishedError, 423, "published"),
    (ReportNotArchivedError, 403, "not_archived"), (ReportNotFoundError, 404, "not_found"),
    (ReportError, 400, "bad_request"),
)


def _wants_json() -> bool:
    path = request.path
    if path.startswith(("/api/", "/media/")) or path.endswith(".json") or path.rstrip("/") == "/widgets/data":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(code: int, message: str) -> str:
    path = request.path
    if path.startswith("/widgets"):
        return render_template("widget_error.html", code=code, message=message)
    if path.startswith("/reports"):
        return render_template("reports_error.html", code=code, message=message)
    return render_template("error.html", code=code, message=message, page={"view": "error"})


def redact(message: str) -> str:
    """``message`` with the store root (as given and resolved) shown as ``<store>`` and the install
    folder as ``<server>``: the store's own errors name them for the log; a client needs only the id
    it asked for. Longest first, so a root inside another folder is replaced whole."""
    names = {str(Path(__file__).resolve().parent.parent): "<server>"}
    try:
        root = provider.current().root
        names.update({str(root): "<store>", str(Path(root).resolve()): "<store>"})
    except (KeyError, RuntimeError):  # no app or no provider yet: only the install folder
        pass
    for path in sorted((p for p in names if len(p) > 1), key=len, reverse=True):
        message = message.replace(path, names[path])
    return message


def error_response(code: int, message: str, *, as_json: bool = False, headers: dict[str, str] | None = None,
                   **extra: Any) -> Response:
    """JSON (for the API, media and widget data, or whenever ``as_json``) or escaped HTML (for
    pages) carrying ``code`` and ``message``; ``extra`` fields go into the JSON body, ``headers``
    onto the response. Server folders in ``message`` are redacted."""
    message = redact(message)
    if as_json or _wants_json():
        resp = jsonify({"error": {"code": code, "message": message, **extra}})
    else:
        try:
            body = _page(code, message)
        except Exception:  # the error page itself must never fail
            log.exception("error page could not be rendered")
            body = f"<!doctype html><title>{code}</title><p>{escape(message)}</p>"
        resp = Response(body, mimetype="text/html")
    resp.status_code = code
    resp.headers.update(headers or {})
    return resp


def response_for(e: BaseException) -> Response:
    """The HTTP answer to exception ``e`` (the mapping described in the module docstring)."""
    if isinstance(e, ViewerError):
        return error_response(e.code, str(e), as_json=e.json_only, headers=e.headers,
                              **({"kind": e.kind} if e.kind else {}))
    if isinstance(e, HTTPException):
        return error_response(e.code or 500, e.description or e.name)
    for cls, code, kind in STATUS_OF:
        if isinstance(e, cls):
            extra: dict[str, Any] = {"kind": kind} if kind else {}
            if isinstance(e, ReportVersionConflictError):
                extra["current_version"] = (e.current or {}).get("version")
            return error_response(code, _message_of(e), **extra)
    if isinstance(e, CorruptStoreError):
        log.error("damaged data while serving %s: %s", request.path, e)
        return error_response(500, f"stored data could not be read: {_message_of(e)}")
    log.exception("unhandled error while serving %s", request.path, exc_info=e)
    return error_response(500, "internal error while serving this request (details are in the server log)")


def register_error_handlers(app: Flask) -> None:
    """Install :func:`response_for` on ``app`` for every exception (called once by ``create_app``)."""
    app.register_error_handler(Exception, response_for)


def _message_of(e: BaseException) -> str:
    # KeyError's str() wraps the message in quotes; prefer the raw argument
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    return str(e)
