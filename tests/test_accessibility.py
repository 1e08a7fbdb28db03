"""Accessibility in a real browser: axe-core over every page type, the 无障碍浏览 toolbar
(大字, 高对比度, 朗读) with the keyboard, modes that persist, and pages that work without JS.

axe-core comes from the axe-playwright-python package (it ships axe.min.js); nothing is
fetched from the network.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.a11y_pages import PAGE_TYPES, guarded_tab, open_page, remember_modes

pytestmark = pytest.mark.browser

#: WCAG 2.0, 2.1 and 2.2, levels A and AA: what the site claims (see content/accessibility.md).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MODES = {"default": [], "large": ["large"], "contrast": ["contrast"], "large+contrast": ["large", "contrast"]}


def axe_violations(tab: Any, *, tags: list[str] | None = None, rules: list[str] | None = None) -> list[str]:
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": tags or WCAG_AA}
    results = Axe().run(tab, options={"runOnly": run_only, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            found.append(f"{violation['id']}: {violation['help']} at {node['target']}: {node.get('failureSummary', '')}")
    return found


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_axe_finds_no_wcag_aa_violation(browser, mini_server, kind, mode):
    with guarded_tab(browser) as tab:
        remember_modes(tab.context, MODES[mode])
        open_page(tab, mini_server.url, kind)
        assert axe_violations(tab) == []
        assert tab.outside_requests == []


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_high_contrast_mode_reaches_seven_to_one(browser, mini_server, kind):
    # axe's color-contrast-enhanced is WCAG AAA 1.4.6: 7:1 for text (4.5:1 when large). It only
    # reports ratios from 4.5:1 up (lower ones are left to color-contrast), so both rules run.
    with guarded_tab(browser) as tab:
        remember_modes(tab.context, ["contrast"])
        open_page(tab, mini_server.url, kind)
        assert "mode-contrast" in tab.evaluate("document.documentElement.className")
        assert axe_violations(tab, rules=["color-contrast", "color-contrast-enhanced"]) == []


def test_item_page_is_complete_without_javascript(browser, mini_server):
    with guarded_tab(browser, java_script_enabled=False) as tab:
        open_page(tab, mini_server.url, "item")
        fields = tab.locator("dl.fields")
        for label in ("一级事项", "二级事项", "公开内容（要素）", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
                      "公开对象", "公开方式", "公开层级"):
            assert fields.get_by_text(label, exact=True).is_visible(), label
        assert fields.get_by_text("区民政局、街道办事处").is_visible()
        assert tab.get_by_role("heading", level=1).inner_text() == "办事指南"
        # A toolbar that cannot work is not offered.
        assert not tab.locator("#a11y-bar").is_visible()


def test_withdrawn_item_says_so_and_links_its_replacement_without_javascript(browser, mini_server):
    with guarded_tab(browser, java_script_enabled=False) as tab:
        open_page(tab, mini_server.url, "withdrawn-item")
        notice = tab.locator(".notice-withdrawn")
        assert notice.get_by_text("本事项已撤销").is_visible()
        notice.get_by_role("link", name="办事指南").click()
        assert tab.url.endswith("/items/sa-dibao-guide/")


# --- the toolbar with the keyboard ---------------------------------------------------------


def _tab_until(tab: Any, predicate: str, limit: int = 15) -> int:
    """Press Tab until ``predicate`` (JS, on document.activeElement) holds; how many presses."""
    for presses in range(1, limit + 1):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"(el => {predicate})(document.activeElement)"):
            return presses
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_skip_link_comes_first_and_is_visible_when_focused(page, mini_server):
    page.goto(mini_server.url + PAGE_TYPES["item"])
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "跳到正文"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 24
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_keyboard_reaches_toolbar_and_enter_toggles_large_text(page, mini_server):
    page.goto(mini_server.url + PAGE_TYPES["item"])
    presses = _tab_until(page, "el.dataset.mode === 'large'")
    assert presses <= 3, "the toolbar should be among the first stops after the skip link"
    button = page.locator("#a11y-bar [data-mode=large]")
    assert button.evaluate("el => el.tagName") == "BUTTON"
    assert button.get_attribute("aria-pressed") == "false"
    # A visible focus indicator (WCAG 2.4.7).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= body_size * 1.2
    page.keyboard.press("Space")
    assert button.get_attribute("aria-pressed") == "false"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == body_size


FOCUS_STATE = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + Math.min(box.width / 2, 10), box.top + box.height / 2);
  return {
    name: (el.textContent || el.id || el.tagName).trim().slice(0, 20),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    seen: box.bottom > 0 && box.top < innerHeight && !!hit && (el === hit || el.contains(hit) || hit.contains(el)),
  };
}"""


@pytest.mark.parametrize("kind", ["home", "domain", "item", "withdrawn-item"])
def test_every_keyboard_stop_shows_a_focus_ring_and_is_not_hidden(page, mini_server, kind):
    # WCAG 2.4.7 (focus visible) and 2.4.11 (focus not obscured, e.g. by the table's sticky headers).
    open_page(page, mini_server.url, kind)
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        state = page.evaluate(FOCUS_STATE)
        assert state["ring"] and state["seen"], state
        stops.append(state["name"])
    assert "跳到正文" in stops[0] and len(stops) > 5


