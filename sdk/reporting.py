"""ClearML-style reporting of text, plots and debug samples (mixed into ``ringlog.Logger``)."""

from __future__ import annotations


class ReportingMixin:
    """Text, plots and debug samples for a Logger; uses ``self._run`` (the RunCore) hooks only."""
