"""Problems found in the catalogue, reported as ``PATH:LINE:COL: error: MESSAGE``.

Every stage appends to one :class:`Problems` collection instead of raising, so an
editor sees every mistake of a run at once, not one per run.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Position(NamedTuple):
    """A 1-based line and column in a source file (a tuple: millions are made per build)."""

    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Problem:
    path: Path
    position: Position
    severity: Severity
    message: str

    def format(self) -> str:
        return f"{display_path(self.path)}:{self.position.line}:{self.position.col}: {self.severity}: {self.message}"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it, so editors can click it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def error(self, path: Path, position: Position | None, message: str) -> None:
        self.items.append(Problem(path, position or Position(), "error", message))

    def warning(self, path: Path, position: Position | None, message: str) -> None:
        self.items.append(Problem(path, position or Position(), "warning", message))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (str(p.path), p.position, p.severity, p.message))

    def __bool__(self) -> bool:
        return bool(self.items)


class CatalogueError(Exception):
    """The catalogue has errors; nothing may be written. Carries every problem found."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems.errors)} 个错误")
        self.problems = problems

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in a render worker, it reaches the build's own process pickled: by its problems.
        return _catalogue_error, (type(self), self.problems)


def _catalogue_error(kind: type[CatalogueError], problems: Problems) -> CatalogueError:
    error = kind.__new__(kind)
    CatalogueError.__init__(error, problems)
    return error


class UsageError(Exception):
    """A command was given something it cannot use (missing folder, bad URL): exit code 2."""


class LockNotUpdated(Exception):
    """The site was published but the id lock could not be written (a full disk): exit code 1,
    as the lock is what the editor commits to keep the new items' URLs."""


# The system's own texts are English ("No space left on device"); an editor needs to know in
# Chinese what to do about the few a build meets.
_OS_REASONS = {
    errno.ENOSPC: "磁盘空间不足，请清理磁盘后重试",
    errno.EDQUOT: "超出磁盘配额，请清理磁盘后重试",
    errno.EACCES: "没有读写权限",
    errno.EPERM: "没有读写权限",
    errno.EROFS: "文件系统是只读的",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是文件夹，不是文件",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EIO: "磁盘读写出错",
}


def os_reason(exc: OSError) -> str:
    """Why a read or write failed, in Chinese where it is one a build meets, with the system's words."""
    system = exc.strerror or str(exc)
    reason = _OS_REASONS.get(exc.errno) if exc.errno is not None else None
    return f"{reason}（{system}）" if reason else system


def describe_os_error(exc: OSError) -> str:
    """One line for a failed read or write that ends a command: which file and why."""
    where = f"：{exc.filename}" if exc.filename else ""
    return f"读写文件失败{where}——{os_reason(exc)}"
