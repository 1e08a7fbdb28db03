"""Incremental builds: redo only what changed since the last build of the same ``--out``.

A city's site holds 100,000 items and 300,000 files; an editor who fixes one item should not
wait for all of them. The cache lives in ``.gkml-cache/<out name>/`` beside ``--out`` (git
ignores ``.gkml-*``) and holds, from the last successful build:

* ``files.marshal`` — each input file's digest with its ``stat`` (:class:`FileDigests`), so an
  unchanged file is not read again just to learn that it is unchanged.
* ``state.pickle`` — the fingerprint of every input (catalogue, content and theme files, the
  options, gkml's own code and the libraries that shape output). When nothing changed and the
  published folder is still the one that build published, the build stops there: no file is
  read twice, none is written (:meth:`BuildCache.unchanged`).
* ``units/`` — each catalogue file checked on its own (:mod:`units`).
* ``outputs.marshal`` — for every output path, the fingerprint of what it was made from and the
  digest of its bytes. A new build computes each output's fingerprint; when it matches, the
  previous file is reused. An output whose fingerprint changed is produced, and if its bytes
  come out the same it is reused too, so only files whose bytes changed are written (the
  others keep their inode and mtime: a deploy by rsync copies little).
* ``joins.marshal`` — where each catalogue's piece sits in the site-wide files joined from
  per-catalogue pieces (:mod:`joined`), so the next build copies the unchanged ones.

Publishing stays atomic for failures (:mod:`publish`): changed files go to a new staging
folder first and reach ``--out`` only when the whole build succeeded; a file of the previous
``--out`` is never written to (new bytes always go to a new file).

An output's fingerprint covers what its producer reads. The producers of one item or one
catalogue declare it in :data:`DEPENDS`; every other producer depends on the whole model, so a
producer added later is always correct, only not incremental until declared here. Templates
of the default theme read ``model`` only for ``pages`` and ``updated``, which are part of every
fingerprint; a custom ``--theme`` may read anything, so with one, outputs depend on the whole
model. ``tests/test_incremental.py`` checks that an incremental build equals a cold one, byte
for byte, after editing an item, a template and ``site.yaml``.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import pickle
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .publish import write_atomically
from .summary import digest, header_digest, item_digest

if TYPE_CHECKING:
    from .model import Catalogue, SiteModel
    from .outputs import Output
    from .problems import Problems
    from .render_context import RenderContext

#: The folder, beside ``--out``, that holds one cache per output folder name.
CACHE_FOLDER = ".gkml-cache"
#: Bump when the cache's own layout or meaning changes.
FORMAT = 1
#: The libraries whose versions shape the output (a new segno could draw other codes).
LIBRARIES = ("segno", "jinja2", "markupsafe", "markdown-it-py", "nh3", "jieba", "pyyaml", "pagefind-bin-extended")
#: gkml's own code: any change to it may change any output.
CODE_ROOT = Path(__file__).resolve().parent

Digest = bytes


def _hasher() -> Any:
    return hashlib.blake2b(digest_size=16)


def cache_dir(out: Path) -> Path:
    out = out.resolve()
    return out.parent / CACHE_FOLDER / out.name


# --- inputs: the no-change fast path ----------------------------------------------------


def _files(root: Path) -> Iterator[tuple[str, str]]:
    """(path, path relative to ``root``) of every file below ``root`` in a stable order, hidden
    files and folders left out. Strings, not Paths: a city's catalogue is 3,000 files, walked
    on every build, and Path objects cost more than the stat calls."""
    top = str(root)
    if root.is_file():
        yield top, ""
        return
    cut = len(top) + 1
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        relative = folder[cut:].replace(os.sep, "/") + "/" if folder != top else ""
        for name in sorted(names):
            if not name.startswith(".") and not name.endswith((".pyc", ".pyo")):
                yield os.path.join(folder, name), relative + name


class FileDigests:
    """Digests of input files, kept with their ``stat`` so an unchanged file is not read again.

    A city's catalogue is 3,000 files and 60 MB; reading them all to learn that one changed
    took half a second. As git's index does, a file whose size, times and inode are those
    recorded is taken as unchanged; a file modified within :data:`SETTLE_NS` of being hashed
    is never recorded, so an edit in the same clock tick as a build is not missed.
    """

    SETTLE_NS = 2_000_000_000

    def __init__(self, path: Path | None = None):
        self.path = path
        found = _load_plain(path) if path is not None else None
        self.known: dict[str, tuple[tuple[int, ...], bytes]] = found if isinstance(found, dict) else {}
        self.seen: dict[str, tuple[tuple[int, ...], bytes]] = {}
        #: Every file's digest this run, settled or not (an edit's quick build compares them).
        self.current: dict[str, bytes] = {}
        #: The bytes of the files read this run, until the build takes them (see :meth:`take`):
        #: a cold build of a city then reads and hashes its 60 MB of catalogue once, not twice.
        self.contents: dict[str, bytes] = {}

    def of(self, path: Path | str) -> bytes:
        st = os.stat(path)
        key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
        name = str(path)
        found = self.known.get(name)
        if found is not None and found[0] == key:
            self.seen[name] = found
            self.current[name] = found[1]
            return found[1]
        with open(path, "rb") as handle:
            data = self.contents[name] = handle.read()
        value = self.current[name] = digest(data)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > self.SETTLE_NS:
            self.seen[name] = (key, value)
        return value

    def take(self, path: Path | str) -> tuple[bytes | None, bytes | None]:
        """(bytes, digest) of a file this run read, or (None, its digest as recorded) for a
        file whose ``stat`` was the recorded one, or (None, None) for a file not seen."""
        name = str(path)
        return self.contents.pop(name, None), self.current.get(name)

    def save(self) -> None:
        if self.path is not None:
            _save_plain(self.path, self.seen)


def _tree(h: Any, label: str, root: Path | None, skip: Path | None = None,
          files: FileDigests | None = None) -> None:
    h.update(f"\0tree {label} {root}\0".encode())
    if root is None or not root.exists():
        return
    files = files or FileDigests()
    skipped = str(skip) if skip is not None else None
    for path, relative in _files(root):
        if path != skipped:
            h.update(f"{relative}\0".encode() + files.of(path))


def _versions() -> str:
    listed = _listed_versions()
    found = []
    for name in LIBRARIES:
        version = listed.get(_normal(name)) or _version_from_metadata(name)
        found.append(f"{name}={version}")
    return f"python={platform.python_version()} " + " ".join(found)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _listed_versions() -> dict[str, str]:
    """The libraries' versions as their installed ``<name>-<version>.dist-info`` folders name
    them, the first folder on ``sys.path`` winning, as in ``importlib.metadata``'s own search.

    Every build needs them (they are part of the cache's key), and importing
    ``importlib.metadata`` cost each build 12–20 ms (a district's edit takes 0.25 s). A library this
    cannot tell for sure (not found, installed as ``.egg-info``, two versions in one folder)
    is left to ``importlib.metadata``."""
    wanted = {_normal(name) for name in LIBRARIES}
    found: dict[str, str] = {}
    unsure: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        here: dict[str, str | None] = {}
        for folder in names:
            stem, dot, kind = folder.rpartition(".")
            if kind not in ("dist-info", "egg-info") or not dot:
                continue
            name, _, version = stem.partition("-")
            key = _normal(name)
            if key in wanted and key not in found and key not in unsure:
                here[key] = None if kind == "egg-info" or key in here else version
        for key, version in here.items():
            if version is None:
                unsure.add(key)
            else:
                found[key] = version
    return found


def _version_from_metadata(name: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


@functools.cache   # one answer per process: gkml's code does not change under a running build
def code_digest() -> Digest:
    """gkml's code and the versions of the libraries that shape output."""
    h = _hasher()
    h.update(f"format {FORMAT} {_versions()}".encode())
    _tree(h, "code", CODE_ROOT)
    return h.digest()


def theme_digest(theme_dirs: Iterable[Path]) -> Digest:
    """Every file of the themes in use, and gkml's code (which compiles their templates)."""
    h = _hasher()
    h.update(code_digest())
    for number, directory in enumerate(theme_dirs):
        _tree(h, f"theme{number}", directory)
    return h.digest()


#: The id lock: ``gkml build`` itself adds to it, so it is hashed last and apart (see :func:`with_lock`).
LOCK_NAME = "ids.lock"


def input_hash(options: Any, theme_dirs: Iterable[Path], files: FileDigests | None = None) -> Any:
    """A hasher fed everything a build reads except the id lock."""
    h = _hasher()
    h.update(code_digest())
    settings = (options.catalog.resolve(), options.content.resolve() if options.content else None,
                options.base_url, options.strict, options.update_lock, getattr(options, "search", True))
    h.update(repr(settings).encode())
    # Experiment switches some modules read from the environment.
    h.update(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith("GKML_"))).encode())
    _tree(h, "catalog", options.catalog, skip=options.catalog / LOCK_NAME, files=files)
    _tree(h, "content", options.content, files=files)
    for number, directory in enumerate(theme_dirs):
        _tree(h, f"theme{number}", directory, files=files)
    return h


def is_catalogue_file(catalog: Path, path: str) -> bool:
    """A file of ``catalog/domains/`` or ``catalog/community/`` (what an editor's edit touches)."""
    return path.endswith(".yaml") and os.path.dirname(path) in _catalogue_folders(catalog)


@functools.lru_cache(maxsize=8)
def _catalogue_folders(catalog: Path) -> tuple[str, str]:
    return str(catalog / "domains"), str(catalog / "community")


def frame_digest(options: Any, files: FileDigests) -> Digest:
    """Every input of the last :func:`input_hash` except catalogue files and the id lock: the
    code, the options, site.yaml, content and theme. Unchanged, an edit may be built quickly."""
    h = _hasher()
    h.update(code_digest())
    h.update(repr((options.catalog.resolve(), options.content.resolve() if options.content else None,
                   options.base_url, options.strict, options.update_lock, getattr(options, "search", True),
                   sorted((k, v) for k, v in os.environ.items() if k.startswith("GKML_")))).encode())
    catalog = options.catalog
    for name, value in sorted(files.current.items()):
        if not is_catalogue_file(catalog, name) and name != str(catalog / LOCK_NAME):
            h.update(name.encode() + b"\0" + value)
    return h.digest()


def lock_digest(catalog: Path) -> Digest:
    lock = catalog / LOCK_NAME
    return digest(lock.read_bytes()) if lock.is_file() else b"-"


def with_lock(partial: Any, catalog: Path) -> Digest:
    """The full fingerprint: ``partial`` (from :func:`input_hash`) and the id lock as it is now."""
    h = partial.copy()
    lock = catalog / LOCK_NAME
    h.update(b"\0lock\0" + (lock.read_bytes() if lock.is_file() else b"-"))
    return h.digest()


def input_fingerprint(options: Any, theme_dirs: Iterable[Path]) -> Digest:
    """Everything a build reads: if this is unchanged, so is every byte of the site."""
    return with_lock(input_hash(options, theme_dirs), options.catalog)


@dataclass
class State:
    """What the last successful build of an output folder left for the next one."""

    inputs: Digest | None = None
    #: (st_dev, st_ino, st_mtime_ns, st_ctime_ns) of the folder that build published: a replaced
    #: or emptied ``--out`` is not ours (an inode number alone may be reused by a new folder).
    out_id: tuple[int, ...] | None = None
    problems: Any = None
    files: int = 0
    catalogues: int = 0
    items: int = 0
    #: search index part folder → digest of the pages it indexed
    search_parts: dict[str, Digest] = field(default_factory=dict)
    #: catalogue id → digest of everything its own outputs depend on (:meth:`Fingerprints.owner`)
    owners: dict[str, Digest] = field(default_factory=dict)
    #: The gkml that wrote it: another version's state (perhaps of another shape) is not read.
    code: Digest | None = None


