"""URLs that never break: ``catalog/ids.lock`` records every id a build published, and a
build (or ``validate``) in which a locked id has lost its item fails at the lock's line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.build import BuildOptions, build, check
from generator.problems import CatalogueError, Problem

from .conftest import MINI, copy_catalog
from .helpers import gkml, line_of, replace_in

MINI_IDS = ["edu-catchment", "edu-enrolment-policy", "jw-funds", "jw-members", "sa-dibao-guide", "sa-dibao-old-guide"]

NEW_ITEM = """
  - id: jw-meeting-minutes
    group: 机构信息
    category: 居民会议
    name: 居民会议决定事项
    content: [会议决定]
    basis:
      - title: 中华人民共和国城市居民委员会组织法
        kind: 法律
    timing: 会议后5个工作日内
    subject: 居民委员会
    channels: [居务公开栏]
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return copy_catalog(MINI, tmp_path / "catalog")


@pytest.fixture
def unlocked(catalog: Path) -> Path:
    """A catalogue never built before: no lock yet."""
    (catalog / "ids.lock").unlink()
    return catalog


def test_mini_fixture_lock_lists_every_mini_id() -> None:
    assert _locked(MINI) == MINI_IDS


def _build(catalog: Path, out: Path) -> None:
    build(BuildOptions(catalog=catalog, content=None, out=out, jobs=1, update_lock=True))


