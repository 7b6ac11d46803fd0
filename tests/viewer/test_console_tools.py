"""Issue 19, item 7, in real chromium: the console shows line numbers and (on demand) local times,
search highlights matches as <mark> around text (hostile text stays text), steps through them with
Enter, can hide the other lines, and the download link serves the whole console as text."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A = "a" * 32


def test_console_numbers_times_search_and_download(live, app, pw):
    live[A].media.add_console([(1.7e9 + 20.25, "stderr", "info", "\x1b[31mLINE <img src=x onerror=alert(1)>\x1b[0m tail"),
                               (1.7e9 + 21, "stdout", "info", "epoch 3 done")])
    live[A].sync()
    with pw.browser_page(app, timezone="Asia/Kolkata") as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}#console")
        page.wait_for_function("() => document.querySelectorAll('#console span.line').length === 12")
        gutter = page.evaluate("""() => { const s = document.querySelectorAll('#console span.line')[10];
            return [s.dataset.n, s.dataset.time, getComputedStyle(s, '::before').content]; }""")
        assert gutter[0] == "11" and gutter[1] == "03:43:40.250" and gutter[2] == '"11"'   # UTC 22:13:40 in +05:30
        page.check("#console-times")
        assert "03:43:40.250" in page.evaluate(
            "getComputedStyle(document.querySelectorAll('#console span.line')[10], '::before').content")
        assert "Asia/" in page.inner_text("#console-zone")   # chromium may say Calcutta
        page.fill("#console-filter", "line")          # 10 'line i' + 'LINE <img…>': case-insensitive
        page.wait_for_function("() => document.querySelectorAll('#console mark').length === 11")
        assert page.inner_text("#console-count") == "1 of 11"
        marks = page.evaluate("() => [...document.querySelectorAll('#console mark')].map(m => m.textContent)")
        assert marks[-1] == "LINE" and page.locator("#console img").count() == 0
        page.fill("#console-filter", "<img src=x")
        page.wait_for_function("() => document.querySelectorAll('#console mark').length === 1")
        assert page.locator("#console img").count() == 0
        assert page.evaluate("document.querySelector('#console mark').textContent") == "<img src=x"
        page.fill("#console-filter", "line 1")
        page.wait_for_function("() => document.querySelectorAll('#console mark').length === 1")
        page.fill("#console-filter", "e")
        page.wait_for_function("() => document.getElementById('console-count').textContent.startsWith('1 of')")
        page.press("#console-filter", "Enter")
        assert page.inner_text("#console-count").startswith("2 of")
        page.press("#console-filter", "Shift+Enter")
        assert page.inner_text("#console-count").startswith("1 of")
        page.fill("#console-filter", "epoch")
        page.check("#console-only")
        visible = page.evaluate("() => [...document.querySelectorAll('#console span.line')].filter(s => !s.hidden).length")
        assert visible == 1
        page.uncheck("#console-only")
        page.fill("#console-filter", "")
        assert page.locator("#console mark").count() == 0
        assert page.inner_text("#console").count("line ") == 10          # text put back whole
        with page.expect_download() as dl:
            page.click("#console-download")
        lines = Path(dl.value.path()).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 12 and lines[10].endswith("stderr\tLINE <img src=x onerror=alert(1)> tail")
