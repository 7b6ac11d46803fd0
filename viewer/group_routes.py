"""Routes of run groups (issue 16, part 4; HTTP_API.md "Groups"): the group list of a project, one
group's runs and charts, one series aggregated across the group's runs, and the group page.

Groups are named in the query string (``project``, ``group``, ``job_type``), never in the path:
project and group names may hold any character, ``/`` included.
"""

from __future__ import annotations

import base64

import numpy as np
from flask import Blueprint, current_app, render_template, request

from . import params, provider, series_stats
from .api import json_response
from .group_scalar import FirstSteps, group_scalar_impl
from .groups import group_impl, groups_impl, member_rows, readers_of
from .series_stats import GROUP_KEYS

bp = Blueprint("groups", __name__)


def _who(a) -> dict:
    return {"project": params.get_str(a, "project", max_len=1024), "group": params.get_str(a, "group", max_len=1024),
            "job_type": params.get_str(a, "job_type", max_len=1024)}


def _members(a):
    p = provider.current()
    rows = member_rows(p, series_stats.current(), **_who(a))
    return rows, readers_of(p, rows)


@bp.get("/api/groups")
def groups():
    a = request.args
    by = params.get_choice(a, "by", GROUP_KEYS, "group")
    return json_response(groups_impl(provider.current(), series_stats.current(),
                                     project=params.get_str(a, "project", max_len=1024), by=by))


@bp.get("/api/groups/runs")
def group_runs():
    rows, readers = _members(request.args)
    return json_response(dict(_who(request.args), **group_impl(rows, readers)))


@bp.get("/api/groups/scalar")
def group_scalar():
    a = request.args
    title = params.get_str(a, "title", required=True)
    series_name = params.get_str(a, "series")
    x_min = params.get_float(a, "x_min")
    x_max = params.get_float(a, "x_max")
    params.check_range("x_min", x_min, "x_max", x_max)
    points = params.get_int(a, "points", 1000, lo=4, hi=current_app.config["RINGLOG_MAX_POINTS"])
    enc = params.get_choice(a, "enc", ("json", "b64"), "json")
    rows, readers = _members(a)
    names = {r["id"]: r.get("name") for r in rows}
    firsts = current_app.extensions.setdefault("ringlog_group_first_steps", FirstSteps())
    payload = group_scalar_impl(readers, title, series_name, x_min=x_min, x_max=x_max, points=points, names=names,
                                firsts=firsts)
    return json_response(dict(_who(a), **(encode_b64(payload) if enc == "b64" else payload)))


def _b64(v) -> dict:
    return {"dtype": "<f8", "b64": base64.b64encode(np.ascontiguousarray(v, dtype="<f8").tobytes()).decode("ascii")}


def encode_b64(payload: dict) -> dict:
    """Every array of a group answer (x, y, n_runs, n, the band's and the spread's, each run's mean, the non-finite
    markers' x and count) as little-endian float64 in base64, as the task scalar route's enc=b64."""
    out = dict(payload)
    for k in ("x", "y", "n_runs", "n"):
        out[k] = _b64(payload[k])
    out["band"] = {k: _b64(v) for k, v in payload["band"].items()}
    out["spread"] = {k: _b64(v) for k, v in payload["spread"].items()}
    out["runs"] = [dict(r, **{k: None if r[k] is None else _b64(r[k]) for k in ("mean", "n")}) for r in payload["runs"]]
    nf = payload["nonfinite"]
    out["nonfinite"] = {"x": _b64(nf["x"]), "kind": nf["kind"], "count": _b64(nf["count"])}
    return out


@bp.get("/groups")
def group_page():
    """The group page: the runs of one group and its charts (mean line, min-max band)."""
    a = request.args
    who = _who(a)
    rows = member_rows(provider.current(), series_stats.current(), **who)
    label = " · ".join(f"{k.replace('_', ' ')} {v}" for k, v in who.items() if v is not None and k != "project")
    return render_template("group.html", who=who, label=label, runs=len(rows),
                           page={"view": "group", **who,
                                 "poll_ms": int(current_app.config.get("RINGLOG_POLL_MS", 2000))})
