"""`gkml build`: every page type with its fields, safe output, atomic and deterministic builds."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jsonschema
import pytest
from click.testing import CliRunner

from generator.build import BuildOptions, build
from generator.cli import main
from generator.problems import CatalogueError

from .conftest import MINI, ROOT, build_site
from .helpers import gkml, replace_in


class _Page(HTMLParser):
    """Collects what a reader and a link checker see: text, links, ids, scripts, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append(attributes[name] or "")
        if tag == "script":
            self.scripts.append(attributes)
        self.handlers += [name for name in attributes if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read(site: Path, path: str) -> _Page:
    parser = _Page()
    parser.feed((site / path).read_text(encoding="utf-8"))
    parser.text = ["".join(parser.text)]
    return parser


def text(site: Path, path: str) -> str:
    return " ".join(read(site, path).text[0].split())


def test_every_page_is_chinese_and_has_a_skip_link(mini_site: Path) -> None:
    for page in mini_site.rglob("*.html"):
        parsed = read(mini_site, str(page.relative_to(mini_site)))
        assert parsed.lang == "zh-CN", page
        assert "#main" in parsed.links and "main" in parsed.ids, page


def test_home_lists_domains_and_community_lists(mini_site: Path) -> None:
    home = text(mini_site, "index.html")
    assert "测试区基层政务公开标准目录" in home
    assert "义务教育" in home and "社会救助" in home and "居务公开目录" in home
    assert "主办单位：测试区人民政府办公室" in home and "021-12345678" in home


def test_domain_page_is_a_table_grouped_by_first_level_item(mini_site: Path) -> None:
    html = (mini_site / "domains/compulsory-education/index.html").read_text(encoding="utf-8")
    assert '<th scope="col">公开依据</th>' in html and '<th scope="col">公开层级</th>' in html
    assert '<th scope="rowgroup"' in html and "招生入学" in html
    page = text(mini_site, "domains/compulsory-education/index.html")
    for value in ("招生入学政策", "招生范围；招生对象；招生程序", "《中华人民共和国义务教育法》", "法律",
                  "自信息形成或者变更之日起20个工作日内", "区教育局", "政府网站、两微一端、公开查阅点",
                  "全社会", "主动", "县级", "义务教育领域基层政务公开标准指引", "2022年9月30日"):
        assert value in page, value


def test_withdrawn_items_leave_the_table_but_are_listed(mini_site: Path) -> None:
    html = (mini_site / "domains/social-assistance/index.html").read_text(encoding="utf-8")
    table = html[html.index("<table"):html.index("</table>")]
    assert "办事指南（旧版）" not in table
    assert "已撤销事项" in html and "items/sa-dibao-old-guide/" in html


def test_community_page_shows_groups_and_omits_unused_columns(mini_site: Path) -> None:
    html = (mini_site / "community/neighbourhood-committee/index.html").read_text(encoding="utf-8")
    assert "机构信息" in html and "财务信息" in html and "每季度公开一次" in html
    assert "公开层级" not in html and "公开方式" not in html


def test_item_page_shows_every_field(mini_site: Path) -> None:
    page = text(mini_site, "items/edu-enrolment-policy/index.html")
    for value in ("招生入学政策", "一级事项", "招生入学", "招生范围", "招生对象", "招生程序",
                  "《中华人民共和国政府信息公开条例》（国务院令第711号）", "行政法规",
                  "自信息形成或者变更之日起20个工作日内", "区教育局", "两微一端", "公开查阅点",
                  "全社会", "主动公开", "县级", "修订记录", "2022年9月30日：新增"):
        assert value in page, value


def test_document_numbers_are_shown_normalised(mini_site: Path) -> None:
    assert "国发〔2012〕45号" in text(mini_site, "items/sa-dibao-guide/index.html")


def test_withdrawn_item_keeps_its_page_and_links_its_replacement(mini_site: Path) -> None:
    page = text(mini_site, "items/sa-dibao-old-guide/index.html")
    assert "本事项已撤销" in page and "2021年1月1日" in page and "并入新版办事指南" in page
    assert "../../items/sa-dibao-guide/" in read(mini_site, "items/sa-dibao-old-guide/index.html").links


def test_item_notes_are_rendered_from_markdown(mini_site: Path) -> None:
    assert "以区教育局当年发布的招生工作实施意见为准" in text(mini_site, "items/edu-catchment/index.html")


def test_content_pages_and_404(mini_site: Path) -> None:
    assert "页面不存在" in text(mini_site, "404.html")
    content = sorted(p.parent.name for p in mini_site.glob("*/index.html")
                     if p.parent.name not in {"search", "items", "domains", "community", "posters"})
    assert content, "content pages from content/*.md are built"
    for slug in content:
        parsed = read(mini_site, f"{slug}/index.html")
        assert parsed.text[0].strip()


def test_catalogue_text_cannot_inject_script(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "name: 招生入学政策", "name: '<script>alert(1)</script>招生<img src=x onerror=alert(2)>'")
    replace_in(path, "      以区教育局当年发布的招生工作实施意见为准。\n",
               "      <script>alert(3)</script>\n      [点我](javascript:alert(4)) <a href=\"javascript:alert(5)\">x</a>\n"
               "      <iframe src=\"https://evil.example/\"></iframe>\n")
    site = build_site(catalog, tmp_path / "site")
    for page in ("items/edu-enrolment-policy/index.html", "items/edu-catchment/index.html",
                 "domains/compulsory-education/index.html"):
        parsed = read(site, page)
        assert all(s.get("src") for s in parsed.scripts), f"inline script in {page}"
        assert not parsed.handlers, page
        assert not any(link.lower().startswith("javascript:") for link in parsed.links), page
        assert "evil.example" not in "".join(parsed.links)
    assert "<script>alert(1)</script>招生" in text(site, "items/edu-enrolment-policy/index.html")


def test_failing_build_leaves_previous_output_untouched(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    out = tmp_path / "site"
    build_site(catalog, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    replace_in(catalog / "domains" / "compulsory-education.yaml", "mode: 主动", "mode: 随便")
    run = gkml("build", "--catalog", catalog, "--out", out)
    assert run.code == 1 and "未作任何改动" in run.stderr and "Traceback" not in run.stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")], "staging folder left behind"


def test_crash_during_render_leaves_previous_output_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = build_site(MINI, tmp_path / "site")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    from generator import outputs

    def explode(ctx: object, key: str) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setitem(outputs.PRODUCERS, "item", explode)
    with pytest.raises(RuntimeError):
        build(BuildOptions(catalog=MINI, content=None, out=out, jobs=1))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_told_in_chinese_with_the_file_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    out = build_site(catalog, tmp_path / "site")
    before = digest_tree(out)
    replace_in(catalog / "domains" / "compulsory-education.yaml", "招生", "入学招生")
    # The disk fills after the first 50 KB of this build (render workers are forked, so they
    # inherit the full disk too).
    room = [50_000]
    real_write = os.write

    def write(descriptor: int, data: bytes) -> int:
        room[0] -= len(data)
        if room[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", write)
    result = CliRunner().invoke(main, ["build", "--catalog", str(catalog), "--out", str(out), "-j", jobs,
                                       "--no-search"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("错误：读写文件失败：") and "磁盘空间不足" in message, message
    written = Path(message.removeprefix("错误：读写文件失败：").split("——")[0])
    # the staged file that failed, in the folder the build was making beside --out
    assert written.suffix and written.relative_to(tmp_path).parts[0].startswith(".site."), message
    assert digest_tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")], "staging folder left behind"


def _disk_full_at(name: str, real: object) -> object:
    def write(path: Path, data: bytes) -> None:
        if path.name == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)  # type: ignore[operator]
    return write


def test_a_cache_that_cannot_be_saved_is_not_trusted_by_the_next_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import cache
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    out = tmp_path / "site"
    assert gkml("build", "--catalog", catalog, "--out", out, "--no-search").code == 0
    replace_in(catalog / "domains" / "compulsory-education.yaml", "招生", "入学招生")
    # The disk fills after the new manifest is written, before the layouts of joined files are.
    monkeypatch.setattr(cache, "write_atomically", _disk_full_at("joins.marshal", cache.write_atomically))
    result = CliRunner().invoke(main, ["build", "--catalog", str(catalog), "--out", str(out), "-j", "1",
                                       "--no-search"])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    assert "注意：网站已发布，但构建缓存未能保存，下次构建将全部重新生成：磁盘空间不足" in result.output
    assert "入学招生" in (out / "items" / "edu-enrolment-policy" / "index.html").read_text(encoding="utf-8")
    # The next build cannot lean on half a cache: it produces every file, as a cold build would.
    again = gkml("build", "--catalog", catalog, "--out", out, "--no-search")
    assert again.code == 0 and "没有改动" not in again.stderr and "沿用上次构建" not in again.stderr, again.stderr
    cold = build_site(catalog, tmp_path / "cold", ROOT / "content", search=False, cache=False)
    assert digest_tree(out) == digest_tree(cold)


def test_an_id_lock_that_cannot_be_written_fails_the_build_and_says_the_site_is_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import ids_lock
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    (catalog / "ids.lock").unlink(missing_ok=True)
    out = tmp_path / "site"
    monkeypatch.setattr(ids_lock, "write_atomically", _disk_full_at("ids.lock", ids_lock.write_atomically))
    result = CliRunner().invoke(main, ["build", "--catalog", str(catalog), "--out", str(out), "-j", "1",
                                       "--no-search"])
    monkeypatch.undo()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"网站已发布到 {out}，但未能更新 {catalog / 'ids.lock'}，新事项的网址尚未锁定" in result.output
    assert "磁盘空间不足" in result.output, result.output
    assert (out / "index.html").is_file() and not (catalog / "ids.lock").exists()
    assert [p.name for p in catalog.iterdir() if p.name.startswith(".")] == []
    # Once there is room, the next build locks the ids: it does not call the site "unchanged".
    again = gkml("build", "--catalog", catalog, "--out", out, "--no-search")
    assert again.code == 0, again.stderr
    assert "edu-enrolment-policy" in (catalog / "ids.lock").read_text(encoding="utf-8")


def digest_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "pagefind" not in p.relative_to(root).parts}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_site(MINI, tmp_path / "one", ROOT / "content")
    second = build_site(MINI, tmp_path / "two", ROOT / "content", jobs=2)
    assert digest_tree(first) == digest_tree(second)


def test_two_outputs_on_one_path_is_an_error(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "robots.md").write_text("# 机器人\n", encoding="utf-8")
    from generator import outputs

    def clash(ctx: object):  # a feature that claims an existing path
        yield outputs.Output("robots.txt", "robots", origin="测试用重复输出")

    outputs.PLANNERS.append(clash)
    try:
        with pytest.raises(CatalogueError) as info:
            build(BuildOptions(catalog=MINI, content=content, out=tmp_path / "site", jobs=1))
    finally:
        outputs.PLANNERS.remove(clash)
    messages = [p.message for p in info.value.problems.items]
    assert any("同一路径 /robots.txt" in m for m in messages)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("template", "made"), [("item.html", "事项 "), ("poster.html", "的张贴版（")])
def test_a_failing_template_names_the_item_and_where_it_is_written(tmp_path: Path, template: str,
                                                                   made: str) -> None:
    """The item a page was being made for is named from the model when a template fails (plans
    do not carry that text for each of a city's 100,000 items)."""
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / template).write_text("<p>{{ item.no_such_field }}</p>\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        build(BuildOptions(catalog=MINI, content=None, theme=tmp_path / "theme", out=tmp_path / "site", jobs=1))
    (problem,) = info.value.problems.items
    assert problem.path.name == template
    assert made in problem.message and ".yaml:" in problem.message and "时模板出错" in problem.message
    assert not (tmp_path / "site").exists()


def test_content_page_cannot_take_a_reserved_or_invalid_name(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "items.md").write_text("# 事项\n", encoding="utf-8")
    (content / "关于.md").write_text("# 关于\n", encoding="utf-8")
    run = gkml("build", "--catalog", MINI, "--content", content, "--out", tmp_path / "site")
    assert run.code == 1
    assert sum("页面文件名" in line for line in run.lines) == 2


def test_site_under_a_path_prefix_has_no_broken_internal_link(mini_site: Path) -> None:
    base = "https://example.gov.cn/gkml/"
    missing = []
    for page in mini_site.rglob("*.html"):
        rel = page.relative_to(mini_site).as_posix()
        page_url = urljoin(base, rel)
        if rel == "404.html":
            continue
        for link in read(mini_site, rel).links:
            target = urlsplit(urljoin(page_url, link))
            if target.netloc != "example.gov.cn":
                continue
            assert target.path.startswith("/gkml/"), (rel, link)
            path = target.path[len("/gkml/"):]
            file = mini_site / path / "index.html" if path.endswith("/") or not path else mini_site / path
            if not file.exists():
                missing.append((rel, link))
    assert not missing


def test_404_links_are_rooted_at_the_base_url_path(mini_site: Path) -> None:
    links = read(mini_site, "404.html").links
    assert "/gkml/assets/site.css" in links and "/gkml/" in links


def test_open_data_json_matches_its_schema_and_has_absolute_urls(mini_site: Path) -> None:
    data = json.loads((mini_site / "catalog.json").read_text(encoding="utf-8"))
    schema = json.loads((mini_site / "catalog.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    item = next(i for i in data["items"] if i["id"] == "edu-enrolment-policy")
    assert item["url"] == "https://example.gov.cn/gkml/items/edu-enrolment-policy/"
    assert item["qr"] == "https://example.gov.cn/gkml/items/edu-enrolment-policy/qr.svg"
    assert item["basis"][1] == {"title": "中华人民共和国政府信息公开条例", "kind": "行政法规",
                                "number": "国务院令第711号", "articles": None}
    withdrawn = next(i for i in data["items"] if i["id"] == "sa-dibao-old-guide")
    assert withdrawn["status"] == "withdrawn" and withdrawn["replaced_by"] == "sa-dibao-guide"


def test_open_data_csv_opens_in_excel(mini_site: Path) -> None:
    raw = (mini_site / "catalog.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel reads Chinese correctly"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    row = next(r for r in rows if r["事项标识"] == "sa-dibao-guide")
    assert row["二级事项"] == "办事指南" and row["公开主体"] == "区民政局、街道办事处"
    assert row["网址"] == "https://example.gov.cn/gkml/items/sa-dibao-guide/"


def test_sitemap_lists_every_page_absolutely(mini_site: Path) -> None:
    tree = ET.parse(mini_site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in tree.getroot().findall("s:url/s:loc", ns)}
    assert "https://example.gov.cn/gkml/items/jw-funds/" in locs
    assert "https://example.gov.cn/gkml/domains/compulsory-education/" in locs
    assert all(loc and loc.startswith("https://example.gov.cn/gkml/") for loc in locs)


def test_base_url_override(tmp_path: Path) -> None:
    run = gkml("build", "--catalog", MINI, "--content", tmp_path / "none", "--out", tmp_path / "site",
               "--base-url", "https://staging.example.gov.cn/preview")
    assert run.code == 0, run.stderr
    data = json.loads((tmp_path / "site" / "catalog.json").read_text(encoding="utf-8"))
    assert data["items"][0]["url"].startswith("https://staging.example.gov.cn/preview/items/")


def test_bad_usage_exits_2_without_traceback(tmp_path: Path) -> None:
    run = gkml("build", "--no-such-option")
    assert run.code == 2 and "Traceback" not in run.stderr
    run = gkml("build", "--catalog", MINI, "--out", ROOT)
    assert run.code == 2 and "输出目录" in run.stderr


def test_schema_command_prints_chinese_titles() -> None:
    run = gkml("schema")
    assert run.code == 0
    schema = json.loads(run.stdout)
    item = schema["properties"]["items"]["items"]["properties"]
    assert item["subject"]["title"] == "公开主体"
    assert "政府网站" in item["channels"]["items"]["enum"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_template_names_its_file_and_line_and_changes_nothing(tmp_path: Path, jobs: str) -> None:
    """A district's own theme is edited by hand: a mistake in it is reported like a catalogue
    error — file, line, in Chinese, exit 1 — and never as a traceback, in any worker."""
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / "item.html").write_text('{% extends "base.html" %}\n{% block main %}\n<h1>{{ item.name }}</h1>\n'
                                     "<p>{{ item.no_such_field.title }}</p>\n{% endblock %}\n", encoding="utf-8")
    out = tmp_path / "site"
    out.mkdir()
    (out / "previous.html").write_text("上一次构建", encoding="utf-8")
    # Enough items for the render to run over worker processes with two jobs.
    from .perf.synthetic import write_catalogue
    catalog = write_catalogue(tmp_path / "catalog", 300, domains=3)
    run = gkml("build", "--catalog", catalog, "--theme", tmp_path / "theme", "--out", out, "--no-search",
               "--jobs", jobs, "-q")
    assert run.code == 1
    # The path as the reporter prints it (relative to where gkml runs, when that is shorter).
    assert "/theme/templates/item.html:4:1: error: 生成事项" in run.stderr
    assert "模板出错：用到了未定义的变量或属性" in run.stderr and "no_such_field" in run.stderr
    assert "Traceback" not in run.stderr and "未作任何改动" in run.stderr
    assert [p.name for p in out.iterdir()] == ["previous.html"]


@pytest.mark.parametrize("stage", ["check", "render"])
def test_a_build_given_up_midway_ends_and_leaves_the_site_as_it_was(tmp_path: Path, stage: str) -> None:
    """A build stopped while its worker processes load or render (here its progress callback
    raises, as a preview server's may) ends at once, with the error, and changes nothing."""
    from .perf.synthetic import write_catalogue

    catalog = write_catalogue(tmp_path / "catalog", 300, domains=3, community_lists=80)   # > 64 files
    out = tmp_path / "site"
    out.mkdir()
    (out / "previous.html").write_text("上一次构建", encoding="utf-8")

    class GivenUp(Exception):
        pass

    def progress(at: str, done: int, total: int) -> None:
        if at == stage and done >= 20:
            raise GivenUp

    with pytest.raises(GivenUp):
        build(BuildOptions(catalog=catalog, out=out, content=None, jobs=2, search=False, progress=progress))
    assert [p.name for p in out.iterdir()] == ["previous.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] in ([], [".gkml-cache"])
