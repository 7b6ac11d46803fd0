"""Security headers and Content-Security-Policies: every policy of the viewer, in one place.

Every response gets :data:`PAGE_CSP` (scripts only from this origin: no inline script, no CDN, no
eval), ``X-Content-Type-Options: nosniff``, framing by this viewer only (``frame-ancestors 'self'``,
``X-Frame-Options: SAMEORIGIN``) and ``Referrer-Policy: same-origin``, unless its route chose a
policy of its own with :func:`set_csp`:

* :data:`EVAL_PAGE_CSP` -- pages drawing plotly's WebGL traces (compare's parcoords), whose shaders
  regl compiles from strings (``new Function``): they need ``'unsafe-eval'``, still loading script
  only from here. No other page gets it.
* :data:`WIDGET_CSP` / :data:`WIDGET_EVAL_CSP` -- the embeddable widget page (no frames, no forms,
  framed only by this viewer). Only the widget types that can draw WebGL traces (``parcoords``, and
  ``plot``, whose stored figures may hold ``scattergl`` and friends) get the eval variant; the page
  holds no author HTML (reports can only point a sandboxed iframe at it) and draws numbers fetched
  from this origin, so eval is confined to plotly's own code.
* :data:`MEDIA_CSP` / :data:`HTML_SAMPLE_CSP` -- media files: sandboxed, so an HTML or SVG sample
  opened directly cannot run script with the viewer's origin; HTML samples run only in an opaque
  origin and load nothing remote.
* :data:`ASSET_CSP` -- report images: sandboxed, nothing loads.

``Referrer-Policy: same-origin`` sends nothing to other sites, and keeps the browser's ``Origin``
header real on this viewer's own writes (under ``no-referrer`` browsers send ``Origin: null`` with
a same-origin POST, which the guard must refuse, since sandboxed frames send it too).

Report widgets run in iframes sandboxed *without* ``allow-same-origin`` (an opaque origin that cannot
reach the report page or the viewer's cookies), so two cross-origin grants exist, and only these:
the package's static files (code, no data) to any origin, and a widget's data to ``Origin: null``
when the guard verified the request's widget signature (``guard.py``).
"""

from __future__ import annotations

from flask import Flask, Response, g, request

#: plotly.js injects <style> elements and style attributes, hence 'unsafe-inline' for styles only
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
EVAL_PAGE_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
WIDGET_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-src 'none'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
WIDGET_EVAL_CSP = WIDGET_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
#: widget types whose charts may be WebGL traces (regl compiles them with new Function)
WEBGL_WIDGET_TYPES = ("parcoords", "plot")
#: endpoints serving the package's own files (no user data): readable from any origin, so that the
#: sandboxed (opaque-origin) widget frame can load its ES modules
PUBLIC_CODE_ENDPOINTS = ("static", "static_assets.plotly_js")
MEDIA_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; "
             "style-src 'unsafe-inline'")
HTML_SAMPLE_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
                   "style-src 'unsafe-inline'; img-src data: blob:; media-src data: blob:; font-src data:")
ASSET_CSP = "default-src 'none'; sandbox"


def set_csp(resp: Response, policy: str) -> Response:
    """Give ``resp`` its own policy (the default is only filled in where none is set)."""
    resp.headers["Content-Security-Policy"] = policy
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def widget_csp(widget_type: str) -> str:
    """The widget page's policy: eval only for the types that may draw WebGL traces."""
    return WIDGET_EVAL_CSP if widget_type in WEBGL_WIDGET_TYPES else WIDGET_CSP


def install(app: Flask) -> None:
    """Add the default headers to every response of ``app`` (called once by ``create_app``)."""

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint in PUBLIC_CODE_ENDPOINTS:
            resp.headers["Access-Control-Allow-Origin"] = "*"
        elif g.get("ringlog_signed_widget") and request.headers.get("Origin") == "null":
            resp.headers["Access-Control-Allow-Origin"] = "null"
            resp.headers.add("Vary", "Origin")
        return resp
