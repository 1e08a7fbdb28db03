"""Every kind of page the site has, one URL each, and how to open it for the browser checks
(axe, 320 px, no JavaScript, keyboard) in tests/test_accessibility.py and tests/test_layout.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: One URL (under the served prefix) for each page type of the mini fixture site.
PAGE_TYPES: dict[str, str] = {
    "home": "",
    "domain": "domains/social-assistance/",
    "community": "community/neighbourhood-committee/",
    "item": "items/sa-dibao-guide/",
    "withdrawn-item": "items/sa-dibao-old-guide/",
    "poster": "items/sa-dibao-guide/poster/",
    "search-results": "search/?q=低保",
    "404": "no-such-page/",
    # Every shipped content page (关于本站, 政府信息公开指南, 无障碍声明 …).
    **{f"content-{p.stem}": f"{p.stem}/" for p in sorted((ROOT / "content").glob("*.md"))},
}

#: The reader's saved choices, as site.js stores them in localStorage.
MODES_KEY = "gkml-modes"


def open_page(tab: Any, base_url: str, kind: str) -> Any:
    """Go to the page of type ``kind``; for search, wait until the results are on screen."""
    response = tab.goto(base_url + PAGE_TYPES[kind])
    if kind == "search-results":
        # Results come from the client-side index: wait for the expected item's link.
        tab.wait_for_selector('main a[href*="items/sa-dibao-guide"]', timeout=15_000)
    return response


def remember_modes(context: Any, modes: list[str]) -> None:
    """Start every page of ``context`` as if the reader had chosen ``modes`` earlier."""
    context.add_init_script(f"try {{ localStorage.setItem({json.dumps(MODES_KEY)}, {json.dumps(json.dumps(modes))}); }} catch (e) {{}}")


@contextmanager
def guarded_tab(browser: Any, **options: Any) -> Iterator[Any]:
    """A tab in a fresh context with ``options`` (javascript off, a viewport …) that, like
    conftest's ``page``, refuses and records every request leaving 127.0.0.1."""
    context = browser.new_context(locale="zh-CN", **options)
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.outside_requests = outside
    try:
        yield tab
    finally:
        context.close()
