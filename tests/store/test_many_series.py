"""Many series: bounded memory and tail bytes per series, a quick close (issue 13, bullet 9).

A fresh process logs K series for S syncs of P points each (a noisy float32 curve per series, as
200 steps/s of per-layer metrics with a 1 s flush give), then is measured: peak RSS growth per
series over the same process before the first point, the tail files' bytes on disk before close
against the task's whole size after close, and the close time. Before this change each series
held every pending point in memory until its first 65,536-point chunk (~100 KB per series at
4,000 points, 1.9 MB at a chunk) and its tail uncompressed (24 bytes per point on disk).
The full-size figures (10,000 series for a minute, 100,000 series' close) are
``python -m benchmarks.run bench_store`` (RESULTS.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from pathlib import Path
    from ringlog.store import Store

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    root, K, S, P, durable = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
    if sys.argv[6] == "1":  # as the SDK does at init (on its warm-up thread)
        from ringlog.core import warmup
        warmup(("pyramid",))
    w = Store(root, durable=durable).create_task(project="p", name="many", task_id="many", created=1.7e9)
    sids = [w.series_id(f"layer{i:05d}/grad_norm") for i in range(K)]
    rng = np.random.default_rng(0)
    steps = np.arange(S * P, dtype=np.int64)
    times = 1.7e9 + steps * 0.005
    w.sync()
    base = rss("VmRSS")
    t0 = time.perf_counter()
    for j in range(S):
        block = (1 + 0.05 * rng.standard_normal((K, P))).astype(np.float32).astype(np.float64)
        a, b = j * P, (j + 1) * P
        for i, sid in enumerate(sids):
            w.append(sid, steps[a:b], block[i], times[a:b])
        w.sync()
        del block
    t_log = time.perf_counter() - t0
    peak = rss("VmHWM")
    task = Path(w.path)
    tails = sum(p.stat().st_size for p in task.rglob("tail*.bin"))
    t0 = time.perf_counter()
    w.close()
    t_close = time.perf_counter() - t0
    final = sum(p.stat().st_size for p in task.rglob("*") if p.is_file())
    print(json.dumps({"per_series": (peak - base) / K, "peak": peak, "base": base, "tails": tails,
                      "final": final, "close": t_close, "log": t_log}))
""")


def run(root, k, syncs, per_sync, durable=False, env=None, warm=False):
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(root), str(k), str(syncs), str(per_sync),
                        "1" if durable else "0", "1" if warm else "0"], capture_output=True, text=True,
                       timeout=900, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_many_series_stay_within_the_memory_and_disk_bound(tmp_path):
    k, syncs, per_sync = 1000, 20, 200  # 4,000 points per series
    out = run(tmp_path / "root", k, syncs, per_sync)
    # pending points are spilled to the (durable) tail: ~1,000 points at most stay in memory per
    # series (24 KB) plus the writer's objects; before: every pending point (~100 KB per series here)
    assert out["per_series"] < 48_000, out
    # compressed tail records: ~5.5 bytes per point against ~3.5 once sealed (before: 24 + headers)
    assert out["tails"] < 2.5 * out["final"], out
    assert out["close"] < 10, out

    from ringlog.store import Store

    r = Store(tmp_path / "root").task("many")
    sc = r.scalar("layer00999/grad_norm")
    assert len(sc.step) == syncs * per_sync and sc.step[-1] == syncs * per_sync - 1


def test_series_index_text_equals_json_of_the_entries(store):
    """series.json is written from per-series JSON text (cached while unchanged): the same value as
    json.dumps of the entries, whatever the names, values and state."""
    import numpy as np

    from ringlog.store import layout

    w = store.create_task(project="p", name="idx")
    names = [("loss", None), ('quo"te\\ and \u00e9\u4e2d', "s/1"), ("nan", None), ("long", None)]
    sids = [w.series_id(t, s) for t, s in names]
    w.append(sids[0], [1, 2], [0.5, 0.25], 1.7e9)
    w.append(sids[1], [3], [1e300], 1.7e9)
    w.append(sids[2], [0, 1], [np.nan, np.inf], 1.7e9)
    n = layout.CHUNK + 5
    w.append(sids[3], np.arange(n)[::-1], np.linspace(-1, 1, n), 1.7e9)  # steps decreasing: sorted false
    for final in (False, True):
        w.sync() if not final else w.close()
        for s in w._series:
            s.meta_dirty = True
            assert json.loads(s.entry_json()) == json.loads(json.dumps(s.entry(), allow_nan=True))
        on_disk = json.loads((w.path / "series.json").read_text())
        assert [e["sid"] for e in on_disk["series"]] == [0, 1, 2, 3] and on_disk["format"] == layout.FORMAT_VERSION


def test_level_records_leave_memory_once_written_and_files_are_unchanged(tmp_path, monkeypatch):
    """A level keeps in memory only records not yet in its growing chunk's file: the files written
    are byte-identical to those of a writer that keeps every record, and the buffers stay small."""
    import numpy as np

    from ringlog.store import Store, series_levels, series_writer

    monkeypatch.setattr(series_writer, "LEVEL_PERSIST", 16)  # rewrite the growing chunk often
    rng = np.random.default_rng(5)
    n = 1_300_000  # > 4,096 level-1 records: a full level chunk is completed after drops
    v = rng.standard_normal(n)
    v[rng.integers(0, n, 50)] = np.nan
    step = np.arange(n)
    roots = {}
    for keep in (True, False):
        if keep:
            monkeypatch.setattr(series_levels.LevelsMixin, "_level_drop", lambda self, lv, written: None)
        else:
            monkeypatch.undo()
            monkeypatch.setattr(series_writer, "LEVEL_PERSIST", 16)
        root = tmp_path / ("keep" if keep else "drop")
        w = Store(root, durable=False).create_task(project="p", name="lv", task_id="lv", created=1.7e9)
        sid = w.series_id("y")
        for part in np.array_split(np.arange(n), 97):
            w.append(sid, step[part], v[part], 1.7e9 + part * 0.003)
            w.sync()
        if not keep:
            held = [lv.buf.shape[1] for lv in w._series[0].levels]
            assert held[0] < 1024, held  # before: up to 4,096 records (655 KB) in level 1
            assert any(lv.gone for lv in w._series[0].levels)
        w.close()
        roots[keep] = root
    files = {k: {p.relative_to(r): p.read_bytes() for p in sorted((r / "p" / "lv").rglob("L*/c/*/*"))}
             for k, r in roots.items()}
    assert files[True] and files[True] == files[False]
    a, b = Store(roots[True]).task("lv"), Store(roots[False]).task("lv")
    da, db = a.decimate("y", points=500), b.decimate("y", points=500)
    np.testing.assert_array_equal(da.y, db.y)
    assert da.level >= 1 and da.level == db.level
