"""Issue 19, debug samples: a live refresh keeps the iteration the user picked on the slider and does
not rebuild the shown image (no flicker); a slider left on the newest sample follows new ones."""

from __future__ import annotations


import pytest

from ringlog.store.testing import add_samples, image

pytestmark = [pytest.mark.browser, pytest.mark.slow]
B = "b" * 32


SLIDER = "#media .sample-card input[type=range]"


def _set(page, value):
    page.evaluate(f"""v => {{ const s = document.querySelector('{SLIDER}'); s.value = String(v);
                             s.dispatchEvent(new Event('input')); }}""", value)


def _add(w, *iterations):
    add_samples(w, [image("samples", "input", i, caption=f"it {i}") for i in iterations])
    w.sync()


def test_live_refresh_keeps_the_picked_sample_and_its_element(live, store, pw):
    from ringlog.viewer import create_app

    w = live[B]                                   # B is running: the page polls it
    _add(w, 1, 2, 3)
    app = create_app(store.root, config={"RINGLOG_STORE": store, "RINGLOG_POLL_MS": 250})
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{B}#media")
        page.wait_for_selector("#media .sample img")
        assert page.locator(SLIDER).input_value() == "2"
        _set(page, 0)
        assert page.locator("#media .iter").inner_text() == "iteration 1"
        page.evaluate("() => { document.querySelector('#media .sample img').dataset.mark = 'kept'; }")
        _add(w, 4, 5)
        page.wait_for_function(f"() => document.querySelector('{SLIDER}').max === '4'", timeout=10_000)
        assert page.locator(SLIDER).input_value() == "0"
        assert page.locator("#media .iter").inner_text() == "iteration 1"
        assert page.locator("#media .sample img").get_attribute("data-mark") == "kept"   # not rebuilt
        assert page.locator("#media .caption").inner_text() == "it 1"
        _set(page, 4)                                 # back on the newest: follow new samples
        _add(w, 6)
        page.wait_for_function(f"() => document.querySelector('{SLIDER}').max === '5'", timeout=10_000)
        assert page.locator(SLIDER).input_value() == "5"
        page.wait_for_function("() => document.querySelector('#media .iter').innerText === 'iteration 6'")
