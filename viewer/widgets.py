"""Embeddable widgets: ``/widgets/?type=...`` pages for report iframes, and their data route.

``GET /widgets/?<query>`` returns a small page (widget.html + static/widget.js) that draws the
widget; ``GET /widgets/data?<same query>`` returns its JSON (see ``widget_data``). The query
syntax (types, ``objects``, ``metrics``/``variants``, ``xaxis``, ``light``, dynamic task selection
with ``project``, ``tags[]``, ``order_by[]``, ``page_size``/``page``) is described in
``widget_query``. While any shown task is running the page polls again every few seconds (slower
otherwise, so a dynamic query picks up new tasks); a click on the header's return link or on a
trace opens the source task (or the comparison of the tasks shown) in the top window.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from .errors import BadRequestError, NotFoundError
from .widget_data import (parcoords_data, plot_data, sample_data, scalar_data, single_data, task_entry,
                          task_url)
from .widget_query import MAX_PAGE_SIZE, parse_query, select_tasks

bp = Blueprint("widgets", __name__)

LIVE_STATUSES = ("running", "in_progress", "created", "queued")
#: The widget page's own policy. plotly's WebGL traces (parcoords, scattergl) compile their shaders
#: through regl, which builds functions from strings: without 'unsafe-eval' they report "WebGL is not
#: supported". The page holds no author HTML (reports can only point an iframe at it) and draws
#: numbers fetched from this origin, so eval is confined to plotly's own code.
WIDGET_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-src 'none'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
DEFAULT_POINTS = 1500


def _error(code: int, message: str):
    if request.path.rstrip("/").endswith("/data"):
        resp = jsonify({"error": {"code": code, "message": message}})
    else:
        resp = Response(render_template("widget_error.html", code=code, message=message), mimetype="text/html")
    resp.status_code = code
    return resp


@bp.errorhandler(BadRequestError)
def _bad_request(e: BadRequestError):
    return _error(400, str(e))


@bp.errorhandler(NotFoundError)
def _not_found(e: NotFoundError):
    return _error(404, str(e))


def source_url(task_ids: list[str]) -> str:
    """Where a click on the widget goes: the task page, or the comparison of up to 20 tasks."""
    if len(task_ids) == 1:
        return task_url(task_ids[0])
    if task_ids:
        return "/compare?ids=" + quote(",".join(task_ids[:20]), safe=",")
    return "/"


def widget_impl(store, args, *, page_limit: int = MAX_PAGE_SIZE) -> dict:
    """The JSON a widget draws, for query ``args`` (a werkzeug MultiDict)."""
    q = parse_query(args)
    raw_points = args.get("points")
    try:
        points = int(raw_points) if raw_points else DEFAULT_POINTS
    except ValueError:
        raise BadRequestError("points", "must be an integer", raw_points) from None
    points = max(50, min(points, 10_000))
    rows = select_tasks(store, q, page_limit=page_limit)
    out = {"type": q.type, "xaxis": q.xaxis, "light": q.light, "tasks": [task_entry(r) for r in rows],
           "live": any(r.get("status") in LIVE_STATUSES for r in rows),
           "source": source_url([r["id"] for r in rows])}
    if q.type == "scalar":
        out.update(scalar_data(store, rows, q, points))
    elif q.type == "plot":
        out.update(plot_data(store, rows, q))
    elif q.type == "sample":
        out.update(sample_data(store, rows, q))
    elif q.type == "single":
        out.update(single_data(store, rows, q))
    else:
        out.update(parcoords_data(store, rows, q))
    return out


@bp.get("/widgets/")
@bp.get("/widgets")
def widget_page():
    q = parse_query(request.args)  # a malformed embed shows its error inside the frame
    resp = Response(render_template("widget.html", q=q, query=request.query_string.decode("latin-1")),
                    mimetype="text/html")
    resp.headers["Content-Security-Policy"] = WIDGET_CSP
    return resp


@bp.get("/widgets/data")
def widget_data():
    store = current_app.config["RINGLOG_STORE"]
    limit = int(current_app.config.get("RINGLOG_PAGE_LIMIT") or MAX_PAGE_SIZE)
    resp = jsonify(widget_impl(store, request.args, page_limit=min(limit, MAX_PAGE_SIZE)))
    resp.headers["Cache-Control"] = "no-store"
    return resp
