"""The ClearML ``Logger`` switches that steer auto-capture (process-wide class attributes).

Kept apart from :mod:`.manager` so that the captures (which read the switches) and the manager
(which imports the captures when their switch is on) do not import each other.
"""

from __future__ import annotations


class CaptureLoggerMixin:
    """The ClearML ``Logger`` switches that steer auto-capture (process-wide, like ClearML's).

    The SDK's ``Logger`` inherits this; the captures read the class attributes at call time.
    """

    _tensorboard_auto_group = False
    _matplotlib_force_image = False

    @classmethod
    def tensorboard_auto_group_scalars(cls, group_scalars: bool = False) -> None:
        """``True``: TensorBoard scalars whose tag has no ``/`` share the title ``"Scalars"``;
        ``False`` (default): such a tag is both title and series."""
        CaptureLoggerMixin._tensorboard_auto_group = bool(group_scalars)

    @classmethod
    def matplotlib_force_report_non_interactive(cls, force: bool) -> None:
        """``True``: matplotlib figures are always reported as PNG images; ``False`` (default):
        as interactive plotly figures when the conversion works, else as images."""
        CaptureLoggerMixin._matplotlib_force_image = bool(force)
