"""Change history: ``/feed.xml`` (Atom) and the 修订记录 section of catalogue pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import MINI, build_site, copy_catalog
from .helpers import replace_in

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def history_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini catalogue with a few more changes: two dates on one item, two items on one date."""
    root = tmp_path_factory.mktemp("history")
    catalog = copy_catalog(MINI, root / "catalog")
    education = catalog / "domains" / "compulsory-education.yaml"
    replace_in(education, "      - date: 2022-09-30\n        summary: 新增\n",
               "      - date: 2022-09-30\n        summary: 新增\n"
               "      - date: 2023-03-01\n        summary: 调整公开时限 <旧版作废>\n"
               "      - date: 2023-03-01\n        summary: 补充公开依据\n")
    replace_in(education, "    notes: |\n",
               "    changes:\n      - date: 2023-03-01\n        summary: 更新施教区\n    notes: |\n")
    return build_site(catalog, root / "site")


def _entries(site: Path) -> list[ET.Element]:
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    return feed.findall(f"{ATOM}entry")


def test_feed_has_one_entry_per_item_change_newest_first(history_site: Path) -> None:
    entries = _entries(history_site)
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    dates = [e.findtext(f"{ATOM}updated") for e in entries]
    assert len(entries) == 4
    assert dates == sorted(dates, reverse=True)
    assert dates[0].startswith("2023-03-01") and dates[-1].startswith("2022-09-30")
    # Same-day changes keep the order the catalogue file lists them in.
    assert titles[:3] == ["招生入学政策：调整公开时限 <旧版作废>", "招生入学政策：补充公开依据", "招生范围：更新施教区"]
    assert titles[3] == "招生入学政策：新增"


def test_feed_entries_link_items_with_permanent_unique_ids(history_site: Path) -> None:
    entries = _entries(history_site)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("tag:example.gov.cn,") for i in ids)
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert links[0] == "https://example.gov.cn/gkml/items/edu-enrolment-policy/"
    for link in links:
        path = link.removeprefix("https://example.gov.cn/gkml/")
        assert (history_site / path / "index.html").is_file(), link


def test_feed_dates_come_from_the_data_not_the_clock(history_site: Path, tmp_path: Path) -> None:
    feed = ET.parse(history_site / "feed.xml").getroot()
    assert feed.findtext(f"{ATOM}updated") == "2023-03-01T00:00:00+08:00"
    again = build_site(history_site.parent / "catalog", tmp_path / "again")
    assert (again / "feed.xml").read_bytes() == (history_site / "feed.xml").read_bytes()


def test_every_page_advertises_the_feed(history_site: Path) -> None:
    for page in ("index.html", "domains/compulsory-education/index.html", "items/edu-catchment/index.html"):
        html = (history_site / page).read_text(encoding="utf-8")
        assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="[./]*feed.xml"', html), page


def test_catalogue_page_lists_changes_by_date_newest_first(history_site: Path) -> None:
    html = (history_site / "domains/compulsory-education/index.html").read_text(encoding="utf-8")
    section = html[html.index('id="changelog-heading"'):]
    section = section[:section.index("</section>")]
    assert "本目录修订时间：<time datetime=\"2022-09-30\">2022年9月30日</time>" in section
    dates = re.findall(r'<h3 class="changelog-date"><time datetime="([\d-]+)"', section)
    assert dates == ["2023-03-01", "2022-09-30"]
    newest = section[:section.index('datetime="2022-09-30">2022年9月30日</time></h3>')]
    assert '<a href="../../items/edu-catchment/">招生范围</a>：更新施教区' in newest
    assert "调整公开时限 &lt;旧版作废&gt;" in newest   # escaped, never raw markup


def test_catalogue_without_changes_says_so(history_site: Path) -> None:
    html = (history_site / "community/neighbourhood-committee/index.html").read_text(encoding="utf-8")
    assert "本目录的事项暂无修订记录" in html
    assert "本目录修订时间：<time datetime=\"2022-06-01\">" in html
