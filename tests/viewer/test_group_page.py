"""Issue 16, part 4, in real chromium: three runs of W&B group "DDP" (different lengths, a NaN), the
task table's group header links to the group page, whose chart draws the mean across the runs and
the min-max band; the drawn values match numpy per bucket at full view and after a zoom (which
re-asks the API for the visible range)."""

from __future__ import annotations


import numpy as np
import pytest

from ringlog.core.decimate import equal_width_edges
from ringlog.store.testing import Scalar, write_task

pytestmark = [pytest.mark.browser, pytest.mark.slow]
P = "ddp"
IDS = ["7" * 32, "8" * 32, "9" * 32]
LENGTHS = (3000, 2000, 1200)


def _runs(store):
    data = []
    for i, (tid, n) in enumerate(zip(IDS, LENGTHS)):
        rng = np.random.default_rng(i)
        step = np.arange(n, dtype=np.int64)
        v = 1.0 / (1 + step * 0.01) + 0.05 * rng.standard_normal(n) + 0.1 * i
        v[n // 2] = np.nan
        w = write_task(store, P, f"rank{i}", task_id=tid, close=False, created=1.8e9 + i, updated=1.8e9 + i,
                       scalars={"train/loss": Scalar(step, v, 1.7e9 + step)})
        w.set_meta(init_args={"group": "DDP", "job_type": "train"})
        w.close(status="completed")
        data.append((step.astype(np.float64), v))
    return data


def _reference(data, x0, x1, points):
    """Per non-empty grid bucket: (first x, last x, lowest value, highest value, mean of the run means,
    runs with finite values, finite values)."""
    edges = equal_width_edges(x0, x1, points)
    rows = []
    placed = []
    for x, v in data:
        m = (x >= x0) & (x <= x1)
        placed.append((x[m], v[m], np.clip(np.searchsorted(edges, x[m], "right") - 1, 0, points - 1)))
    for b in range(points):
        xs = np.concatenate([x[j == b] for x, _, j in placed])
        if not len(xs):
            continue
        fin = [v[(j == b) & np.isfinite(v)] for _, v, j in placed]
        allf = np.concatenate(fin)
        rows.append((xs.min(), xs.max(), allf.min() if len(allf) else np.nan, allf.max() if len(allf) else np.nan,
                     np.mean([f.mean() for f in fin if len(f)]) if len(allf) else np.nan,
                     sum(1 for f in fin if len(f)), len(allf)))
    return np.array(rows)


DRAWN = """box => {
  const d = box.querySelector('.plot').data;
  const pick = s => d.find(t => t.meta === 'group' && String(t.name).endsWith(s));
  const line = d.find(t => t.meta === 'group' && !/ (min|max|non-finite|raw)$/.test(String(t.name)));
  const arr = a => Array.from(a, v => (v === null || v === undefined ? NaN : Number(v)));
  return {bx: arr(pick(' min').x), lo: arr(pick(' min').y), hi: arr(pick(' max').y), x: arr(line.x), y: arr(line.y),
          name: line.name, nruns: arr(line.customdata), runs: d.filter(t => t.meta === 'run').length,
          points: Number(box.dataset.points), grid: box.dataset.grid.split(',').map(Number)};
}"""


def _ema_counts(ys, ns, w):
    """TensorBoard's debiased EMA over bucket means, a bucket of n points weighing n steps (RL.emaCounts)."""
    out, s, den = [], 0.0, 0.0
    for y, n in zip(ys, ns):
        if not n > 0 or not np.isfinite(y):
            out.append(np.nan)
            continue
        a = w ** n
        s, den = a * s + (1 - a) * y, a * den + (1 - a)
        out.append(s / den)
    return np.array(out)


def _assert_matches(drawn, data):
    x0, x1 = drawn["grid"]
    ref = _reference(data, x0, x1, drawn["points"])
    bx = np.array(drawn["bx"]).reshape(-1, 2)
    assert len(bx) == len(ref), (len(bx), len(ref))
    np.testing.assert_array_equal(bx, ref[:, :2])
    np.testing.assert_array_equal(np.array(drawn["lo"])[::2], ref[:, 2])
    np.testing.assert_array_equal(np.array(drawn["hi"])[::2], ref[:, 3])
    np.testing.assert_allclose(np.array(drawn["y"]), ref[:, 4], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.array(drawn["x"]), ref[:, :2].mean(axis=1))
    np.testing.assert_array_equal(drawn["nruns"], ref[:, 5])     # the tooltip's "mean of k runs"


def test_group_page_draws_mean_and_band_matching_numpy_at_full_view_and_zoomed(live, store, app, pw):
    data = _runs(store)
    with pw.browser_page(app) as (srv, page, _):
        # from the task table: grouped by W&B group, the header links to the group page
        page.goto(f"{srv.url}/projects/{P}")
        page.wait_for_selector("#tasks tbody a")
        page.select_option("#group-by", "group")
        link = page.locator("#tasks tr.group-row[data-group=DDP] a.group-link")
        page.wait_for_function("() => document.querySelector('a.group-link') && "
                               "document.querySelector('a.group-link').dataset.runs === '3'")
        assert link.get_attribute("title") == "3 completed"      # the whole group's statuses
        link.click()
        page.wait_for_url("**/groups?*")
        assert page.locator("#group-runs li").count() == 3
        box = page.locator(".chart-box[data-chart='train/loss']")
        page.wait_for_selector(".chart-box[data-chart='train/loss'][data-state=ready]")
        drawn = box.evaluate(DRAWN)
        assert drawn["name"] == "mean of 3 runs" and drawn["runs"] == 3
        assert drawn["grid"] == [0, 2999] and drawn["points"] >= 100
        _assert_matches(drawn, data)
        # smoothing: the EMA of the bucket means, each bucket weighing its runs' average point count
        page.evaluate("() => { const s = document.getElementById('smoothing'); s.value = '0.6'; "
                      "s.dispatchEvent(new Event('input')); }")
        smoothed = box.evaluate(DRAWN)
        ref = _reference(data, 0, 2999, drawn["points"])
        want = _ema_counts(ref[:, 4], ref[:, 6] / np.maximum(ref[:, 5], 1), 0.6)
        np.testing.assert_allclose(np.array(smoothed["y"]), want, rtol=1e-9)
        assert "smooth=0.6" in page.url
        # the task page's other smoothers, by the same rule (smoothers.js over the same bucket means)
        page.select_option("#smoother", "gauss")
        gauss = box.evaluate(DRAWN)
        want = page.evaluate("async ([ys, ns]) => (await import('/static/smoothers.js')).smoothBuckets('gauss', ys, ns, 0.6)",
                             [[None if not np.isfinite(v) else float(v) for v in ref[:, 4]],
                              (ref[:, 6] / np.maximum(ref[:, 5], 1)).tolist()])
        want = np.array([np.nan if v is None else v for v in want])
        np.testing.assert_allclose(np.array(gauss["y"]), want, rtol=1e-9)
        assert not np.allclose(np.array(gauss["y"]), np.array(smoothed["y"]), equal_nan=True)
        assert "smoother=gauss" in page.url
        page.evaluate("() => { const s = document.getElementById('smoothing'); s.value = '0'; "
                      "s.dispatchEvent(new Event('input')); }")
        # a box zoom re-asks the API for the visible range only
        page.evaluate("""() => Plotly.relayout(document.querySelector(".chart-box[data-chart='train/loss'] .plot"),
                                               {'xaxis.range[0]': 1000.5, 'xaxis.range[1]': 1650})""")
        page.wait_for_selector(".chart-box[data-chart='train/loss'][data-loads='2'][data-state=ready]")
        zoomed = box.evaluate(DRAWN)
        assert zoomed["grid"] == [1000.5, 1650]
        _assert_matches(zoomed, data)
        assert max(zoomed["bx"]) <= 1650 and min(zoomed["bx"]) >= 1001
        # the band can show the spread of the run means instead: lowest and highest drawn run line
        page.select_option("#band-kind", "spread")
        spread = box.evaluate("""box => {
          const d = box.querySelector('.plot').data, arr = a => Array.from(a, v => (v == null ? NaN : Number(v)));
          return {lo: arr(d.find(t => t.meta === 'group' && / min$/.test(t.name)).y),
                  runs: d.filter(t => t.meta === 'run').map(t => arr(t.y))};
        }""")
        runs = np.array(spread["runs"])
        np.testing.assert_allclose(np.array(spread["lo"])[::2], np.nanmin(runs, axis=0), rtol=1e-12)
        # the runs can be hidden: the mean and band stay
        page.uncheck("#show-runs")
        assert box.evaluate(DRAWN)["runs"] == 0
        # the view is in the URL: a reload shows the same zoom, band and hidden runs
        assert "zoom=train%2Floss%7E1000.5%7E1650" in page.url and "band=spread" in page.url, page.url
        page.reload()
        page.wait_for_selector(".chart-box[data-chart='train/loss'][data-state=ready]")
        assert page.input_value("#band-kind") == "spread" and not page.is_checked("#show-runs")
        assert page.input_value("#smoother") == "gauss"
        again = box.evaluate(DRAWN)
        assert again["grid"] == [1000.5, 1650] and again["runs"] == 0


def test_group_page_follows_a_running_run_then_stops_polling(tmp_path, pw):
    from ringlog.store import Store
    from ringlog.store.testing import append_points
    from ringlog.viewer import create_app

    st = Store(tmp_path / "root", durable=False)
    step = np.arange(500, dtype=np.int64)
    writers = []
    for i, (status, n) in enumerate((("completed", 500), ("running", 200))):
        w = write_task(st, P, f"rank{i}", task_id=IDS[i], status=status, close=False,
                       scalars={"loss": Scalar(step[:n], np.cos(step[:n] / 40.0) + i, 1.7e9 + step[:n])})
        w.set_meta(init_args={"group": "DDP"})
        writers.append(w)
    writers[0].close(status="completed")
    live = writers[1]
    app = create_app(st.root, config={"RINGLOG_STORE": st, "RINGLOG_POLL_MS": 250})
    try:
        with pw.browser_page(app) as (srv, page, _):
            page.goto(f"{srv.url}/groups?project={P}&group=DDP")
            chart = ".chart-box[data-chart=loss]"
            page.wait_for_selector(f"{chart}[data-raw='700']")
            assert page.get_attribute("#group-runs", "data-live") == "1"
            append_points(live, "loss", (step[200:], np.cos(step[200:] / 40.0) + 1, 1.7e9 + step[200:]))
            page.wait_for_selector(f"{chart}[data-raw='1000']", timeout=10_000)   # the new points are drawn
            live.close(status="completed")
            page.wait_for_selector("#group-runs[data-live='0']", timeout=10_000)
            assert page.locator("#group-runs .status").all_inner_texts() == ["completed", "completed"]
            loads = page.get_attribute(chart, "data-loads")
            page.wait_for_timeout(800)
            assert page.get_attribute(chart, "data-loads") == loads          # polling stopped
    finally:
        live.close(status="completed")
