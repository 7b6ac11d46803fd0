"""Issue 19, console: ANSI colour codes are rendered as coloured spans (text only, never HTML) and no
raw escape code is shown (real chromium)."""

from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A = "a" * 32
ESC = "\x1b"


def test_console_renders_ansi_colours_as_text_spans(live, app, pw):
    w = live[A]
    w.media.add_console([
        (1.7e9 + 20, "stdout", "info", f"{ESC}[31mred{ESC}[0m plain {ESC}[1;32mbold green{ESC}[39m still bold"),
        (1.7e9 + 21, "stdout", "info", f"{ESC}[38;5;208morange{ESC}[0m {ESC}[38;2;10;20;30mrgb{ESC}[m"),
        (1.7e9 + 22, "stderr", "info", f"{ESC}[34m<img src=x onerror=alert(1)>{ESC}[0m{ESC}[2K{ESC}]0;title{ESC}\\done"),
        (1.7e9 + 23, "stdout", "info", f"50%{ESC}[1A{ESC}[?25l|{ESC}(B ok"),
    ])
    w.sync()
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}#console")
        page.wait_for_function("() => document.querySelectorAll('#console span.line').length >= 14")
        text = page.locator("#console").inner_text()
        assert ESC not in text and "[31m" not in text and "[0m" not in text and "]0;" not in text
        spans = page.evaluate("""() => [...document.querySelectorAll('#console span.line span')].map(s =>
            [s.className, s.textContent, s.style.color, getComputedStyle(s).color])""")
        by_text = {t.strip(): (c, inline, comp) for c, t, inline, comp in spans}
        assert by_text["red"][0] == "ansi-fg-1"
        assert by_text["bold green"][0] == "ansi-fg-2 ansi-bold"
        assert by_text["still bold"][0] == "ansi-bold"
        assert by_text["orange"][1] == "rgb(255, 135, 0)" and by_text["rgb"][1] == "rgb(10, 20, 30)"
        assert by_text["red"][2] != by_text["bold green"][2]            # colours really differ
        assert "<img src=x onerror=alert(1)>" in by_text                 # shown as text
        assert page.locator("#console img").count() == 0
        assert "done" in text and "50%| ok" in text
