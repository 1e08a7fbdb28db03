"""Site-wide files joined from per-catalogue pieces: ``catalog.json``, ``catalog.csv``, ``sitemap.xml``.

At a city's size ``catalog.json`` is 100 MB. Its producer returns a :class:`Joined`: literal
bytes (the head, separators, the tail) and one :class:`Piece` per catalogue, each made only if
needed. With the last build's file published and its layout known, a piece whose key is
unchanged is copied from that file by the kernel (``copy_file_range``): an edit to one
catalogue encodes that catalogue's piece and copies the other 99 % of the file, reading none of
it into Python. A piece's key covers what it is made from (the catalogue's digest, ``base_url``
and gkml's code), so the copy is the bytes a new encoding would give.

A joined output's digest, for the manifest, is made from its literal bytes and its pieces' keys,
never from the 100 MB themselves: equal digests still mean equal bytes.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from .cache import QuickUnavailable
from .publish import write_whole

if TYPE_CHECKING:
    from .cache import Fingerprints

#: (catalogue id, piece key, offset in the file, length): where each piece of a joined file is.
Layout = list[tuple[str, str, int, int]]


@dataclass(frozen=True)
class Piece:
    """One catalogue's part of a joined file; ``make()`` encodes it (only when it must)."""

    catalogue: str
    make: Callable[[], str]


@dataclass(frozen=True)
class Joined:
    """An output's bytes, as literal segments and per-catalogue pieces in file order."""

    segments: tuple[Union[bytes, Piece], ...]

    def whole(self) -> bytes:
        """Every segment made and joined: for builds without a cache (and for tests)."""
        return b"".join(s if isinstance(s, bytes) else s.make().encode("utf-8") for s in self.segments)


class Joiner:
    """Writes the joined outputs of one build, reusing the pieces of the last build's files."""

    def __init__(self, fingerprints: Fingerprints, previous_out: str | None, layouts: dict[str, Layout],
                 must_exist: bool = False):
        self.fingerprints = fingerprints
        self.previous_out = previous_out
        #: output path → the last build's layout of that file
        self.layouts = layouts
        #: An edit's quick build has only the edited catalogues' items: it cannot make the others' pieces.
        self.must_exist = must_exist
        self.salt = fingerprints.code + fingerprints.model.site.base_url.encode()
        self._keys: dict[tuple[str, str], str] = {}

    def key(self, path: str, ident: str) -> str:
        """A piece's key (asked by :meth:`digest` and again by :meth:`write`)."""
        found = self._keys.get((path, ident))
        if found is None:
            found = self._keys[(path, ident)] = hashlib.blake2b(
                self.salt + f"\0{path}\0{ident}\0".encode() + self.fingerprints.catalogue(ident),
                digest_size=16).hexdigest()
        return found

    def digest(self, path: str, joined: Joined) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        for segment in joined.segments:
            if isinstance(segment, bytes):
                h.update(b"L%d\0" % len(segment) + segment)
            else:
                h.update(b"P" + self.key(path, segment.catalogue).encode())
        return h.digest()

    def write(self, path: str, joined: Joined, target: str) -> Layout:
        """Write the file to ``target`` (a new file); returns its layout for the next build."""
        old = {ident: (key, offset, length) for ident, key, offset, length in self.layouts.get(path, ())}
        source = os.path.join(self.previous_out, path) if self.previous_out and old else None
        layout: Layout = []
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            source_fd = _open_or_none(source)
            try:
                size = os.fstat(source_fd).st_size if source_fd is not None else 0
                # Consecutive unchanged pieces are one range of the old file: one copy for all.
                pending: list[int] = []          # [offset, length] of the range still to copy
                position = 0
                for segment in joined.segments:
                    if isinstance(segment, bytes):
                        # A separator between two unchanged pieces is most likely in the old file
                        # too: if so, the range runs on over it.
                        end = pending[0] + pending[1] if pending else 0
                        if pending and len(segment) <= 16 and os.pread(source_fd, len(segment), end) == segment:
                            pending[1] += len(segment)
                        else:
                            _flush(source_fd, descriptor, pending)
                            write_whole(descriptor, segment)
                        position += len(segment)
                        continue
                    key = self.key(path, segment.catalogue)
                    kept = old.get(segment.catalogue)
                    if source_fd is not None and kept is not None and kept[0] == key and kept[1] + kept[2] <= size:
                        if pending and pending[0] + pending[1] == kept[1]:
                            pending[1] += kept[2]
                        else:
                            _flush(source_fd, descriptor, pending)
                            pending[:] = [kept[1], kept[2]]
                        length = kept[2]
                    elif self.must_exist and segment.catalogue not in self.fingerprints.model.catalogues_by_id:
                        raise QuickUnavailable(f"{path}: the piece of {segment.catalogue} is not at hand")
                    else:
                        _flush(source_fd, descriptor, pending)
                        length = write_whole(descriptor, segment.make().encode("utf-8"))
                    layout.append((segment.catalogue, key, position, length))
                    position += length
                _flush(source_fd, descriptor, pending)
            finally:
                if source_fd is not None:
                    os.close(source_fd)
        except OSError as exc:      # os.write names no file; a full disk should say which one failed
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror, target) from None
            raise
        finally:
            os.close(descriptor)
        return layout


def _flush(source: int | None, target: int, pending: list[int]) -> None:
    if pending:
        assert source is not None
        _copy(source, target, pending[0], pending[1])
        pending.clear()


def _open_or_none(path: str | None) -> int | None:
    if path is None:
        return None
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def _copy(source: int, target: int, offset: int, length: int) -> None:
    """``length`` bytes at ``offset`` of ``source`` appended to ``target``, in the kernel if it can."""
    done = 0
    copy_range = getattr(os, "copy_file_range", None)
    while done < length and copy_range is not None:
        try:
            copied = copy_range(source, target, length - done, offset + done)
        except OSError:          # across filesystems on an old kernel, or not supported here
            break
        if copied == 0:
            break
        done += copied
    while done < length:
        data = os.pread(source, min(length - done, 1 << 24), offset + done)
        if not data:
            raise OSError(errno.EIO, f"上次构建的文件短了 {length - done} 字节（可能在构建后被改动），请用 --no-cache 重新构建")
        write_whole(target, data)
        done += len(data)
