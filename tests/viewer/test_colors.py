"""Run colours (issue 19, compare): one colour per run on every chart of a page, 20 colours that are
far apart, never shared by up to 20 runs shown together (whatever their ids and order), a fixed
fallback beyond 20, and a run alone keeps the colour its id prefers (static/colors.js)."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

COLORS_JS = Path(__file__).parents[2] / "viewer" / "static" / "colors.js"


def _lab(h):
    lin = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
           for c in (int(h[i:i + 2], 16) for i in (1, 3, 5))]
    r, g, b = lin
    x, y, z = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
               (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116  # noqa: E731
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_the_twenty_run_colours_are_far_apart():
    src = COLORS_JS.read_text()
    colors = re.findall(r'"(#[0-9a-f]{6})"', src.split("RUN_COLORS = [")[1].split("];")[0])
    assert len(colors) == len(set(colors)) == 20
    nearest = min(math.dist(_lab(a), _lab(b)) for a, b in itertools.combinations(colors, 2))
    assert nearest > 20, nearest          # CIE76 delta E: 20+ tells lines apart at a glance


ASSIGN = """async ([sets]) => { const m = await import('/static/colors.js');
  const pref = sets.map(ids => ids.map(id => m.runColor(id)));            // nothing shown together yet
  const got = sets.map(ids => { const a = m.assignColors(ids), b = m.assignColors([...ids].reverse());
    return {colors: ids.map(id => a.get(id)), same: ids.every(id => a.get(id) === b.get(id)),
            inList: ids.map(id => m.RUN_COLORS.includes(a.get(id)))}; });
  m.useRuns(sets[0]);
  return {pref, got, shown: sets[0].map(id => m.runColor(id))}; }"""


@pytest.mark.browser
def test_runs_shown_together_never_share_a_colour_up_to_twenty(tmp_path, pw):
    from ringlog.viewer import create_app

    rng = np.random.default_rng(5)
    st = make_store(tmp_path / "s")
    ids = [f"{i:032x}" for i in rng.integers(0, 2 ** 62, 12)]
    step = np.arange(50, dtype=np.int64)
    for i, tid in enumerate(ids):
        add_task(st, "p", f"run{i}", task_id=tid, scalars={"loss": (step, np.sin(step / 5 + i), 1.7e9 + step)})
    app = create_app(st.root, config={"RINGLOG_STORE": st})
    sets = [ids] + [[f"{v:032x}" for v in rng.integers(0, 2 ** 62, n)] for n in (20, 20, 20, 7, 25)]
    with pw.browser_page(app) as (srv, page, _):
        page.goto(srv.url + "/")
        r = page.evaluate(ASSIGN, [sets])
        assert len(set(r["pref"][0])) < len(ids)            # some of these runs prefer the same colour...
        for ids_, g in zip(sets, r["got"]):
            k = min(20, len(ids_))
            first = sorted(ids_)[:k]                        # ...yet shown together none share one
            assert len({g["colors"][ids_.index(i)] for i in first}) == k and g["same"], g
            assert all(g["inList"][ids_.index(i)] for i in first)
        assert r["shown"] == r["got"][0]["colors"]          # runColor follows the page's set
        # compare: every chart line and every swatch of a run has its colour, 12 runs, 12 colours
        page.goto(f"{srv.url}/compare?ids=" + ",".join(ids))
        page.wait_for_function("() => { const b = document.querySelector('.chart-box[data-title=loss]');"
                               " return b && b.dataset.state === 'ready'; }")
        got = page.evaluate("""() => {
            const sw = Object.fromEntries([...document.querySelectorAll('#run-list .swatch[data-task]')]
                                          .map(s => [s.dataset.task, getComputedStyle(s).backgroundColor]));
            const p = document.querySelector('.chart-box[data-title=loss] .js-plotly-plot');
            const rgb = h => { const n = parseInt(h.slice(1), 16); return `rgb(${n >> 16 & 255}, ${n >> 8 & 255}, ${n & 255})`; };
            return {sw, lines: p.data.filter(t => t.yaxis !== 'y2' && t.line && t.line.width !== 0).map(t => rgb(t.line.color))}; }""")
        assert len(set(got["sw"].values())) == 12 and sorted(got["lines"]) == sorted(got["sw"].values()), got
