"""The application factory: ``create_app(root)`` builds a configured Flask app over one store.

Shape follows Flask's tutorial app: one factory, one blueprint per area (``pages`` for HTML,
``api`` for JSON, ``media`` for files, plus the reports and widgets blueprints of the reports
area), errors mapped to HTTP codes in one place (``errors.py``), security headers set in one
place (``security.py``). Routes never touch files: they ask the app's
:class:`~ringlog.viewer.provider.Provider` (``provider.py``).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from flask import Flask

from ringlog.store import Store

from . import api, artifacts, group_routes, guard, media, pages, provider, reports, scalar_batch, security, static_assets, widgets
from .errors import register_error_handlers
from .jsonsafe import SafeJSONProvider


def create_app(root: str | Path | None = None, *, config: dict[str, Any] | None = None) -> Flask:
    """Build the viewer app for the store at ``root``.

    ``config`` entries override the defaults; ``RINGLOG_STORE`` may hold an open
    :class:`ringlog.store.Store` to share (its root is then the app's root). Opening the store
    creates nothing on disk.
    """
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.json = SafeJSONProvider(app)
    app.config.update(
        RINGLOG_ROOT=Path(root) if root is not None else None,
        RINGLOG_STORE=None,
        # decimation budget bounds: a chart asks for about its pixel width
        RINGLOG_MAX_POINTS=20_000,
        RINGLOG_PAGE_LIMIT=500,
        JSON_SORT_KEYS=False,
    )
    if config:
        app.config.update(config)
    store = app.config["RINGLOG_STORE"]
    if store is None:
        if app.config["RINGLOG_ROOT"] is None:
            raise TypeError("create_app() needs a store root (argument 'root') or config['RINGLOG_STORE']")
        store = app.config["RINGLOG_STORE"] = Store(app.config["RINGLOG_ROOT"])
    provider.install(app, store)
    app.config["RINGLOG_ROOT"] = store.root
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.filters["shell_join"] = lambda argv: shlex.join(str(a) for a in argv)

    register_error_handlers(app)
    guard.install(app)  # Host, token and same-origin checks before any route (guard.py)
    security.install(app)
    for module in (pages, api, scalar_batch, media, static_assets, reports, widgets, artifacts, group_routes):
        app.register_blueprint(module.bp)
    return app
