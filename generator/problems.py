"""Problems found in the catalogue, reported as ``PATH:LINE:COL: error: MESSAGE``.

Every stage appends to one :class:`Problems` collection instead of raising, so an
editor sees every mistake of a run at once, not one per run.
"""

from __future__ import annotations

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
