"""An edit's quick build (generator/quick_build.py): only the edited catalogues are read and
re-rendered, and the site is byte for byte what a cold build of the same inputs gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import build as build_module
from generator import render_stage
from generator import cache, template_cache, units
from generator.build import BuildOptions, check
from generator.problems import CatalogueError

from .conftest import MINI, copy_catalog
from .test_incremental import _build, _cold, _edit, _stats, _tree

EDU = "domains/compulsory-education.yaml"
SA = "domains/social-assistance.yaml"

# A withdrawn 义务教育 item pointing readers to a 社会救助 item: their pages name each other's items.
WITHDRAWN_ACROSS = """  - id: edu-old-subsidy
    category: 招生入学
    name: 困难学生入学指引（旧版）
    content: [申请条件]
    basis:
      - title: 中华人民共和国义务教育法
        kind: 法律
    timing: 自信息形成或者变更之日起20个工作日内
    subject: 区教育局
    channels: [政府网站]
    audience: 全社会
    mode: 主动
    levels: [县级]
    status: withdrawn
    withdrawn_on: 2022-01-01
    reason: 并入低保办事指南
    replaced_by: sa-dibao-guide
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return copy_catalog(MINI, tmp_path / "catalog")


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The catalogue files parsed from here on (kept units are not parsed again)."""
    read: list[str] = []
    original = units.read_unit
    monkeypatch.setattr(units, "read_unit", lambda kind, path, *rest: read.append(path.name) or original(kind, path, *rest))
    return read


def test_one_item_edit_reads_one_file_and_equals_a_cold_build(catalog: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    first = _build(catalog, out)
    before = _stats(out)
    read = _reads(monkeypatch)
    loaded: list[object] = []
    original = units.load_kept
    monkeypatch.setattr("generator.quick_build.load_kept", lambda *args: loaded.append(args) or original(*args))
    _edit(catalog / EDU, "name: 招生入学政策", "name: 招生入学政策（2025年修订）")
    report = _build(catalog, out)
    assert report.quick and read == ["compulsory-education.yaml"] and loaded == []
    # Only that catalogue is in the model; the others are there as summaries.
    assert report.model is not None and [c.id for c in report.model.catalogues] == ["compulsory-education"]
    assert report.files == first.files and report.items == first.items and report.catalogues == first.catalogues
    assert _tree(out) == _cold(catalog, tmp_path)
    after = _stats(out)
    changed = {path for path in after if after[path] != before.get(path)}
    assert {"items/edu-enrolment-policy/index.html", "domains/compulsory-education/index.html",
            "catalog.json", "catalog.csv"} <= changed
    # The home page shows no item's name: remade, found byte for byte the same, left alone.
    assert not {p for p in changed if p.startswith(("items/sa-", "domains/social-assistance/", "assets/"))}
    assert "index.html" not in changed
    # The next build finds nothing changed, and reports the same warnings as a full check.
    again = _build(catalog, out)
    assert again.unchanged
    fresh = check(BuildOptions(catalog=catalog, content=None, jobs=1))
    assert [p.format() for p in again.problems.items] == [p.format() for p in fresh.problems.items]


def test_an_item_typo_leaves_the_content_pages_alone_a_new_revision_date_does_not(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Content pages show their own text and the site's newest revision date (footer): an item's
    name fixed is not theirs to show, a catalogue revised later than any before is."""
    content = Path(__file__).resolve().parent.parent / "content"
    out = tmp_path / "site"
    _build(catalog, out, content=content)
    made: list[str] = []
    original = render_stage.produce
    monkeypatch.setattr(render_stage, "produce", lambda ctx, output: made.append(output.path) or original(ctx, output))
    _edit(catalog / EDU, "name: 招生入学政策", "name: 招生入学政策（2025年修订）")
    assert _build(catalog, out, content=content).quick
    assert "items/edu-enrolment-policy/index.html" in made
    assert not [p for p in made if p.startswith(("about/", "guide/", "scan-help/"))
                or p in ("404.html", "robots.txt", "catalog.schema.json")], made
    made.clear()
    _edit(catalog / EDU, "updated: ", "updated: 2031-01-01\n# was: ")
    _build(catalog, out, content=content)
    assert {"about/index.html", "404.html"} <= set(made)
    assert "robots.txt" not in made
    assert _tree(out) == _cold(catalog, tmp_path, content=content)


def test_edits_in_a_row_keep_every_record_true(catalog: Path, tmp_path: Path) -> None:
    """Quick builds update the manifest and layouts they do not read whole: an edit undone, a
    second catalogue edited, then a template edit (a full build) all give a cold build's bytes."""
    out = tmp_path / "site"
    _build(catalog, out)
    path = catalog / EDU
    original = path.read_text(encoding="utf-8")
    _edit(path, "name: 招生入学政策", "name: 招生入学政策（新）")
    assert _build(catalog, out).quick
    path.write_text(original, encoding="utf-8")
    assert _build(catalog, out).quick
    assert _tree(out) == _cold(catalog, tmp_path)
    _edit(catalog / SA, "subject: 区民政局", "subject: 区民政局、街道办事处")
    assert _build(catalog, out).quick
    assert _tree(out) == _cold(catalog, tmp_path)
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates/item.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ item.name }}</h1>{% endblock %}', encoding="utf-8")
    report = _build(catalog, out, theme=theme)
    assert not report.quick
    assert _tree(out) == _cold(catalog, tmp_path, theme=theme)


