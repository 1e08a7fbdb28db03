"""The search index: a search record of every active item, and the Pagefind runs over them.

Pagefind's own Chinese segmentation splits text in ways a resident's query does not: it has
been seen to cut 中华人民共和国政府信息公开条例 into 中华/人民/共和/国政/府/…, so 政府 finds
nothing. So Pagefind does not read the item pages. It reads one small record per active item
(the theme's ``search_record.html``, never published), written under the item page's path so
that each result opens the page: lines of words segmented here with jieba (``cut_for_search``,
which also yields the shorter words inside long ones) plus the residents' own ``keywords``,
one line per field weight, and the filters and what a result shows. Item pages carry nothing
for search; a phone that opens one from a QR code downloads only what it shows.

In the browser, Pagefind cuts the query again, with the browser's segmenter (ICU), and every
piece must start an indexed word. ICU splits many words jieba keeps whole (特困 → 特 + 困,
低保 → 低 + 保), so the single characters and the tails of each word are indexed as well, at
half the weight of the word (see :func:`_pieces`).

The records are made from the model, not from rendered pages, so the index is written while
the pages are (render_stage.py runs this finisher beside the render workers). Pagefind has been
reported to run out of memory above ~30,000 pages, so a large site is split into parts of at
most :data:`SPLIT_THRESHOLD` items, one Pagefind run each, whole catalogues kept together where
they fit; the search page queries every part and merges the results (search.js).
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
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from . import cache, segment_dictionary
from .model import Catalogue, Item, SiteModel
from .outputs import finisher
from .problems import CatalogueError, Problems
from .publish import create_file
from .summary import split_subjects
from .theme import Theme, template_error

if TYPE_CHECKING:
    from .render_context import RenderContext

#: The folder (under the site root) that holds the index; the search page loads it from here.
PAGEFIND_DIR = "pagefind"
#: Most items one Pagefind run indexes; above it the index is split. Pagefind's memory grows
#: with the records it holds, about 110 KB each (a 5,000-record run peaks at about 550 MB,
#: tests/perf/search_cost.py), so this bounds each run; a part costs a first query across the
#: whole site its metadata (≈ 25 KiB) and its index chunks of the query's words; Pagefind's
#: scripts and WebAssembly are downloaded once for all the parts (see search.js).
SPLIT_THRESHOLD = 5_000
#: Pagefind runs at once once the pages are written: each indexes on about one core. With the
#: model (about 0.5 GB for 100,000 items) that keeps a city's build under 2 GB; while the render
#: workers run, one run at a time does (see write_index).
PAGEFIND_RUNS = 2
#: The theme template of one item's search record (never published: Pagefind reads it).
RECORD_TEMPLATE = "search_record.html"
#: Records made before they are written (see write_records).
RECORD_BATCH = 256
#: The Pagefind executable; ``None`` means the one shipped by the pagefind-bin-extended package.
PAGEFIND: Path | None = None

#: Field weights (Pagefind's ``data-pagefind-weight``; body text is 1): the name and 一级事项 a
#: resident searches for rank above an item that merely mentions the word in its content.
WEIGHT_NAME = 10
WEIGHT_KEYWORDS = 8
WEIGHT_CATEGORY = 7
WEIGHT_SUBJECT = 2
WEIGHT_BODY = 1

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
    return _segment_all(tuple(texts))


@functools.lru_cache(maxsize=16384)
def _segment_all(texts: tuple[str, ...]) -> tuple[list[str], list[str]]:
    # Kept per field's texts: items of a catalogue share their 一级事项 and 公开主体, and many
    # their whole body (catalogue, 要素 and legal bases); the lists are never changed.
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
        if len(word) >= 2 and _WORDLIKE.search(word):
            words.add(word)
            pieces.update(_pieces(word))
        elif _WORDLIKE.search(word):
            # A single character (区, 的, 4, T) is no word worth ranking by, but a query copied
            # from a title holds it (…制度的意见, GB/T), and every piece of a query must match.
            pieces.add(word)
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


def subjects(item: Item) -> list[str]:
    return split_subjects(item.subject)


def item_terms(catalogue: Catalogue, item: Item) -> list[tuple[str, int, str]]:
    """(field, weight, line) for the term lines of one item's search record: the words of each
    field at its weight, then their pieces at half of it (a piece of a word is weaker evidence).
    The 时限 and 渠道 are left out: nearly every item says the same there (the channels are a
    filter), and they would add a fifth to what Pagefind indexes and a quarter to its memory."""
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
        if field == "body":
            # The body's single characters only: its words' tails were a fifth of a record's
            # terms and found nothing the words and characters miss (tests/test_search.py: every
            # legal basis still finds its items), while names' tails do find items.
            pieces = [piece for piece in pieces if len(piece) == 1]
        if pieces:
            lines.append((field + "-pieces", max(1, weight // 2), " ".join(pieces)))
    return lines


def record(theme: Theme, catalogue: Catalogue, item: Item) -> bytes:
    """The search record of one active item: a small HTML document Pagefind indexes under the
    item page's URL (see the template for what it holds and why)."""
    try:
        return theme.render([RECORD_TEMPLATE], item=item, catalogue=catalogue, terms=item_terms(catalogue, item),
                            subjects=subjects(item)).encode("utf-8")
    except jinja2.TemplateError as exc:
        raise template_error(exc, f"事项 {item.id} 的搜索记录") from None


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