def _out_id(out: Path) -> tuple[int, ...] | None:
    try:
        st = os.stat(out)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def load_pickle(path: Path) -> Any:
    """What :func:`write_atomically` kept pickled at ``path``, or None (missing, stale, damaged)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None


def _save(path: Path, value: Any) -> None:
    write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


#: Every output's (fingerprint, digest of its bytes), by path: only str, bytes and tuples, so
#: it is kept with marshal, several times sooner than pickle for 300,000 entries. It is kept in
#: shards, one per owning catalogue ("" for the site-wide outputs), each marshalled apart: an
#: edit's quick build reads and rewrites only the shards of the catalogues it re-renders.
MANIFEST = "outputs.marshal"
#: What :class:`QuickState` is kept in.
QUICK = "quick.pickle"
#: Every file of each search index part, by part folder: paths below the site's root, marshalled.
SEARCH_FILES = "search.marshal"
#: The layouts of joined files (joined.py).
JOINS = "joins.marshal"


def _load_plain(path: Path) -> Any:
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _save_plain(path: Path, value: Any) -> None:
    write_atomically(path, marshal.dumps(value))


# --- the cache of one output folder -------------------------------------------------------


class BuildCache:
    """The cache of one ``--out``: read at the start of a build, written after its publish."""

    def __init__(self, out: Path, inputs: Digest, partial: Any = None, files: FileDigests | None = None,
                 search: bool = True):
        self.out = out.resolve()
        #: Whether this build indexes for search (else the published index's files go unchecked:
        #: the build removes the index).
        self.search = search
        self.files = files
        self.folder = cache_dir(out)
        self.inputs = inputs
        #: The inputs' hasher without the id lock, to fingerprint the lock this build adds to.
        self.partial = partial
        state = load_pickle(self.folder / "state.pickle")
        # A state pickled by another gkml may lack fields this one has: start afresh instead.
        current = isinstance(state, State) and getattr(state, "code", None) == code_digest()
        self.previous: State = state if current else State()
        #: True when the published folder is the one the cached state describes.
        self.out_is_ours = self.previous.out_id is not None and self.previous.out_id == _out_id(self.out)
        self.manifest: dict[str, tuple[Digest, Digest]] = {}
        self.new_manifest: dict[str, tuple[Digest, Digest]] = {}
        #: owner → its shard of the manifest, marshalled (read whole, unmarshalled as needed).
        self.shards: dict[str, bytes] = {}
        #: owner → its entries of ``new_manifest``: the shards to write (see :meth:`save`);
        #: filled as the outputs are written.
        self.new_owners: dict[str, dict[str, tuple[Digest, Digest]]] = {}
        #: The edit's quick build replaces only its own owners' shards; a full build all of them.
        self.partial_save = False
        #: What an edit's quick build needs of this build (:class:`QuickState`), if known.
        self.quick: QuickState | None = None
        self.search_parts: dict[str, Digest] = {}
        #: This build's search index parts: part folder → its files (see :data:`SEARCH_FILES`).
        self.search_files: dict[str, tuple[str, ...]] = {}
        #: Parts of the published folder with a file missing: indexed again, not kept.
        self.lost_parts: set[str] = set()
        #: The published parts found whole by :meth:`lost_outputs`: part folder → its files.
        self.published_search_files: dict[str, tuple[str, ...]] = {}
        self.owners: dict[str, Digest] = {}
        #: output path → layout of a joined file (joined.py): the last build's, and this build's.
        self.layouts: dict[str, Any] = {}
        self.new_layouts: dict[str, Any] = {}
        #: Outputs of the published folder found missing (see :meth:`lost_outputs`): produced again.
        self.lost: list[str] | None = None
        self._whole_manifest = False

    @classmethod
    def open(cls, options: Any, theme_dirs: Iterable[Path]) -> BuildCache:
        files = FileDigests(cache_dir(options.out) / "files.marshal")
        partial = input_hash(options, theme_dirs, files)
        return cls(options.out, with_lock(partial, options.catalog), partial, files, bool(options.search))

    def lock_updated(self, catalog: Path) -> None:
        """The build added ids to the lock: what it read otherwise is unchanged (an edit made
        while it ran is not taken for built), and the lock is now the one it wrote."""
        if self.partial is not None:
            self.inputs = with_lock(self.partial, catalog)

    def unchanged(self) -> bool:
        """Nothing was edited since the last build, and that build's folder is still published."""
        return self.out_is_ours and self.previous.inputs == self.inputs and self.previous.problems is not None

    def lost_outputs(self) -> list[str]:
        """Outputs of the published folder that are no longer there (removed by hand, by a
        sync …), sorted: the build makes them again instead of leaving a QR code's page missing.
        One ``access`` call each, relative to the folder (≈ 0.5 s for a city's 300,000 files; a
        ``stat`` with the full path takes 0.85): a build with nothing edited and a full build
        ask, an edit's quick build trusts the manifest."""
        if self.lost is None:
            self.lost = []
            if self.load_manifest():
                try:
                    folder = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
                except OSError:
                    return self.lost      # gone meanwhile: the build finds out why
                try:
                    def gone(paths: Iterable[str], there: Any = os.access, exists: int = os.F_OK) -> list[str]:
                        return [path for path in paths if not there(path, exists, dir_fd=folder)]
                    lost = gone(self.manifest)
                    # A search index part missing a file is indexed again (its pages are not
                    # outputs of the manifest: Pagefind writes them); the others' lists serve
                    # to link them (SearchReuse.link_kept).
                    parts = _load_plain(self.folder / SEARCH_FILES) if self.search else None
                    for part, paths in (parts.items() if isinstance(parts, dict) else ()):
                        missing = gone(paths)
                        if missing:
                            self.lost_parts.add(part)
                            lost.extend(missing)
                        else:
                            self.published_search_files[part] = paths
                    self.lost = sorted(lost)
                finally:
                    os.close(folder)
                self._forget(self.lost)
        return self.lost

    def load_manifest(self, owners: Iterable[str] | None = None) -> bool:
        """Read the manifest of the published folder (only ``owners``' shards, if given)."""
        if not self.out_is_ours:
            return False
        if self._whole_manifest:
            return True
        shards = _load_plain(self.folder / MANIFEST)
        if not isinstance(shards, dict) or not all(isinstance(v, bytes) for v in shards.values()):
            return False
        self.shards = shards
        layouts = _load_plain(self.folder / JOINS)
        self.layouts = layouts if isinstance(layouts, dict) else {}
        try:
            for owner in (shards if owners is None else owners):
                if owner in shards:
                    self.manifest.update(marshal.loads(shards[owner]))
        except (EOFError, ValueError, TypeError):
            self.manifest = {}
            return False
        self._whole_manifest = owners is None
        self._forget(self.lost or ())
        return True

    def _forget(self, lost: Iterable[str]) -> None:
        """Outputs not in the folder: nothing there to keep."""
        for path in lost:
            self.manifest.pop(path, None)
            self.layouts.pop(path, None)

    def previous_owner(self, catalogue_id: str) -> Digest | None:
        return self.previous.owners.get(catalogue_id) if self.manifest else None

    def previous_search_part(self, folder: str) -> Digest | None:
        if not self.out_is_ours or folder in self.lost_parts:
            return None
        return self.previous.search_parts.get(folder)

    def save(self, problems: Problems, files: int, catalogues: int, items: int) -> None:
        """Record the build just published, with the problems a check of its inputs reports."""
        state = State(self.inputs, _out_id(self.out), problems, files, catalogues, items, dict(self.search_parts),
                      dict(self.owners), code_digest())
        shards = dict(self.shards) if self.partial_save else {}
        for owner, entries in self.new_owners.items():
            shards[owner] = marshal.dumps(entries)
        _save_plain(self.folder / MANIFEST, shards)
        _save_plain(self.folder / JOINS, self.new_layouts)
        _save_plain(self.folder / SEARCH_FILES, self.search_files)
        if self.quick is not None:
            _save(self.folder / QUICK, self.quick)
        else:
            (self.folder / QUICK).unlink(missing_ok=True)
        _save(self.folder / "state.pickle", state)
        if self.files is not None:
            self.files.save()
        # Kept by earlier versions, whose pieces were files of their own.
        shutil.rmtree(self.folder / "pieces", ignore_errors=True)

    @staticmethod
    def forget(out: Path) -> None:
        shutil.rmtree(cache_dir(out), ignore_errors=True)

    @staticmethod
    def forget_outputs(out: Path) -> None:
        """Distrust the published folder: the next build produces every output again."""
        for name in ("state.pickle", MANIFEST, QUICK, JOINS, SEARCH_FILES):
            (cache_dir(out) / name).unlink(missing_ok=True)


# --- what each output depends on ----------------------------------------------------------


class Fingerprints:
    """The fingerprint of every output: digests of the model parts its producer reads."""

    def __init__(self, ctx: RenderContext, theme_dirs: Iterable[Path], custom_theme: bool,
                 item_digests: dict[str, Digest] | None = None):
        model = ctx.model
        self.model = model
        self.custom_theme = custom_theme
        self.code = code_digest()
        h = _hasher()
        h.update(self.code)
        _trees = list(theme_dirs)
        for number, directory in enumerate(_trees):
            _tree(h, f"theme{number}", directory)
        # Read by every page (header, footer): the site and the content pages. The site's newest
        # revision date is read only by pages without a catalogue, which depend on everything.
        h.update(repr((model.site, model.pages)).encode())
        self.site = h.digest()
        # Digests the per-file check already made (units.py) are taken as they are.
        self._items: dict[str, Digest] = dict(item_digests or {})
        self._headers: dict[str, Digest] = {}
        self._everything: Digest | None = None
        self._cards: Digest | None = None

    def item(self, ident: str) -> Digest:
        found = self._items.get(ident)
        if found is None:
            found = self._items[ident] = item_digest(self.model.items_by_id[ident])
        return found

    def header(self, catalogue: Catalogue) -> Digest:
        """A catalogue without its items: what an item page shows of it."""
        found = self._headers.get(catalogue.id)
        if found is None:
            found = self._headers[catalogue.id] = header_digest(catalogue)
        return found

    def catalogue(self, ident: str) -> Digest:
        """The catalogue's header and every item, as its summary recorded them."""
        return self.model.summaries_by_id[ident].digest

    def owner(self, ident: str) -> Digest:
        """Everything the outputs a catalogue owns (:data:`OWNED`) depend on, in one digest.

        Unchanged, every one of those outputs has its previous fingerprint: a build need not
        even compute them (300,000 of them at a city's size).
        """
        catalogue = self.model.catalogues_by_id[ident]
        parts = [self.site, self.code, self.model.site.base_url.encode(), self.catalogue(ident)]
        if self.custom_theme:
            parts.append(self.everything())
        for item in catalogue.items:
            if item.withdrawal and item.withdrawal.replaced_by in self.model.items_by_id:
                parts.append(self.item(item.withdrawal.replaced_by))
        return digest(b"".join(parts))

    def cards(self) -> Digest:
        """What the home and search pages show of each catalogue (its card: name, path, active
        items, revision date) and the site's newest revision date (the footer's)."""
        if self._cards is None:
            model = self.model
            self._cards = digest(repr(([(s.id, s.kind, s.name, s.path, s.active_count, s.updated)
                                        for s in model.summaries], model.updated)).encode())
        return self._cards

    def newest(self) -> Digest:
        """The site's newest revision date, which the footer of a page outside any catalogue shows."""
        return repr(self.model.updated).encode()

    def everything(self) -> Digest:
        if self._everything is None:
            self._everything = digest(b"".join(s.digest for s in self.model.summaries))
        return self._everything

    def of(self, output: Output) -> Digest:
        depends = DEPENDS.get(output.producer)
        if depends is None or (self.custom_theme and output.producer not in THEME_FREE):
            parts = [self.site, self.everything()]
        else:
            parts = [self.code if output.producer in THEME_FREE else self.site, *depends(self, output.key)]
        return digest(f"{output.producer}\0{output.key}\0{output.path}\0".encode() + b"".join(parts))


def _item_and_neighbours(fp: Fingerprints, key: str) -> list[Digest]:
    """An item page shows the item, its catalogue's name and path, and its replacement's name."""
    item = fp.model.items_by_id[key]
    parts = [fp.item(key), fp.header(fp.model.catalogues_by_id[item.catalogue_id])]
    if item.withdrawal and item.withdrawal.replaced_by in fp.model.items_by_id:
        parts.append(fp.item(item.withdrawal.replaced_by))
    return parts


#: producer name → the digests its output depends on besides the site-wide one. A producer
#: not listed depends on everything; a feature may add its own (search_page.py does).
DEPENDS: dict[str, Callable[[Fingerprints, str], list[Digest]]] = {
    "item": _item_and_neighbours,
    "poster": _item_and_neighbours,
    # The code encodes the absolute URL only; no template is involved.
    "qr_svg": lambda fp, key: [fp.model.site.base_url.encode()],
    "catalogue": lambda fp, key: [fp.catalogue(key)],
    "wall_sheet": lambda fp, key: [fp.catalogue(key)],
    # A theme file's bytes are part of the site digest.
    "asset": lambda fp, key: [],
    # An edit of an item's text leaves both alone (they were re-rendered on every edit).
    "home": lambda fp, key: [fp.cards()],
    # A content page (and the 404 page) shows its own text, in the site digest with the other
    # pages, and the footer's site-wide revision date; an item's typo fix leaves them alone.
    "content": lambda fp, key: [fp.newest()],
    "not_found": lambda fp, key: [fp.newest()],
    # The open data's schema and robots.txt name absolute URLs only.
    "catalog_schema": lambda fp, key: [fp.model.site.base_url.encode()],
    "robots": lambda fp, key: [fp.model.site.base_url.encode()],
}
#: Producers whose output belongs to one catalogue: producer → the catalogue id of a key.
OWNED: dict[str, Callable[[SiteModel, str], str]] = {
    "item": lambda model, key: model.items_by_id[key].catalogue_id,
    "poster": lambda model, key: model.items_by_id[key].catalogue_id,
    "qr_svg": lambda model, key: model.items_by_id[key].catalogue_id,
    "catalogue": lambda model, key: key,
    "wall_sheet": lambda model, key: key,
}
#: Producers that use no template: a template edit leaves their outputs alone.
THEME_FREE = {"qr_svg", "catalog_schema", "robots"}


# --- the build in progress -----------------------------------------------------------------

#: The cache of the build running in this process (the search index finisher asks it).
ACTIVE: BuildCache | None = None


class SearchReuse:
    """Keeps the previous build's search index parts whose records did not change.

    The search index finisher asks :meth:`keep` for each part, by a key of what its records are
    made of, before running Pagefind on it; kept parts are hard-linked from the previous
    ``--out`` by :meth:`link_kept` after every other part was written, so Pagefind never writes
    into a folder holding linked files. Without an active cache nothing is kept.
    """

    def __init__(self, stage: Path, index_dir: str):
        self.cache = ACTIVE
        self.stage = stage
        self.index_dir = index_dir
        self.kept: list[str] = []
        self.code = code_digest() if self.cache is not None else b""

    def keep(self, folder: str, records: bytes) -> bool:
        """True if the part in ``folder`` indexed the same ``records`` (a digest) last time."""
        if self.cache is None:
            return False
        key = digest(self.code + folder.encode() + b"\0" + records)
        self.cache.search_parts[folder] = key
        old = self.cache.out / self.index_dir / folder
        if self.cache.previous_search_part(folder) == key and old.is_dir():
            self.kept.append(folder)
            return True
        return False

    def link_kept(self) -> None:
        assert self.cache is not None or not self.kept
        for folder in self.kept:
            assert self.cache is not None
            # Listed already when the last build's files were checked (a full build); an edit's
            # quick build, which trusts the last build, finds them on disk.
            files = (self.cache.published_search_files.get(folder)
                     or _part_files(str(self.cache.out), self.index_dir, folder))
            made: set[str] = set()
            for path in files:
                destination = os.path.join(self.stage, path)
                parent = os.path.dirname(destination)
                if parent not in made:
                    os.makedirs(parent, exist_ok=True)
                    made.add(parent)
                source = os.path.join(self.cache.out, path)
                try:
                    os.link(source, destination)
                except OSError:
                    shutil.copyfile(source, destination)
            self.cache.search_files[folder] = files

    def record(self, folders: Iterable[str]) -> None:
        """Note the files of each part in ``folders`` as they now stand in the stage (a kept
        part's were noted as they were linked): the next build checks that they are all still
        published (:meth:`BuildCache.lost_outputs`)."""
        if self.cache is None:
            return
        for folder in folders:
            if folder not in self.cache.search_files:
                self.cache.search_files[folder] = _part_files(str(self.stage), self.index_dir, folder)


def _part_files(site: str, index_dir: str, folder: str) -> tuple[str, ...]:
    """Every file of the index part in ``folder`` below ``site``, as paths below ``site``,
    sorted. The first part's folder (``""``) also holds the other parts' folders: not its files."""
    root = f"{index_dir}/{folder}".rstrip("/")
    found: list[str] = []
    for where, dirs, names in os.walk(os.path.join(site, root)):
        relative = os.path.relpath(where, site)
        if not folder and relative == root:
            dirs[:] = [d for d in dirs if not d.startswith("part-")]
        found.extend(f"{relative}/{name}" for name in names)
    return tuple(sorted(found))


# --- what an edit's quick build needs of the last build ----------------------------------------


class QuickUnavailable(Exception):
    """An edit cannot be built quickly after all: the full build runs instead."""


@dataclass
class QuickState:
    """What the last build knew of every catalogue file, for an edit's quick build (quick_build.py).

    With these, a build after an edit to a few catalogue files need not read the others: not
    their checked units, not their items. Kept only when that build reported no error.
    """

    #: :func:`frame_digest` of that build: the quick build needs all of it unchanged.
    frame: Digest
    #: The id lock's digest after that build (it may have added ids).
    lock: Digest
    #: catalogue file path → (folder kind, digest of its bytes, key of its checked unit)
    files: dict[str, tuple[str, Digest, str]]
    #: catalogue file path → (its item ids, its (id, replaced_by) pairs): the rules across files' facts
    facts: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]
    #: every published catalogue's summary, in site.yaml's order, and the file it comes from
    summaries: tuple[Any, ...]
    paths: dict[str, str]
    #: The problems (warnings) that build reported: those before the files' own, each file's own,
    #: and those after (the rules across files, content, the id lock), in the order reported.
    head: list[Any] = field(default_factory=list)
    own: dict[str, list[Any]] = field(default_factory=dict)
    tail: list[Any] = field(default_factory=list)

    def problems(self) -> list[Any]:
        return [*self.head, *(p for name in self.files for p in self.own.get(name, ())), *self.tail]
