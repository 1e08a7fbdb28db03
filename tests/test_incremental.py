"""Incremental builds: the cache in .gkml-cache/ never changes a byte of the site.

An incremental build (the previous --out reused where inputs did not change) must equal a cold
build of the same inputs, byte for byte, after any kind of edit; a build with nothing edited
must write nothing; and rendering over worker processes must equal rendering in one.
"""

from __future__ import annotations

import builtins
import io
import os
import random
import shutil
import sys
import time
from pathlib import Path

import jinja2
import pytest
import segno
from segno import encoder

from generator import build as build_module
from generator import render_stage
from generator import cache, outputs, qr, qr_fast, template_cache, units
from generator.build import BuildOptions, BuildReport, build
from generator.problems import CatalogueError, Problems
from generator.theme_paths import DEFAULT_THEME
from generator.validate import site_vocabulary

from .conftest import MINI, USERS_TEMPLATE_FOLDER, copy_catalog

SEARCH_DIR = "pagefind"


def _build(catalog: Path, out: Path, **options: object) -> BuildReport:
    options.setdefault("jobs", 1)
    options.setdefault("cache", True)
    options.setdefault("search", False)
    options.setdefault("content", None)
    return build(BuildOptions(catalog=catalog, out=out, **options))  # type: ignore[arg-type]


def _tree(site: Path, skip_search: bool = True) -> dict[str, bytes]:
    """Every file of a built site; Pagefind's own files vary between runs (SPEC §4) and are left out."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and not (skip_search and p.relative_to(site).parts[0] == SEARCH_DIR)}


def _stats(site: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*")) if p.is_file()}


def _cold(catalog: Path, tmp_path: Path, **options: object) -> dict[str, bytes]:
    out = tmp_path / "cold"
    shutil.rmtree(out, ignore_errors=True)
    _build(catalog, out, cache=False, **options)
    return _tree(out)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _built_then_edited(catalog: Path, tmp_path: Path) -> Path:
    """Build ``catalog`` into tmp_path/site, then rename one item as an editor would; returns the site."""
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    return out


def _own_item_template(tmp_path: Path) -> Path:
    """A site theme holding a copy of the default item.html, for a test to edit; returns it."""
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    default = Path(build_module.__file__).resolve().parent.parent / "themes/default/templates/item.html"
    shutil.copy(default, theme / "templates/item.html")
    return theme


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return copy_catalog(MINI, tmp_path / "catalog")


def test_one_item_edit_equals_cold_build_and_rewrites_only_its_files(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    before = _stats(out)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（2025年修订）")
    report = _build(catalog, out)
    assert _tree(out) == _cold(catalog, tmp_path)
    after = _stats(out)
    changed = {path for path in after if after[path] != before.get(path)}
    # The item's page and poster, its catalogue's table and wall sheet, and the whole-site files.
    assert "items/edu-enrolment-policy/index.html" in changed
    assert "domains/compulsory-education/index.html" in changed
    assert "catalog.json" in changed
    # Another catalogue's item, every QR code and the theme files are the previous build's files.
    assert "items/sa-dibao-guide/index.html" not in changed
    assert not {p for p in changed if p.endswith("qr.svg") or p.startswith("assets/")}
    assert 0 < report.produced < report.files


def test_item_edit_does_not_render_the_home_and_search_pages_again(catalog: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """They show the catalogues' cards and the search filters, which an item's text is not in."""
    out = tmp_path / "site"
    _build(catalog, out)
    made: list[str] = []
    for name in ("home", "search_page"):
        real = outputs.PRODUCERS[name]
        monkeypatch.setitem(outputs.PRODUCERS, name,
                            lambda ctx, key, real=real, name=name: made.append(name) or real(ctx, key))
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out)
    assert made == []
    _edit(catalog / "domains/compulsory-education.yaml", "name: 义务教育\n", "name: 义务教育阶段\n")
    _build(catalog, out)
    assert sorted(made) == ["home", "search_page"]
    assert "义务教育阶段" in (out / "index.html").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path)


def test_template_edit_equals_cold_build(catalog: Path, tmp_path: Path) -> None:
    theme = _own_item_template(tmp_path)
    out = tmp_path / "site"
    _build(catalog, out, theme=theme)
    qr_before = (out / "items/edu-enrolment-policy/qr.svg").stat().st_ino
    _edit(theme / "templates/item.html", "{% block main %}", "{% block main %}<p>本页由区政务公开办维护。</p>")
    _build(catalog, out, theme=theme)
    assert "本页由区政务公开办维护" in (out / "items/edu-enrolment-policy/index.html").read_text(encoding="utf-8")
    assert _tree(out) == _cold(catalog, tmp_path, theme=theme)
    # A QR code uses no template: the edit leaves it as it was.
    assert (out / "items/edu-enrolment-policy/qr.svg").stat().st_ino == qr_before


def test_catalogue_files_are_read_once_and_unchanged_ones_not_at_all(catalog: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A city's catalogue is 3,000 files and 60 MB. A cold build reads each file once (its
    digest for the cache and its check share the bytes); a full build after a template edit
    reads none that is unchanged (its checked unit is kept under the digest the cache recorded)."""
    monkeypatch.setattr(cache.FileDigests, "SETTLE_NS", 0)    # files written just now count as settled
    sources = sorted(str(p) for p in catalog.glob("*/*.yaml"))
    opened: list[str] = []
    real_open = io.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        if str(file) in sources:
            opened.append(str(file))
        return real_open(file, *args, **kwargs)    # type: ignore[call-overload]
    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)

    theme = _own_item_template(tmp_path)
    out = tmp_path / "site"
    _build(catalog, out, theme=theme)
    assert sources and sorted(opened) == sources

    _edit(theme / "templates/item.html", "{% block main %}", "{% block main %}<p>本页由区政务公开办维护。</p>")
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    opened.clear()
    report = _build(catalog, out, theme=theme)
    assert not report.unchanged and not report.quick
    assert opened == [str(catalog / "domains/compulsory-education.yaml")]    # the edited file only
    assert _tree(out) == _cold(catalog, tmp_path, theme=theme)


