"""Issue 19, item 8, in real chromium: every text of the table and task pages (tabs, Info, Console,
Debug samples) reaches WCAG AA contrast (4.5:1) in the light and the system dark theme, and the
task page's tabs are WAI-ARIA tabs (selected state, one tab stop, arrow keys, Home/End)."""

from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A = "a" * 32


# every visible HTML element holding text of its own (not plotly's SVG, not disabled controls):
# its colour against the first opaque background up the tree
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = el => { for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0.5) return c; }
    return rgb(getComputedStyle(document.documentElement).backgroundColor).length ? [255, 255, 255] : [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, .js-plotly-plot, [hidden], option") || el.disabled) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.nodeValue.trim())) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
    const f = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
    const ratio = (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05);
    if (ratio < 4.5) bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_passes_wcag_aa(app, scheme, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        page.click("#col-chooser summary")
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (bg == "rgb(20, 23, 29)") == (scheme == "dark")
        bad = page.evaluate(LOW_CONTRAST)
        for tab in ("info", "console", "media", "config"):
            page.goto(f"{srv.url}/tasks/{A}#{tab}")
            page.wait_for_selector(f"#tab-{tab}:not([hidden])")
            page.wait_for_timeout(300)
            bad += [f"{tab}: {b}" for b in page.evaluate(LOW_CONTRAST)]
        assert not bad, bad


def test_task_tabs_are_aria_tabs_with_arrow_keys(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}#info")
        page.wait_for_selector("#tab-info:not([hidden])")
        sel = "() => [...document.querySelectorAll('nav.tabs [role=tab]')].filter(b => b.getAttribute('aria-selected') === 'true').map(b => [b.dataset.tab, b.tabIndex])"
        assert page.evaluate(sel) == [["info", 0]]
        assert page.evaluate("document.querySelectorAll('nav.tabs [role=tab][tabindex=\"0\"]').length") == 1
        assert page.get_attribute("#tab-info", "role") == "tabpanel"
        assert page.get_attribute("#tab-info", "aria-labelledby") == "tabbtn-info"
        page.focus("#tabbtn-info")
        page.keyboard.press("ArrowRight")
        assert page.evaluate(sel) == [["summary", 0]] and page.is_visible("#tab-summary")
        assert page.evaluate("document.activeElement.id") == "tabbtn-summary"
        page.keyboard.press("Home")
        assert page.evaluate(sel) == [["scalars", 0]]
        page.keyboard.press("ArrowLeft")                   # wraps to the last tab
        assert page.evaluate(sel) == [["artifacts", 0]]
