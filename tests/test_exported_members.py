"""The public surface is pinned: a name added to or dropped from ``ringlog`` is a decision."""

from __future__ import annotations

import importlib

import ringlog

PUBLIC = {
    "Audio", "Histogram", "Html", "Image", "Logger", "LoggingError", "Molecule", "Object3D", "Report", "RingFullError", "Run",
    "Settings", "Table", "Task", "Video", "__version__", "config", "define_metric", "finish", "init", "log",
    "plot", "run", "summary", "unwatch", "watch",
    # artifacts and models (issue 20)
    "Artifact", "save", "log_artifact", "use_artifact", "log_model", "use_model", "OutputModel", "InputModel", "Model",
}


def test_all_is_pinned():
    assert set(ringlog.__all__) == PUBLIC


def test_every_export_resolves():
    for name in ringlog.__all__:
        value = getattr(ringlog, name)
        if name not in ("run", "config", "summary"):  # None when no run is active
            assert value is not None, name


def test_current_run_names_resolve_at_access_time():
    assert ringlog.run is None and ringlog.config is None and ringlog.summary is None


def test_layers_export_their_entry_points():
    assert hasattr(importlib.import_module("ringlog.store"), "Store")
    assert hasattr(importlib.import_module("ringlog.core"), "warmup")
    assert hasattr(importlib.import_module("ringlog.viewer"), "create_app")
