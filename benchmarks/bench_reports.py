"""Reports and widgets benchmarks.

1. Rendering a large report (headings, tables, code, task lists, widget embeds; ~400 KB of
   Markdown, quick: ~40 KB): ``viewer.markdown.render`` (parse + highlight + nh3 sanitize) against
   markdown-it's plain parse of the same text in the same run. The claim: safety and highlighting
   cost at most a small factor over parsing (ratio <= 6); floor 10 ms per KB of Markdown.
2. Scalar widget JSON for a long series (2M points, quick: 200k) through ``widget_impl`` against
   reading the raw series (``TaskReader.scalar``) in the same run: the widget reads the store's
   pyramid, so it must not cost more than a raw read (ratio <= 1), and stays < 200 ms.
3. A dynamic query ordered by a metric's MD5 id over N tasks (500, quick: 60): the page of the
   best 5 tasks, against listing the catalog rows alone. Reported per task; floor < 20 ms/task.

Data goes to ``bench_data/reports`` (removed at the end). ``python -m benchmarks.run bench_reports [--quick]``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
from werkzeug.datastructures import MultiDict

from benchmarks._common import Row, best_of, check, median_of, print_table

DATA = Path("bench_data") / "reports"


def _big_markdown(sections: int) -> str:
    part = (
        "## Section {i}\n\nSome **bold**, *italic*, ~~struck~~ and `code` text with a "
        "[link](https://example.org \"title\").\n\n- [x] done {i}\n- [ ] todo\n\n"
        "| metric | value | delta |\n|---|--:|:-:|\n" + "| m | 1.5 | +0.1 |\n" * 8 +
        "\n```python\nfor step in range(100):\n    ringlog.log({{'loss': 1 / (1 + step)}})\n```\n\n"
        "<details><summary>More {i}</summary>\n\nHidden text.\n\n</details>\n\n"
        '<iframe src="/widgets/?type=scalar&objects=t{i}&metrics=loss" width="100%" height="300"></iframe>\n\n'
    )
    return "# Big report\n\n" + "".join(part.format(i=i) for i in range(sections))


def _bench_render(quick: bool) -> list[Row]:
    from markdown_it import MarkdownIt

    from ringlog.viewer.markdown import render

    text = _big_markdown(50 if quick else 500)
    plain = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    render(text)  # warm caches (parser, lexers)
    t_plain = best_of(lambda: plain.render(text), 3)
    t_full = best_of(lambda: render(text), 3)
    ratio = t_full / t_plain
    check(ratio <= 6.0, f"render {t_full * 1e3:.1f} ms is {ratio:.1f}x a plain parse ({t_plain * 1e3:.1f} ms); want <= 6x")
    kb = len(text) / 1e3
    check(t_full < 0.01 * kb, f"render of {kb:.0f} KB took {t_full:.2f} s; want < 10 ms per KB")
    return [Row(f"render {kb:.0f} KB report", t_full * 1e3, "ms", f"< {10 * kb:.0f}", f"{ratio:.1f}x plain parse"),
            Row("plain markdown-it parse (baseline)", t_plain * 1e3, "ms")]


def _bench_widget(st, provider, quick: bool) -> list[Row]:
    from ringlog.viewer.widgets import widget_impl

    n = 200_000 if quick else 2_000_000
    w = st.create_task(project="bench-reports", name="long", task_id="benchlong")
    steps = np.arange(n, dtype=np.int64)
    values = np.cumsum(np.random.default_rng(0).standard_normal(n)) * 1e-3
    w.append(w.series_id("loss", "train"), steps, values, 1.7e9 + steps * 1e-2)
    w.close(status="completed")
    args = MultiDict([("type", "scalar"), ("objects", "benchlong"), ("metrics", "loss")])
    widget_impl(provider, args)  # warm (kernels, caches)
    t_widget = median_of(lambda: widget_impl(provider, args), 7)
    t_raw = median_of(lambda: st.task("benchlong").scalar("loss", "train"), 7)
    ratio = t_widget / t_raw
    check(ratio <= 1.0 or t_widget < 0.02, f"scalar widget {t_widget * 1e3:.1f} ms vs raw read {t_raw * 1e3:.1f} ms")
    check(t_widget < 0.2, f"scalar widget over {n:,} points took {t_widget * 1e3:.0f} ms; want < 200 ms")
    return [Row(f"scalar widget JSON, {n:,} pts", t_widget * 1e3, "ms", "< 200", f"{ratio:.2f}x raw read"),
            Row("raw TaskReader.scalar read (baseline)", t_raw * 1e3, "ms")]


def _bench_dynamic(st, provider, quick: bool) -> list[Row]:
    from ringlog.viewer.widget_query import parse_query, select_tasks

    n = 60 if quick else 500
    rng = np.random.default_rng(1)
    for i in range(n):
        w = st.create_task(project="bench-sweep", name=f"run-{i:04d}", tags=("sweep",))
        w.append(w.series_id("val", "acc"), np.arange(20, dtype=np.int64), rng.uniform(0, 1, 20), np.arange(20.0))
        w.close(status="completed")
    mid, vid = hashlib.md5(b"val").hexdigest(), hashlib.md5(b"acc").hexdigest()
    q = parse_query(MultiDict([("project", "bench-sweep"), ("tags[]", "sweep"), ("page_size", "5"),
                               ("order_by[]", f"-last_metrics.{mid}.{vid}.value")]))
    select_tasks(provider, q)
    t_query = median_of(lambda: select_tasks(provider, q), 5)
    t_rows = median_of(lambda: st.tasks(), 5)
    per_task = t_query / n
    check(per_task < 0.02, f"metric-ordered query: {per_task * 1e3:.2f} ms per task; want < 20 ms")
    return [Row(f"best-5 by md5 metric id over {n} tasks", t_query * 1e3, "ms", "< 20 ms/task",
                f"{per_task * 1e3:.2f} ms/task"),
            Row("catalog rows alone (baseline)", t_rows * 1e3, "ms")]


def run(quick: bool) -> list[Row]:
    from ringlog.store import Store
    from ringlog.viewer.provider import Provider

    shutil.rmtree(DATA, ignore_errors=True)
    try:
        st = Store(DATA)
        provider = Provider(st)
        rows = _bench_render(quick) + _bench_widget(st, provider, quick) + _bench_dynamic(st, provider, quick)
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
    print_table("reports and widgets" + (" (quick)" if quick else ""), rows)
    return rows
