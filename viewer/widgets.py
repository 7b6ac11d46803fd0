"""Embeddable widgets served at ``/widgets/`` (blueprint ``bp``); routes are filled in by the reports area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("widgets", __name__)
