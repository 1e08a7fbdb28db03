"""The search index: Chinese search terms for every item page, and the Pagefind run over them.

Pagefind's own Chinese segmentation splits text in ways a resident's query does not: it has
been seen to cut 中华人民共和国政府信息公开条例 into 中华/人民/共和/国政/府/…, so 政府 finds
nothing. Each active item page therefore carries hidden lines of words segmented here with
jieba (``cut_for_search``, which also yields the shorter words inside long ones) plus the
residents' own ``keywords``, one line per field weight.

In the browser, Pagefind cuts the query again, with the browser's segmenter (ICU), and every
piece must start an indexed word. ICU splits many words jieba keeps whole (特困 → 特 + 困,
低保 → 低 + 保), so the single characters and the tails of each word are indexed as well, at
half the weight of the word (see :func:`_pieces`).

The index is written by Pagefind (extended build) as a finisher, after every page exists.
Pagefind has been reported to run out of memory above ~30,000 pages, so a large site is split
into parts of at most :data:`SPLIT_THRESHOLD` items, one Pagefind run each, whole catalogues kept
together where they fit; the search page queries every part and merges the results (search.js).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache, segment_dictionary
from .model import Item, SiteModel
from .outputs import Output, finisher, planner
from .problems import CatalogueError, Problems

if TYPE_CHECKING:
    from .render_context import RenderContext

#: The folder (under the site root) that holds the index; the search page loads it from here.
PAGEFIND_DIR = "pagefind"
#: Most items one Pagefind run indexes; above it the index is split. Pagefind extended has been
#: reported to run out of memory above ~30,000 pages; with the term lines an item page carries,
#: one run over 10,000 items peaks at about 1.5 GB (tests/perf/search_cost.py), which a small
#: server or CI runner can still give it.
SPLIT_THRESHOLD = 10_000
#: The Pagefind executable; ``None`` means the one shipped by the pagefind-bin-extended package.
PAGEFIND: Path | None = None

#: Field weights (Pagefind's ``data-pagefind-weight``; body text is 1): the name and 一级事项 a
#: resident searches for rank above an item that merely mentions the word in its content.
WEIGHT_NAME = 10
WEIGHT_KEYWORDS = 8
WEIGHT_CATEGORY = 7
WEIGHT_SUBJECT = 2
WEIGHT_BODY = 1

#: Splits 公开主体 such as "区民政局、街道办事处" into the bodies a filter offers one by one.
_SUBJECT_SEPARATORS = re.compile(r"[、，,；;/／\s]+")
#: A term worth indexing holds at least one letter, digit or CJK character.
_WORDLIKE = re.compile(r"\w")
_CJK_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
#: Whole short values are indexed as one term too, in case a query arrives unsegmented.
_WHOLE_VALUE_MAX = 16


class SearchIndexError(CatalogueError):
    """Pagefind could not write the index: the build fails and ``--out`` stays as it was."""

    def __init__(self, where: Path, message: str):
        problems = Problems()
        problems.error(where, None, message)
        super().__init__(problems)


# --- terms, segmented on the Python side ---------------------------------------------------


@functools.cache
def _tokenizer() -> Any:
    """One jieba tokenizer per process, quiet, its dictionary cache kept in the temp folder.

    Our own ``Tokenizer`` (not jieba's global one) so that no other code's ``add_word`` can change
    how pages are segmented: the same item must give the same terms in every build. Its dictionary
    is read a first character at a time as texts need it (:mod:`.segment_dictionary`): an
    incremental build segments a few texts and should not wait for all of it.
    """
    jieba = _import_jieba()
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()
    segment_dictionary.install(tokenizer)
    return tokenizer


def _import_jieba() -> Any:
    """``import jieba``, without the setuptools ``pkg_resources`` it imports only to find its own
    dictionary file: importing that scans every installed package (0.1–0.2 s, a fifth of an
    edit's build), and jieba's fallback opens the same file beside its module."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        import jieba
    finally:
        if sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


def prepare() -> None:
    """Import jieba and open its dictionary now, in the parent process, so forked render workers
    share them; each worker then reads only the parts of the dictionary its texts need."""
    _tokenizer()


def segment(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """(words, pieces) of ``texts``: jieba's words, and the pieces inside them; sorted, unique."""
    words: set[str] = set()
    pieces: set[str] = set()
    for text in texts:
        text_words, text_pieces = _segment_one(text.strip())
        words |= text_words
        pieces |= text_pieces
    pieces -= words
    return sorted(words), sorted(pieces)


@functools.lru_cache(maxsize=65536)
def _segment_one(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(words, pieces) of one text. Kept per text: a city's items repeat the same catalogue
    names, legal bases, subjects and 要素 thousands of times, and jieba is most of a page's cost."""
    if not text:
        return frozenset(), frozenset()
    words: set[str] = set()
    pieces: set[str] = set()
    if len(text) <= _WHOLE_VALUE_MAX and not re.search(r"\s", text):
        words.add(text.lower())
        # The browser may cut a query across jieba's word boundaries (参保|证明 → 参/保证/明):
        # a tail of the whole value starts with any such piece.
        pieces.update(_pieces(text.lower()))
    for word in _tokenizer().cut_for_search(text):
        word = word.strip().lower()
        # Single characters (区, 的, 第) match almost every item; they only add noise.
        if len(word) >= 2 and _WORDLIKE.search(word):
            words.add(word)
            pieces.update(_pieces(word))
    return frozenset(words), frozenset(pieces)


def _pieces(word: str) -> list[str]:
    """The characters and the tails of a Chinese word: 社保卡 → 社, 保, 卡, 保卡.

    In the browser Pagefind cuts a query with the browser's own word segmenter (ICU), which
    splits many words jieba keeps whole — 特困 becomes 特 + 困, 低保 becomes 低 + 保 — and then
    requires every piece to be the start of some indexed word. Any run of characters inside a
    word starts one of the word's tails, and a single character matches exactly, so every
    piece of a word the item contains is found.
    """
    if not _CJK_WORD.fullmatch(word):
        return []
    return [*word, *(word[i:] for i in range(1, len(word) - 1))]


def split_subjects(text: str) -> list[str]:
    """The bodies named in a 公开主体, in the order written, each once."""
    return list(dict.fromkeys(p for p in _SUBJECT_SEPARATORS.split(text) if p))


def subjects(item: Item) -> list[str]:
    return split_subjects(item.subject)


def item_terms(model: SiteModel, item: Item) -> list[tuple[str, int, str]]:
    """(field, weight, line) for the hidden lines of one item page: the words of each field at
    its weight, then their pieces at half of it (a piece of a word is weaker evidence)."""
    catalogue = model.catalogues_by_id[item.catalogue_id]
    body = [catalogue.name, item.group or "", *item.content, item.audience_group or "", item.notes or ""]
    for basis in item.basis:
        body += [basis.title, basis.number or ""]
    fields = [
        ("name", WEIGHT_NAME, [item.name]),
        ("keywords", WEIGHT_KEYWORDS, list(item.keywords)),
        ("category", WEIGHT_CATEGORY, [item.category]),
        ("subject", WEIGHT_SUBJECT, [item.subject, *subjects(item)]),
        ("body", WEIGHT_BODY, body),
    ]
    lines: list[tuple[str, int, str]] = []
    for field, weight, texts in fields:
        words, pieces = segment(texts)
        if words:
            lines.append((field, weight, " ".join(words)))
        if pieces:
            lines.append((field + "-pieces", max(1, weight // 2), " ".join(pieces)))
    return lines


@planner
def prepare_item_search(ctx: "RenderContext") -> Iterable[Output]:
    """Give item templates ``search_terms(item)``; writes no file of its own."""
    model = ctx.model
    if model.items:
        prepare()
    ctx.extras["search_terms"] = functools.partial(item_terms, model)
    ctx.extras["search_subjects"] = subjects
    return ()


# --- splitting a large site -----------------------------------------------------------------


def index_parts(model: SiteModel, threshold: int | None = None) -> list[tuple[Item, ...]]:
    """The active items in parts of at most ``threshold``, one Pagefind run each.

    A part holds whole catalogues while they fit, so a filter by catalogue usually reads one
    part; a catalogue larger than the threshold is cut in item order. Always at least one part.
    """
    actives = {c.id: c.active_items for c in model.catalogues}
    return [tuple(item for ident, start, stop in part for item in actives[ident][start:stop])
            for part in part_plan(model, threshold)]


def part_plan(model: SiteModel, threshold: int | None = None) -> list[list[tuple[str, int, int]]]:
    """:func:`index_parts` as (catalogue id, first, stop) ranges of active items, from the
    catalogues' summaries alone (the search page counts the parts without the items)."""
    limit = max(1, threshold or SPLIT_THRESHOLD)
    parts: list[list[tuple[str, int, int]]] = [[]]
    filled = 0
    for summary in model.summaries:
        start, count = 0, summary.active_count
        if filled and filled + count > limit:
            parts.append([])
            filled = 0
        while start < count:
            room = limit - filled
            if room <= 0:
                parts.append([])
                filled = 0
                continue
            stop = min(count, start + room)
            parts[-1].append((summary.id, start, stop))
            filled += stop - start
            start = stop
    return parts


def part_count(model: SiteModel) -> int:
    return len(part_plan(model))


def part_dirs(count: int) -> list[str]:
    """Folders of the parts below :data:`PAGEFIND_DIR`: the first part is the main bundle."""
    return [""] + [f"part-{n}/" for n in range(2, count + 1)]


# --- running Pagefind -----------------------------------------------------------------------


def pagefind_executable() -> Path:
    if PAGEFIND is not None:
        return PAGEFIND
    try:
        from pagefind_bin_extended import get_executable
        return Path(get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise SearchIndexError(Path("pagefind"), "找不到 Pagefind 搜索索引程序：请安装 pagefind-bin-extended"
                               f"（pip install pagefind-bin-extended）（{exc}）") from exc


def pagefind_command(site: Path, output: Path) -> list[str]:
    """Explicit flags: the item pages only, one language, errors and warnings only."""
    return [
        str(pagefind_executable()),
        "--site", str(site),
        "--output-path", str(output),
        "--glob", "items/*/index.html",
        "--force-language", "zh-cn",
        "--quiet",
    ]


def run_pagefind(site: Path, output: Path) -> None:
    command = pagefind_command(site, output)
    try:
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace",
                              check=False, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise SearchIndexError(Path(command[0]), f"无法运行 Pagefind 生成搜索索引：{exc.strerror or exc}") from exc
    if done.returncode != 0:
        tail = " / ".join(line.strip() for line in (done.stderr + done.stdout).splitlines()[-5:] if line.strip())
        raise SearchIndexError(Path(command[0]), f"Pagefind 生成搜索索引失败（退出码 {done.returncode}）"
                               f"{'：' + tail if tail else ''}")
    if not (output / "pagefind.js").is_file():
        raise SearchIndexError(Path(command[0]), f"Pagefind 没有写出搜索索引 {output / 'pagefind.js'}")


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # a filesystem without hard links
        shutil.copyfile(source, target)


def part_pages(model: SiteModel, threshold: int | None = None) -> list[list[tuple[str, str]]]:
    """:func:`index_parts` as (catalogue id, page path) of each item page, from the summaries
    alone: an edit's quick build indexes without the other catalogues' items at hand."""
    by_id = model.summaries_by_id
    return [[(ident, f"items/{item_id}/index.html") for ident, start, stop in part
             for item_id in by_id[ident].active_ids[start:stop]]
            for part in part_plan(model, threshold)]


def write_index(stage: Path, parts: Sequence[Sequence[tuple[str, str]]]) -> None:
    """Index each part's item pages into ``stage/pagefind/`` (first part) and its part folders.

    Each run sees a scratch tree holding only its part's pages, at their site paths, so result
    URLs are the pages' own and no run parses the rest of the site.
    """
    scratch = stage / ".search-index-work"
    # An incremental build keeps the parts whose pages are byte for byte the last build's.
    reuse = cache.SearchReuse(stage, PAGEFIND_DIR)
    try:
        for number, (pages, folder) in enumerate(zip(parts, part_dirs(len(parts)), strict=True), 1):
            if reuse.keep(folder, pages):
                continue
            tree = scratch / str(number)
            for _, page in pages:
                _link(reuse.page(page), tree / page)
            tree.mkdir(parents=True, exist_ok=True)
            run_pagefind(tree, stage / PAGEFIND_DIR / folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reuse.link_kept()


@finisher
def search_index(ctx: "RenderContext", stage: Path) -> None:
    write_index(stage, part_pages(ctx.model))
