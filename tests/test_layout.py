"""Layout a reader notices: 320 px phones and 200% zoom without sideways scrolling, text and
targets big enough (适老化), nothing that moves or pops up, print styles, and a light page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.a11y_pages import PAGE_TYPES, guarded_tab, open_page, remember_modes

pytestmark = pytest.mark.browser

#: An item page (the page a QR code opens, often on slow mobile data): HTML + CSS budget.
ITEM_PAGE_BUDGET = 30 * 1024

OVERFLOW = "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"

#: WCAG 1.4.12 (text spacing): the user style sheet the success criterion names.
TEXT_SPACING = """
  * { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
  p { margin-bottom: 2em !important; }
"""


@pytest.mark.parametrize("mode", ["default", "large"])
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_no_horizontal_scrolling_at_320px(browser, mini_server, kind, mode):
    with guarded_tab(browser, viewport={"width": 320, "height": 640}) as tab:
        remember_modes(tab.context, ["large"] if mode == "large" else [])
        open_page(tab, mini_server.url, kind)
        assert tab.evaluate(OVERFLOW) <= 0, _widest(tab)


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_readable_at_200_percent_zoom(browser, mini_server, kind):
    # A 1280×720 window zoomed to 200% lays the page out in 640×360 CSS pixels.
    with guarded_tab(browser, viewport={"width": 640, "height": 360}, device_scale_factor=2) as tab:
        open_page(tab, mini_server.url, kind)
        assert tab.evaluate(OVERFLOW) <= 0, _widest(tab)
        assert tab.locator("h1").first.is_visible()


@pytest.mark.parametrize("kind", ["home", "domain", "community", "item"])
def test_large_text_mode_fits_every_screen_width(browser, mini_server, kind):
    # 大字 enlarges the root font, which media queries do not see: the layout must still fit.
    for width in (480, 768, 1024, 1280):
        with guarded_tab(browser, viewport={"width": width, "height": 800}) as tab:
            remember_modes(tab.context, ["large"])
            open_page(tab, mini_server.url, kind)
            assert tab.evaluate(OVERFLOW) <= 0, (width, _widest(tab))


@pytest.mark.parametrize("kind", ["home", "domain", "item", "content-accessibility"])
def test_wider_text_spacing_still_fits(browser, mini_server, kind):
    # WCAG 1.4.12: readers' own line, letter, word and paragraph spacing loses nothing
    # (screen-reader-only text, 1 px wide by design, aside).
    for width in (320, 1280):
        with guarded_tab(browser, viewport={"width": width, "height": 800}) as tab:
            open_page(tab, mini_server.url, kind)
            tab.add_style_tag(content=TEXT_SPACING)
            assert tab.evaluate(OVERFLOW) <= 0, (width, _widest(tab))
            clipped = tab.evaluate("""[...document.querySelectorAll('main *')].filter(el => {
                const s = getComputedStyle(el);
                return s.overflow === 'hidden' && el.clientWidth > 1 && el.scrollHeight > el.clientHeight + 1 && el.checkVisibility();
              }).map(el => el.tagName)""")
            assert clipped == []


def _widest(tab: Any) -> list[str]:
    """The elements that stick out to the right, for a readable failure."""
    return tab.evaluate("""() => {
      const limit = document.scrollingElement.clientWidth;
      return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > limit + 0.5)
        .slice(-5).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right));
    }""")


def test_chinese_text_has_no_stray_spaces_where_the_source_wrapped(mini_site):
    # Editors wrap long Chinese paragraphs in Markdown; a browser would show each break as a space.
    html = (mini_site / "guide" / "index.html").read_text(encoding="utf-8")
    assert "2019年4月3日国务院令第711号修订，自2019年5月15日起施行" in html


# --- 适老化: text and target sizes ------------------------------------------------------------

SMALLEST_TEXT = """() => {
  let smallest = [1000, ''];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility() || el.closest('.visually-hidden, thead')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < smallest[0]) smallest = [size, node.textContent.trim().slice(0, 20)];
  }
  return smallest;
}"""

TIGHTEST_LINES = """() => {
  let tightest = [10, ''];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility() || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.lineHeight === 'normal') continue;
    const ratio = parseFloat(style.lineHeight) / parseFloat(style.fontSize);
    if (ratio < tightest[0]) tightest = [ratio, el.tagName + ' ' + el.textContent.trim().slice(0, 20)];
  }
  return tightest;
}"""


@pytest.mark.parametrize("kind", ["home", "domain", "community", "item", "withdrawn-item", "search-results",
                                  "content-accessibility", "404"])
def test_text_sizes_and_line_spacing(browser, mini_server, kind):
    for modes, body_min, any_min in (([], 18, 14), (["large"], 22, 18)):
        with guarded_tab(browser) as tab:
            remember_modes(tab.context, modes)
            open_page(tab, mini_server.url, kind)
            assert tab.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= body_min
            size, text = tab.evaluate(SMALLEST_TEXT)
            assert size >= any_min, f"{modes}: “{text}” is {size}px"
            ratio, where = tab.evaluate(TIGHTEST_LINES)
            assert ratio >= 1.3, f"{modes}: line spacing {ratio:.2f} at {where}"


TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.checkVisibility())
  .map(el => { const r = el.getBoundingClientRect(); return [el.textContent.trim() || el.name || el.id, r.width, r.height]; })"""


