"""Reports: pages (/reports...) and JSON API (/api/reports...). HTTP contract in REPORTS_API.md.

Pages: ``/reports`` (list view or project view, search by name/description, filter by tag and
project, archive), ``/reports/<id>`` (rendered report with its actions), ``/reports/<id>/edit``
(side-by-side Markdown editor with live preview), ``/reports/<id>/print`` (print layout, used
for the PDF).

Every route asks :class:`ringlog.store.reports.ReportStore` (files under ``<root>/.reports``);
the rules (version check, publish lock, archive before delete) live there and are mapped to
HTTP codes in ``errors.py``: 404 unknown, 400 bad argument, 409 stale version, 423 published
(locked), 403 delete of a non-archived report.

Cross-site requests cannot change anything: the app's request guard (``guard.py``) refuses every
state-changing request from another site, here as everywhere (403).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, render_template, request, send_file, url_for

from ringlog.store.reports import MAX_IMAGE_BYTES, ReportStore, ReportValueError, project_id

from . import provider
from .errors import TooLargeError, UnavailableError
from .markdown import render
from .reports_pdf import PdfUnavailableError, report_pdf
from .security import ASSET_CSP, set_csp

bp = Blueprint("reports", __name__)

_SUMMARY_FIELDS = ("id", "name", "project", "description", "tags", "status", "archived", "user", "created",
                   "updated", "published", "version")


def report_store() -> ReportStore:
    """The app's ReportStore (``<root>/.reports``), from the provider."""
    return provider.current().reports


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.content_length:
            raise ReportValueError("request body must be a JSON object (Content-Type: application/json)")
        return {}
    if not isinstance(data, dict):
        raise ReportValueError(f"request body must be a JSON object, got {type(data).__name__}")
    return data


def _version(data: dict[str, Any]) -> int | None:
    v = data.get("version")
    if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
        raise ReportValueError(f"version must be an integer (the version you last read), got {v!r}")
    return v


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: doc.get(k) for k in _SUMMARY_FIELDS}
    out["url"] = url_for("reports.report_page", report_id=doc["id"])
    return out


def _full(doc: dict[str, Any]) -> dict[str, Any]:
    return {**_summary(doc), "markdown": doc["markdown"], "html": render(doc["markdown"]),
            "assets": doc.get("assets", [])}


def _list_args() -> dict[str, Any]:
    archived = request.args.get("archived", "")
    return {
        "project": request.args.get("project") or None,
        "text": request.args.get("q") or None,
        "tags": [t for t in request.args.getlist("tag") if t],
        "archived": True if archived in ("1", "true") else None if archived == "all" else False,
        "status": request.args.get("status") or None,
    }


# ---------------------------------------------------------------------------------------- JSON API
@bp.get("/api/reports")
def api_list():
    args = _list_args()
    rs = report_store()
    docs = rs.list(args["project"], archived=args["archived"], text=args["text"], tags=args["tags"],
                   status=args["status"], subprojects=True)
    return jsonify({"reports": [_summary(d) for d in docs],
                    "projects": rs.projects(archived=args["archived"], parent=args["project"]),
                    "project_names": rs.project_names(), "tags": rs.all_tags()})


@bp.post("/api/reports")
def api_create():
    data = _body()
    doc = report_store().create(name=data.get("name"), project=data.get("project"),
                                markdown=data.get("markdown") or "", description=data.get("description"),
                                tags=data.get("tags"))
    resp = jsonify(_full(doc))
    resp.status_code = 201
    resp.headers["Location"] = url_for("reports.report_page", report_id=doc["id"])
    return resp


@bp.get("/api/reports/<report_id>")
def api_get(report_id: str):
    return jsonify(_full(report_store().get(report_id)))


@bp.patch("/api/reports/<report_id>")
def api_update(report_id: str):
    """Edit name/description/markdown. The editor always sends ``version``: a stale one is a 409."""
    data = _body()
    unknown = set(data) - {"name", "description", "markdown", "version"}
    if unknown:
        raise ReportValueError(f"body may hold name, description, markdown, version; got unknown {sorted(unknown)}")
    doc = report_store().update(report_id, version=_version(data), markdown=data.get("markdown"),
                                name=data.get("name"), description=data.get("description"))
    return jsonify(_full(doc))


@bp.post("/api/reports/<report_id>/rename")
def api_rename(report_id: str):
    data = _body()
    return jsonify(_summary(report_store().rename(report_id, data.get("name"), version=_version(data))))


@bp.post("/api/reports/<report_id>/tags")
def api_tags(report_id: str):
    data = _body()
    rs = report_store()
    doc = rs.get(report_id)
    if "set" in data:
        doc = rs.set_tags(report_id, data["set"], version=_version(data))
    else:
        if data.get("add"):
            doc = rs.add_tags(report_id, data["add"], version=_version(data))
        if data.get("remove"):
            doc = rs.remove_tags(report_id, data["remove"])
    return jsonify(_summary(doc))


@bp.post("/api/reports/<report_id>/move")
def api_move(report_id: str):
    data = _body()
    return jsonify(_summary(report_store().move(report_id, data.get("project"), version=_version(data))))


