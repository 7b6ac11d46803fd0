"""Artifacts and models in the viewer: a task's Artifacts tab, the artifact page, file downloads.

Routes (documented in HTTP_API.md, "Artifacts"):

* ``GET /api/tasks/<id>/artifacts`` -- the task's own artifacts (newest version of each), the
  versions it produced in its project (W&B artifacts, models) and those it used, each with its
  files (path, size), references, metadata, aliases and a text preview;
* ``GET /artifact?scope=&name=`` -- the artifact page (every version with aliases, size, producer
  and consumers, files with download links); ``GET /api/artifact?scope=&name=`` is its JSON;
* ``GET /artifact/file?scope=&name=&version=&path=`` -- one file, always as an attachment
  (``Content-Disposition: attachment``) with the sandbox CSP; ``&inline=1`` shows PNG/JPEG/GIF/WebP
  images inline (for previews) and nothing else;
* ``GET /api/artifact/preview?...&path=`` -- the first rows of a CSV / ``.csv.gz`` / W&B table or
  the first 64 KiB of a text file, as JSON (the page draws it with ``textContent``);
* ``GET /models?project=`` and ``GET /api/models?project=`` -- the models of a project (or all).

Files are found through the manifest: a request names (scope, name, version, path), the manifest
gives the sha256, and the blob path is built from the validated hex digest inside
``<root>/.artifacts/blobs``, so no URL part ever becomes a file path.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request, send_file

from ringlog.store.artifacts import ArtifactNotFoundError, ArtifactStore, project_scope, task_scope

from . import provider
from .errors import BadRequestError, NotFoundError
from .provider import Provider
from .security import MEDIA_CSP, set_csp

bp = Blueprint("artifacts", __name__)

PREVIEW_BYTES = 65536
PREVIEW_ROWS = 50
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
           ".webp": "image/webp"}
_MAGIC = {"image/png": (b"\x89PNG",), "image/jpeg": (b"\xff\xd8",), "image/gif": (b"GIF8",),
          "image/webp": (b"RIFF",)}


def artifact_store(p: Provider) -> ArtifactStore:
    return p.artifacts


def _summary(m: dict) -> dict:
    return {"scope": m["scope"], "name": m["name"], "version": m["version"], "type": m.get("type", ""),
            "kind": m.get("kind", ""), "size": m.get("size", 0), "created": m.get("created"),
            "producer": m.get("producer"), "aliases": m.get("aliases", []), "digest": m.get("digest"),
            "files": [{"path": f["path"], "size": f["size"]} for f in m.get("files", ())],
            "references": [{"path": r["path"], "uri": r["uri"]} for r in m.get("references", ())],
            "metadata": m.get("metadata") or {}, "description": m.get("description", ""),
            "preview": (m.get("preview") or "")[:PREVIEW_BYTES], "model_id": m.get("model_id"),
            "versions": m.get("versions")}


def task_artifacts_impl(p: Provider, task_id: str) -> dict:
    """What the Artifacts tab shows (see the module docstring)."""
    p.reader(task_id=task_id)  # 404 for an unknown task
    a = artifact_store(p)
    own = [_summary(m) for m in a.latest(task_scope(task_id))]
    lineage = a.task_lineage(task_id)
    out: dict = {"task": task_id, "artifacts": own, "produced": [], "used": []}
    for kind in ("produced", "used"):
        seen = set()
        for rec in lineage[kind]:
            key = (rec["scope"], rec["name"], rec["version"])
            if key in seen or (kind == "produced" and rec["scope"] == task_scope(task_id)):
                continue
            seen.add(key)
            try:
                out[kind].append(_summary(a.get(*key)))
            except (ArtifactNotFoundError, ValueError, OSError):
                continue  # a version removed since: lineage keeps the record, the tab skips it
    return out


def _args(*names: str) -> list[str]:
    out = []
    for n in names:
        v = request.args.get(n)
        if not v or len(v) > 1024:
            raise BadRequestError(n, "is required (at most 1024 characters)", v)
        out.append(v)
    return out


def artifact_impl(p: Provider, scope: str, name: str) -> dict:
    """Every version of one artifact with aliases, producer and consumers."""
    try:
        versions = artifact_store(p).versions(scope, name)
    except ValueError as exc:
        raise BadRequestError("scope", str(exc)) from None
    if not versions:
        raise NotFoundError(f"no artifact {name!r} in {scope}")
    return {"scope": scope, "name": name, "type": versions[-1].get("type", ""),
            "versions": [_summary(m) | {"consumers": m.get("consumers", [])} for m in reversed(versions)]}


def _manifest(p: Provider, scope: str, name: str, version: str) -> dict:
    try:
        return artifact_store(p).get(scope, name, version)
    except ArtifactNotFoundError as exc:
        raise NotFoundError(str(exc)) from None


def _blob(p: Provider, m: dict, path: str) -> Path:
    a = artifact_store(p)
    try:
        entry = a.file_entry(m, path)
    except ArtifactNotFoundError as exc:
        raise NotFoundError(str(exc)) from None
    blob = a.blob_path(entry["sha256"]).resolve()
    if not blob.is_relative_to((a.base / "blobs").resolve()) or not blob.is_file():
        raise NotFoundError(f"file {path!r} of {m['name']} {m['version']} is missing from the blob store")
    return blob


def preview_impl(p: Provider, scope: str, name: str, version: str, path: str) -> dict:
    """A table (first rows) or text (first 64 KiB) preview of one file, else ``{"kind": "none"}``."""
    m = _manifest(p, scope, name, version)
    blob = _blob(p, m, path)
    low = path.lower()
    with open(blob, "rb") as f:
        head = f.read(PREVIEW_BYTES * 4)
    if low.endswith(".gz"):
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(head)).read(PREVIEW_BYTES)
        except (OSError, EOFError):
            head = head[:0]
        low = low[:-3]
    if low.endswith(".table.json"):
        try:
            doc = json.loads(blob.read_bytes()[: 16 << 20])
            return {"kind": "table", "columns": [str(c) for c in doc["columns"]],
                    "rows": [[str(c) for c in r] for r in doc["data"][:PREVIEW_ROWS]], "total": len(doc["data"])}
        except (ValueError, KeyError, TypeError):
            return {"kind": "none"}
    if Path(low).suffix in _IMAGES:
        return {"kind": "image"}
    if low.endswith((".csv", ".tsv")):
        text = head.decode("utf-8", "replace")
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if low.endswith(".tsv") else ","))[:PREVIEW_ROWS + 1]
        if rows:
            return {"kind": "table", "columns": rows[0], "rows": rows[1:], "total": None}
    if b"\x00" not in head[:PREVIEW_BYTES]:
        try:
            return {"kind": "text", "text": head[:PREVIEW_BYTES].decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"kind": "none"}


def models_impl(p: Provider, project: str | None = None) -> dict:
    """Every version of every model (artifact type ``model``), newest first, per project scope."""
    a = artifact_store(p)
    scopes = [project_scope(project)] if project else [s for s in a.scopes() if s.startswith("p-")]
    out = []
    for scope in scopes:
        for latest in a.latest(scope):
            if latest.get("type") == "model":
                out.extend(_summary(m) | {"consumers": m.get("consumers", []), "project": m.get("project")}
                           for m in a.versions(scope, latest["name"]))
    out.sort(key=lambda m: m.get("created") or 0, reverse=True)
    return {"project": project, "models": out}


def model_producers(p: Provider, model_ids: list[str], projects: list[str]) -> list[str]:
    """Task ids that produced the models ``model_ids`` (all models of ``projects`` when none are
    named): a report widget with ``objectType=model`` draws its model's producing task."""
    wanted = set(model_ids)
    out: dict = {}
    for m in models_impl(p)["models"]:
        if wanted and m.get("model_id") not in wanted and m["digest"] not in wanted:
            continue
        if not wanted and projects and m.get("project") not in projects:
            continue
        if m.get("producer"):
            out[m["producer"]] = True
    return list(out)


