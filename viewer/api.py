"""The JSON API (documented in HTTP_API.md). Routes parse arguments and call pure ``*_impl``.

Live pages poll these routes: every JSON answer carries a strong ETag of its body and answers
``If-None-Match`` with 304, so a poll of an unchanged task transfers nothing; the console takes
a ``since`` cursor so only new lines travel.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, stream_with_context

from . import params, provider, series_stats
from .jsonsafe import dumps
from .media import media_impl, plots_impl
from .scalars import ENCODINGS, METHODS, csv_chunks, encode_arrays, scalar_impl, series_impl
from .tasks import STATUSES, check_sort, console_impl, console_text_chunks, parse_metric_filter, parse_stat_filter, projects_impl, task_impl, tasks_impl

bp = Blueprint("api", __name__, url_prefix="/api")


def json_response(payload, *, cache: bool = True) -> Response:
    """JSON body with an ETag; ``If-None-Match`` matching it gives 304 Not Modified."""
    resp = Response(dumps(payload), mimetype="application/json")
    resp.headers["Cache-Control"] = "no-cache"
    if cache:
        resp.add_etag()
        resp.make_conditional(request)
    return resp


@bp.get("/projects")
def projects():
    return json_response(projects_impl(provider.current()))


@bp.get("/tasks")
def tasks():
    a = request.args
    status = params.get_str(a, "status")
    if status is not None and status not in STATUSES:
        raise params.BadRequestError("status", "must be one of " + ", ".join(STATUSES), status)
    sort = check_sort(params.get_str(a, "sort", "updated"))
    order = params.get_choice(a, "order", ("desc", "asc"), "desc")
    limit = params.get_int(a, "limit", 50, lo=1, hi=current_app.config["RINGLOG_PAGE_LIMIT"])
    offset = params.get_int(a, "offset", 0, lo=0)
    metric_filters = tuple(parse_metric_filter(m) for m in a.getlist("metric") if m)
    stat_filters = tuple(parse_stat_filter(m) for m in a.getlist("stat") if m)
    payload = tasks_impl(provider.current(), project=params.get_str(a, "project"),
                         text=params.get_str(a, "q", max_len=256), tags=tuple(params.get_list(a, "tag")),
                         status=status, sort=sort, descending=order == "desc",
                         offset=offset, limit=limit, metric_filters=metric_filters,
                         stats=params.get_bool(a, "stats", False), stat_filters=stat_filters,
                         stats_cache=series_stats.current())
    return json_response(payload)


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    return json_response(task_impl(provider.current().reader(task_id=task_id)))


@bp.get("/tasks/<task_id>/series")
def series(task_id: str):
    prov = provider.current()
    reader = prov.reader(task_id=task_id)
    return json_response(prov.memo(reader, "series", lambda: series_impl(reader)))


def scalar_args(a) -> dict:
    """The checked arguments of one /scalar query ``a`` (also each query of /scalars, scalar_batch.py)."""
    out = {"title": params.get_str(a, "title", required=True), "series": params.get_str(a, "series"),
           "x": params.get_str(a, "x", "step", max_len=1024),
           "x_min": params.get_float(a, "x_min"), "x_max": params.get_float(a, "x_max")}
    params.check_range("x_min", out["x_min"], "x_max", out["x_max"])
    out.update(points=params.get_int(a, "points", 2000, lo=4, hi=current_app.config["RINGLOG_MAX_POINTS"]),
               method=params.get_choice(a, "method", METHODS, "m4"),
               enc=params.get_choice(a, "enc", ENCODINGS, "json"), mean=params.get_bool(a, "mean"))
    return out


def scalar_answer(reader, args: dict) -> dict:
    """The /scalar answer for ``args`` (from :func:`scalar_args`) out of ``reader``."""
    a = dict(args)
    title, series_name, enc = a.pop("title"), a.pop("series"), a.pop("enc")
    return encode_arrays(scalar_impl(reader, title, series_name, **a), enc)


@bp.get("/tasks/<task_id>/scalar")
def scalar(task_id: str):
    args = scalar_args(request.args)
    return json_response(scalar_answer(provider.current().reader(task_id=task_id), args))


@bp.get("/tasks/<task_id>/export.csv")
def export_csv(task_id: str):
    a = request.args
    title = params.get_str(a, "title", required=True)
    series_name = params.get_str(a, "series")
    reader = provider.current().reader(task_id=task_id)
    chunks = csv_chunks(reader, title, series_name)
    first = next(chunks)  # validates the series before the 200 status is sent
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{title}-{series_name or title}")[:120]

    def body():
        yield first
        yield from chunks

    resp = Response(stream_with_context(body()), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{task_id[:12]}-{name}.csv"'
    return resp


@bp.get("/tasks/<task_id>/media")
def media(task_id: str):
    a = request.args
    reader = provider.current().reader(task_id=task_id)
    return json_response(media_impl(reader, params.get_str(a, "title"), params.get_str(a, "series")))


@bp.get("/tasks/<task_id>/plots")
def plots(task_id: str):
    a = request.args
    reader = provider.current().reader(task_id=task_id)
    return json_response(plots_impl(reader, params.get_str(a, "title"), params.get_str(a, "series"),
                                    latest=params.get_bool(a, "latest", False)))


@bp.get("/tasks/<task_id>/console")
def console(task_id: str):
    a = request.args
    since = params.get_int(a, "since", 0, lo=0)
    limit = params.get_int(a, "limit", 5000, lo=1, hi=100_000)
    return json_response(console_impl(provider.current().reader(task_id=task_id), since=since, limit=limit))


@bp.get("/tasks/<task_id>/console.txt")
def console_text(task_id: str):
    """The whole console as a text/plain attachment (HTTP_API.md); streamed a page of records at a time."""
    reader = provider.current().reader(task_id=task_id)
    resp = Response(stream_with_context(console_text_chunks(reader)), mimetype="text/plain")
    resp.headers["Content-Disposition"] = f'attachment; filename="{reader.id[:12]}-console.txt"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
