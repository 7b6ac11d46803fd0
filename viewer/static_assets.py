"""Serves plotly.js from the installed ``plotly`` Python package: no CDN, no internet asset.

The file is ``plotly/package_data/plotly.min.js`` (about 4.6 MB). Pages link it as
``/static/plotly.min.js?v=<plotly version>``, so it is sent with a one-year ``max-age``
(``immutable``): a returning visit loads it from the browser cache without asking; a plotly
upgrade changes the URL. A strong ``ETag`` (package version, size and mtime) answers a
revalidation (``If-None-Match``) with 304 and no body. The bare path (no or another
``v``) is cached for a day only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, request, send_file

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


#: one year, the longest lifetime caches honour; safe because the URL names the version
MAX_AGE = 365 * 24 * 3600
#: a URL without the current version (e.g. a page of another area linking the bare path) may
#: outlive a plotly upgrade, so it gets one day, then an ETag revalidation (304, no body)
UNVERSIONED_MAX_AGE = 86400


@lru_cache(maxsize=1)
def plotly_version() -> str:
    import plotly

    return str(getattr(plotly, "__version__", "0"))


@lru_cache(maxsize=1)
def plotly_etag() -> str:
    st = plotly_js_path().stat()
    return f"plotly-{plotly_version()}-{st.st_size}-{st.st_mtime_ns}"


@bp.get("/static/plotly.min.js")
def plotly_js():
    versioned = request.args.get("v") == plotly_version()
    resp = send_file(plotly_js_path(), mimetype="text/javascript", conditional=True, etag=plotly_etag(),
                     max_age=MAX_AGE if versioned else UNVERSIONED_MAX_AGE)
    resp.cache_control.public = True
    if versioned:
        resp.cache_control.immutable = True
    return resp


@bp.app_template_global()
def plotly_js_url() -> str:
    """URL of plotly.js with the package version in the query, so a long max-age is safe."""
    from flask import url_for

    return url_for("static_assets.plotly_js", v=plotly_version())
