"""Embeddable widgets: ``/widgets/?type=...`` pages for report iframes, and their data route.

``GET /widgets/?<query>`` returns a small page (widget.html + static/widget.js) that draws the
widget; ``GET /widgets/data?<same query>`` returns its JSON (see ``widget_data``); ``/widget/``
redirects to ``/widgets/`` with the same query. The query
syntax (types, ``objects``, ``metrics``/``variants``, ``xaxis``, ``light``, dynamic task selection
with ``project``, ``tags[]``, ``order_by[]``, ``page_size``/``page``) is described in
``widget_query``. While any shown task is running the page polls again every few seconds (slower
otherwise, so a dynamic query picks up new tasks); a click on the header's return link or on a
trace opens the source task (or the comparison of the tasks shown) in the top window.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request

from . import params, provider
from .errors import BadRequestError
from .provider import Provider
from .guard import current_guard
from .security import set_csp, widget_csp
from .widget_data import (parcoords_data, plot_data, sample_data, scalar_data, single_data, task_entry,
                          task_url)
from .widget_query import MAX_PAGE_SIZE, parse_query, select_tasks

bp = Blueprint("widgets", __name__)

#: statuses (the store's) of a task that may still log: the widget polls quickly while one is shown
LIVE_STATUSES = ("running",)
DEFAULT_POINTS = 1500


def source_url(task_ids: list[str]) -> str:
    """Where a click on the widget goes: the task page, or the comparison of up to 20 tasks."""
    if len(task_ids) == 1:
        return task_url(task_ids[0])
    if task_ids:
        return "/compare?ids=" + quote(",".join(task_ids[:20]), safe=",")
    return "/"


def widget_impl(provider: Provider, args, *, page_limit: int = MAX_PAGE_SIZE) -> dict:
    """The JSON a widget draws, for query ``args`` (a werkzeug MultiDict)."""
    q = parse_query(args)
    raw_points = args.get("points")
    try:
        points = int(raw_points) if raw_points else DEFAULT_POINTS
    except ValueError:
        raise BadRequestError("points", "must be an integer", raw_points) from None
    points = max(50, min(points, 10_000))
    # a zoomed scalar chart re-asks its visible x range (units of the pipeline: step, seconds since
    # the task's start, unix seconds for iso_time), so finer data arrive as on the task page
    x_min, x_max = params.get_float(args, "x_min"), params.get_float(args, "x_max")
    params.check_range("x_min", x_min, "x_max", x_max)
    rows = select_tasks(provider, q, page_limit=page_limit)
    out = {"type": q.type, "xaxis": q.xaxis, "light": q.light, "tasks": [task_entry(r) for r in rows],
           "live": any(r.get("status") in LIVE_STATUSES for r in rows),
           "source": source_url([r["id"] for r in rows])}
    if q.type == "scalar":
        smoothing = params.get_float(args, "smoothing")    # the embed's view (widget.js smooths the means)
        out.update(scalar_data(provider, rows, q, points, x_min=x_min, x_max=x_max,
                               mean=smoothing is not None and smoothing > 0))
    elif q.type == "plot":
        out.update(plot_data(provider, rows, q))
    elif q.type == "sample":
        out.update(sample_data(provider, rows, q))
    elif q.type == "single":
        out.update(single_data(provider, rows, q))
    else:
        out.update(parcoords_data(provider, rows, q))
    return out


def _page_limit() -> int:
    return min(int(current_app.config["RINGLOG_PAGE_LIMIT"]), MAX_PAGE_SIZE)


@bp.get("/widgets/")
@bp.get("/widgets")
def widget_page():
    q = parse_query(request.args)  # a malformed embed shows its error inside the frame
    # a printed report (PDF) asks for its data in the page: Chromium's virtual-time printing does not
    # wait for the sandboxed frame's cross-origin fetch, so a fetched widget could print "Loading…"
    data = widget_impl(provider.current(), request.args, page_limit=_page_limit()) if request.args.get("print") else None
    resp = Response(render_template("widget.html", q=q, query=request.query_string.decode("latin-1"),
                                    sig=current_guard().sign_widget(request.args), data=data), mimetype="text/html")
    return set_csp(resp, widget_csp(q.type))


@bp.get("/widget/")
@bp.get("/widget")
def widget_spelling():
    """``/widget/`` (the spelling in ClearML's own text about embed codes) -> ``/widgets/``, query kept."""
    qs = request.query_string.decode("latin-1")
    return redirect("/widgets/" + ("?" + qs if qs else ""), code=301)


@bp.get("/widgets/data")
def widget_data():
    resp = jsonify(widget_impl(provider.current(), request.args, page_limit=_page_limit()))
    resp.headers["Cache-Control"] = "no-store"
    return resp
