"""Shared fixtures: built sites, a local web server under a path prefix, and a real Chromium.

Browser tests use Debian's Chromium (``/usr/bin/chromium``) through Playwright; no browser
is ever downloaded. They are marked ``browser`` and skipped, with a reason, only where no
Chromium is installed; ``.ci/run`` installs it, so CI always runs them.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from generator import template_cache
from generator.build import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"
CHROMIUM = Path("/usr/bin/chromium")
#: The prefix every test site is served under, as a real district site would be.
PREFIX = "/gkml/"


def build_site(catalog: Path, out: Path, content: Path | None = None, **options: object) -> Path:
    options.setdefault("jobs", 1)
    build(BuildOptions(catalog=catalog, content=content, out=out, **options))  # type: ignore[arg-type]
    return out


#: Jinja's own per-user folder for compiled templates (the tests keep theirs apart, below).
USERS_TEMPLATE_FOLDER = template_cache.user_folder


@pytest.fixture(scope="session", autouse=True)
def _compiled_templates_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' builds keep compiled templates in a folder of the session, not the user's:
    their themes live in temporary folders, each a set of its own."""
    folder = tmp_path_factory.mktemp("compiled-templates")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(template_cache, "user_folder", lambda: str(folder))
        yield


@pytest.fixture(scope="session")
def mini_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small fixture catalogue, built once with the shipped content pages."""
    return build_site(MINI, tmp_path_factory.mktemp("mini") / "site", ROOT / "content")


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue shipped in catalog/, built as the README's quick start builds it."""
    return build_site(ROOT / "catalog", tmp_path_factory.mktemp("shipped") / "site", ROOT / "content", jobs=0)


def copy_catalog(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# --- a local web server that serves a build under PREFIX -------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    site_root: Path
    #: Body bytes sent, by request path (a file the browser revalidates costs none): what a
    #: resident's phone downloads. Filled only when a caller asks (tests/perf/search_cost.py).
    sent: dict[str, int] | None = None

    def copyfile(self, source: Any, outputfile: Any) -> None:
        if self.sent is not None:
            size = os.fstat(source.fileno()).st_size
            self.sent[self.path] = self.sent.get(self.path, 0) + size
        super().copyfile(source, outputfile)

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        if not path.startswith(PREFIX):
            return str(self.site_root / "__outside_prefix__")
        return str(self.site_root / path[len(PREFIX):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.site_root / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, *args: object) -> None:  # keep test output readable
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class Served:
    root: Path
    url: str   # "http://127.0.0.1:PORT/gkml/"


def serve(root: Path, sent: dict[str, int] | None = None) -> Iterator[Served]:
    handler = type("Handler", (_Handler,), {"site_root": root, "sent": sent})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(root, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def mini_server(mini_site: Path) -> Iterator[Served]:
    yield from serve(mini_site)


@pytest.fixture(scope="session")
def shipped_server(shipped_site: Path) -> Iterator[Served]:
    yield from serve(shipped_site)


# --- a real headless Chromium ------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (own context: no stored preferences) that refuses every request off 127.0.0.1."""
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    outside: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    tab = context.new_page()
    tab.outside_requests = outside  # type: ignore[attr-defined]
    yield tab
    context.close()
