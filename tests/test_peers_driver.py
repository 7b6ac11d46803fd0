"""The peer driver's table and ratio logic (benchmarks/peers/table.py), on made-up process outputs:
no venvs, no network. The peer run itself (`python -m benchmarks.peers`) is not part of CI."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "peers" / "table.py"
_spec = importlib.util.spec_from_file_location("peers_table_under_test", _PATH)
table = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = table  # dataclasses look their module up while building the class
_spec.loader.exec_module(table)


def _out(points, loop, finish, nbytes=0, rss=100.0, cpu=None):
    cpu = loop + finish if cpu is None else cpu
    return {"points": points, "loop": loop, "finish": finish, "total": loop + finish, "bytes": nbytes, "rss": rss,
            "cpu_total": cpu}


def _row(tool, label, n, loops, finish, nbytes, read_s, bulk=False):
    r = table.Row(tool, label, f"{tool} 1.0", points=n, bulk=bulk)
    r.one = [_out(n, lp, finish, nbytes) for lp in loops]
    r.keys10 = [_out(n, lp / 2, finish) for lp in loops]
    r.read = [{"points": n, "read": read_s}]
    return r


def test_medians_are_of_each_processes_own_rate():
    r = _row("x", "f", 1000, [1.0, 2.0, 4.0], 0.0, 5000, 1.0)
    assert r.rate("one") == pytest.approx(500.0)  # 1000, 500, 250 points/s -> 500
    assert r.bytes_per_point() == pytest.approx(5.0)


def test_ratios_take_the_best_peer_and_leave_bulk_rows_out_of_per_call():
    ours = _row("ringlog", "log", 100_000, [0.1], 0.0, 400_000, 0.01)  # 1M/s, 4 B/pt, 10M/s read
    slow = _row("wandb", "log", 100_000, [10.0], 0.0, 3_200_000, 1.0)  # 10k/s, 32 B/pt
    fast = _row("tb", "add", 100_000, [2.0], 0.0, 1_600_000, 0.5)  # 50k/s, 16 B/pt, 200k/s read
    bulk = _row("mlflow", "batch", 100_000, [0.01], 0.0, 20_000_000, 5.0, bulk=True)  # 10M/s, in bulk
    got = {r.what.split(",")[0]: r for r in table.ratios([ours, slow, fast, bulk], 100_000)}
    per_call = got["per-call incl. finish"]
    assert per_call.value == pytest.approx(20.0) and per_call.target == 20.0 and per_call.met
    assert "tb" in per_call.against
    assert got["bytes per point"].value == pytest.approx(4.0) and got["bytes per point"].met
    assert got["read-back rate"].value == pytest.approx(50.0)
    cpu = got["(secondary) per-call CPU per point of the logging process"]  # 1 vs 20 us per point
    assert cpu.value == pytest.approx(20.0) and "tb" in cpu.against
    assert table.fastest_peer([ours, slow, fast, bulk]) == "tb"


def test_a_ratio_under_its_target_is_reported_not_met():
    ours = _row("ringlog", "log", 1_000_000, [1.0], 0.0, 10_000_000, 1.0)
    peer = _row("tb", "add", 1_000_000, [20.0], 0.0, 20_000_000, 2.0)
    per_call = table.ratios([ours, peer], 1_000_000)[0]
    assert per_call.value == pytest.approx(20.0) and per_call.target == 50.0
    assert not per_call.met and "**not met**" in per_call.line()


def test_a_failed_peer_is_a_row_saying_so_and_is_left_out_of_the_ratios():
    ours = _row("ringlog", "log", 1000, [0.01], 0.0, 4000, 0.001)
    broken = table.Row("aim", "run.track", points=1000, error="install failed: no wheel")
    text = table.markdown([ours, broken])
    assert "install failed: no wheel" in text and text.count("\n") == 3
    assert table.ratios([ours, broken], 1000) == []


def test_replace_section_keeps_the_rest_of_the_document():
    doc = "# R\n\nabove\n"
    once = table.replace_section(doc, "table one")
    assert once.startswith(doc.rstrip("\n")) and "table one" in once
    twice = table.replace_section(once + "\nbelow\n", "table two")
    assert "table one" not in twice and "table two" in twice
    assert twice.startswith("# R\n\nabove") and twice.rstrip().endswith("below")
