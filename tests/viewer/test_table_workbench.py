"""Issue 19, item 5, in real chromium: find a run by tag and series figure, sort with the keyboard
(aria-sort), choose/pin/reorder columns and keep them over a reload (per project), select all,
export the shown table as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A, B, C = "a" * 32, "b" * 32, "c" * 32


IDS = "() => [...document.querySelectorAll('#tasks tbody tr')].map(tr => tr.dataset.id)"
HEADS = "() => [...document.querySelectorAll('#tasks thead th')].slice(1).map(th => th.dataset.col)"


def test_find_by_tag_and_series_figure_then_sort_with_the_keyboard(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        page.fill("input[name=tag]", "baseline")
        page.fill("input[name=metric]", "max.lr/group0:0.1:")   # a ClearML series' max: only A has it
        page.press("input[name=metric]", "Enter")
        page.wait_for_function(f"() => document.querySelectorAll('#tasks tbody tr').length === 1")
        assert page.evaluate(IDS) == [A]
        page.fill("input[name=metric]", "")
        page.fill("input[name=tag]", "")
        page.press("input[name=tag]", "Enter")
        page.wait_for_function("() => document.querySelectorAll('#tasks tbody tr').length === 3")
        # keyboard only: focus the 'name' header's button, Enter sorts descending, Enter again ascending
        page.focus("#tasks th[data-col=name] button")
        page.keyboard.press("Enter")
        page.wait_for_selector("#tasks th[data-col=name][aria-sort=descending]")
        assert page.evaluate(IDS) == [A, B, C]     # 'resnet…' > 'other' > 'bert'
        assert page.evaluate("document.activeElement.closest('th').dataset.col") == "name"  # focus kept
        page.keyboard.press("Space")
        page.wait_for_selector("#tasks th[data-col=name][aria-sort=ascending]")
        assert page.evaluate(IDS) == [C, B, A]
        assert page.get_attribute("#tasks th[data-col=status]", "aria-sort") == "none"


def test_columns_chosen_pinned_and_reordered_survive_a_reload_per_project(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/projects/vision")
        page.wait_for_selector("#tasks tbody a")
        assert "min.loss" not in page.evaluate(HEADS)          # series figures are offered, not shown
        page.click("#col-chooser summary")
        page.fill("#col-filter", "loss (min)")
        page.check("#col-list li[data-col='min.loss'] input")
        page.fill("#col-filter", "")
        page.uncheck("#col-list li[data-col=tags] input")
        page.click("#col-list li[data-col=status] button.pin")
        page.click("#col-list li[data-col=duration] button[aria-label='move duration left']")
        # the list is rebuilt under the keyboard: the same button keeps the focus, so Enter moves again
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "move duration left"
        page.keyboard.press("Enter")
        heads = page.evaluate(HEADS)
        assert heads[:2] == ["status", "name"] and "tags" not in heads and "min.loss" in heads
        assert heads.index("duration") < heads.index("created")      # moved left twice, past updated and created
        page.wait_for_function("() => document.querySelector('#tasks td.pinned:not(.select)') !== null")
        sticky = page.evaluate("getComputedStyle(document.querySelector('#tasks th.pinned[data-col=status]')).position")
        assert sticky == "sticky"
        cell = page.locator(f"#tasks tr[data-id='{A}'] td").nth(heads.index("min.loss") + 1).inner_text()
        assert float(cell) < 0.5
        page.reload()
        page.wait_for_selector("#tasks tbody a")
        assert page.evaluate(HEADS) == heads
        page.goto(f"{srv.url}/projects/nlp")                   # another project keeps its own columns
        page.wait_for_selector("#tasks tbody a")
        assert "tags" in page.evaluate(HEADS) and page.evaluate(HEADS)[0] == "name"


def test_select_all_and_export_the_shown_table_as_csv(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/projects/vision")
        page.wait_for_selector("#tasks tbody a")
        page.check("#select-all")
        assert page.inner_text("#compare-btn") == "Compare selected (2)"
        page.uncheck(f"#tasks tr[data-id='{B}'] input.row-select")
        assert page.evaluate("document.getElementById('select-all').indeterminate")
        page.click("#col-chooser summary")
        page.uncheck("#col-list li[data-col=created] input")
        with page.expect_download() as dl:
            page.click("#export-csv")
        text = Path(dl.value.path()).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:3] == ["id", "name", "status"] and "created" not in rows[0]
        byid = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
        assert set(byid) == {A, B} and byid[A]["name"] == "resnet <b>50</b>"
        assert byid[A]["loss"] == "0.25" and byid[A]["lr"] == "0.1"


def test_group_by_wandb_group_folds_and_is_remembered(live, store, app, pw):
    from ringlog.store.testing import write_task

    for i, (tid, group) in enumerate((("d" * 32, "sweep-7"), ("e" * 32, "sweep-7"), ("f" * 32, "sweep-8"))):
        w = write_task(store, "vision", f"g{i}", task_id=tid, close=False, created=1.8e9 + i, updated=1.8e9 + i)
        w.set_meta(init_args={"group": group, "job_type": "train"})
        w.close(status="completed")
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/projects/vision")
        page.wait_for_selector("#tasks tbody a")
        page.select_option("#group-by", "group")
        heads = page.locator("#tasks tr.group-row button.group-toggle").all_inner_texts()
        assert heads == ["▾ group: sweep-8 · 1 task", "▾ group: sweep-7 · 2 tasks", "▾ group: (none) · 2 tasks"], heads
        page.click("#tasks tr.group-row[data-group=sweep-7] button")
        assert page.get_attribute("#tasks tr.group-row[data-group=sweep-7] button", "aria-expanded") == "false"
        assert page.locator("#tasks tr[data-group=sweep-7][data-id]:not([hidden])").count() == 0
        page.reload()
        page.wait_for_selector("#tasks tr.group-row")
        assert page.input_value("#group-by") == "group"