@bp.post("/api/reports/<report_id>/publish")
def api_publish(report_id: str):
    return jsonify(_summary(report_store().publish(report_id, version=_version(_body()))))


@bp.post("/api/reports/<report_id>/archive")
def api_archive(report_id: str):
    return jsonify(_summary(report_store().archive(report_id)))


@bp.post("/api/reports/<report_id>/unarchive")
def api_unarchive(report_id: str):
    return jsonify(_summary(report_store().unarchive(report_id)))


@bp.delete("/api/reports/<report_id>")
def api_delete(report_id: str):
    report_store().delete(report_id)
    return jsonify({"deleted": report_id})


@bp.get("/api/reports/<report_id>/share")
def api_share(report_id: str):
    report_store().get(report_id)
    return jsonify({"url": url_for("reports.report_page", report_id=report_id, _external=True)})


@bp.get("/api/reports/<report_id>/markdown")
def api_markdown(report_id: str):
    doc = report_store().get(report_id)
    resp = Response(doc["markdown"], mimetype="text/markdown")
    if request.args.get("download"):
        resp.headers["Content-Disposition"] = _disposition(doc["name"], "md")
    return resp


@bp.post("/api/reports/preview")
def api_preview():
    data = _body()
    markdown = data.get("markdown", "")
    if not isinstance(markdown, str):
        raise ReportValueError(f"markdown must be a string, got {type(markdown).__name__}")
    return jsonify({"html": render(markdown)})


@bp.post("/api/reports/<report_id>/assets")
def api_upload(report_id: str):
    """Upload one image (multipart field ``file``); answers its URL and a Markdown snippet."""
    if (request.content_length or 0) > MAX_IMAGE_BYTES + (1 << 20):  # refuse before spooling the body
        raise TooLargeError(f"image upload must be at most {MAX_IMAGE_BYTES} bytes, got a "
                            f"{request.content_length}-byte request", kind="too_large")
    up = request.files.get("file")
    if up is None:
        raise ReportValueError("upload must be multipart/form-data with the image in field 'file'")
    data = up.stream.read(MAX_IMAGE_BYTES + 1)
    name = report_store().add_image(report_id, data)
    url = url_for("reports.api_asset", report_id=report_id, name=name)
    alt = (up.filename or "image").rsplit(".", 1)[0].replace("]", "").replace("[", "")[:80] or "image"
    return jsonify({"name": name, "url": url, "markdown": f"![{alt}]({url})"}), 201


@bp.get("/api/reports/<report_id>/assets/<name>")
def api_asset(report_id: str, name: str):
    path = report_store().image_path(report_id, name)
    resp = send_file(path, conditional=True, max_age=86400)
    return set_csp(resp, ASSET_CSP)


@bp.get("/api/reports/<report_id>/pdf")
def api_pdf(report_id: str):
    doc = report_store().get(report_id)
    try:
        pdf = report_pdf(doc, render(doc["markdown"], lazy_frames=False))
    except PdfUnavailableError as exc:
        raise UnavailableError(str(exc), kind="pdf_unavailable") from exc
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = _disposition(doc["name"], "pdf")
    return resp


@bp.app_template_filter("rl_iso")
def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or 0, timezone.utc).isoformat(timespec="seconds")


@bp.app_template_filter("rl_when")
def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or 0, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _disposition(name: str, ext: str) -> str:
    """``attachment`` header value: an ASCII fallback name plus the UTF-8 name (RFC 6266/5987)."""
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "-_ ." else "_" for c in name).strip()
    ascii_name = (ascii_name or "report")[:100]
    return f'attachment; filename="{ascii_name}.{ext}"; filename*=UTF-8\'\'{quote(name[:100] + "." + ext)}'


# ---------------------------------------------------------------------------------------- pages
@bp.get("/reports")
@bp.get("/reports/")
def reports_page():
    args = _list_args()
    view = request.args.get("view", "list" if args["text"] or args["tags"] else "project")
    if view not in ("list", "project"):
        view = "list"
    rs = report_store()
    docs = rs.list(args["project"], archived=args["archived"], text=args["text"], tags=args["tags"],
                   status=args["status"], subprojects=True)
    cards = rs.projects(archived=args["archived"], parent=args["project"])
    return render_template("reports.html", view=view, reports=docs, projects=cards,
                           project_names=rs.project_names(), all_tags=rs.all_tags(), args=args, q=args["text"] or "")


@bp.get("/reports/<report_id>")
def report_page(report_id: str):
    doc = report_store().get(report_id)
    return render_template("reports_view.html", report=doc, body=render(doc["markdown"]))


@bp.get("/reports/<report_id>/edit")
def report_editor(report_id: str):
    doc = report_store().get(report_id)
    # the editor's embed helper: each task project's id, for ``project=<id>`` in widget queries
    task_projects = [{"name": name, "id": project_id(name)} for name in provider.current().projects()]
    return render_template("reports_editor.html", report=doc, body=render(doc["markdown"]), task_projects=task_projects)


@bp.get("/reports/<report_id>/print")
def report_print(report_id: str):
    doc = report_store().get(report_id)
    return render_template("reports_print.html", report=doc, body=render(doc["markdown"], lazy_frames=False))