def test_files_removed_from_the_site_are_made_again(catalog: Path, tmp_path: Path) -> None:
    """A QR code's page must not stay missing: with nothing edited, a build puts back what was
    removed from --out (by hand, by a sync), byte for byte, and says so."""
    out = tmp_path / "site"
    _build(catalog, out)
    kept = (out / "items/edu-enrolment-policy/poster/index.html").stat().st_ino
    for path in ["items/edu-enrolment-policy/index.html", "items/edu-enrolment-policy/qr.svg",
                 "domains/compulsory-education/index.html"]:
        (out / path).unlink()
    report = _build(catalog, out)
    assert not report.unchanged and report.produced == 3
    assert report.notes and "3 个文件不见了" in report.notes[0] and "已重新生成" in report.notes[0]
    assert _tree(out) == _cold(catalog, tmp_path)
    # What was not removed is left as it was.
    assert (out / "items/edu-enrolment-policy/poster/index.html").stat().st_ino == kept
    assert _build(catalog, out).unchanged

    # A full build (site.yaml edited) puts back what was removed as well; an edit's quick
    # build trusts the last build's list of files.
    (out / "items/edu-enrolment-policy/poster/index.html").unlink()
    _edit(catalog / "site.yaml", "title: 测试区基层政务公开标准目录", "title: 测试新区基层政务公开标准目录")
    report = _build(catalog, out)
    assert not report.quick and report.notes and "1 个文件不见了" in report.notes[0]
    assert _tree(out) == _cold(catalog, tmp_path)


def test_site_config_edit_equals_cold_build(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / "site.yaml", "title: 测试区基层政务公开标准目录", "title: 测试新区基层政务公开标准目录")
    _edit(catalog / "site.yaml", "https://example.gov.cn/gkml/", "https://www.example.gov.cn/gkml/")
    _build(catalog, out)
    assert _tree(out) == _cold(catalog, tmp_path)
    assert "测试新区" in (out / "index.html").read_text(encoding="utf-8")


def test_withdrawal_edit_updates_the_pages_that_name_the_item(catalog: Path, tmp_path: Path) -> None:
    """A replacement's new name reaches the withdrawn item's page, which links to it."""
    out = tmp_path / "site"
    _build(catalog, out)
    _edit(catalog / "domains/social-assistance.yaml", "name: 办事指南\n", "name: 低保办事指南\n")
    _build(catalog, out)
    assert _tree(out) == _cold(catalog, tmp_path)


