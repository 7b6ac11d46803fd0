"""Issue 19, smoothing: the scalar API's per-bucket means (``mean=1``) against brute force over the
raw points, and in a real browser the smoothed value at one step is the same at full view and
zoomed in (the old page smoothed the M4 points, so a spiky series read several times too high)."""

from __future__ import annotations


import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

A = "a" * 32


def _mean(client, **q):
    r = client.get(f"/api/tasks/{A}/scalar", query_string={"title": "loss", "mean": "1", **q})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.mark.parametrize("q", [{"points": 100}, {"points": 40, "x_min": 1000, "x_max": 31_000},
                               {"points": 60, "x": "time"}, {"points": 7, "x_min": 150, "x_max": 260}])
def test_bucket_means_hold_every_finite_point_of_the_range_once(client, store, q):
    s = store.task(A).scalar("loss")
    d = _mean(client, **q)
    m = d["mean"]
    n = np.asarray(m["n"])
    y = np.asarray([np.nan if v is None else v for v in m["y"]])
    x = np.asarray(m["x"], np.float64)
    xs = s.step if q.get("x", "step") == "step" else s.time - s.time[0]
    lo, hi = q.get("x_min", -np.inf), q.get("x_max", np.inf)
    inside = (xs >= lo) & (xs <= hi)
    v = s.value[inside]
    fin = np.isfinite(v)
    assert n.sum() == fin.sum() and d["raw_count"] == inside.sum()
    assert np.nansum(y * n) == pytest.approx(v[fin].sum(), rel=1e-12)
    assert np.all(np.diff(x) > 0) and (n > 0).all() == np.isfinite(y).all()
    # x_last: each bucket's last raw x (where the EMA is placed from): the finite points up to it are
    # the buckets' counts so far
    xl = np.asarray(m["x_last"], np.float64)
    upto = np.searchsorted(xs[inside], xl + 1e-6, side="right")      # relative time: float rounding
    assert np.all(xl >= x) and np.allclose(xs[inside][upto - 1], xl, rtol=0, atol=1e-6)
    assert list(np.cumsum(fin)[upto - 1]) == list(np.cumsum(n))
    if not d["exact"]:
        assert len(n) <= q["points"] + 1
    else:  # every raw point is its own bucket
        assert list(n) == [int(f) for f in fin]


@pytest.mark.parametrize("points", [100, 7])
def test_bucket_means_come_from_the_pyramid_without_reading_raw_values(store, points):
    """The store's answer carries per-bucket sums and finite counts: the means read no raw value,
    and equal the ones computed from the raw values (the fallback for answers without them)."""
    from ringlog.viewer.smoothing import bucket_means

    reader = store.task(A)
    d = reader.decimate("loss", points=points)
    assert d.bucket_sum is not None and len(d.bucket_sum) == len(d.bucket_starts) - 1
    xs, ys = np.asarray(d.x), np.asarray(d.y)

    class NoRaw:
        def scalar(self, *a, **k):
            raise AssertionError("raw values read")

    fast = bucket_means(NoRaw(), "loss", "loss", d, xs, ys, exact=False)
    d.bucket_sum = d.bucket_finite = None
    slow = bucket_means(reader, "loss", "loss", d, xs, ys, exact=False)
    assert list(fast["n"]) == list(slow["n"])
    np.testing.assert_allclose(fast["y"], slow["y"], rtol=1e-12)
    np.testing.assert_array_equal(fast["x"], slow["x"])
    np.testing.assert_array_equal(fast["x_last"], slow["x_last"])


def test_no_means_unless_asked_and_none_against_a_metric(client):
    assert client.get(f"/api/tasks/{A}/scalar?title=loss&points=50").get_json()["mean"] is None
    r = client.get(f"/api/tasks/{A}/scalar?title=loss&points=50&mean=1&x=metric:train/acc").get_json()
    assert r["mean"] is None
    assert client.get(f"/api/tasks/{A}/scalar?title=loss&mean=maybe").status_code == 400
    b = client.get(f"/api/tasks/{A}/scalar?title=loss&points=50&mean=1&enc=b64").get_json()
    assert set(b["mean"]) == {"x", "x_last", "y", "n"} and b["mean"]["n"]["dtype"] == "<f8"


AT = 502_500  # 2,500 steps after a spike, 2,500 before the next

SMOOTHED = f"""() => {{ const d = document.querySelector('.chart-box[data-title="loss"] .js-plotly-plot').data;
  const t = d.find(t => t.name === 'loss'); let v = null;
  for (let i = 0; i < t.x.length; i++) if (t.x[i] <= {AT} && t.y[i] !== null) v = t.y[i];
  return v; }}"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_smoothed_value_at_a_step_does_not_move_with_the_zoom(tmp_path, pw):
    from ringlog.viewer import create_app

    n = 1_000_000
    rng = np.random.default_rng(0)
    step = np.arange(n, dtype=np.int64)
    value = 0.3 + 0.02 * rng.standard_normal(n)
    value[::5000] = 50.0                                   # rare large spikes, as a diverging batch
    store = make_store(tmp_path / "s")
    t = add_task(store, "p", "spiky", scalars={"loss": (step, value, 1.7e9 + step * 0.01)})
    true = value[AT - 200:AT + 1].mean()
    app = create_app(store.root, config={"RINGLOG_STORE": store})
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{t.id}")
        page.wait_for_selector('.chart-box[data-title="loss"][data-state=ready]')
        page.fill("#smoothing", "0.99")
        page.dispatch_event("#smoothing", "input")
        page.wait_for_selector('.chart-box[data-title="loss"][data-state=ready]')  # set() re-asks synchronously
        full = page.evaluate(SMOOTHED)
        loads = page.locator('.chart-box[data-title="loss"]').get_attribute("data-loads")
        page.evaluate(f"""() => Plotly.relayout(document.querySelector('.chart-box[data-title="loss"] .js-plotly-plot'),
                                                {{'xaxis.range[0]': {AT - 2000}, 'xaxis.range[1]': {AT + 500}}})""")
        page.wait_for_function(f'() => +document.querySelector(\'.chart-box[data-title="loss"]\').dataset.loads > {loads}')
        page.wait_for_selector('.chart-box[data-title="loss"][data-state=ready]')
        zoomed = page.evaluate(SMOOTHED)
    assert zoomed == pytest.approx(full, rel=0.01), (full, zoomed, true)
    assert full == pytest.approx(true, rel=0.02)
