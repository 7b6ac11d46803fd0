"""`ringlog view` and `python -m ringlog.viewer`: arguments reach waitress, loopback by default."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def served_calls(monkeypatch):
    calls = []
    import waitress

    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    return calls


def test_ringlog_view_defaults_to_loopback(served_calls, tmp_path, capsys):
    from ringlog import cli

    assert cli.main(["view", "--root", str(tmp_path)]) == 0
    (app, kw), = served_calls
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8765
    assert app.config["RINGLOG_ROOT"] == tmp_path
    assert "http://127.0.0.1:8765/" in capsys.readouterr().out


def test_module_entry_point_passes_host_and_port(served_calls, tmp_path):
    from ringlog.viewer.__main__ import main

    assert main(["--root", str(tmp_path), "--host", "::1", "--port", "9999"]) == 0
    (_, kw), = served_calls
    assert kw["host"] == "::1" and kw["port"] == 9999


def test_bad_port_is_a_clear_error(tmp_path, capsys):
    from ringlog import cli

    assert cli.main(["view", "--root", str(tmp_path), "--port", "70000"]) == 2
    assert "'port'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["view", "--port", "abc"])


def test_help_does_not_import_flask():
    code = ("import sys; from ringlog import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'flask' not in sys.modules, 'flask imported by --help'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "view" in r.stdout and "import-tensorboard" in r.stdout
