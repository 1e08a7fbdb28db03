"""Search: the Pagefind index every build writes, and the /search/ page residents use.

Browser tests run a real headless Chromium against built sites served under a path prefix;
queries go through the page's own code (``assets/search.js``), by typing into the field or by
calling its ``findItems`` the way the form does. The relevance test runs the query set in
``tests/search_queries.yaml`` against the shipped catalogue and prints hit@1 and hit@5.
"""

from __future__ import annotations

import json
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from generator import search_index
from generator.build import BuildOptions
from generator.commands import build as build_command

from .conftest import MINI, Served, build_site, serve

QUERIES = Path(__file__).resolve().parent / "search_queries.yaml"
ITEM_ID = re.compile(r"/items/([a-z0-9][a-z0-9-]*)/")

#: Asks the search page's own module for results, as the form does; returns item ids in order.
FIND = """async ([query, filters, limit]) => {
  const script = document.querySelector('script[src$="search.js"]');
  const search = await import(script.src);
  const found = await search.findItems(query, filters);
  const data = await Promise.all(found.results.slice(0, limit).map((r) => r.data()));
  return data.map((d) => d.url);
}"""


def find(page: object, query: str | None, filters: dict[str, str] | None = None, limit: int = 10) -> list[str]:
    urls = page.evaluate(FIND, [query, filters or {}, limit])  # type: ignore[attr-defined]
    return [ITEM_ID.search(url).group(1) for url in urls]  # type: ignore[union-attr]


def open_search(page: object, served: Served, query: str = "") -> None:
    page.goto(served.url + "search/" + query)  # type: ignore[attr-defined]
    page.wait_for_selector("#search-form:not([hidden])")  # type: ignore[attr-defined]


def wait_for_status(page: object, text: str) -> str:
    page.wait_for_function(  # type: ignore[attr-defined]
        "t => document.getElementById('search-status').textContent.includes(t)", arg=text)
    return page.text_content("#search-status")  # type: ignore[attr-defined,no-any-return]


def result_titles(page: object) -> list[str]:
    return [t.strip() for t in page.locator(".search-result-title").all_text_contents()]  # type: ignore[attr-defined]


# --- the index, as built ----------------------------------------------------------------------