@pytest.mark.parametrize("kind", ["home", "item", "search-results", "404"])
def test_controls_are_big_enough_to_hit(browser, mini_server, kind):
    # Primary controls ≥ 44 px (适老化 general pages), ≥ 60 px in 大字 mode; links in lists ≥ 24 px (WCAG 2.5.8).
    for modes, control_min in (([], 44), (["large"], 60)):
        with guarded_tab(browser, viewport={"width": 390, "height": 800}) as tab:
            remember_modes(tab.context, modes)
            open_page(tab, mini_server.url, kind)
            controls = tab.evaluate(TARGETS, "button, input:not([type=hidden]), select, .site-nav a")
            assert controls
            for name, width, height in controls:
                assert height >= control_min and width >= 24, f"{modes}: “{name}” is {width:.0f}×{height:.0f}"
            for name, width, height in tab.evaluate(TARGETS, "nav a, .cards a, .site-footer a"):
                assert height >= 24, f"{modes}: link “{name}” is {height:.0f}px tall"


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_nothing_moves_or_pops_up_and_no_web_fonts(page, mini_server, kind):
    open_page(page, mini_server.url, kind)
    page.wait_for_timeout(300)
    assert page.evaluate("document.getAnimations().length") == 0
    assert page.locator("marquee, blink, video[autoplay], audio[autoplay], dialog[open]").count() == 0
    fixed = page.evaluate("[...document.querySelectorAll('body *')].filter(el => getComputedStyle(el).position === 'fixed').length")
    assert fixed == 0, "no overlays or floating windows"
    assert page.evaluate("document.fonts.size") == 0, "system fonts only"
    assert page.outside_requests == []


def test_reduced_motion_is_honoured(browser, mini_server):
    with guarded_tab(browser, reduced_motion="reduce") as tab:
        open_page(tab, mini_server.url, "home")
        tab.add_style_tag(content="h1 { transition: color 5s; animation: spin 5s infinite; } @keyframes spin { to { opacity: .5 } }")
        assert tab.evaluate("getComputedStyle(document.querySelector('h1')).animationName") == "none"


# --- print ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_print_shows_content_in_ink_without_the_screen_controls(browser, mini_server, kind):
    with guarded_tab(browser) as tab:
        remember_modes(tab.context, ["contrast", "large"])  # whatever the screen mode, paper is black on white
        open_page(tab, mini_server.url, kind)
        tab.emulate_media(media="print")
        for selector in ("#a11y-bar", ".skip-link", ".site-nav", ".search-form"):
            assert all(not el.is_visible() for el in tab.locator(selector).all()), selector
        # The page's title prints (the poster prints its sheet, whose title is an h2, instead of its screen h1).
        heading = tab.locator("main h1:visible, main h2:visible").first
        assert heading.is_visible()
        assert heading.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
        assert tab.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        assert tab.evaluate("getComputedStyle(document.documentElement).fontSize") == "14.6667px"  # 11pt
        pdf = tab.pdf(format="A4")
        assert pdf.startswith(b"%PDF")


# --- weight --------------------------------------------------------------------------------


def test_item_page_is_light(page, mini_server, record_property):
    sizes: dict[str, int] = {}

    def collect(response: Any) -> None:
        kind = response.request.resource_type
        sizes[kind] = sizes.get(kind, 0) + len(response.body())

    page.on("response", collect)
    open_page(page, mini_server.url, "item")
    page.wait_for_load_state("networkidle")
    html_css = sizes.get("document", 0) + sizes.get("stylesheet", 0)
    record_property("item_page_bytes", sizes)
    print(f"item page: HTML {sizes.get('document', 0)} B + CSS {sizes.get('stylesheet', 0)} B = {html_css} B; "
          f"JS {sizes.get('script', 0)} B; other {sum(v for k, v in sizes.items() if k not in ('document', 'stylesheet', 'script'))} B")
    assert html_css < ITEM_PAGE_BUDGET, sizes
    assert "font" not in sizes
    assert page.outside_requests == []