def test_high_contrast_toggles_with_keyboard_and_turns_page_dark(page, mini_server):
    page.goto(mini_server.url + PAGE_TYPES["item"])
    _tab_until(page, "el.dataset.mode === 'contrast'")
    page.keyboard.press("Enter")
    assert page.locator("#a11y-bar [data-mode=contrast]").get_attribute("aria-pressed") == "true"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(255, 255, 255)"


def test_modes_persist_across_navigation_and_apply_before_the_body_exists(page, mini_server):
    page.goto(mini_server.url + PAGE_TYPES["item"])
    page.locator("#a11y-bar [data-mode=large]").click()
    page.locator("#a11y-bar [data-mode=contrast]").click()
    # Record <html>'s classes the moment <body> is created: before anything can be painted.
    page.add_init_script("""
        new MutationObserver(function (records, observer) {
          if (document.body) { window.__classesAtBody = document.documentElement.className; observer.disconnect(); }
        }).observe(document, {childList: true, subtree: true});
    """)
    page.get_by_role("navigation", name="当前位置").get_by_role("link", name="社会救助").click()
    page.wait_for_url("**/domains/social-assistance/")
    at_body = page.evaluate("window.__classesAtBody").split()
    assert "mode-large" in at_body and "mode-contrast" in at_body
    for mode in ("large", "contrast"):
        assert page.locator(f"#a11y-bar [data-mode={mode}]").get_attribute("aria-pressed") == "true"
    # …and switching off persists too.
    page.locator("#a11y-bar [data-mode=large]").click()
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('mode-large')") is False
    assert page.evaluate("document.documentElement.classList.contains('mode-contrast')") is True


def test_site_script_is_a_blocking_head_script_and_there_is_no_inline_script(mini_site):
    html = (mini_site / "items" / "sa-dibao-guide" / "index.html").read_text(encoding="utf-8")
    head = html.split("</head>")[0]
    assert '<script src="../../assets/site.js"></script>' in head
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


# --- reading aloud -------------------------------------------------------------------------

FAKE_SPEECH = """
  window.__spoken = []; window.__cancelled = 0;
  Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang}); },
    cancel: function () { window.__cancelled++; },
    getVoices: function () { return []; }
  }});
"""


def test_read_aloud_speaks_the_main_content_in_chinese_and_stops(page, mini_server):
    page.add_init_script(FAKE_SPEECH)
    page.goto(mini_server.url + PAGE_TYPES["item"])
    read = page.get_by_role("button", name="朗读", exact=True)
    stop = page.get_by_role("button", name="停止朗读", exact=True)
    assert read.is_visible() and not stop.is_visible()
    read.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken and {u["lang"] for u in spoken} == {"zh-CN"}
    text = "".join(u["text"] for u in spoken)
    assert "办事指南" in text and "区民政局" in text
    assert "测试区人民政府办公室" not in text, "only the main content is read, not the footer"
    assert read.get_attribute("aria-pressed") == "true" and stop.is_visible()
    stop.click()
    assert page.evaluate("window.__cancelled") >= 1
    assert not stop.is_visible() and read.get_attribute("aria-pressed") == "false"


def test_read_aloud_is_not_offered_where_the_browser_cannot_speak(page, mini_server):
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: undefined});")
    page.goto(mini_server.url + PAGE_TYPES["item"])
    assert page.locator("#a11y-bar").is_visible()
    assert page.get_by_role("button", name="大字", exact=True).is_visible()
    assert page.locator("#a11y-bar .a11y-speak:visible").count() == 0


# --- structure screen readers rely on --------------------------------------------------------


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_landmarks_and_heading_order(page, mini_server, kind):
    open_page(page, mini_server.url, kind)
    assert page.locator("main").count() == 1
    assert page.get_by_role("heading", level=1).count() == 1
    levels = page.evaluate("[...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]"
                           ".map(h => +h.tagName[1])")
    assert levels and levels[0] == 1
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}: {levels}"
    # Every navigation landmark has its own name, so a screen reader's landmark list tells them apart.
    names = page.evaluate("[...document.querySelectorAll('nav')].map(n => n.getAttribute('aria-label') || n.getAttribute('aria-labelledby'))")
    assert all(names) and len(set(names)) == len(names)


@pytest.mark.parametrize("width", [1280, 320])
def test_catalogue_table_keeps_its_semantics_when_it_reflows(page, mini_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(mini_server.url + PAGE_TYPES["domain"])
    table = page.locator("table.catalogue")
    assert table.locator("caption").count() == 1
    assert table.locator("th:not([scope])").count() == 0
    # What Chromium hands to screen readers: still a table with headers, however it is laid out.
    session = page.context.new_cdp_session(page)
    roles = [node.get("role", {}).get("value") for node in session.send("Accessibility.getFullAXTree")["nodes"]]
    assert roles.count("table") == 1
    assert roles.count("columnheader") >= 7 and roles.count("rowheader") >= 2 and roles.count("cell") >= 6