# --- routes -------------------------------------------------------------------------------------
@bp.get("/api/tasks/<task_id>/artifacts")
def api_task_artifacts(task_id: str):
    return jsonify(task_artifacts_impl(provider.current(), task_id))


@bp.get("/api/artifact")
def api_artifact():
    scope, name = _args("scope", "name")
    return jsonify(artifact_impl(provider.current(), scope, name))


@bp.get("/artifact")
def artifact_page():
    scope, name = _args("scope", "name")
    data = artifact_impl(provider.current(), scope, name)
    return render_template("artifact.html", art=data, page={"view": "artifact", "scope": scope, "name": name})


@bp.get("/api/artifact/preview")
def api_preview():
    scope, name, version, path = _args("scope", "name", "version", "path")
    return jsonify(preview_impl(provider.current(), scope, name, version, path))


@bp.get("/artifact/file")
def artifact_file():
    scope, name, version, path = _args("scope", "name", "version", "path")
    p = provider.current()
    blob = _blob(p, _manifest(p, scope, name, version), path)
    mime = _IMAGES.get(Path(path.lower()).suffix)
    inline = request.args.get("inline") == "1" and mime is not None
    if inline:
        with open(blob, "rb") as f:
            inline = f.read(8).startswith(_MAGIC[mime])  # an image by its bytes, not only its name
    resp = send_file(blob, mimetype=mime if inline else "application/octet-stream", as_attachment=not inline,
                     download_name=path.rsplit("/", 1)[-1], conditional=True, max_age=3600)
    return set_csp(resp, MEDIA_CSP)


@bp.get("/api/models")
def api_models():
    return jsonify(models_impl(provider.current(), request.args.get("project") or None))


@bp.get("/models")
def models_page():
    project = request.args.get("project") or None
    data = models_impl(provider.current(), project)
    return render_template("models.html", data=data, page={"view": "models", "project": project})