def test_replacement_in_another_catalogue_is_re_rendered(catalog: Path, tmp_path: Path) -> None:
    """Renaming an item that another catalogue's withdrawn item points to reaches that page too."""
    text = (catalog / EDU).read_text(encoding="utf-8")
    (catalog / EDU).write_text(text + WITHDRAWN_ACROSS, encoding="utf-8")
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / SA, "name: 办事指南\n", "name: 低保办事指南\n")
    report = _build(catalog, out)
    assert report.quick and report.model is not None
    assert {c.id for c in report.model.catalogues} == {"compulsory-education", "social-assistance"}
    assert "低保办事指南" in (out / "items/edu-old-subsidy/index.html").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path)


@pytest.mark.parametrize("edit", [
    # A new item: its id must be checked across files and locked.
    (EDU, "  - id: edu-catchment\n", WITHDRAWN_ACROSS.replace("edu-old-subsidy", "edu-new") + "  - id: edu-catchment\n"),
    # The site's settings: every page may change.
    ("site.yaml", "title: 测试区基层政务公开标准目录", "title: 测试新区基层政务公开标准目录"),
])
def test_edits_beyond_items_take_the_full_build(catalog: Path, tmp_path: Path, edit: tuple[str, str, str]) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    name, old, new = edit
    _edit(catalog / name, old, new)
    report = _build(catalog, out)
    assert not report.quick
    assert _tree(out) == _cold(catalog, tmp_path)


def test_warning_moved_by_the_edit_is_reported_where_it_now_is(catalog: Path, tmp_path: Path) -> None:
    """The edited file's own warnings are its new ones; the other files' are kept as they were."""
    out = tmp_path / "site"
    first = _build(catalog, out)
    assert any(p.path.name == "social-assistance.yaml" for p in first.problems.warnings)
    _edit(catalog / SA, "items:\n", "# 新增说明\nitems:\n")
    _edit(catalog / EDU, "number: 国务院令第711号\n", "number: 国务院令 第711号\n")
    report = _build(catalog, out)
    assert report.quick
    fresh = check(BuildOptions(catalog=catalog, content=None, jobs=1))
    assert [p.format() for p in report.problems.items] == [p.format() for p in fresh.problems.items]
    assert len(report.problems.warnings) == len(first.problems.warnings) + 1


