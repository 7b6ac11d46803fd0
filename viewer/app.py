"""The application factory: ``create_app(root)`` builds a configured Flask app over one store.

Shape follows Flask's tutorial app: one factory, one blueprint per area (``pages`` for HTML,
``api`` for JSON, ``media`` for files, plus the reports and widgets blueprints of the reports
area), errors mapped to HTTP codes in one place (``errors.py``). Routes never touch files:
they ask the :class:`ringlog.store.Store` held in ``app.config["RINGLOG_STORE"]``.

Security headers on every response: a Content-Security-Policy that only allows scripts from
this origin (no inline script, no CDN), ``X-Content-Type-Options: nosniff``, no framing by
other sites, and no referrer leaks. Media files get a stricter, sandboxing policy of their own
(``media.py``).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from flask import Flask

from .errors import register_error_handlers
from .jsonsafe import SafeJSONProvider


#: plotly.js injects <style> elements and style attributes, hence 'unsafe-inline' for styles only
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def create_app(root: str | Path | None = None, *, config: dict[str, Any] | None = None) -> Flask:
    """Build the viewer app for the store at ``root``.

    ``config`` entries override the defaults; tests may pass ``RINGLOG_STORE`` (any object that
    follows the Store contract) instead of a root. Opening the store creates nothing on disk.
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
    if app.config["RINGLOG_STORE"] is None:
        if app.config["RINGLOG_ROOT"] is None:
            raise TypeError("create_app() needs a store root (argument 'root') or config['RINGLOG_STORE']")
        from ringlog.store import Store

        app.config["RINGLOG_STORE"] = Store(app.config["RINGLOG_ROOT"])
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.filters["shell_join"] = lambda argv: shlex.join(str(a) for a in argv)

    register_error_handlers(app)

    from . import api, media, pages, reports, static_assets, widgets

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(static_assets.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(widgets.bp)

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    return app
