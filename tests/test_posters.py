"""Notice-board sheets: the item poster (one A4 page, every field a resident needs, a large
QR code) and the wall sheets (every active item with its code, cards never split across
pages), printed by a real Chromium; and ``gkml posters``, which writes them as PDF."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.poster_pdf import count_pages

from .conftest import MINI, build_site, copy_catalog, serve
from .helpers import gkml, replace_in

#: A4 less poster.css's 12 mm margins, in CSS pixels (96 per inch).
PAGE_HEIGHT_PX = (297 - 24) / 25.4 * 96
PAGE_WIDTH_PX = (210 - 24) / 25.4 * 96
CM_PX = 96 / 2.54


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.lang: str | None = None
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts))


def _read(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# --- the item poster, as HTML -------------------------------------------------------------


def test_poster_shows_what_a_resident_needs(mini_site: Path) -> None:
    page = _read(mini_site / "items/sa-dibao-guide/poster/index.html")
    assert page.lang == "zh-CN"
    text = page.text
    for expected in ("办事指南", "一级事项", "最低生活保障", "公开主体", "区民政局、街道办事处",
                     "公开时限", "制定或获取信息之日起10个工作日内", "公开渠道", "政府网站、政务服务中心、便民服务站",
                     "用手机扫描二维码查看本事项的详细内容",
                     "https://example.gov.cn/gkml/items/sa-dibao-guide/",   # to type by hand
                     "测试区人民政府办公室", "修订时间", "2020年12月16日"):
        assert expected in text, expected
    codes = [img for img in page.images if (img.get("src") or "").endswith("qr.svg")]
    assert len(codes) == 1 and codes[0]["src"] == "../../../items/sa-dibao-guide/qr.svg"
    assert "https://example.gov.cn/gkml/items/sa-dibao-guide/" in (codes[0].get("alt") or "")
    html = (mini_site / "items/sa-dibao-guide/poster/index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.gov.cn/gkml/items/sa-dibao-guide/">' in html


def test_poster_points_to_the_scan_help_page_only_where_the_site_has_one(mini_site: Path, tmp_path: Path) -> None:
    help_line = "二维码打不开？请看网站上的“扫码帮助”（https://example.gov.cn/gkml/scan-help/）"
    assert help_line in _read(mini_site / "items/sa-dibao-guide/poster/index.html").text
    assert (mini_site / "scan-help/index.html").is_file()
    bare = build_site(MINI, tmp_path / "bare")            # no content pages: no such page to name
    text = _read(bare / "items/sa-dibao-guide/poster/index.html").text
    assert "扫码帮助" not in text and "用手机扫描二维码查看本事项的详细内容" in text


def test_withdrawn_item_keeps_a_poster_saying_so(mini_site: Path) -> None:
    html = (mini_site / "items/sa-dibao-old-guide/poster/index.html").read_text(encoding="utf-8")
    text = _read(mini_site / "items/sa-dibao-old-guide/poster/index.html").text
    assert "本事项已撤销" in text
    assert "2021年1月1日" in text and "并入新版办事指南" in text
    assert "修订时间：2021年1月1日" in text, "the withdrawal is the item's latest revision"
    assert 'href="../../../items/sa-dibao-guide/"' in html
    assert "https://example.gov.cn/gkml/items/sa-dibao-guide/" in text


def test_catalogue_page_links_its_wall_sheet(mini_site: Path) -> None:
    html = (mini_site / "community/neighbourhood-committee/index.html").read_text(encoding="utf-8")
    assert 'href="../../posters/neighbourhood-committee/"' in html
    assert (mini_site / "posters/neighbourhood-committee/index.html").is_file()


def test_wall_sheet_lists_active_items_only(mini_site: Path) -> None:
    html = (mini_site / "posters/social-assistance/index.html").read_text(encoding="utf-8")
    assert "items/sa-dibao-guide/qr.svg" in html
    assert "sa-dibao-old-guide" not in html, "a withdrawn item leaves the wall sheets"


# --- printed by Chromium -------------------------------------------------------------------


def _pdf(tab: Any, url: str) -> bytes:
    tab.goto(url)
    return tab.pdf(prefer_css_page_size=True, print_background=True)


def _media_box(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert match
    return float(match.group(1)), float(match.group(2))


@pytest.mark.browser
def test_every_poster_prints_on_exactly_one_a4_page(mini_server: Any, page: Any) -> None:
    for item in ("edu-enrolment-policy", "edu-catchment", "sa-dibao-guide", "sa-dibao-old-guide",
                 "jw-members", "jw-funds"):
        pdf = _pdf(page, f"{mini_server.url}items/{item}/poster/")
        assert pdf.startswith(b"%PDF")
        assert count_pages(pdf) == 1, item
        width, height = _media_box(pdf)
        assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5, "A4 in points"
    assert page.outside_requests == []


@pytest.mark.browser
def test_poster_code_is_at_least_4cm_wide_in_print(mini_server: Any, page: Any) -> None:
    page.set_viewport_size({"width": round(PAGE_WIDTH_PX), "height": round(PAGE_HEIGHT_PX)})
    page.goto(f"{mini_server.url}items/jw-funds/poster/")
    page.emulate_media(media="print")
    box = page.locator(".poster-qr").bounding_box()
    assert box["width"] >= 4 * CM_PX and box["height"] >= 4 * CM_PX
    # Only the sheet is printed: no site header, navigation or footer.
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert page.locator(".poster").is_visible()


@pytest.mark.browser
def test_poster_looks_right_on_screen_at_320px(mini_server: Any, page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(f"{mini_server.url}items/jw-funds/poster/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.locator(".site-header").is_visible(), "on screen it is an ordinary site page"
    assert page.locator(".poster-qr").bounding_box()["width"] >= 150


def _long_catalogue(tmp_path: Path, cards: int) -> Path:
    """The mini catalogue plus a community list with ``cards`` items, some with very long texts."""
    catalog = copy_catalog(MINI, tmp_path / "catalog")
    lines = ["id: village-affairs", "name: 村务公开目录", "kind: community", "source: 村务公开工作要求",
             "updated: 2023-05-01", "items:"]
    for n in range(1, cards + 1):
        long = n % 5 == 0
        lines += [
            f"  - id: cw-item-{n:02d}",
            "    group: 财务信息" if n % 2 else "    group: 村务管理",
            f"    category: {'集体经济组织财务收支及资产资源管理使用情况' if long else f'一级事项{n}'}",
            f"    name: {'村集体经济组织年度财务收支预决算及资产资源承包租赁出让情况和大额资金使用情况公示' if long else f'村务事项{n}'}",
            "    content: [收入, 支出]",
            "    basis:", "      - title: 中华人民共和国村民委员会组织法", "        kind: 法律",
            f"    timing: {'每季度公开一次，涉及村民切身利益的重大事项随时公开，并在公开后十个工作日内接受村民监督和质询，必要时召开村民会议说明情况' if long else '每季度公开一次'}",
            f"    subject: {'村民委员会、村党组织、镇人民政府农村经营管理办公室、镇财务管理中心' if long else '村民委员会'}",
            "    channels: [村务公开栏, 政府网站, 两微一端, 公开查阅点, 便民服务站, 政务服务中心, 发布会/听证会, 广播电视, 纸质媒体]"
            if long else "    channels: [村务公开栏]",
        ]
    lines += [
        "  - id: cw-old-finance",
        "    group: 财务信息",
        "    category: 集体经济组织财务收支及资产资源管理使用情况",
        "    name: 原村集体经济组织年度财务收支预决算及资产资源承包租赁出让情况和大额资金使用情况公示",
        "    content: [收入]",
        "    basis:", "      - title: 中华人民共和国村民委员会组织法", "        kind: 法律",
        "    timing: 每季度公开一次，涉及村民切身利益的重大事项随时公开，并在公开后十个工作日内接受村民监督和质询，必要时召开村民会议说明情况",
        "    subject: 村民委员会、村党组织、镇人民政府农村经营管理办公室、镇财务管理中心",
        "    channels: [村务公开栏, 政府网站, 两微一端, 公开查阅点, 便民服务站, 政务服务中心, 发布会/听证会, 广播电视, 纸质媒体]",
        "    status: withdrawn",
        "    withdrawn_on: 2023-03-01",
        "    reason: 根据新修订的村务公开目录，本事项拆分为年度财务收支预决算公示和资产资源承包租赁出让情况公示两个事项，分别公开",
        "    replaced_by: cw-item-05",
    ]
    (catalog / "community" / "village-affairs.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    replace_in(catalog / "site.yaml", "community: [neighbourhood-committee]",
               "community: [neighbourhood-committee, village-affairs]")
    replace_in(catalog / "site.yaml", "channels: [居务公开栏, 社区云]", "channels: [居务公开栏, 社区云, 村务公开栏]")
    return catalog


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("long")
    site = build_site(_long_catalogue(tmp, 19), tmp / "site")
    yield from serve(site)


@pytest.mark.browser
def test_long_and_withdrawn_posters_still_fit_one_page(long_site: Any, page: Any) -> None:
    for item in ("cw-item-05", "cw-item-10", "cw-old-finance"):
        assert count_pages(_pdf(page, f"{long_site.url}items/{item}/poster/")) == 1, item


@pytest.mark.browser
def test_wall_sheet_cards_never_split_across_pages(long_site: Any, page: Any) -> None:
    url = f"{long_site.url}posters/village-affairs/"
    cards = 19
    sheets = math.ceil(cards / 8)
    pdf = _pdf(page, url)
    assert count_pages(pdf) == sheets, "one A4 page per sheet: several items to a page"

    # The print layout: each sheet starts a page and fits within one page height, and every
    # card lies inside its sheet, so no card can be cut by a page break.
    page.set_viewport_size({"width": round(PAGE_WIDTH_PX), "height": round(PAGE_HEIGHT_PX)})
    page.goto(url)
    page.emulate_media(media="print")
    layout = page.evaluate("""() => [...document.querySelectorAll('.wall-sheet')].map(sheet => {
        const s = sheet.getBoundingClientRect();
        return {top: s.top, bottom: s.bottom, breaks: getComputedStyle(sheet).breakBefore,
                cards: [...sheet.querySelectorAll('.wall-item')].map(c => {
                    const r = c.getBoundingClientRect(); return [r.top, r.bottom]; })};
    })""")
    assert len(layout) == sheets
    assert sum(len(sheet["cards"]) for sheet in layout) == cards
    for number, sheet in enumerate(layout):
        assert sheet["bottom"] - sheet["top"] <= PAGE_HEIGHT_PX, f"sheet {number + 1} is taller than a page"
        assert sheet["breaks"] == ("page" if number else "auto")
        for top, bottom in sheet["cards"]:
            assert sheet["top"] <= top and bottom <= sheet["bottom"]
    text = page.locator("main").inner_text()
    assert "cw-old-finance" not in page.content() and "原村集体经济组织" not in text


# --- gkml posters --------------------------------------------------------------------------


def test_gkml_posters_writes_pdfs(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    catalog = _long_catalogue(tmp_path, 9)
    out = tmp_path / "pdf"
    run = gkml("posters", "--catalog", catalog, "--content", tmp_path / "none", "--out", out, "--items",
               "village-affairs", "social-assistance")
    assert run.code == 0, run.stderr
    wall = (out / "village-affairs.pdf").read_bytes()
    assert wall.startswith(b"%PDF")
    assert count_pages(wall) == math.ceil(9 / 8)
    assert count_pages((out / "social-assistance.pdf").read_bytes()) == 1
    posters = sorted(p.name for p in (out / "items").iterdir())
    # Active items only: the withdrawn ones have left the wall.
    assert posters == [f"cw-item-{n:02d}.pdf" for n in range(1, 10)] + ["sa-dibao-guide.pdf"]
    for name in posters:
        pdf = (out / "items" / name).read_bytes()
        assert pdf.startswith(b"%PDF") and count_pages(pdf) == 1, name
    assert not (out / "neighbourhood-committee.pdf").exists(), "only the catalogues asked for"
    assert "已生成 12 个 PDF" in run.stderr

    # The same catalogue gives the same bytes (the PDF dates are the 修订时间, not the clock).
    again = gkml("posters", "--catalog", catalog, "--content", tmp_path / "none", "--out", tmp_path / "again",
                 "social-assistance")
    assert again.code == 0
    assert (tmp_path / "again" / "social-assistance.pdf").read_bytes() == (out / "social-assistance.pdf").read_bytes()
    assert b"/CreationDate (D:20201216000000+00'00')" in (out / "social-assistance.pdf").read_bytes()


def test_gkml_posters_without_chromium_says_so_in_chinese(tmp_path: Path) -> None:
    run = gkml("posters", "--catalog", MINI, "--out", tmp_path / "pdf", "--chromium", tmp_path / "no-chromium")
    assert run.code == 1
    assert "找不到 Chromium 浏览器" in run.stderr and "apt-get install chromium" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "pdf").exists()


def test_gkml_posters_unknown_catalogue_is_a_usage_error(tmp_path: Path) -> None:
    run = gkml("posters", "--catalog", MINI, "--out", tmp_path / "pdf", "no-such-list")
    assert run.code == 2
    assert "no-such-list" in run.stderr and "neighbourhood-committee" in run.stderr


def test_gkml_posters_refuses_a_broken_catalogue(tmp_path: Path) -> None:
    catalog = copy_catalog(MINI, tmp_path / "catalog")
    replace_in(catalog / "community" / "neighbourhood-committee.yaml", "name: 居委会成员及分工", "name:")
    run = gkml("posters", "--catalog", catalog, "--out", tmp_path / "pdf")
    assert run.code == 1
    assert re.search(r"neighbourhood-committee\.yaml:\d+:\d+: error: ", run.stderr)
    assert not (tmp_path / "pdf").exists()
