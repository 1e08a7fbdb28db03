"""jieba's prefix dictionary, read one first character at a time instead of all at once.

A jieba ``Tokenizer`` unmarshals its whole prefix dictionary (``FREQ``, about 500,000 words and
word prefixes) from its cache file before it cuts the first sentence: 0.6–0.9 s, the largest
cost of an incremental build that segments only the few texts of one edited item. Every key
jieba looks up while cutting a text is a piece of that text, so it only ever needs the entries
whose first character occurs in the text.

:func:`install` therefore gives a tokenizer a :class:`ShardedFreq` in place of ``FREQ``: the same
words and counts, copied once from jieba's own ``FREQ`` (after a normal ``initialize``, so they
are exactly what jieba would use) into a file of one marshal blob per first character, which is
read a blob at a time on first use. Even a build that needs every blob loads them faster than
jieba loads its single dictionary (many small dicts are cheaper to build than one large one).

Whatever goes wrong with that file (missing, stale, damaged, unwritable folder), the tokenizer
ends up with jieba's own dictionary: slower, never different.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger(__name__)

#: Bumped whenever the file layout changes, so an older file is never misread.
FORMAT = b"gkml-jieba-shards-1\n"
#: After FORMAT: the header's length and CRC-32, then the marshalled header, then the blobs.
_PREAMBLE = struct.Struct("<II")
#: The shard of a character that starts no word: shared, never written to.
_EMPTY: dict[str, int] = {}


class ShardedFreq(Mapping):
    """Read-only ``FREQ`` for jieba: word → count, the entries of one first character loaded
    from the shard file the first time a word starting with it is asked for.

    jieba only uses ``in``, ``[]`` and ``get`` on ``FREQ`` while cutting; they are written out here
    (not left to ``Mapping``) because they run for every character of every text."""

    __slots__ = ("_shards", "_index", "_base", "_path", "_fd", "_count", "_tokenizer", "_lock")

    def __init__(self, path: str, fd: int, base: int, index: dict[str, tuple[int, int, int]], count: int,
                 tokenizer: Any):
        self._shards: dict[str, dict[str, int]] = {}
        self._index = index  # first character → (offset after base, length, CRC-32) of its blob
        self._base = base
        self._path = path
        self._fd: int | None = fd
        self._count = count
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def __contains__(self, word: object) -> bool:
        try:
            return word in self._shards[word[:1]]  # type: ignore[index]
        except KeyError:
            return word in self._shard(word[:1])  # type: ignore[index]

    def __getitem__(self, word: str) -> int:
        try:
            shard = self._shards[word[:1]]
        except KeyError:
            shard = self._shard(word[:1])
        return shard[word]

    def get(self, word: str, default: Any = None) -> Any:
        try:
            return self._shards[word[:1]].get(word, default)
        except KeyError:
            return self._shard(word[:1]).get(word, default)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        # Not used by jieba's cutting; there for completeness (and the tests), reading every shard.
        for first in list(self._index):
            if first not in self._shards:
                self._shard(first)
        for shard in list(self._shards.values()):
            yield from shard

    def _shard(self, first: str) -> dict[str, int]:
        with self._lock:
            shard = self._shards.get(first)
            if shard is not None:
                return shard
            place = self._index.get(first)
            if place is None:
                shard = _EMPTY
            else:
                try:
                    shard = _read_shard(self._fd, self._base, *place)
                except Exception:
                    log.debug("damaged shard file; using jieba's own dictionary", exc_info=True)
                    self._fall_back()
                    return self._shards.get(first, _EMPTY)
            self._shards[first] = shard
            return shard

    def _fall_back(self) -> None:
        """The file went bad after it was opened: give the tokenizer jieba's own dictionary for
        every later lookup, keep answering from it here (a cut under way holds this mapping),
        and delete the file so that the next process writes a good one."""
        import jieba

        fresh = jieba.Tokenizer()
        fresh.tmp_dir = self._tokenizer.tmp_dir
        fresh.initialize()
        self._tokenizer.FREQ, self._tokenizer.total = fresh.FREQ, fresh.total
        self._shards = _by_first_character(fresh.FREQ)
        self._index = {}
        self._count = len(fresh.FREQ)
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None
        _remove_quietly(self._path)


def install(tokenizer: Any) -> None:
    """Initialise a fresh default-dictionary jieba ``tokenizer``: lazily from the shard file when
    there is a good one, otherwise as jieba does (and write the shard file for next time)."""
    if tokenizer.initialized:
        return
    try:
        if _open(tokenizer):
            return
    except Exception:
        log.debug("shard file unusable; using jieba's own dictionary", exc_info=True)
    tokenizer.initialize()
    try:
        write(tokenizer)
    except Exception:
        log.debug("could not write the shard file", exc_info=True)


def shard_path(tokenizer: Any) -> str | None:
    """Where the shards of ``tokenizer``'s dictionary live, beside jieba's own cache file, named
    for everything they were copied from; ``None`` when this module does not handle it."""
    import jieba

    if tokenizer.dictionary is not jieba.DEFAULT_DICT or tokenizer.cache_file:
        return None  # a custom dictionary: jieba's own loading, as it is
    folder = tokenizer.tmp_dir or tempfile.gettempdir()
    digest = hashlib.sha256(_key(folder).encode()).hexdigest()[:20]
    return os.path.join(folder, f"{_own_prefix()}{digest}.cache")


def _own_prefix() -> str:
    # One file per user: in a shared /tmp another user's file can be neither replaced nor trusted.
    return f"jieba.gkml-shards.{getattr(os, 'getuid', lambda: '')()}."


def _key(folder: str) -> str:
    """What the shards are a copy of: jieba's version, its dictionary file, and the cache file
    jieba itself loads ``FREQ`` from (which jieba never checks against the dictionary: whatever
    it holds is what jieba uses, so a new one must mean new shards)."""
    import jieba

    parts = [FORMAT.decode().strip(), jieba.__version__]
    for path in (os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME),
                 os.path.join(folder, "jieba.cache")):
        info = os.stat(path)  # missing: no key, and so no shards until jieba has written it
        parts += [str(info.st_size), str(info.st_mtime_ns)]
    return " ".join(parts)


def write(tokenizer: Any) -> None:
    """Copy an initialised tokenizer's ``FREQ`` into the shard file, atomically: other processes
    (forked workers, a second build) may read or write the same name at the same time."""
    path = shard_path(tokenizer)
    if path is None or isinstance(tokenizer.FREQ, ShardedFreq):
        return
    blobs = []
    index: dict[str, tuple[int, int, int]] = {}
    offset = 0
    for first, shard in _by_first_character(tokenizer.FREQ).items():
        blob = marshal.dumps(shard)
        index[first] = (offset, len(blob), zlib.crc32(blob))
        blobs.append(blob)
        offset += len(blob)
    header = marshal.dumps({"key": _key(os.path.dirname(path)), "total": tokenizer.total,
                            "count": len(tokenizer.FREQ), "length": offset, "index": index})
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".jieba.gkml-shards.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(FORMAT + _PREAMBLE.pack(len(header), zlib.crc32(header)) + header)
            out.writelines(blobs)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    # Copies of an older jieba or jieba cache file are of no more use: 10 MB each.
    folder, own = os.path.split(path)
    for name in os.listdir(folder):
        if name.startswith(_own_prefix()) and name.endswith(".cache") and name != own:
            _remove_quietly(os.path.join(folder, name))


def _open(tokenizer: Any) -> bool:
    """Give ``tokenizer`` the shard file's dictionary if that file is there, ours and current."""
    path = shard_path(tokenizer)
    if path is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        info = os.fstat(fd)
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise ValueError(f"{path} belongs to another user")
        start = len(FORMAT) + _PREAMBLE.size
        head = os.pread(fd, start, 0)
        if head[:len(FORMAT)] != FORMAT:
            raise ValueError(f"{path}: not a shard file of this format")
        length, crc = _PREAMBLE.unpack(head[len(FORMAT):])
        raw = os.pread(fd, length, start)
        if len(raw) != length or zlib.crc32(raw) != crc:
            raise ValueError(f"{path}: damaged header")
        header = marshal.loads(raw)
        if header["key"] != _key(os.path.dirname(path)):
            raise ValueError(f"{path}: written for another dictionary")
        base = start + length
        if info.st_size != base + header["length"]:
            raise ValueError(f"{path}: {info.st_size} bytes, expected {base + header['length']}")
    except BaseException:
        os.close(fd)
        raise
    # What jieba's initialize() would set; user_word_tag_tab stays as it is (empty).
    tokenizer.FREQ = ShardedFreq(path, fd, base, header["index"], header["count"], tokenizer)
    tokenizer.total = header["total"]
    tokenizer.initialized = True
    return True


def _read_shard(fd: int | None, base: int, offset: int, size: int, check: int) -> dict[str, int]:
    if fd is None:
        raise ValueError("shard file closed")
    blob = os.pread(fd, size, base + offset)
    if len(blob) != size or zlib.crc32(blob) != check:
        raise ValueError("damaged shard")
    shard = marshal.loads(blob)
    if type(shard) is not dict:
        raise ValueError("damaged shard")
    return shard


def _by_first_character(freq: Mapping[str, int]) -> dict[str, dict[str, int]]:
    shards: dict[str, dict[str, int]] = {}
    for word, count in freq.items():
        shard = shards.get(word[:1])
        if shard is None:
            shard = shards[word[:1]] = {}
        shard[word] = count
    return shards


def _remove_quietly(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass
