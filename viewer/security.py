"""Security headers and Content-Security-Policies: every policy of the viewer, in one place.

Every response gets :data:`PAGE_CSP` (scripts only from this origin: no inline script, no CDN),
``X-Content-Type-Options: nosniff``, no framing by other sites and no referrer leaks, unless its
route chose a policy of its own with :func:`set_csp`:

* :data:`EVAL_PAGE_CSP` -- pages drawing plotly's WebGL traces (compare's parcoords), whose shaders
  regl compiles from strings (``new Function``): they need ``'unsafe-eval'``, still loading script
  only from here.
* :data:`WIDGET_CSP` -- the embeddable widget page (the same eval need; no frames, no forms). It
  holds no author HTML (reports can only point an iframe at it) and draws numbers fetched from
  this origin, so eval is confined to plotly's own code.
* :data:`MEDIA_CSP` / :data:`HTML_SAMPLE_CSP` -- media files: sandboxed, so an HTML or SVG sample
  opened directly cannot run script with the viewer's origin; HTML samples run only in an opaque
  origin and load nothing remote.
* :data:`ASSET_CSP` -- report images: sandboxed, nothing loads.
"""

from __future__ import annotations

from flask import Flask, Response

#: plotly.js injects <style> elements and style attributes, hence 'unsafe-inline' for styles only
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
EVAL_PAGE_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
WIDGET_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-src 'none'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
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


def install(app: Flask) -> None:
    """Add the default headers to every response of ``app`` (called once by ``create_app``)."""

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp
