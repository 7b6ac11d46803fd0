"""Serves plotly.js from the installed ``plotly`` Python package: no CDN, no internet asset.

The file is ``plotly/package_data/plotly.min.js`` (about 4.6 MB); it is sent with
conditional-request support and a one-day cache lifetime, keyed by the package version.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, send_file

from .errors import NotFoundError

bp = Blueprint("static_assets", __name__)


@lru_cache(maxsize=1)
def plotly_js_path() -> Path:
    """Path of plotly.min.js inside the installed plotly package (imported once, lazily)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise NotFoundError(f"plotly.min.js is missing from the installed plotly package at {path}")
    return path


@bp.get("/static/plotly.min.js")
def plotly_js():
    return send_file(plotly_js_path(), mimetype="text/javascript", conditional=True, max_age=86400)
