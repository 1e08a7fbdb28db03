"""Print poster and wall-sheet pages to PDF with headless Chromium, so a 居委 worker can
print them without opening a browser.

The PDF is Chromium's own print of the page (``preferCSSPageSize``: poster.css sets A4),
so it is exactly what a reader gets from the browser's 打印 on the site. Pages are
opened from a local folder over ``file://``; any other request is refused. Chromium
stamps the current time into the PDF; we replace it with the sheet's 修订时间, so the
same catalogue gives byte-identical PDFs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)
#: How long one page may take to load, in milliseconds.
TIMEOUT_MS = 60_000

_ABSOLUTE_LINKS = """(base) => { for (const a of document.querySelectorAll('a[href]'))
    a.href = new URL(a.getAttribute('href'), base).href; }"""
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


class PdfError(Exception):
    """Printing is impossible here (no Chromium, no Playwright); the message says what to do."""


@dataclass(frozen=True)
class PrintJob:
    page: Path          # an HTML file inside the rendered folder
    pdf: Path           # where the PDF goes
    date: dt.date       # stamped into the PDF instead of the clock
    url: str            # the page's address on the published site, for the PDF's links


def _missing(why: str) -> PdfError:
    return PdfError(
        f"{why}：生成 PDF 需要它。请先安装（Debian/Ubuntu：sudo apt-get install chromium），"
        f"或用 --chromium 指定其位置；也可以用浏览器打开网站上的“打印张贴版”“上墙张贴版”页面直接打印")


@contextmanager
def chromium_browser(chromium: Path = CHROMIUM) -> Iterator[Any]:
    if not chromium.is_file():
        raise _missing(f"找不到 Chromium 浏览器（{chromium}）")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PdfError("缺少 Python 包 playwright：请运行 pip install playwright（无需下载浏览器，使用系统的 Chromium）") from None
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            raise _missing(f"无法启动 Chromium 浏览器 {chromium}（{str(exc).splitlines()[0]}）") from None
        try:
            yield browser
        except PlaywrightError as exc:
            raise PdfError(f"Chromium 打印失败：{str(exc).splitlines()[0]}") from None
        finally:
            browser.close()


def print_all(jobs: Sequence[PrintJob], chromium: Path = CHROMIUM) -> None:
    """Print every job's page to its PDF (one fresh browser tab each: no state carries over)."""
    with chromium_browser(chromium) as browser:
        context = browser.new_context(locale="zh-CN")
        # The pages are local files; nothing may be fetched from anywhere else.
        context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())
        try:
            for job in jobs:
                tab = context.new_page()
                try:
                    tab.goto(job.page.resolve().as_uri(), wait_until="load", timeout=TIMEOUT_MS)
                    # Links in the PDF lead to the published site, not to our temporary folder.
                    tab.evaluate(_ABSOLUTE_LINKS, job.url)
                    pdf = tab.pdf(prefer_css_page_size=True, print_background=True)
                finally:
                    tab.close()
                job.pdf.parent.mkdir(parents=True, exist_ok=True)
                job.pdf.write_bytes(stamp(pdf, job.date))
        finally:
            context.close()


def stamp(pdf: bytes, date: dt.date) -> bytes:
    """Replace Chromium's clock in the PDF's dates by ``date``, keeping every byte offset."""
    def replace(match: re.Match[bytes]) -> bytes:
        old = match.group(0)
        new = b"/" + match.group(1) + b" (D:" + date.strftime("%Y%m%d").encode() + b"000000"
        new += b"+00'00')"
        # Same length, or the PDF's cross-reference offsets would be wrong.
        return new if len(new) == len(old) else old
    return _PDF_DATE.sub(replace, pdf)


def count_pages(pdf: bytes) -> int:
    """Pages in a PDF as Chromium writes it (page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
