"""HTML pages. Templates carry no data-dependent script: each page embeds its parameters as
escaped JSON in a non-executed ``<script type="application/json">`` block and the static JS
fetches everything else from the JSON API (so the API is what the pages themselves use).
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request

from . import params, provider
from .errors import BadRequestError
from .security import EVAL_PAGE_CSP, set_csp
from .tasks import STATUSES, task_impl

bp = Blueprint("pages", __name__)

#: the most tasks one compare page draws (each adds a line to every chart)
MAX_COMPARE = 20
#: how often a page re-asks (conditionally, with ETags) while something it shows is running
POLL_MS = 2000


def _poll_ms() -> int:
    return int(current_app.config.get("RINGLOG_POLL_MS", POLL_MS))


@bp.get("/")
def index():
    return render_template("index.html", page={"view": "projects"})


@bp.get("/projects/<path:project>")
def project(project: str):
    return render_template("table.html", project=project, statuses=STATUSES, page={"view": "table", "project": project,
                                                                            "poll_ms": _poll_ms()})


@bp.get("/tasks")
def all_tasks():
    return render_template("table.html", project=None, statuses=STATUSES, page={"view": "table", "project": None,
                                                                         "poll_ms": _poll_ms()})


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    t = task_impl(provider.current().reader(task_id=task_id))
    return render_template("task.html", task=t, page={"view": "task", "task": t["id"], "status": t["status"],
                                                       "project": t["project"], "poll_ms": _poll_ms(),
                                                       "resumes": resume_markers(t["extra"])})


@bp.get("/compare")
def compare():
    ids = params.get_list(request.args, "ids")
    if not ids:
        raise BadRequestError("ids", "must list at least one task id (comma-separated)")
    if len(ids) > MAX_COMPARE:
        # a page that says what happened and offers a way on, not a bare 400
        first = ",".join(ids[:MAX_COMPARE])
        body = render_template("compare_limit.html", count=len(ids), limit=MAX_COMPARE, first=first,
                               ids=ids[:500], page={"view": "compare-limit"})
        return make_response(body, 400)
    tasks = [task_impl(provider.current().reader(task_id=i)) for i in ids]
    resp = make_response(render_template(
        "compare.html", tasks=tasks, page={"view": "compare", "poll_ms": _poll_ms(),
                                       "tasks": [{"id": t["id"], "name": t["name"]} for t in tasks]}))
    # plotly's parcoords draws with WebGL through regl, which compiles shaders from strings
    # (new Function): this one page needs 'unsafe-eval'. It still loads script only from here.
    return set_csp(resp, EVAL_PAGE_CSP)


@bp.get("/favicon.ico")
def favicon():
    """No icon: answer 204 so browsers stop asking (and logs stay free of 404s)."""
    return "", 204


def resume_markers(extra: dict) -> list:
    """Where the task was resumed (its metadata's ``resumes``, store/FORMAT.md), for the charts'
    x-axis markers: ``{"step", "t" (seconds since the task started), "time" (unix)}``, malformed
    records left out."""
    origin = extra.get("time_origin")
    out = []
    for r in extra.get("resumes") or []:
        if not isinstance(r, dict) or not isinstance(r.get("time"), (int, float)):
            continue
        step = r.get("step")
        out.append({"time": float(r["time"]), "step": step if isinstance(step, int) and not isinstance(step, bool)
                    else None, "t": float(r["time"]) - origin if isinstance(origin, (int, float)) else None,
                    "from": str(r.get("from_status") or "")})
    return out[-50:]
