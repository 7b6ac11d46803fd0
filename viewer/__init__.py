"""ringlog.viewer: the Flask web app that shows projects, tasks, spike-exact charts and media.

``create_app(root)`` builds the app (tests, embedding); ``serve(root, host, port)`` runs it
under waitress, bound to 127.0.0.1 unless told otherwise. ``python -m ringlog.viewer`` and
``ringlog view`` both call :func:`serve`. The JSON API is documented in ``HTTP_API.md``.
"""

from __future__ import annotations

from .app import create_app
from .serve import serve

__all__ = ["create_app", "serve"]