def _locked(catalog: Path) -> list[str]:
    return [line for line in (catalog / "ids.lock").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def _errors(catalog: Path) -> list[Problem]:
    return check(BuildOptions(catalog=catalog, content=None)).problems.errors


def _remove_item(path: Path, item_id: str) -> str:
    """Delete one item's block from a catalogue file; returns the block."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {item_id}\n")
    end = text.find("\n  - id: ", start + 1)
    block = text[start:] if end < 0 else text[start:end + 1]
    path.write_text(text.replace(block, ""), encoding="utf-8")
    return block


def test_gkml_build_writes_the_lock_sorted_with_a_chinese_header(unlocked: Path, tmp_path: Path) -> None:
    catalog = unlocked
    run = gkml("build", "--catalog", catalog, "--content", tmp_path / "none", "--out", tmp_path / "site", "-q")
    assert run.code == 0, run.stderr
    text = (catalog / "ids.lock").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header and all(re.search(r"[\u4e00-\u9fff]", line) for line in header)
    assert "请勿删除" in text and "status: withdrawn" in text
    # Every id built, the withdrawn one too (its code still hangs on a wall), sorted.
    assert _locked(catalog) == MINI_IDS


def test_new_ids_are_added_after_a_successful_build_only(catalog: Path, tmp_path: Path) -> None:
    _build(catalog, tmp_path / "site")
    first = (catalog / "ids.lock").read_bytes()
    community = catalog / "community" / "neighbourhood-committee.yaml"
    community.write_text(community.read_text(encoding="utf-8") + NEW_ITEM.replace("name: 居民会议决定事项", "name:"),
                         encoding="utf-8")
    with pytest.raises(CatalogueError):
        _build(catalog, tmp_path / "site")
    assert (catalog / "ids.lock").read_bytes() == first, "a failed build locks nothing"

    replace_in(community, "    name:\n", "    name: 居民会议决定事项\n")
    _build(catalog, tmp_path / "site")
    assert _locked(catalog) == sorted(MINI_IDS + ["jw-meeting-minutes"])
    # Deterministic: building again changes nothing, byte for byte.
    again = (catalog / "ids.lock").read_bytes()
    _build(catalog, tmp_path / "site")
    assert (catalog / "ids.lock").read_bytes() == again


def test_library_build_and_validate_never_write_the_lock(unlocked: Path, tmp_path: Path) -> None:
    catalog = unlocked
    build(BuildOptions(catalog=catalog, content=None, out=tmp_path / "site", jobs=1))
    assert not (catalog / "ids.lock").exists()
    run = gkml("validate", "--catalog", catalog, "--content", tmp_path / "none")
    assert run.code == 0, run.stderr
    assert not (catalog / "ids.lock").exists()

    _build(catalog, tmp_path / "site")
    before = (catalog / "ids.lock").read_bytes()
    community = catalog / "community" / "neighbourhood-committee.yaml"
    community.write_text(community.read_text(encoding="utf-8") + NEW_ITEM, encoding="utf-8")
    assert gkml("validate", "--catalog", catalog, "--content", tmp_path / "none").code == 0
    assert (catalog / "ids.lock").read_bytes() == before


def test_removed_id_fails_the_build_at_its_lock_line(catalog: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(catalog, site)
    _remove_item(catalog / "community" / "neighbourhood-committee.yaml", "jw-funds")
    run = gkml("build", "--catalog", catalog, "--content", tmp_path / "none", "--out", site)
    assert run.code == 1
    line = line_of(catalog / "ids.lock", "jw-funds")
    errors = [x for x in run.lines if ": error: " in x]
    assert len(errors) == 1
    assert re.fullmatch(rf".*ids\.lock:{line}:1: error: .*jw-funds.*status: withdrawn.*", errors[0])
    assert (site / "items" / "jw-funds" / "index.html").is_file(), "the published site is left as it was"
    assert "jw-funds" in _locked(catalog)

    # validate reports the same problem, in the same place, and writes nothing.
    before = (catalog / "ids.lock").read_bytes()
    checked = gkml("validate", "--catalog", catalog, "--content", tmp_path / "none")
    assert checked.code == 1
    assert [x for x in checked.lines if ": error: " in x] == errors
    assert (catalog / "ids.lock").read_bytes() == before


def test_a_withdrawn_item_keeps_its_page_poster_and_code(catalog: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(catalog, site)
    replace_in(catalog / "community" / "neighbourhood-committee.yaml",
               "    channels: [居务公开栏]\n",
               "    channels: [居务公开栏]\n    status: withdrawn\n    withdrawn_on: 2024-03-01\n"
               "    reason: 工作经费改由街道统一公开\n")
    _build(catalog, site)
    page = (site / "items/jw-funds/index.html").read_text(encoding="utf-8")
    assert "本事项已撤销" in page and "2024年3月1日" in page and "工作经费改由街道统一公开" in page
    assert "本事项已撤销" in (site / "items/jw-funds/poster/index.html").read_text(encoding="utf-8")
    assert (site / "items/jw-funds/qr.svg").is_file()
    # It leaves the catalogue's table and the wall sheet.
    table = (site / "community/neighbourhood-committee/index.html").read_text(encoding="utf-8")
    assert 'href="../../items/jw-funds/">居委会工作经费收支情况</a></th>' not in table
    assert "jw-funds" not in (site / "posters/neighbourhood-committee/index.html").read_text(encoding="utf-8")
    assert "jw-funds" in _locked(catalog)


def test_changing_an_id_is_withdrawing_the_old_one(catalog: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(catalog, site)
    community = catalog / "community" / "neighbourhood-committee.yaml"
    block = _remove_item(community, "jw-funds")
    community.write_text(community.read_text(encoding="utf-8") + block.replace("jw-funds", "jw-budget"),
                         encoding="utf-8")
    errors = _errors(catalog)
    assert [(e.path.name, e.position.line) for e in errors] == [("ids.lock", line_of(catalog / "ids.lock", "jw-funds"))]

    # The fix the message asks for: keep the old id as a withdrawn item pointing at the new one.
    old = block.rstrip("\n") + ("\n    status: withdrawn\n    withdrawn_on: 2024-03-01\n    reason: 事项标识调整\n"
                                "    replaced_by: jw-budget\n")
    community.write_text(community.read_text(encoding="utf-8") + old, encoding="utf-8")
    _build(catalog, site)
    page = (site / "items/jw-funds/index.html").read_text(encoding="utf-8")
    assert "本事项已撤销" in page and 'href="../../items/jw-budget/"' in page
    assert _locked(catalog) == sorted(MINI_IDS + ["jw-budget"])


def test_locked_item_in_a_catalogue_no_longer_enabled_fails(catalog: Path, tmp_path: Path) -> None:
    """Only enabled catalogues are built, so disabling one would break its printed codes."""
    _build(catalog, tmp_path / "site")
    replace_in(catalog / "site.yaml", "community: [neighbourhood-committee]", "community: []")
    errors = _errors(catalog)
    assert len(errors) == 1
    assert errors[0].path.name == "ids.lock"
    assert errors[0].position.line == line_of(catalog / "ids.lock", "jw-funds")
    assert "neighbourhood-committee" in errors[0].message and "site.yaml" in errors[0].message


def test_malformed_lock_line_is_reported(catalog: Path) -> None:
    (catalog / "ids.lock").write_text("# 注释\nedu-catchment\nNot An Id\n", encoding="utf-8")
    errors = _errors(catalog)
    assert [(e.path.name, e.position.line) for e in errors] == [("ids.lock", 3)]


def test_a_long_new_id_warns_about_a_dense_code_until_it_is_locked(catalog: Path, tmp_path: Path) -> None:
    long_id = "jw-" + "residents-meeting-decisions-and-their-implementation"[:58]
    community = catalog / "community" / "neighbourhood-committee.yaml"
    community.write_text(community.read_text(encoding="utf-8") + NEW_ITEM.replace("jw-meeting-minutes", long_id),
                         encoding="utf-8")
    warnings = [w for w in check(BuildOptions(catalog=catalog, content=None)).problems.warnings if long_id in w.message]
    assert len(warnings) == 1
    assert warnings[0].path == community and warnings[0].position.line == line_of(community, long_id)
    assert "缩短" in warnings[0].message
    _build(catalog, tmp_path / "site")
    assert not [w for w in check(BuildOptions(catalog=catalog, content=None)).problems.warnings
                if long_id in w.message], "once published the id cannot change: no more nagging"
