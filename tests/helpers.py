"""Small helpers shared by the tests: running the CLI, editing a copied catalogue."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def gkml(*args: str | Path, cwd: Path | None = None) -> Run:
    """Run the real command line in a subprocess, as an editor or CI job would."""
    result = subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=600,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