def test_no_change_rebuild_writes_nothing(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = _build(catalog, out)
    before = _stats(out)
    folder = os.stat(out).st_ino
    report = _build(catalog, out)
    assert report.unchanged and report.files == first.files and report.items == first.items
    assert _stats(out) == before and os.stat(out).st_ino == folder
    # The warnings of the last build are reported again.
    assert [p.format() for p in report.problems.sorted()] == [p.format() for p in first.problems.sorted()]


def test_replaced_out_folder_is_not_trusted(catalog: Path, tmp_path: Path) -> None:
    """A --out someone replaced or emptied is rebuilt whole, not assumed current."""
    out = tmp_path / "site"
    _build(catalog, out)
    shutil.rmtree(out)
    out.mkdir()
    report = _build(catalog, out)
    assert not report.unchanged and report.produced == report.files
    assert _tree(out) == _cold(catalog, tmp_path)


def test_failed_incremental_build_leaves_out_untouched(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    before = _tree(out)
    stats = _stats(out)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: ''")
    with pytest.raises(CatalogueError):
        _build(catalog, out)
    assert _tree(out) == before and _stats(out) == stats
    assert not [p for p in tmp_path.iterdir() if ".building-" in p.name]


def test_failure_while_rendering_leaves_linked_files_intact(catalog: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Files linked from the old --out are never written through: a crash mid-build harms nothing."""
    out = tmp_path / "site"
    _build(catalog, out)
    before = _tree(out)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    original = render_stage.produce

    def failing(ctx: object, output: object) -> bytes:
        if getattr(output, "producer", "") == "catalogue":
            raise RuntimeError("disk full")
        return original(ctx, output)  # type: ignore[arg-type]

    monkeypatch.setattr(render_stage, "produce", failing)
    with pytest.raises(RuntimeError):
        _build(catalog, out)
    assert _tree(out) == before


def test_parallel_equals_sequential(catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_stage, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(units, "PARALLEL_FILES", 1)        # the files read by workers too
    _build(catalog, tmp_path / "one", jobs=1, cache=False)
    _build(catalog, tmp_path / "two", jobs=2, cache=False)
    assert _tree(tmp_path / "two") == _tree(tmp_path / "one")
    # With the cache on too, and incrementally after an edit.
    _build(catalog, tmp_path / "two-cached", jobs=2)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, tmp_path / "two-cached", jobs=2)
    _build(catalog, tmp_path / "one-cold", jobs=1, cache=False)
    assert _tree(tmp_path / "two-cached") == _tree(tmp_path / "one-cold")


def test_loading_workers_read_while_the_render_stage_is_prepared(catalog: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What the build prepares beside the loading (Jinja, the theme) must not hold the workers
    back: they were kept waiting for their first file until it was done."""
    monkeypatch.setattr(units, "PARALLEL_FILES", 1)
    started = tmp_path / "started"
    real_read = units.read_unit

    def read_unit(*args: object) -> units.Unit:
        with open(started, "a", encoding="utf-8") as log:      # written by the forked workers
            log.write(f"{time.time()}\n")
        return real_read(*args)  # type: ignore[arg-type]
    monkeypatch.setattr(units, "read_unit", read_unit)
    prepared: list[float] = []

    def beside() -> None:
        time.sleep(1.0)
        prepared.append(time.time())
    problems = Problems()
    read = units.read_units(catalog, site_vocabulary(None), problems, jobs=2, beside=beside)
    assert prepared and read and not problems.errors
    first_read = min(float(line) for line in started.read_text(encoding="utf-8").split())
    assert first_read < prepared[0] - 0.5


@pytest.mark.parametrize("sizes", [[500] * 7, [25_000] * 24 + [23_000] * 200, [17_000] * 3_000,
                                   [3_000_000, 10, 10], [7]])
def test_files_are_handed_out_in_ranges_that_shrink_towards_the_end(sizes: list[int]) -> None:
    ranges = units.file_ranges(sizes, 2)
    # Every file once, in order; none empty.
    assert [i for start, stop in ranges for i in range(start, stop)] == list(range(len(sizes)))
    assert all(stop > start for start, stop in ranges)
    taken = [sum(sizes[start:stop]) for start, stop in ranges]
    # More than one file to a range only within the bounds; the last ranges small, so neither
    # worker waits long for the other's.
    for (start, stop), size in zip(ranges, taken):
        assert stop - start == 1 or size <= units.LARGEST_TASK
    assert taken[-1] <= max(units.SMALLEST_TASK, sizes[-1])
    if len(set(sizes)) == 1:
        assert taken == sorted(taken, reverse=True)
    if sum(sizes) > 8 * units.LARGEST_TASK:
        assert taken[0] > units.LARGEST_TASK // 2        # not a file at a time from the start


@pytest.mark.parametrize("cached", [False, True])
def test_templates_are_compiled_once_by_the_build_not_by_each_render_worker(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bool) -> None:
    """Compiling the theme costs about 0.15 s a process: a cold build compiles each template
    once, while its catalogue files are read, and the forked render workers inherit them."""
    monkeypatch.setattr(render_stage, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(template_cache, "user_folder", lambda: str(tmp_path))   # none compiled yet
    log = tmp_path / "compiled.log"
    real_compile = jinja2.Environment._compile

    def logged(self: jinja2.Environment, source: str, filename: str) -> object:
        # Appended by whichever process compiles: the build's own, or a forked worker.
        with open(log, "a", encoding="utf-8") as written:
            written.write(f"{os.getpid()} {Path(filename).name}\n")
        return real_compile(self, source, filename)
    monkeypatch.setattr(jinja2.Environment, "_compile", logged)

    out = tmp_path / "site"
    _build(catalog, out, jobs=2, cache=cached)
    compiled = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert {pid for pid, _ in compiled} == {str(os.getpid())}
    names = [name for _, name in compiled]
    assert "item.html" in names and "poster.html" in names and len(names) == len(set(names))
    assert (out / "items/edu-enrolment-policy/index.html").is_file()


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from now on (in this process)."""
    names: list[str] = []
    real_compile = jinja2.Environment._compile

    def logged(self: jinja2.Environment, source: str, filename: str) -> object:
        names.append(Path(filename).name)
        return real_compile(self, source, filename)
    monkeypatch.setattr(jinja2.Environment, "_compile", logged)
    return names


def test_a_first_build_of_another_out_takes_the_templates_compiled_for_the_user(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled templates are kept for the user, not beside --out: a cold build of a new folder
    compiles nothing the user's last build compiled, and prints the same site."""
    folder = tmp_path / "compiled"
    folder.mkdir()
    monkeypatch.setattr(template_cache, "user_folder", lambda: str(folder))
    compiles = _compiles(monkeypatch)
    _build(catalog, tmp_path / "one")
    assert "item.html" in compiles and list(folder.iterdir())
    compiles.clear()
    _build(catalog, tmp_path / "two")
    assert compiles == []
    assert _tree(tmp_path / "two") == _tree(tmp_path / "one")
    # Without the cache nothing is kept or taken.
    _build(catalog, tmp_path / "three", cache=False)
    assert "item.html" in compiles


def test_templates_are_kept_beside_out_where_the_user_has_no_safe_folder(
        catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_cache, "user_folder", lambda: None)
    compiles = _compiles(monkeypatch)
    _build(catalog, tmp_path / "site")
    kept = tmp_path / cache.CACHE_FOLDER / "site" / "templates"
    assert "item.html" in compiles and any(kept.iterdir())
    compiles.clear()
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, tmp_path / "site")
    assert compiles == []


def test_the_users_template_folder_is_private() -> None:
    """Compiled templates are code a build runs: nobody else may write where they are kept."""
    folder = USERS_TEMPLATE_FOLDER()
    assert folder is not None
    info = os.stat(folder)
    assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o700


def test_another_theme_folders_templates_unused_for_a_month_are_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "compiled"
    folder.mkdir()
    old, recent, foreign = (folder / "gkml-aaaa-1111-x.cache", folder / "gkml-bbbb-2222-x.cache",
                            folder / "__jinja2_x.cache")
    for path in (old, recent, foreign):
        path.write_bytes(b"")
    month_ago = time.time() - (template_cache.UNUSED_DAYS + 1) * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(foreign, (month_ago, month_ago))
    monkeypatch.setattr(template_cache, "user_folder", lambda: str(folder))
    template_cache.compiled_templates([DEFAULT_THEME], tmp_path / "unused")
    assert not old.exists() and recent.exists() and foreign.exists()   # another program's file stays


def test_cache_lives_beside_out_and_no_cache_ignores_it(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out)
    assert (tmp_path / cache.CACHE_FOLDER / "site" / "state.pickle").is_file()
    report = _build(catalog, out, cache=False)
    assert not report.unchanged and report.produced == report.files


def test_search_index_part_reused_when_its_pages_did_not_change(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out, search=True)
    index = {p: s for p, s in _stats(out).items() if p.startswith(SEARCH_DIR + "/")}
    assert index
    # A catalogue's source note shows on its table only, not on item pages.
    _edit(catalog / "domains/compulsory-education.yaml", "source:", "source: （2025年版）")
    _build(catalog, out, search=True)
    assert {p: s for p, s in _stats(out).items() if p.startswith(SEARCH_DIR + "/")} == index
    assert _tree(out) == _cold(catalog, tmp_path)
    # An item edit changes an indexed page: the index is written again.
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out, search=True)
    assert {p: s for p, s in _stats(out).items() if p.startswith(SEARCH_DIR + "/")} != index


def test_a_search_index_file_removed_from_the_site_is_made_again(catalog: Path, tmp_path: Path) -> None:
    """The search index's files are Pagefind's, not outputs the manifest lists: one removed by
    hand or by a sync must not leave search broken while the build says nothing changed."""
    out = tmp_path / "site"
    _build(catalog, out, search=True)
    index = sorted(p for p in _tree(out, skip_search=False) if p.startswith(SEARCH_DIR + "/"))
    fragment = next(p for p in index if p.startswith(SEARCH_DIR + "/fragment/"))
    (out / fragment).unlink()
    report = _build(catalog, out, search=True)
    assert not report.unchanged
    assert report.notes and "1 个文件不见了" in report.notes[0] and fragment in report.notes[0]
    assert (out / fragment).is_file()
    # The part was indexed again: its pages' fragments are all there, as many files as before
    # (Pagefind names some other files differently in each run).
    again = sorted(p for p in _tree(out, skip_search=False) if p.startswith(SEARCH_DIR + "/"))
    fragments = SEARCH_DIR + "/fragment/"
    assert [p for p in again if p.startswith(fragments)] == [p for p in index if p.startswith(fragments)]
    assert len(again) == len(index)
    # Put back, it is trusted again: the next build has nothing to do.
    assert _build(catalog, out, search=True).unchanged
    # A build without the search index removes it: a file missing from it is not news then.
    (out / fragment).unlink()
    report = _build(catalog, out, search=False)
    assert not report.notes and not (out / SEARCH_DIR).exists()


def _segno_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False, boost_error=True).save(
        buffer, kind="svg", border=4, xmldecl=False, omitsize=True, light="#fff", dark="#000",
        svgclass=None, lineclass=None, title=url, nl=True)
    return buffer.getvalue()


def test_fast_mask_choice_draws_segnos_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789-"
    urls = [f"https://example.gov.cn/gkml/items/x{n:06d}/" for n in range(40)]
    urls += ["https://www.example.gov.cn/" + "".join(rng.choice(letters) for _ in range(rng.randint(1, 250))) + "/"
             for _ in range(60)]
    urls += ["HTTPS://EXAMPLE.GOV.CN/" + "A" * n for n in range(0, 120, 7)]
    monkeypatch.setattr(encoder, "find_and_apply_best_mask", qr_fast.ORIGINAL)
    expected = [_segno_svg(url) for url in urls]
    monkeypatch.setattr(encoder, "find_and_apply_best_mask", qr_fast.find_and_apply_best_mask)
    assert [_segno_svg(url) for url in urls] == expected
    for url in urls:
        code = segno.make(url, error="m", micro=False, boost_error=True)
        assert qr_fast.version_info(url, "m") == (code.version, code.error)


def test_fast_svg_writer_writes_segnos_bytes() -> None:
    rng = random.Random(5)
    urls = [f"https://example.gov.cn/gkml/items/x{n:06d}/" for n in range(30)]
    urls += ["https://www.example.gov.cn/" + "".join(rng.choice("abcdefghij0123-&<>") for _ in range(rng.randint(1, 250)))
             for _ in range(60)]
    for url in urls:
        assert qr.svg(url, f"二维码：{url}") == qr.segno_svg(url, f"二维码：{url}")


def test_no_change_after_the_lock_grew_reports_what_a_fresh_check_reports(catalog: Path, tmp_path: Path) -> None:
    """The first build adds its ids to ids.lock; the next one, with nothing edited, takes the
    fast path and reports exactly the problems a full check of the grown lock reports."""
    long_id = "edu-enrolment-policy-" + "a" * 42
    _edit(catalog / "domains/compulsory-education.yaml", "id: edu-enrolment-policy\n", f"id: {long_id}\n")
    lock = catalog / "ids.lock"
    lock.write_text(lock.read_text(encoding="utf-8").replace("edu-enrolment-policy\n", ""), encoding="utf-8")
    out = tmp_path / "site"
    first = _build(catalog, out, update_lock=True)
    assert any(long_id in p.message for p in first.problems.warnings)   # not locked yet: shorten it now
    assert long_id in lock.read_text(encoding="utf-8")
    again = _build(catalog, out, update_lock=True)
    assert again.unchanged
    fresh = _build(catalog, tmp_path / "fresh", update_lock=True, cache=False)
    assert [p.format() for p in again.problems.sorted()] == [p.format() for p in fresh.problems.sorted()]
    assert not any(long_id in p.message for p in again.problems.warnings)


def test_large_site_old_folder_removed_in_background(catalog: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A city's replaced site is deleted after the swap by a detached process; the build
    publishes at once, and the old folder is gone soon after."""
    import time
    monkeypatch.setattr(render_stage, "BACKGROUND_CLEANUP", 1)
    out = _built_then_edited(catalog, tmp_path)
    _build(catalog, out)
    assert _tree(out) == _cold(catalog, tmp_path)
    for _ in range(100):
        if not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]:
            break
        time.sleep(0.1)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_checked_files_are_reused_and_pruned(catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged catalogue files are not parsed or checked again; an edited file's old result is dropped."""
    from generator import units
    out = tmp_path / "site"
    _build(catalog, out)
    kept = tmp_path / cache.CACHE_FOLDER / "site" / "units"
    first = {p.name for p in kept.iterdir()}
    assert len(first) == 3          # the three catalogue files
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    read: list[str] = []
    original = units.read_unit
    monkeypatch.setattr(units, "read_unit", lambda kind, path, *rest: read.append(path.name) or original(kind, path, *rest))
    _build(catalog, out)
    assert read == ["compulsory-education.yaml"]
    second = {p.name for p in kept.iterdir()}
    assert len(second) == 3 and len(first & second) == 2
    assert _tree(out) == _cold(catalog, tmp_path)
    # A file with an error is reported the same way with the cache on, and not kept.
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策（新）", "name: [招生")
    with pytest.raises(CatalogueError) as failed:
        _build(catalog, out)
    assert "compulsory-education.yaml" in failed.value.problems.sorted()[0].format()
    assert len(list(kept.iterdir())) == 2


def test_edit_moves_only_changed_files_into_the_same_folder(catalog: Path, tmp_path: Path) -> None:
    """An edit publishes by moving its few files into --out: the folder and every other file stay."""
    out = tmp_path / "site"
    _build(catalog, out)
    folder = os.stat(out).st_ino
    page = out / "items/sa-dibao-guide/index.html"
    untouched = page.stat().st_ino
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out)
    assert os.stat(out).st_ino == folder and page.stat().st_ino == untouched
    assert "招生入学政策（新）" in (out / "items/edu-enrolment-policy/index.html").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if ".patch-" in p.name]
    assert _tree(out) == _cold(catalog, tmp_path)


def test_catalogue_dropped_by_an_edit_is_removed_from_out(catalog: Path, tmp_path: Path) -> None:
    """Outputs the new build no longer has are deleted, with the folders they leave empty."""
    out = tmp_path / "site"
    (catalog / "ids.lock").unlink()     # never published: its catalogues may still go
    _build(catalog, out)
    assert (out / "domains/social-assistance/index.html").is_file()
    _edit(catalog / "site.yaml", "domains: [compulsory-education, social-assistance]", "domains: [compulsory-education]")
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out)
    assert not (out / "domains/social-assistance").exists()
    assert _tree(out) == _cold(catalog, tmp_path)
    assert not [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]