def test_index_holds_exactly_the_active_items(mini_site: Path) -> None:
    entry = json.loads((mini_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["zh-cn"]
    active = [i for i in json.loads((mini_site / "catalog.json").read_text(encoding="utf-8"))["items"]
              if i.get("status", "active") == "active"]
    assert entry["languages"]["zh-cn"]["page_count"] == len(active) == 5
    assert (mini_site / "pagefind" / "pagefind.js").is_file()


def test_pages_carry_nothing_for_search_and_records_are_not_published(mini_site: Path) -> None:
    """The index is made from search records, never published: an item page a phone opens from
    a QR code holds only what it shows (no hidden term lines), and no Pagefind markup at all."""
    for path in mini_site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "data-pagefind-" not in html and "search-data" not in html, path
    page = (mini_site / "items" / "edu-enrolment-policy" / "index.html").read_text(encoding="utf-8")
    assert "入学 招生" not in page     # the record's keyword line; keywords are not printed on the page
    assert not [p for p in mini_site.rglob("*") if ".search-index-work" in p.parts]
    assert not list(mini_site.rglob("search_record*"))


def _record(item_id: str) -> str:
    from generator.build import check
    from generator.theme import Theme
    model = check(BuildOptions(catalog=MINI, content=None)).model
    assert model is not None
    item = model.items_by_id[item_id]
    return search_index.record(Theme(), model.catalogue_of(item), item).decode("utf-8")


def test_search_record_holds_segmented_terms_filters_and_display() -> None:
    html = _record("edu-enrolment-policy")
    assert html.count("data-pagefind-body") == 1
    lines: dict[int, list[str]] = {}
    for weight, line in re.findall(r'data-pagefind-weight="(\d+)">([^<]*)<', html):
        lines.setdefault(int(weight), []).extend(line.split())
        assert line.split() == sorted(set(line.split())), "terms are sorted and unique, so records are stable"
    # 政府 stands alone although the item only says 中华人民共和国政府信息公开条例.
    assert "政府" in lines[1] and "招生" in lines[8] and "入学" in lines[8]
    assert "招生入学政策" in lines[10] and "政策" in lines[10]
    assert max(lines) == search_index.WEIGHT_NAME > search_index.WEIGHT_BODY == min(lines)
    meta = html.split("data-pagefind-ignore", 1)[1]
    # No Chinese in metadata (Pagefind searches it, cut at spaces only): the id, and \u-escaped JSON.
    assert '<span data-pagefind-meta="title">edu-enrolment-policy</span>' in meta
    shown = re.search(r'<span data-pagefind-meta="show">([^<]*)</span>', meta).group(1)  # type: ignore[union-attr]
    assert shown.isascii() and json.loads(shown) == {
        "name": "招生入学政策", "catalogue": "义务教育", "category": "招生入学", "subject": "区教育局"}
    assert '<span data-pagefind-filter="catalogue">compulsory-education</span>' in meta
    assert '<span data-pagefind-filter="subject">区教育局</span>' in meta


def test_jieba_terms_include_pieces_for_the_browser_segmenter() -> None:
    words, pieces = search_index.segment(["特困人员救助供养", "中华人民共和国政府信息公开条例"])
    assert {"特困", "政府", "信息", "公开", "条例", "特困人员救助供养"} <= set(words)
    # Chromium cuts the query 特困 into 特 + 困: both must match exactly or start a word.
    assert {"特", "困", "府"} <= set(pieces) and not set(words) & set(pieces)
    assert search_index.split_subjects("区民政局、街道办事处（镇人民政府）") == ["区民政局", "街道办事处（镇人民政府）"]


def test_index_parts_keep_catalogues_together() -> None:
    from generator.build import check
    model = check(BuildOptions(catalog=MINI, content=None)).model
    assert model is not None
    assert [[i.id for i in part] for part in search_index.index_parts(model, 2)] == [
        ["edu-enrolment-policy", "edu-catchment"], ["sa-dibao-guide"], ["jw-members", "jw-funds"]]
    assert [[i.id for i in part] for part in search_index.index_parts(model, 1)][:2] == [
        ["edu-enrolment-policy"], ["edu-catchment"]]
    assert len(search_index.index_parts(model)) == 1
    # The finisher plans the same parts from the catalogues' summaries alone.
    assert search_index.part_plan(model, 2) == [[("compulsory-education", 0, 2)], [("social-assistance", 0, 1)],
                                                [("neighbourhood-committee", 0, 2)]]
    assert search_index.part_dirs(3) == ["", "part-2/", "part-3/"]


class _HeldRun:
    """A Pagefind run that ends only when the test lets it (``done``)."""

    def __init__(self, site: Path, output: Path, runs: list[_HeldRun]):
        self.site, self.output = site, output
        self.done = threading.Event()
        runs.append(self)

    def ended(self) -> bool:
        return self.done.is_set()

    def wait(self, stop: threading.Event | None = None) -> None:
        assert self.done.wait(10), "the test never let this run end"
        self.output.mkdir(parents=True)
        (self.output / "pagefind.js").write_text("", encoding="utf-8")

    def kill(self) -> None:
        self.done.set()


def test_one_pagefind_run_beside_the_render_workers_and_two_after(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory: a run holds ~110 KB per record, so while the render workers hold theirs only one
    runs; once they are done, two do (the city's build stays under 2 GB)."""
    from generator.build import check
    from generator.render_context import RenderContext
    from generator.theme import Theme
    model = check(BuildOptions(catalog=MINI, content=None)).model
    assert model is not None
    runs: list[_HeldRun] = []
    monkeypatch.setattr(search_index, "start_pagefind", lambda site, output: _HeldRun(site, output, runs))
    rendering = threading.Event()
    rendering.set()
    indexing = threading.Thread(target=search_index.write_index,
                                args=(RenderContext(model, Theme()), tmp_path, 1, None, rendering))
    indexing.start()
    try:
        # What must happen may take a while on a busy machine (a part's records are segmented
        # first, jieba's dictionary read on first use); what must not is given 0.5 s.
        assert _settles(lambda: len(runs) >= 1, 20)
        assert not _settles(lambda: len(runs) > 1), "a second run started beside the render"
        assert len(runs) == 1
        runs[0].done.set()
        assert _settles(lambda: len(runs) == 2, 20) and not _settles(lambda: len(runs) > 2)
        rendering.clear()          # the render is done: a second run may join
        assert _settles(lambda: len(runs) == 3, 20) and not _settles(lambda: len(runs) > 3)
        assert not runs[1].ended() and not runs[2].ended()
        assert not runs[0].site.exists(), "an indexed part's records are deleted at once"
    finally:
        while indexing.is_alive():
            for run in list(runs):
                run.done.set()
            indexing.join(0.05)
    assert len(runs) == 5          # one part per active item of the mini catalogue
    assert (tmp_path / "pagefind" / "pagefind.js").is_file()
    assert (tmp_path / "pagefind" / "part-5" / "pagefind.js").is_file()


def _settles(condition: object, seconds: float = 0.5) -> bool:
    """Whether ``condition()`` becomes true within ``seconds``."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


def test_pagefind_failure_fails_the_build_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "previous.html").write_text("上一次构建", encoding="utf-8")
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(search_index, "PAGEFIND", fake)
    code = build_command.run(BuildOptions(catalog=MINI, content=None, out=out, jobs=1), quiet=True)
    err = capsys.readouterr().err
    assert code == 1
    assert "error: Pagefind 生成搜索索引失败（退出码 3）：Error: out of memory" in err
    assert "未作任何改动" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["previous.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no staging left behind"
    monkeypatch.setattr(search_index, "PAGEFIND", tmp_path / "missing")
    assert build_command.run(BuildOptions(catalog=MINI, content=None, out=out, jobs=1), quiet=True) == 1
    assert "无法运行 Pagefind 生成搜索索引" in capsys.readouterr().err


def _blocking_item_page(monkeypatch: pytest.MonkeyPatch, started: threading.Event, fail: bool = False) -> list[bool]:
    """Make one item page wait (up to a minute) for the first Pagefind run to start; then, with
    ``fail``, fail the build as a broken template would."""
    from generator import outputs
    from generator.problems import CatalogueError, Problems
    seen: list[bool] = []
    real = outputs.PRODUCERS["item"]

    def item(ctx: object, key: str) -> bytes:
        if key == "jw-funds":
            seen.append(started.wait(60))
            if fail:
                problems = Problems()
                problems.error(Path("themes/default/templates/item.html"), None, "模板出错")
                raise CatalogueError(problems)
        return real(ctx, key)  # type: ignore[arg-type]
    monkeypatch.setitem(outputs.PRODUCERS, "item", item)
    return seen


def test_index_is_written_while_the_pages_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records come from the model, so Pagefind starts before the last page is written."""
    started = threading.Event()
    real = search_index.start_pagefind
    monkeypatch.setattr(search_index, "start_pagefind", lambda site, out: started.set() or real(site, out))
    seen = _blocking_item_page(monkeypatch, started)
    assert build_command.run(BuildOptions(catalog=MINI, content=None, out=tmp_path / "site", jobs=1), quiet=True) == 0
    assert seen == [True]
    assert (tmp_path / "site" / "pagefind" / "pagefind.js").is_file()


def test_a_failed_render_stops_the_index_and_leaves_out_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "previous.html").write_text("上一次构建", encoding="utf-8")
    started = threading.Event()
    runs: list[object] = []
    real = search_index.start_pagefind

    def start(site: Path, output: Path) -> object:
        run = real(site, output)
        runs.append(run)
        started.set()
        return run
    monkeypatch.setattr(search_index, "start_pagefind", start)
    seen = _blocking_item_page(monkeypatch, started, fail=True)
    assert build_command.run(BuildOptions(catalog=MINI, content=None, out=out, jobs=1), quiet=True) == 1
    assert seen == [True]
    assert "模板出错" in capsys.readouterr().err
    assert all(run.process.poll() is not None for run in runs)  # type: ignore[attr-defined]
    assert [p.name for p in out.iterdir()] == ["previous.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no staging left behind"


def test_search_page_offers_filters_as_labelled_controls(mini_site: Path) -> None:
    html = (mini_site / "search" / "index.html").read_text(encoding="utf-8")
    assert '<label for="search-q">' in html and 'role="status"' in html and "<noscript>" in html
    assert "<legend>" in html and 'action="./" method="get"' in html
    for key, label in [("catalogue", "目录"), ("subject", "公开主体"), ("channel", "公开渠道"),
                       ("audience", "公开对象"), ("mode", "公开方式"), ("level", "公开层级")]:
        assert f'<label for="filter-{key}">{label}</label>' in html
        assert f'<select id="filter-{key}" name="{key}"' in html
    assert '<optgroup label="领域目录">' in html and '<option value="compulsory-education">义务教育</option>' in html
    assert '<option value="主动">主动公开</option>' in html
    assert "https://" not in html.split("<main")[1].split("</main>")[0], "no link leaves the site"


# --- the page in a browser ---------------------------------------------------------------------



@pytest.mark.browser
def test_typing_dibao_finds_it_and_the_subject_filter_narrows(page: object, mini_server: Served) -> None:
    open_search(page, mini_server)
    # Keyboard only: tab to the field, type, Enter.
    for _ in range(40):
        if page.evaluate("document.activeElement.id") == "search-q":  # type: ignore[attr-defined]
            break
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "search-q"  # type: ignore[attr-defined]
    page.keyboard.type("低保")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert "“低保”找到 1 个事项" in wait_for_status(page, "找到")
    first = page.locator(".search-result").first  # type: ignore[attr-defined]
    assert first.locator("a").text_content() == "办事指南"
    assert "最低生活保障" in first.text_content() and "区民政局、街道办事处" in first.text_content()
    assert first.locator("a").get_attribute("href") == "/gkml/items/sa-dibao-guide/"
    assert parse_qs(urlsplit(page.url).query) == {"q": ["低保"]}  # type: ignore[attr-defined]

    # The filters are folded under a <summary>: Tab to it, open it with Enter.
    assert not page.is_visible("#filter-subject")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]   # the 搜索 button
    page.keyboard.press("Tab")  # type: ignore[attr-defined]   # the summary
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]   # 目录
    page.keyboard.press("Tab")  # type: ignore[attr-defined]   # 公开主体
    assert page.evaluate("document.activeElement.id") == "filter-subject"  # type: ignore[attr-defined]
    page.select_option("#filter-subject", "区民政局")  # type: ignore[attr-defined]
    assert "找到 1 个事项（筛选：公开主体“区民政局”）" in wait_for_status(page, "区民政局")
    assert result_titles(page) == ["办事指南"]
    page.select_option("#filter-subject", "区教育局")  # type: ignore[attr-defined]
    assert "没有找到与“低保”相关的事项" in wait_for_status(page, "区教育局")
    assert result_titles(page) == []
    assert parse_qs(urlsplit(page.url).query) == {"q": ["低保"], "subject": ["区教育局"]}  # type: ignore[attr-defined]

    # The result link is reachable by keyboard and shows where focus is.
    page.select_option("#filter-subject", "")  # type: ignore[attr-defined]
    wait_for_status(page, "找到 1 个事项。")
    page.focus("#search-clear")  # type: ignore[attr-defined]
    for _ in range(10):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate("document.activeElement.closest('.search-result') !== null"):  # type: ignore[attr-defined]
            break
    assert page.evaluate("document.activeElement.textContent") == "办事指南"  # type: ignore[attr-defined]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # type: ignore[attr-defined]
    assert page.outside_requests == []  # type: ignore[attr-defined]


@pytest.mark.browser
def test_zhaosheng_is_found_under_compulsory_education(page: object, mini_server: Served) -> None:
    open_search(page, mini_server)
    assert find(page, "招生", {"catalogue": "compulsory-education"})[0] == "edu-enrolment-policy"
    assert set(find(page, "招生")) == {"edu-enrolment-policy", "edu-catchment"}
    assert find(page, "招生", {"catalogue": "social-assistance"}) == []
    # A word Pagefind's own segmentation would miss, and a filter-only browse.
    assert "edu-enrolment-policy" in find(page, "政府")
    assert find(page, None, {"catalogue": "neighbourhood-committee"}) == ["jw-members", "jw-funds"] or \
        set(find(page, None, {"catalogue": "neighbourhood-committee"})) == {"jw-members", "jw-funds"}


@pytest.mark.browser
def test_search_box_of_a_catalogue_searches_within_it(page: object, mini_server: Served) -> None:
    page.goto(mini_server.url + "domains/compulsory-education/")  # type: ignore[attr-defined]
    page.fill("#q-catalogue", "政府")  # type: ignore[attr-defined]
    page.press("#q-catalogue", "Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("#search-form:not([hidden])")  # type: ignore[attr-defined]
    status = wait_for_status(page, "找到")
    assert "筛选：目录“义务教育”" in status
    assert page.input_value("#filter-catalogue") == "compulsory-education"  # type: ignore[attr-defined]
    assert set(result_titles(page)) <= {"招生入学政策", "招生范围"} and result_titles(page)
    assert parse_qs(urlsplit(page.url).query) == {"q": ["政府"], "catalogue": ["compulsory-education"]}  # type: ignore[attr-defined]


@pytest.mark.browser
def test_withdrawn_item_is_not_found(page: object, mini_server: Served) -> None:
    open_search(page, mini_server)
    for query in ["旧版", "办事指南（旧版）", "并入新版办事指南", "低保", "办事指南", "社会救助暂行办法"]:
        assert "sa-dibao-old-guide" not in find(page, query, limit=50), query
    assert find(page, "旧版") == []


@pytest.mark.browser
def test_query_in_the_url_restores_the_search(page: object, mini_server: Served) -> None:
    open_search(page, mini_server, "?q=%E6%8B%9B%E7%94%9F&catalogue=compulsory-education&level=%E4%B9%A1%E7%BA%A7")
    assert "“招生”找到 1 个事项" in wait_for_status(page, "找到")
    assert page.input_value("#search-q") == "招生"  # type: ignore[attr-defined]
    assert page.input_value("#filter-catalogue") == "compulsory-education"  # type: ignore[attr-defined]
    assert page.input_value("#filter-level") == "乡级"  # type: ignore[attr-defined]
    assert page.is_visible("#filter-level"), "a link with filters shows them"  # type: ignore[attr-defined]
    assert result_titles(page) == ["招生范围"]
    # A link from another page's search form (GET search/?q=…) lands on the same search.
    page.goto(mini_server.url)  # type: ignore[attr-defined]
    page.fill("#q-home", "居委会")  # type: ignore[attr-defined]
    page.press("#q-home", "Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**/search/?q=*")  # type: ignore[attr-defined]
    assert "“居委会”找到 2 个事项" in wait_for_status(page, "找到")


@pytest.mark.browser
def test_without_javascript_the_page_explains_itself(browser: object, mini_server: Served) -> None:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        tab.goto(mini_server.url + "search/?q=低保")
        assert not tab.is_visible("#search-form")
        text = tab.inner_text("main")
        assert "需要启用 JavaScript" in text and "按目录浏览" in text
        links = tab.locator(".search-browse a").all()
        assert [a.get_attribute("href") for a in links] == [
            "../domains/compulsory-education/", "../domains/social-assistance/", "../community/neighbourhood-committee/"]
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["", "mode-large", "mode-contrast mode-large"])
def test_results_fit_320px_in_every_mode(page: object, mini_server: Served, mode: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})  # type: ignore[attr-defined]
    open_search(page, mini_server, "?q=%E6%8B%9B%E7%94%9F")
    if mode:
        page.evaluate("m => document.documentElement.classList.add(...m.split(' '))", mode)  # type: ignore[attr-defined]
    wait_for_status(page, "找到")
    page.click("#search-filters-box summary")  # type: ignore[attr-defined]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # type: ignore[attr-defined]
    select_box = page.locator("#filter-subject").bounding_box()  # type: ignore[attr-defined]
    assert select_box["x"] >= 0 and select_box["x"] + select_box["width"] <= 320
    if "mode-contrast" in mode:
        link = page.locator(".search-result-title a").first  # type: ignore[attr-defined]
        assert link.evaluate("a => getComputedStyle(a).color") == "rgb(255, 255, 0)"


# --- a site split into several index parts ---------------------------------------------------


@pytest.fixture(scope="module")
def split_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    saved = search_index.SPLIT_THRESHOLD
    search_index.SPLIT_THRESHOLD = 2
    try:
        site = build_site(MINI, tmp_path_factory.mktemp("split") / "site")
    finally:
        search_index.SPLIT_THRESHOLD = saved
    yield from serve(site)


def test_split_index_is_written_in_parts(split_server: Served) -> None:
    bundle = split_server.root / "pagefind"
    for folder in ["", "part-2", "part-3"]:
        entry = json.loads((bundle / folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        assert entry["languages"]["zh-cn"]["page_count"] in (1, 2)
    assert not (bundle / "part-4").exists()
    html = (split_server.root / "search" / "index.html").read_text(encoding="utf-8")
    assert 'data-parts="[&#34;part-2/&#34;, &#34;part-3/&#34;]"' in html
    assert '<option value="social-assistance" data-parts="2">社会救助</option>' in html
    assert not any(p.name.startswith(".search-index") for p in split_server.root.iterdir())


@pytest.mark.browser
def test_split_index_is_merged_in_the_browser(page: object, split_server: Served) -> None:
    open_search(page, split_server)
    assert find(page, "招生")[0] == "edu-enrolment-policy"   # part 1
    assert find(page, "低保") == ["sa-dibao-guide"]            # part 2
    assert set(find(page, "居委会")) == {"jw-members", "jw-funds"}  # part 3
    assert find(page, None, {"subject": "区民政局"}) == ["sa-dibao-guide"]
    assert set(find(page, None, {"catalogue": "neighbourhood-committee"})) == {"jw-members", "jw-funds"}
    page.fill("#search-q", "居委会")  # type: ignore[attr-defined]
    page.press("#search-q", "Enter")  # type: ignore[attr-defined]
    assert "找到 2 个事项" in wait_for_status(page, "找到")
    assert page.outside_requests == []  # type: ignore[attr-defined]


@pytest.mark.browser
def test_search_within_a_catalogue_loads_only_its_part(page: object, split_server: Served) -> None:
    """A city's index has a dozen parts; a resident searching within their district's catalogue
    should not download all of them."""
    open_search(page, split_server)
    opened: list[str] = []    # the parts whose index is opened (each reads its entry file once)
    scripts: list[str] = []

    def seen(request: object) -> None:
        path = urlsplit(request.url).path  # type: ignore[attr-defined]
        if path.endswith("/pagefind-entry.json"):
            opened.append(path.removesuffix("pagefind-entry.json"))
        elif path.endswith("/pagefind.js"):
            scripts.append(path)
    page.on("request", seen)  # type: ignore[attr-defined]
    assert set(find(page, "居委会", {"catalogue": "neighbourhood-committee"})) == {"jw-members", "jw-funds"}
    assert opened == ["/gkml/pagefind/part-3/"]
    assert find(page, "低保", {"catalogue": "social-assistance"}) == ["sa-dibao-guide"]
    assert opened[1:] == ["/gkml/pagefind/part-2/"]
    # Without a catalogue every part answers, each opened once.
    assert find(page, "低保") == ["sa-dibao-guide"]
    assert sorted(opened) == ["/gkml/pagefind/", "/gkml/pagefind/part-2/", "/gkml/pagefind/part-3/"]
    # Every part's pagefind.js is the same file: the first part's is downloaded, no other.
    assert scripts and set(scripts) == {"/gkml/pagefind/pagefind.js"}


@pytest.mark.browser
def test_every_part_starts_its_worker_from_the_first_parts_file(page: object, split_server: Served) -> None:
    """Each part's search runs in a worker of its own, from the same pagefind-worker.js: a
    city-wide search downloads that file once, not once for each of its 20 parts."""
    if not (split_server.root / "pagefind" / "pagefind-worker.js").exists():
        pytest.skip("this Pagefind searches without a web worker")
    workers: list[str] = []
    page.on("request", lambda request: workers.append(urlsplit(request.url).path)  # type: ignore[attr-defined]
            if request.url.endswith("/pagefind-worker.js") else None)
    open_search(page, split_server)
    assert find(page, "低保") == ["sa-dibao-guide"]                 # part 2
    assert set(find(page, "居委会")) == {"jw-members", "jw-funds"}  # part 3
    assert find(page, "招生")[0] == "edu-enrolment-policy"          # part 1
    assert workers and set(workers) == {"/gkml/pagefind/pagefind-worker.js"}, workers


@pytest.mark.browser
def test_a_city_wide_search_downloads_the_webassembly_once(browser: object, split_server: Served) -> None:
    """Every part's worker fetches the first part's WebAssembly (the same file in every part):
    what the server sends holds one copy of it, however many parts answered."""
    if not (split_server.root / "pagefind" / "pagefind-worker.js").exists():
        pytest.skip("this Pagefind searches without a web worker")
    sent: dict[str, int] = {}
    for served in serve(split_server.root, sent):
        context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
        tab = context.new_page()
        open_search(tab, served)
        assert find(tab, "低保") == ["sa-dibao-guide"]                 # part 2
        assert set(find(tab, "居委会")) == {"jw-members", "jw-funds"}  # part 3
        assert find(tab, "招生")[0] == "edu-enrolment-policy"          # part 1
        context.close()
    indexes = {path.rsplit("/", 2)[-2] for path in sent if path.endswith(".pf_meta")}
    assert indexes == {"pagefind", "part-2", "part-3"}, sent      # every part did answer
    wasm = [path for path in sent if path.endswith(".pagefind") and "/wasm." in path]
    assert len(wasm) == 1 and wasm[0].startswith("/gkml/pagefind/wasm."), sent


@pytest.mark.browser
def test_split_index_works_where_blob_scripts_are_forbidden(page: object, split_server: Served) -> None:
    """A host with a strict Content-Security-Policy (no blob: scripts) still gets search: each
    part then loads its own pagefind.js."""
    policy = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'"

    def strict(route: object) -> None:
        response = route.fetch()  # type: ignore[attr-defined]
        headers = {**response.headers, "content-security-policy": policy}
        route.fulfill(response=response, headers=headers)  # type: ignore[attr-defined]
    page.route("**/search/", strict)  # type: ignore[attr-defined]
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text else None)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(urlsplit(request.url).path)  # type: ignore[attr-defined]
            if request.url.endswith("/pagefind.js") else None)
    open_search(page, split_server)
    assert find(page, "低保") == ["sa-dibao-guide"]
    assert set(find(page, "居委会")) == {"jw-members", "jw-funds"}
    assert refused, "the policy was not in force: this test would prove nothing"
    assert "/gkml/pagefind/part-3/pagefind.js" in scripts


@pytest.mark.browser
def test_split_index_answers_as_one_index_would(tmp_path: Path, browser: object,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """600 synthetic items in three parts give the same result sets as one index. (Parts opened
    with Pagefind's createInstance share one WebAssembly memory and crash at this size.)"""
    from .perf.synthetic import write_catalogue

    catalog = write_catalogue(tmp_path / "catalog", 600, domains=6)
    whole = build_site(catalog, tmp_path / "whole")
    monkeypatch.setattr(search_index, "SPLIT_THRESHOLD", 200)
    split = build_site(catalog, tmp_path / "split")
    assert (split / "pagefind" / "part-3" / "pagefind.js").is_file()
    queries = [("区民政局 办理流程", {}), ("结果公示", {}), ("街道办事处 资金发放", {}), ("社会救助暂行办法", {}),
               ("资金", {"subject": "区教育局"}), (None, {"subject": "区卫生健康委"})]
    answers = []
    for root in (whole, split):
        for served in serve(root):
            context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
            tab = context.new_page()
            open_search(tab, served)
            answers.append([sorted(find(tab, q, f, limit=1000)) for q, f in queries])
            context.close()
    assert all(answers[0]) and answers[0] == answers[1]


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.browser
def test_two_builds_give_identical_files_and_results(tmp_path: Path, browser: object) -> None:
    first = build_site(MINI, tmp_path / "one")
    second = build_site(MINI, tmp_path / "two")

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and p.relative_to(root).parts[0] != "pagefind"}

    assert files(first) == files(second)
    queries = [("低保", {}), ("招生", {}), ("政府", {}), (None, {"level": "县级"}), ("居委会", {"channel": "居务公开栏"})]
    answers = []
    for root in (first, second):
        for served in serve(root):
            context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
            tab = context.new_page()
            open_search(tab, served)
            answers.append([find(tab, q, f) for q, f in queries])
            context.close()
    assert answers[0] == answers[1]
    assert all(answers[0][:3])


# --- relevance on the shipped catalogue ----------------------------------------------------------


def load_queries() -> list[dict[str, object]]:
    return yaml.safe_load(QUERIES.read_text(encoding="utf-8"))


def test_query_set_is_realistic_and_large_enough() -> None:
    queries = load_queries()
    assert len(queries) >= 40
    assert len({q["q"] for q in queries}) == len(queries), "no query twice"
    for query in queries:
        assert ("expect" in query) != ("subject" in query), query
        assert query["why"] in {"name", "part", "colloquial", "law", "department"}
    assert {q["why"] for q in queries} == {"name", "part", "colloquial", "law", "department"}


#: What the shipped data achieves (hit@1 0.96, hit@5 1.00 when this was written), with a margin
#: for data edits; a drop below means search got worse, not that the data changed a little.
MIN_HIT_AT_1 = 0.85
MIN_HIT_AT_5 = 0.95


@pytest.mark.browser
def test_relevance_on_the_shipped_catalogue(page: object, shipped_server: Served) -> None:
    items = json.loads((shipped_server.root / "catalog.json").read_text(encoding="utf-8"))["items"]
    active = {i["id"]: i for i in items if i.get("status", "active") == "active"}
    open_search(page, shipped_server)
    hits1 = hits5 = 0
    used, skipped, report = 0, [], []
    for query in load_queries():
        if "subject" in query:
            wanted = {i for i, item in active.items() if query["subject"] in item["subject"]}
        else:
            wanted = set(query["expect"]) & set(active)  # type: ignore[arg-type]
        if not wanted:
            skipped.append(query["q"])   # the data no longer has the item the query was written for
            continue
        found = find(page, str(query["q"]), limit=5)
        used += 1
        hit1 = bool(found) and found[0] in wanted
        hit5 = bool(set(found) & wanted)
        hits1 += hit1
        hits5 += hit5
        if not hit1:
            report.append(f"  {'top5' if hit5 else 'MISS'} {query['q']}: {found} (want {sorted(wanted)[:3]})")
    print(f"\nsearch relevance on catalog/: {used} queries, hit@1 = {hits1 / used:.2f}, hit@5 = {hits5 / used:.2f}")
    print("\n".join(report))
    if skipped:
        print(f"  skipped (their items are no longer in catalog/): {', '.join(skipped)}")
    assert used >= 40, f"only {used} usable queries; update tests/search_queries.yaml for the data"
    assert hits1 / used >= MIN_HIT_AT_1 and hits5 / used >= MIN_HIT_AT_5, "\n".join(report)
    assert page.outside_requests == []  # type: ignore[attr-defined]


@pytest.mark.browser
def test_every_item_is_found_by_its_name_keywords_and_laws(page: object, shipped_server: Served) -> None:
    """Recall over the whole shipped catalogue: each item's own name, each of its keywords and
    each legal basis it cites must find it (three segmenters meet here: jieba at build time,
    Pagefind's at indexing, the browser's on the query)."""
    items = [i for i in json.loads((shipped_server.root / "catalog.json").read_text(encoding="utf-8"))["items"]
             if i.get("status", "active") == "active"]
    queries: dict[str, set[str]] = {}
    for item in items:
        for text in [item["name"], *(item.get("keywords") or []), *(b["title"] for b in item["basis"])]:
            queries.setdefault(text, set()).add(item["id"])
    open_search(page, shipped_server)
    found = page.evaluate("""async (queries) => {  // one round trip: thousands of queries
      const search = await import(document.querySelector('script[src$="search.js"]').src);
      const out = {};
      for (const q of queries) {
        const r = await search.findItems(q, {});
        out[q] = await Promise.all(r.results.map((x) => x.data().then((d) => d.url)));
      }
      return out;
    }""", sorted(queries))  # type: ignore[attr-defined]
    missed = sorted(f"{q} → {sorted(ids - {ITEM_ID.search(u).group(1) for u in found[q]})}"  # type: ignore[union-attr]
                    for q, ids in queries.items() if not ids <= {ITEM_ID.search(u).group(1) for u in found[q]})  # type: ignore[union-attr]
    print(f"\n{len(queries)} names, keywords and legal bases as queries; {len(missed)} miss an item")
    assert len(missed) <= len(queries) // 200, "\n".join(missed)
