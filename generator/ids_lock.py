"""``catalog/ids.lock``: every item id the site has ever published, so printed QR codes
never break.

A QR code on a notice board opens ``/items/<id>/`` for years. The lock lists every id
a successful ``gkml build`` has published (one per line, sorted). Two rules follow:

* **check** (a ``build.MODEL_CHECKS`` entry, so ``validate`` reports it too, writing
  nothing): every locked id must still be an item of a catalogue that ``site.yaml``
  enables. An id that vanished (deleted, or renamed — renaming is deleting the old id)
  is an error at its lock line: the editor must keep the item and mark it
  ``status: withdrawn``, so its page stays and tells the reader where to go.
* **record** (called by ``build`` only after the new site is published): add the ids
  just built. Nothing else writes the file, and the same ids give the same bytes.

A locked id whose item sits in a catalogue that ``site.yaml`` no longer enables is an
error too, not a silent 404: only enabled catalogues are built, so its page would
vanish. To stop publishing a catalogue, keep it enabled and withdraw its items: their
pages stay, say since when and why, and the catalogue's table lists none of them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import fields as F
from .problems import Position, Problems
from .publish import write_atomically

if TYPE_CHECKING:
    from .build_options import BuildOptions, Checked
    from .model import SiteModel

LOCK_NAME = "ids.lock"

HEADER = (
    "# ids.lock：本站发布过的全部事项标识，每行一个，按字母顺序排列。",
    "# 事项网址 /items/<标识>/ 和印在公开栏上的二维码须长期有效，所以请勿删除或修改任何一行。",
    "# 不再公开的事项请在目录文件中保留并标记 status: withdrawn（写明 withdrawn_on、reason、replaced_by）。",
    "# 本文件由 gkml build 在构建成功后自动追加新标识，请随目录数据一起提交。",
)

_ID = re.compile(F.ID_PATTERN)
#: Ids one per line, nothing else: a whole well-kept lock checked by one regular expression.
_ID_LINES = re.compile("{0}(?:\n{0})*".format(F.ID_PATTERN.removeprefix("^").removesuffix("$")))


@dataclass
class Lock:
    path: Path
    #: Each id once, in file order.
    order: list[str] = field(default_factory=list)
    #: The file's lines, to find an id's line for a message (:meth:`line_of`).
    _lines: list[str] = field(default_factory=list, repr=False)
    _line_of: dict[str, int] | None = field(default=None, repr=False)

    @property
    def ids(self) -> set[str]:
        return set(self.order)

    def line_of(self, ident: str) -> int:
        """The line ``ident`` is (first) written on; looked up only for messages."""
        if self._line_of is None:
            self._line_of = {}
            for number, line in enumerate(self._lines, 1):
                self._line_of.setdefault(line.strip(), number)
        return self._line_of.get(ident, 1)


def read(path: Path, problems: Problems) -> Lock | None:
    """The lock at ``path``; ``None`` when there is none yet (the first build creates it)."""
    if not path.is_file():
        return None
    lock = Lock(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.error(path, Position(1, 1), "文件不是 UTF-8 编码：请用 UTF-8 重新保存")
        return lock
    lock._lines = text.splitlines()
    # A city's lock holds 100,000 ids and is read twice a build: the usual file (valid ids,
    # each once, besides comments and blank lines) is taken whole; any other line by line.
    ids = [ident for ident in map(str.strip, lock._lines) if ident and ident[0] != "#"]
    if (not ids or _ID_LINES.fullmatch("\n".join(ids))) and len(set(ids)) == len(ids):
        lock.order = ids
        return lock
    seen: dict[str, int] = {}
    for number, line in enumerate(lock._lines, 1):
        ident = line.strip()
        if not ident or ident.startswith("#"):
            continue
        if not _ID.match(ident):
            problems.error(path, Position(number, 1),
                           f"“{ident}”不是合法的事项标识：每行只写一个标识（小写字母、数字和连字符），注释行以 # 开头")
            continue
        if ident in seen:
            problems.warning(path, Position(number, 1), f"事项标识“{ident}”重复（第 {seen[ident]} 行已有），可删除本行")
            continue
        seen[ident] = number
        lock.order.append(ident)
    return lock


class _Written(NamedTuple):
    """Where an item id is written in the catalogue files, enabled or not."""

    catalogue: str
    kind: str
    path: Path
    position: Position


def _written_ids(checked: "Checked") -> dict[str, _Written]:
    found: dict[str, _Written] = {}
    for file in checked.facts:
        catalogue = file.stem
        for ident, position in file.ids:
            if ident not in found:
                found[ident] = _Written(catalogue, file.kind, file.path, position)
    return found


def check_lock(checked: "Checked", options: "BuildOptions") -> None:
    """The ``MODEL_CHECKS`` entry: every locked id must still answer. Writes nothing."""
    model = checked.model
    assert model is not None
    problems = checked.problems
    lock_path = options.catalog / LOCK_NAME
    lock = read(lock_path, problems)
    locked = lock.ids if lock else set()
    # Nearly always every locked id is an item of the site; where the others are written (in
    # a catalogue file site.yaml does not enable, or nowhere) is looked up only for them.
    gone = [ident for ident in lock.order if ident not in model.items_by_id] if lock else []
    written = _written_ids(checked) if gone else {}
    disabled: dict[str, list[tuple[int, str]]] = {}
    for ident in gone:
        assert lock is not None
        line = lock.line_of(ident)
        where = written.get(ident)
        if where is None:
            problems.error(
                lock_path, Position(line, 1),
                f"事项“{ident}”已发布过（网址 /items/{ident}/ 可能已印成二维码贴在公开栏上），但所有目录文件中都找不到它。"
                f"请不要删除事项或修改其标识：把它恢复到目录文件中并标记 status: withdrawn，写明 withdrawn_on、reason，"
                f"有替代事项时用 replaced_by 指向新标识；不要删除 {LOCK_NAME} 中的这一行")
        elif where.catalogue not in model.catalogues_by_id:
            disabled.setdefault(where.catalogue, []).append((line, ident))
    for catalogue, entries in sorted(disabled.items(), key=lambda kv: kv[1][0][0]):
        line, ident = entries[0]
        folder = "domains" if written[ident].kind == "domain" else "community"
        problems.error(
            lock_path, Position(line, 1),
            f"有 {len(entries)} 个已发布的事项（如“{ident}”）属于目录“{catalogue}”（{folder}/{catalogue}.yaml），"
            f"但 site.yaml 没有启用该目录，这些事项的网址和二维码将无法打开。请在 site.yaml 的 {folder} 中继续启用它；"
            f"不再公开的事项请标记为 status: withdrawn")
    _warn_dense_codes(checked, written or None, locked)


def _warn_dense_codes(checked: "Checked", written: dict[str, _Written] | None, locked: set[str]) -> None:
    """Long ids make dense codes; warn while the id can still change (before it is locked)."""
    model = checked.model
    assert model is not None
    for item in model.items:
        if item.id in locked:
            continue
        url = model.site.absolute(item.path)
        from . import qr   # the render stage (Jinja, the theme): only for ids not yet locked
        code = qr.info(url)
        if code.version <= qr.COMFORTABLE_VERSION:
            continue
        room = _longest_comfortable_id(model.site.absolute("items/"))
        if written is None:
            written = _written_ids(checked)
        where = written[item.id]
        checked.problems.warning(
            where.path, where.position,
            f"事项标识“{item.id}”较长：网址有 {len(url)} 个字符，二维码较密（每边 {code.modules} 格），"
            f"印在公开栏上褪色后较难扫描。标识发布后不能再改，建议现在缩短到 {room} 个字符以内")


@functools.cache  # one answer per site prefix, however many long ids there are
def _longest_comfortable_id(prefix: str) -> int:
    from . import qr

    length = 1
    while length < 64 and qr.info(f"{prefix}{'a' * (length + 1)}/").version <= qr.COMFORTABLE_VERSION:
        length += 1
    return length


def contents(ids: set[str]) -> str:
    return "\n".join(HEADER) + "\n" + "".join(f"{ident}\n" for ident in sorted(ids))


def record(catalog: Path, model: "SiteModel") -> list[str]:
    """Add the ids just published to the lock; returns the new ids. Call after publish only."""
    path = catalog / LOCK_NAME
    lock = read(path, Problems())
    old = lock.ids if lock else set()
    built = {item.id for item in model.items}
    new = sorted(built - old)
    if lock is not None and not new:
        return new           # nothing to add: the lock stays byte for byte as the editor keeps it
    text = contents(old | built)
    if path.is_file() and path.read_bytes() == text.encode("utf-8"):
        return new
    write_atomically(path, text.encode("utf-8"))   # never half a lock, even on a full disk
    return new