def test_build_killed_while_moving_files_in_is_finished_by_the_next(catalog: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import publish
    out = _built_then_edited(catalog, tmp_path)
    moved: list[object] = []
    real_replace = os.replace

    def dies_after_one(source: object, target: object) -> None:
        if moved and str(target).startswith(str(out)):
            raise KeyboardInterrupt
        real_replace(source, target)   # type: ignore[arg-type]
        if str(target).startswith(str(out)):
            moved.append(target)

    monkeypatch.setattr(publish.os, "replace", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        _build(catalog, out)
    monkeypatch.setattr(publish.os, "replace", real_replace)
    assert len(moved) == 1 and [p for p in tmp_path.iterdir() if ".patch-" in p.name]
    _build(catalog, out)
    assert not [p for p in tmp_path.iterdir() if ".patch-" in p.name]
    assert _tree(out) == _cold(catalog, tmp_path)


def test_open_data_joined_from_kept_pieces_is_what_one_encoder_writes(catalog: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """catalog.json and catalog.csv, joined from per-catalogue pieces, equal one encoding of the whole;
    after an edit only the edited catalogue's pieces are encoded again, the rest copied."""
    import csv
    import json

    from generator import opendata
    out = tmp_path / "site"
    _build(catalog, out)
    encoded: list[str] = []
    for name in ("_json_items", "_csv_rows", "_catalogue_urls"):
        real = getattr(opendata, name)
        monkeypatch.setattr(opendata, name, lambda model, ident, real=real: encoded.append(ident) or real(model, ident))
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out)
    assert encoded == ["compulsory-education"] * 3     # json, csv and sitemap: the other catalogues copied
    text = (out / "catalog.json").read_text(encoding="utf-8")
    data = json.loads(text)
    # The joined file is the cold build's (compared above) and what its own layout says: the
    # head indented, then one item per line.
    lines = text.split("\n")
    start = lines.index(' "items": [')
    assert [json.loads(line.strip().rstrip(",")) for line in lines[start + 1:-3]] == data["items"]
    assert lines[-3:] == [" ]", "}", ""] and json.loads("\n".join(lines[:start]).rstrip(",") + "}") == {
        k: v for k, v in data.items() if k != "items"}
    assert "招生入学政策（新）" in {item["name"] for item in data["items"]}
    table = (out / "catalog.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(table, newline="")))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert buffer.getvalue() == table and len(rows) == 1 + len(data["items"])
    assert _tree(out) == _cold(catalog, tmp_path)


def test_edit_in_the_same_second_as_the_build_is_seen(catalog: Path, tmp_path: Path) -> None:
    """Files are not read again when their stat is unchanged, but a fresh edit is always read."""
    out = tmp_path / "site"
    path = catalog / "domains/compulsory-education.yaml"
    _build(catalog, out)
    stat = path.stat()
    # Same size, same modification time: only the content differs (an editor's fast save).
    _edit(path, "name: 招生入学政策", "name: 招生入学政箓")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    report = _build(catalog, out)
    assert not report.unchanged
    assert "招生入学政箓" in (out / "items/edu-enrolment-policy/index.html").read_text(encoding="utf-8")


def test_unchanged_catalogues_outputs_are_not_even_fingerprinted(catalog: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit in one catalogue leaves the others' outputs to the manifest: none is looked at again."""
    out = _built_then_edited(catalog, tmp_path)
    looked_at: list[str] = []
    original = cache.Fingerprints.of
    monkeypatch.setattr(cache.Fingerprints, "of", lambda self, output: looked_at.append(output.path) or original(self, output))
    _build(catalog, out)
    assert "items/edu-enrolment-policy/index.html" in looked_at
    assert not [p for p in looked_at if p.startswith(("items/sa-", "domains/social-assistance/"))]
    assert _tree(out) == _cold(catalog, tmp_path)
    # A withdrawn item names its replacement: renaming the replacement reaches the other catalogue.
    _edit(catalog / "domains/social-assistance.yaml", "name: 办事指南\n", "name: 低保办事指南\n")
    _build(catalog, out)
    assert _tree(out) == _cold(catalog, tmp_path)


def test_validate_reports_the_same_problems_from_its_kept_files(catalog: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`gkml validate` keeps checked files too: a second run reads none and says the same."""
    from generator import units
    from generator.commands import validate
    _edit(catalog / "domains/compulsory-education.yaml", "subject: 区教育局", "subject: ''")
    options = BuildOptions(catalog=catalog, content=None, jobs=1)
    assert validate.run(options) == 1
    first = capsys.readouterr().err
    assert "compulsory-education.yaml" in first and "error:" in first
    read: list[str] = []
    original = units.read_unit
    monkeypatch.setattr(units, "read_unit", lambda kind, path, *rest: read.append(path.name) or original(kind, path, *rest))
    assert validate.run(options) == 1
    assert capsys.readouterr().err == first and read == []
    assert (tmp_path / cache.CACHE_FOLDER / "validate" / "units").is_dir()


def test_search_index_follows_the_search_option_across_patches(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _build(catalog, out, search=True)
    assert (out / SEARCH_DIR / "pagefind.js").is_file()
    _build(catalog, out, search=False)
    assert not (out / SEARCH_DIR).exists()
    assert _tree(out) == _cold(catalog, tmp_path, search=False)
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, out, search=True)
    assert (out / SEARCH_DIR / "pagefind.js").is_file()
    assert not [p for p in tmp_path.iterdir() if ".patch-" in p.name or ".old-" in p.name]


def test_progress_reports_files_read_then_pages(catalog: Path, tmp_path: Path) -> None:
    """A city's cold build spends seconds reading files before the first page: the bar says so."""
    seen: list[tuple[str, int, int]] = []
    _build(catalog, tmp_path / "site", progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [stage for stage, _, _ in seen]
    assert ("check", 3, 3) in seen and "render" in stages
    assert stages.index("check") < stages.index("render")
    seen.clear()
    _edit(catalog / "domains/compulsory-education.yaml", "name: 招生入学政策", "name: 招生入学政策（新）")
    _build(catalog, tmp_path / "site", progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert ("check", 1, 1) in seen      # only the edited file was read


def test_cache_left_by_another_gkml_version_is_not_trusted(catalog: Path, tmp_path: Path) -> None:
    """An upgrade finds a state pickled by an older gkml (fewer fields): it builds afresh, no traceback."""
    import pickle
    out = _built_then_edited(catalog, tmp_path)
    state_path = tmp_path / cache.CACHE_FOLDER / "site" / "state.pickle"
    state = pickle.loads(state_path.read_bytes())
    del state.__dict__["owners"], state.__dict__["code"]      # as the previous release wrote it
    state_path.write_bytes(pickle.dumps(state))
    report = _build(catalog, out)
    assert report.produced == report.files
    assert _tree(out) == _cold(catalog, tmp_path)
    assert _build(catalog, out).unchanged


# --- the libraries' versions in the cache's key ---------------------------------------------


def test_library_versions_are_those_importlib_metadata_reports() -> None:
    from importlib import metadata
    listed = cache._versions().split(" ")[1:]
    assert listed == [f"{name}={metadata.version(name)}" for name in cache.LIBRARIES]


def test_a_library_installed_again_changes_the_key_and_unclear_installs_ask_importlib_metadata(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer segno earlier on sys.path is the one imported, so its version is the one keyed;
    an ``.egg-info`` or two versions in one folder are left to ``importlib.metadata``."""
    from importlib import metadata
    before, segno_version = cache._versions(), metadata.version("segno")
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "segno-99.1.dist-info").mkdir(parents=True)
    (second / "Jinja2-0.1.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(first), *sys.path, str(second)])
    after = cache._versions()
    assert "segno=99.1" in after and after.replace("segno=99.1", f"segno={segno_version}") == before
    (first / "segno-99.2.dist-info").mkdir()
    (first / "PyYAML-0.9-py3.11.egg-info").mkdir()
    asked: list[str] = []
    monkeypatch.setattr(cache, "_version_from_metadata", lambda name: asked.append(name) or "?")
    unclear = cache._versions()
    assert sorted(asked) == ["pyyaml", "segno"]
    assert "segno=?" in unclear and "pyyaml=?" in unclear
