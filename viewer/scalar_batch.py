"""``GET /api/tasks/<id>/scalars?q=<query>&q=<query>...``: several ``/scalar`` answers of one task in
one request, from one snapshot of the task (issue 19, item 6).

A chart page asks one ``/scalar`` per series it draws; each request opens the task afresh, and for a
run of 5,000 series opening it (reading and checking its series index) costs far more than
decimating a 20-point series. The task page sends the first loads of the charts it builds together
through this route (static/scalar_batch.js), so a page of 24 charts opens the task once.

Each ``q`` is a ``/scalar`` query string (``title=loss&points=800&enc=b64...``), checked as
``/scalar`` checks it; at most :data:`MAX_QUERIES`. The answer is ``{"task", "answers": [...]}``
in the order of the ``q``s, each the ``/scalar`` answer or ``{"status": <HTTP code>, "error":
{"code", "message"}}`` with the status and message ``/scalar`` would have given (an unknown series
fails its own answer, not the batch). A bad task id or no ``q`` fails the whole request.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from . import provider
from .api import json_response, scalar_answer, scalar_args
from .errors import response_for
from .params import BadRequestError

bp = Blueprint("scalar_batch", __name__, url_prefix="/api")

#: queries per request (a page of charts is 24, a few of them with several series)
MAX_QUERIES = 96


@bp.get("/tasks/<task_id>/scalars")
def scalars(task_id: str):
    qs = request.args.getlist("q")
    if not qs:
        raise BadRequestError("q", "must be given at least once (a /scalar query string)", "")
    if len(qs) > MAX_QUERIES:
        raise BadRequestError("q", f"may be given at most {MAX_QUERIES} times", len(qs))
    parsed = []
    for q in qs:
        try:
            parsed.append(scalar_args(MultiDict(parse_qsl(q, keep_blank_values=True))))
        except BadRequestError as e:
            parsed.append(e)
    reader = provider.current().reader(task_id=task_id)     # one snapshot for every answer
    answers = []
    for args in parsed:
        try:
            if isinstance(args, Exception):
                raise args
            answers.append(scalar_answer(reader, args))
        except Exception as e:  # noqa: BLE001 - each answer fails alone, mapped as /scalar maps it
            resp = response_for(e)
            body = resp.get_json(silent=True) or {}
            answers.append({"status": resp.status_code, "error": body.get("error") or {"message": "failed"}})
    return json_response({"task": reader.id, "answers": answers})
