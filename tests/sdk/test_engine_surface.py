"""The engine's surface: outside ``ringlog._engine`` nothing reaches into a run's lock, staging or
metadata flags; a real RunCore is a RunSink; settings are resolved once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ringlog
from ringlog._engine.protocol import RunSink

REPO = Path(__file__).resolve().parents[2]
PRIVATE = {"_lock", "staging", "meta_dirty", "console_records", "by_key", "fast", "wfast", "extra_meta",
           "user_summary", "metric_defs", "touch_meta"}


def _attribute_uses(root: Path, repo: Path = REPO):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(repo).as_posix()
        if rel.startswith("sdk/_engine/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
                base = node.value
                if isinstance(base, ast.Name) and base.id == "self":
                    continue  # an object's own attribute of that name (e.g. a capture's own lock)
                yield f"{rel}:{node.lineno} .{node.attr}"


def test_nothing_outside_the_engine_touches_its_internals():
    found = list(_attribute_uses(REPO / "sdk")) + list(_attribute_uses(REPO / "benchmarks"))
    assert found == []


def test_the_attribute_scan_finds_a_use(tmp_path):
    (tmp_path / "sdk" / "capture").mkdir(parents=True)
    (tmp_path / "sdk" / "_engine").mkdir()
    (tmp_path / "sdk" / "capture" / "x.py").write_text("def f(run):\n    return run.staging.by_key\n")
    (tmp_path / "sdk" / "_engine" / "y.py").write_text("def f(core):\n    return core.staging\n")  # allowed
    assert list(_attribute_uses(tmp_path / "sdk", tmp_path)) == ["sdk/capture/x.py:2 .by_key",
                                                                  "sdk/capture/x.py:2 .staging"]


def test_a_real_run_is_a_run_sink(store_root, fast):
    run = ringlog.init(project="surface", dir=store_root, settings=fast)
    assert isinstance(run._core, RunSink)
    run.finish()


def test_settings_are_resolved_once_at_init(store_root, fast, monkeypatch):
    monkeypatch.setenv("RINGLOG_STRICT", "1")
    run = ringlog.init(project="surface", dir=store_root, settings=fast)
    monkeypatch.delenv("RINGLOG_STRICT")
    assert run.settings.strict is True and run._core.strict
    with pytest.raises(TypeError):
        run.log({"x": object()})
    run.finish()


def test_default_root_is_the_stores(tmp_path, monkeypatch):
    from ringlog.store import default_root

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RINGLOG_DIR", raising=False)
    assert default_root() == tmp_path / "ringlog_data" == ringlog.Settings().root
    monkeypatch.setenv("RINGLOG_DIR", str(tmp_path / "elsewhere"))
    assert default_root() == tmp_path / "elsewhere" == ringlog.Settings().root
    monkeypatch.setenv("RINGLOG_DIR", "")  # empty counts as unset
    assert default_root() == tmp_path / "ringlog_data"


def test_ring_capacity_is_deprecated_and_ignored():
    """The write path has no ring between staging and store any more (issue 12): setting the
    old field still constructs Settings (old scripts keep working) but says it does nothing."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ringlog.Settings()  # the default warns nothing
    with pytest.warns(DeprecationWarning, match="ring_capacity"):
        s = ringlog.Settings(ring_capacity=1 << 20)
    assert s.staging_limit == ringlog.Settings().staging_limit
