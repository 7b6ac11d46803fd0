"""Viewer errors and the one place where they (and everything else) become HTTP responses.

Raised when:

* :class:`BadRequestError` -- a query parameter is missing, malformed or out of range (400);
  the message names the parameter, the rule and what was given.
* :class:`NotFoundError` -- an unknown task, series, media file or page (404).

The store's own errors map the same way: ``TaskNotFoundError``/``SeriesNotFoundError`` -> 404,
``StoreValueError``/``StoreTypeError`` (an argument passed through) -> 400,
``CorruptStoreError`` -> 500 naming the damaged data.

:func:`register_error_handlers` maps these, the store's "not found" errors (``KeyError``
subclasses), werkzeug's HTTP exceptions and any other exception to a JSON body
``{"error": {"code": ..., "message": ...}}`` (or a small escaped HTML page for browser
pages). Unexpected exceptions are logged with their traceback on the server and answered with
a 500 whose body says only that something failed: no stack trace ever reaches the client.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

log = logging.getLogger("ringlog.viewer")


class ViewerError(Exception):
    """Base class of the viewer's public errors; ``code`` is the HTTP status."""

    code = 500


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


def _store_error_types() -> dict[str, tuple[type[BaseException], ...]]:
    """The store's errors by HTTP meaning, resolved lazily (the viewer imports before store lands)."""
    try:
        from ringlog.store import errors as store_errors
    except Exception:  # pragma: no cover - store layer not importable
        return {}

    def pick(*names: str) -> tuple[type[BaseException], ...]:
        found = (getattr(store_errors, n, None) for n in names)
        return tuple(t for t in found if isinstance(t, type) and issubclass(t, BaseException))

    return {"404": pick("TaskNotFoundError", "SeriesNotFoundError", "NotFoundError"),
            "400": pick("StoreValueError", "StoreTypeError"),
            "corrupt": pick("CorruptStoreError")}


def _wants_json() -> bool:
    path = request.path
    if path.startswith("/api/") or path.startswith("/media/") or path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(code: int, message: str) -> Response:
    """JSON (for the API and media) or escaped HTML (for pages) carrying ``code`` and ``message``."""
    if _wants_json():
        resp = jsonify({"error": {"code": code, "message": message}})
    else:
        try:
            body = render_template("error.html", code=code, message=message, page={"view": "error"})
        except Exception:  # the error page itself must never fail
            log.exception("error page could not be rendered")
            body = f"<!doctype html><title>{code}</title><p>{escape(message)}</p>"
        resp = Response(body, mimetype="text/html")
    resp.status_code = code
    return resp


def register_error_handlers(app: Flask) -> None:
    """Install the mapping exception -> HTTP status on ``app`` (called once by ``create_app``)."""
    store_errors = _store_error_types()
    not_found = store_errors.get("404", ())
    bad_request = store_errors.get("400", ())
    corrupt = store_errors.get("corrupt", ())

    @app.errorhandler(ViewerError)
    def _viewer_error(e: ViewerError):
        return error_response(e.code, str(e))

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        return error_response(e.code or 500, e.description or e.name)

    @app.errorhandler(Exception)
    def _any_error(e: Exception):
        if not_found and isinstance(e, not_found):
            return error_response(404, _message_of(e))
        if bad_request and isinstance(e, bad_request):  # an argument passed through to the store
            return error_response(400, _message_of(e))
        if corrupt and isinstance(e, corrupt):
            log.error("damaged data while serving %s: %s", request.path, e)
            return error_response(500, f"stored data could not be read: {_message_of(e)}")
        log.exception("unhandled error while serving %s", request.path)
        return error_response(500, "internal error while serving this request (details are in the server log)")


def _message_of(e: BaseException) -> str:
    # KeyError's str() wraps the message in quotes; prefer the raw argument
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    return str(e)