def test_error_in_the_edit_leaves_out_untouched(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    before, stats = _tree(out), _stats(out)
    _edit(catalog / EDU, "name: 招生入学政策", "name: ''")
    with pytest.raises(CatalogueError) as raised:
        _build(catalog, out)
    assert any("compulsory-education.yaml" in p.format() for p in raised.value.problems.errors)
    assert _tree(out) == before and _stats(out) == stats


def test_lost_layouts_send_the_edit_to_the_full_build(catalog: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the last build's layout of catalog.json the other catalogues' pieces cannot be
    copied, and their items are not at hand: the quick build gives way, and nothing is lost."""
    out = tmp_path / "site"
    _build(catalog, out)
    (tmp_path / cache.CACHE_FOLDER / "site" / cache.JOINS).unlink()
    _edit(catalog / EDU, "name: 招生入学政策", "name: 招生入学政策（新）")
    report = _build(catalog, out)
    assert not report.quick
    assert not [p for p in tmp_path.iterdir() if ".patch-" in p.name]
    assert _tree(out) == _cold(catalog, tmp_path)


def test_edit_with_the_search_index_is_quick_and_reindexes_one_part(catalog: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With the search index, the quick build re-indexes only the part holding the edited pages;
    the other parts are the last build's, kept by the digests of their pages' records."""
    from generator import search_index
    monkeypatch.setattr(search_index, "SPLIT_THRESHOLD", 2)     # three parts: 教育, 社会救助, 居务
    out = tmp_path / "site"
    _build(catalog, out, search=True)
    kept = {p: p.stat().st_ino for p in (out / "pagefind/part-3").rglob("*") if p.is_file()}
    indexed: list[Path] = []
    original = search_index.start_pagefind
    monkeypatch.setattr(search_index, "start_pagefind", lambda site, output: indexed.append(output) or original(site, output))
    _edit(catalog / EDU, "name: 招生入学政策", "name: 招生入学政策（新）")
    report = _build(catalog, out, search=True)
    assert report.quick
    assert [p.name for p in indexed] == ["index-1"]             # the first part only
    assert {p: p.stat().st_ino for p in (out / "pagefind/part-3").rglob("*") if p.is_file()} == kept
    assert _tree(out) == _cold(catalog, tmp_path, search=True)
    assert build_module.quick_build.MAX_FILES > 1


def test_reindexed_part_reads_the_records_of_catalogues_not_edited(catalog: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A part holding the edited catalogue and others: the quick build reads the others from
    their checked units (not their files) and indexes the whole part again."""
    import json

    from generator import search_index
    monkeypatch.setattr(search_index, "SPLIT_THRESHOLD", 3)     # parts: 教育 + 社会救助, 居务
    out = tmp_path / "site"
    _build(catalog, out, search=True)
    read = _reads(monkeypatch)
    _edit(catalog / SA, "name: 办事指南", "name: 低保办事指南")
    report = _build(catalog, out, search=True)
    assert report.quick and read == ["social-assistance.yaml"]
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["zh-cn"]["page_count"] == 3      # 2 义务教育 records + the edited one
    assert _tree(out) == _cold(catalog, tmp_path, search=True)
    # Without the other catalogue's unit the quick build cannot index the part: the full build does.
    _edit(catalog / SA, "name: 低保办事指南", "name: 办事指南")
    for unit in (cache.cache_dir(out) / "units").iterdir():
        unit.unlink()
    report = _build(catalog, out, search=True)
    assert not report.quick
    assert _tree(out) == _cold(catalog, tmp_path, search=True)


def test_withdrawal_changes_counts_filters_and_feed_as_a_cold_build_does(catalog: Path, tmp_path: Path) -> None:
    """Withdrawing an item (same ids) changes the home page's count and the search page's
    filters, which the quick build makes from the catalogues' summaries."""
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / EDU, "    levels: [县级, 乡级]\n    notes:",
          "    levels: [县级, 乡级]\n    status: withdrawn\n    withdrawn_on: 2024-05-01\n    reason: 并入招生入学政策\n"
          "    changes:\n      - date: 2024-05-01\n        summary: 撤销\n    notes:")
    report = _build(catalog, out)
    assert report.quick
    assert "撤销" in (out / "feed.xml").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path)


def test_partial_edit_reaches_every_page_through_the_compiled_templates(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled templates are kept between builds; a partial is part of every page that uses it,
    so editing only the partial must not leave a page compiled with the old one. The templates
    compiled before the edit are removed."""
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    monkeypatch.setattr(template_cache, "user_folder", lambda: str(compiled))
    theme = tmp_path / "theme"
    (theme / "templates/_partials").mkdir(parents=True)
    default = Path(build_module.__file__).resolve().parent.parent / "themes/default/templates/_partials/footer.html"
    footer = theme / "templates/_partials/footer.html"
    footer.write_text(default.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "site"
    _build(catalog, out, theme=theme)
    _edit(footer, "<p>主办单位：", "<p>承办：区政务公开办。主办单位：")
    _build(catalog, out, theme=theme)
    assert "承办：区政务公开办" in (out / "items/edu-enrolment-policy/index.html").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path, theme=theme)
    # Named "gkml-<theme folders>-<digest>-…": the set compiled before the edit is gone.
    assert len({tuple(path.name.split("-")[1:3]) for path in compiled.iterdir()}) == 1


def test_chain_of_replacements_across_three_catalogues(catalog: Path, tmp_path: Path) -> None:
    """社会救助 has withdrawn items pointing into 义务教育 and into the 居务 list. Editing 义务教育
    re-renders 社会救助's pages, and the one pointing into the 居务 list must still name it."""
    text = (catalog / SA).read_text(encoding="utf-8")
    extra = WITHDRAWN_ACROSS.replace("edu-old-subsidy", "sa-old-school").replace("sa-dibao-guide", "edu-catchment")
    extra += WITHDRAWN_ACROSS.replace("edu-old-subsidy", "sa-old-funds").replace("sa-dibao-guide", "jw-funds")
    (catalog / SA).write_text(text + extra, encoding="utf-8")
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / EDU, "name: 招生范围", "name: 招生范围（施教区）")
    report = _build(catalog, out)
    assert report.quick
    page = (out / "items/sa-old-funds/index.html").read_text(encoding="utf-8")
    assert 'href="../../items/jw-funds/"' in page
    assert _tree(out) == _cold(catalog, tmp_path)


def test_the_search_page_is_made_again_only_when_its_filters_change(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The search page shows the catalogues' cards and the filters (search_page registers what it
    depends on): an item's name fixed leaves it alone, a new 公开主体 is a new filter option."""
    out = tmp_path / "site"
    _build(catalog, out)
    made: list[str] = []
    original = render_stage.produce
    monkeypatch.setattr(render_stage, "produce", lambda ctx, output: made.append(output.path) or original(ctx, output))
    _edit(catalog / EDU, "name: 招生入学政策", "name: 招生入学政策（2025年修订）")
    _build(catalog, out)
    assert "items/edu-enrolment-policy/index.html" in made and "search/index.html" not in made, made
    made.clear()
    _edit(catalog / EDU, "    subject: 区教育局\n", "    subject: 区教育局、区招生考试中心\n")
    _build(catalog, out)
    assert "search/index.html" in made
    assert "区招生考试中心" in (out / "search/index.html").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path)
