"""Issue 19, task table: All tasks has a project column (same-named runs of two projects differ),
and an API error replaces the rows (no "Loading…" forever, no stale rows under a rejected filter)."""

from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


ROWS = "() => [...document.querySelectorAll('#tasks tbody tr')].map(tr => [...tr.cells].map(c => c.innerText))"


def test_all_tasks_has_a_sortable_project_column_and_a_project_page_does_not(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        heads = page.locator("#tasks thead th").all_inner_texts()
        assert heads[1:4] == ["name", "project", "status"], heads
        rows = {r[1]: r[2] for r in page.evaluate(ROWS)}
        assert rows == {"resnet <b>50</b>": "vision", "other": "vision", "bert": "nlp"}
        page.locator("#tasks th", has_text="project").click()
        # the default sort ("updated") already has th.desc: wait for the project header to carry it
        # and for the re-sorted rows, not for any sorted header (that read the rows before the re-sort)
        page.wait_for_function("""() => {
            const th = [...document.querySelectorAll('#tasks th')].find(h => h.innerText.trim() === 'project');
            const rows = [...document.querySelectorAll('#tasks tbody tr')].map(tr => tr.cells[2]?.innerText);
            return th && th.classList.contains('desc') && rows.join() === 'vision,vision,nlp';
        }""")
        assert [r[2] for r in page.evaluate(ROWS)] == ["vision", "vision", "nlp"]
        page.goto(f"{srv.url}/projects/vision")
        page.wait_for_selector("#tasks tbody a")
        assert "project" not in page.locator("#tasks thead th").all_inner_texts()


def test_an_api_error_replaces_loading_and_the_old_rows(app, pw):
    with pw.browser_page(app, allow_errors=("400",)) as (srv, page, _):
        page.goto(f"{srv.url}/tasks#sort=bogus")          # the API refuses this sort key
        page.wait_for_selector("#tasks tbody td.error")
        assert "Loading" not in page.locator("#tasks").inner_text()
        assert "sort" in page.locator("#tasks tbody").inner_text()
        page.goto(f"{srv.url}/projects/vision")
        page.wait_for_selector("#tasks tbody a")
        page.fill("input[name=metric]", "loss:abc:")      # not a number: a 400
        page.click("button[type=submit]")
        page.wait_for_selector("#tasks tbody td.error")
        assert page.locator("#tasks tbody a").count() == 0
        assert not page.locator("#table-error").is_hidden()
        page.fill("input[name=metric]", "loss::1")        # a good filter brings rows back
        page.click("button[type=submit]")
        page.wait_for_selector("#tasks tbody a")
        assert page.locator("#table-error").is_hidden()