class _Run:
    """One Pagefind run in the background: started on a part's records, waited for later.
    What it prints goes to a file, not a pipe: nobody reads a pipe while it runs."""

    def __init__(self, site: Path, output: Path):
        self.command = pagefind_command(site, output)
        self.site, self.output = site, output
        self.said = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(self.command, stdout=self.said, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.said.close()
            raise SearchIndexError(Path(self.command[0]),
                                   f"无法运行 Pagefind 生成搜索索引：{exc.strerror or exc}") from exc

    def ended(self) -> bool:
        return self.process.poll() is not None

    def wait(self, stop: threading.Event | None = None) -> None:
        """Wait for the run; a build given up meanwhile (``stop``) ends it instead."""
        while stop is not None and self.process.poll() is None:
            if stop.wait(0.2):
                self.kill()
                return
        code = self.process.wait()
        self.said.seek(0)
        said = self.said.read().decode("utf-8", "replace")
        self.said.close()
        if code != 0:
            tail = " / ".join(line.strip() for line in said.splitlines()[-5:] if line.strip())
            raise SearchIndexError(Path(self.command[0]), f"Pagefind 生成搜索索引失败（退出码 {code}）"
                                   f"{'：' + tail if tail else ''}")
        if not (self.output / "pagefind.js").is_file():
            raise SearchIndexError(Path(self.command[0]), f"Pagefind 没有写出搜索索引 {self.output / 'pagefind.js'}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.said.close()


def start_pagefind(site: Path, output: Path) -> _Run:
    """Start indexing the records under ``site`` into ``output``; its ``wait()`` raises a
    :class:`SearchIndexError` for any failure."""
    return _Run(site, output)


def record_template_digest(theme: Theme) -> bytes:
    """The record template as the theme in use has it (a site's own theme may change it)."""
    source = theme.env.loader.get_source(theme.env, RECORD_TEMPLATE)[0]  # type: ignore[union-attr]
    return cache.digest(source.encode("utf-8"))


def part_key(model: SiteModel, part: Sequence[tuple[str, int, int]], template: bytes) -> bytes:
    """What one part's index is made of: its catalogues' ranges and their search digests."""
    by_id = model.summaries_by_id
    return cache.digest(template + b"".join(f"{ident}\0{start}\0{stop}\0".encode() + by_id[ident].search_digest
                                            for ident, start, stop in part))


def write_records(ctx: "RenderContext", part: Sequence[tuple[str, int, int]], tree: Path,
                  given_up: threading.Event) -> None:
    """Write the search record of each of ``part``'s items at its page's path under ``tree``,
    so each result's URL is the item page's own."""
    items = os.path.join(tree, "items")
    os.makedirs(items, exist_ok=True)
    for ident, start, stop in part:
        if given_up.is_set():
            return
        catalogue = ctx.catalogue(ident)
        active = catalogue.active_items[start:stop]
        # Made a batch at a time, then written (as the pages are, see render_stage._Writer.write_many),
        # with bare system calls, not pathlib's (a city writes 100,000 records).
        for first in range(0, len(active), RECORD_BATCH):
            batch = active[first:first + RECORD_BATCH]
            for item, text in zip(batch, [record(ctx.theme, catalogue, item) for item in batch]):
                folder = os.path.join(items, item.id)
                os.mkdir(folder)
                create_file(os.path.join(folder, "index.html"), text)


def write_index(ctx: "RenderContext", stage: Path, threshold: int | None = None,
                stop: threading.Event | None = None, rendering: threading.Event | None = None) -> None:
    """Index the active items into ``stage/pagefind/`` (first part) and its part folders.

    Each Pagefind run reads a scratch tree holding only its part's records and writes a
    scratch folder, moved into place once every run succeeded. Pagefind indexes on about one
    core, so :data:`PAGEFIND_RUNS` parts are indexed at once while the next part's records are
    written — one only while the render workers still run (``rendering`` is set), which keeps
    the whole build's memory within :data:`PAGEFIND_RUNS` runs plus the model.
    A part whose catalogues' records are as the last build had them is linked from the previous
    ``--out`` instead.
    """
    stop = stop or threading.Event()
    model = ctx.model
    parts = part_plan(model, threshold)
    template = record_template_digest(ctx.theme)
    scratch = stage / ".search-index-work"
    reuse = cache.SearchReuse(stage, PAGEFIND_DIR)
    running: list[_Run] = []
    done: list[tuple[Path, str]] = []
    try:
        for number, (part, folder) in enumerate(zip(parts, part_dirs(len(parts)), strict=True), 1):
            if reuse.keep(folder, part_key(model, part, template)):
                continue
            tree = scratch / str(number)
            tree.mkdir(parents=True)
            write_records(ctx, part, tree, stop)
            _make_room(running, stop, rendering)
            if stop.is_set():
                return
            index = scratch / f"index-{number}"
            running.append(start_pagefind(tree, index))
            done.append((index, folder))
        while running and not stop.is_set():
            _finish(running.pop(0), stop)
        if stop.is_set():
            return
        # The first part's folder holds the others: it goes in first.
        for index, folder in done:
            target = stage / PAGEFIND_DIR / folder
            target.parent.mkdir(parents=True, exist_ok=True)
            index.rename(target)
    finally:
        for run in running:
            run.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    reuse.link_kept()
    reuse.record(part_dirs(len(parts)))


def _make_room(running: list[_Run], stop: threading.Event, rendering: threading.Event | None) -> None:
    """Wait until another run may start: fewer than :data:`PAGEFIND_RUNS` are running, or,
    while the render workers hold their memory, none is."""
    while running and not stop.is_set():
        limit = 1 if rendering is not None and rendering.is_set() else max(1, PAGEFIND_RUNS)
        for run in [run for run in running if run.ended()]:
            running.remove(run)
            _finish(run, stop)
        if len(running) < limit:
            return
        stop.wait(0.1)


def _finish(run: _Run, stop: threading.Event) -> None:
    """Wait for ``run`` (raising its failure) and drop the records it read."""
    run.wait(stop)
    shutil.rmtree(run.site, ignore_errors=True)
    if not stop.is_set():
        share_webassembly(run.output)


#: Where Pagefind's web worker fetches its WebAssembly from: its part's folder …
_WASM_OF_PART = b"`${this.basePath}wasm.${language}.pagefind`"
#: … and where it fetches it from once we have made it: the folder of the worker's own script.
_WASM_BESIDE_WORKER = b'`${new URL(".", self.location.href).href}wasm.${language}.pagefind`'


def share_webassembly(folder: Path) -> None:
    """Make ``folder``'s Pagefind worker fetch its WebAssembly from beside itself.

    search.js starts every part's worker from the first part's ``pagefind-worker.js``, and the
    WebAssembly is the same file in every part (≈ 66 KiB, one Pagefind, one language): each
    worker then fetches the first part's, so a city-wide first query downloads it once, not
    once for each of its 20 parts. Where a part's own copy of Pagefind starts its own worker
    (a strict Content-Security-Policy, see search.js) that worker fetches its own part's.
    A Pagefind whose worker fetches it some other way is left as it is.
    """
    worker = folder / "pagefind-worker.js"
    try:
        script = worker.read_bytes()
    except FileNotFoundError:
        return              # a Pagefind that searches without a worker
    if script.count(_WASM_OF_PART) == 1:
        worker.write_bytes(script.replace(_WASM_OF_PART, _WASM_BESIDE_WORKER))


@finisher
def search_index(ctx: "RenderContext", stage: Path, stop: threading.Event | None = None,
                 rendering: threading.Event | None = None) -> None:
    write_index(ctx, stage, stop=stop, rendering=rendering)
