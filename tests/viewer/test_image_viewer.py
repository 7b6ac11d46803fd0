"""Issue 19, item 7, in real chromium: a sample image opens a full-size viewer; Left/Right walk the
iterations, Up/Down the image series (nearest iteration), Escape closes and gives the focus back;
the step × series grid lays the images out and opens the viewer at a cell."""

from __future__ import annotations


import pytest

from ringlog.store.testing import add_samples, image

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A = "a" * 32


WHERE = "() => { const d = document.getElementById('image-viewer'); return [d.open, d.dataset.series, Number(d.dataset.iteration)]; }"


def test_browse_images_with_the_keyboard_and_the_grid(live, app, pw):
    w = live[A]     # samples/input already has iteration 5; add 1..4 and a second series at 2 and 9
    add_samples(w, [image("samples", "input", i, caption=f"in <{i}>") for i in (1, 2, 3, 4)]
                + [image("samples", "output", i, caption=f"out {i}") for i in (2, 9)])
    w.sync()
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}#media")
        card = page.locator("#media .sample-card[data-series=input]")
        card.locator("img.opens-viewer").wait_for()
        card.locator("img.opens-viewer").focus()
        page.keyboard.press("Enter")                       # opens on the card's newest image
        assert page.evaluate(WHERE) == [True, "input", 5]
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert page.evaluate(WHERE) == [True, "input", 3]
        assert page.inner_text("#image-viewer .caption") == "in <3>"      # text, not markup
        assert page.locator("#image-viewer .caption b, #image-viewer .caption *").count() == 0
        page.keyboard.press("ArrowDown")                   # next image series, nearest iteration to 3
        assert page.evaluate(WHERE) == [True, "output", 2]
        page.keyboard.press("ArrowRight")
        assert page.evaluate(WHERE) == [True, "output", 9]
        page.keyboard.press("ArrowRight")                  # stays at the newest
        assert page.evaluate(WHERE)[2] == 9
        page.keyboard.press("ArrowUp")
        assert page.evaluate(WHERE) == [True, "input", 5]
        assert page.get_attribute("#image-viewer img", "src").startswith(f"/media/{A}/")   # the served file
        page.keyboard.press("Escape")
        assert page.evaluate(WHERE)[0] is False
        assert page.evaluate("document.activeElement.classList.contains('opens-viewer')")   # focus given back

        page.select_option("#media-view", "grid")
        page.wait_for_selector("#media-grid-table")
        assert page.locator("#media").is_hidden()
        heads = page.locator("#media-grid-table thead th").all_inner_texts()
        assert heads == ["iteration", "samples / input", "samples / output"]
        steps = page.evaluate("() => [...document.querySelectorAll('#media-grid-table tbody tr')].map(r => r.dataset.iteration)")
        assert steps == ["9", "5", "4", "3", "2", "1"]
        row2 = page.locator("#media-grid-table tr[data-iteration='2'] button.thumb")
        assert row2.count() == 2
        row2.nth(1).click()
        assert page.evaluate(WHERE) == [True, "output", 2]
        page.keyboard.press("Escape")
        assert page.locator("#media-grid-table tr[data-iteration='9'] td").nth(0).inner_text() == "–"
