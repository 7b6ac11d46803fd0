"""Issue 19, narrow screens: at 390 px the task page (every tab), compare and the task table do not
scroll sideways; wide content (tables, code) scrolls inside its own box."""

from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A, B = "a" * 32, "b" * 32
WIDTH = "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"


def test_pages_fit_390px(app, pw):
    wide = {}
    with pw.browser_page(app, width=390, height=844) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}")
        page.wait_for_selector(".chart-box[data-state=ready]")
        for tab in ("scalars", "plots", "media", "console", "config", "info", "summary", "artifacts"):
            page.click(f"nav.tabs button[data-tab={tab}]")
            page.wait_for_timeout(300)
            wide["task#" + tab] = max(page.evaluate(WIDTH))
        page.goto(f"{srv.url}/compare?ids={A},{B}")
        page.wait_for_selector(".chart-box[data-state=ready]")
        page.wait_for_timeout(300)
        wide["compare"] = max(page.evaluate(WIDTH))
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        wide["table"] = max(page.evaluate(WIDTH))
    assert all(w <= 390 for w in wide.values()), wide
