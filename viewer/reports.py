"""Reports pages and JSON API (blueprint ``bp``); routes are filled in by the reports area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
