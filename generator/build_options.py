"""What a build is asked to do (:class:`BuildOptions`), what loading and checking found
(:class:`Checked`) and what the build reports (:class:`BuildReport`): shared by the stages of
the pipeline (``build``, ``render_stage``, ``quick_build``, ``ids_lock``) without them importing
one another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .model import SiteModel
from .problems import Problem, Problems
from .validate import FileFacts


@dataclass
class InputFolders:
    """What a command reads: the catalogue, the content pages and a site theme of its own."""

    catalog: Path = Path("catalog")
    content: Path | None = Path("content")
    theme: Path | None = None


@dataclass
class BuildOptions(InputFolders):
    out: Path = Path("build")
    base_url: str | None = None
    jobs: int = 0                      # 0: one per core
    strict: bool = False               # warnings fail the build too
    progress: Callable[[str, int, int], None] | None = None
    #: Add the ids just published to catalog/ids.lock (the `gkml build` command does; library callers opt in).
    update_lock: bool = False
    #: Reuse the previous build of --out where inputs did not change (see cache.py; `gkml build` does).
    cache: bool = False
    #: Run the finishers that write the search index (`--no-search` measures rendering alone).
    search: bool = True


@dataclass
class Checked:
    """The result of load + validate + model: what `validate` reports and `build` renders."""

    problems: Problems
    model: SiteModel | None = None
    #: What the rules across files know of each readable catalogue file (the id lock reads it too).
    facts: list[FileFacts] = field(default_factory=list)
    #: item id → digest of its model, for the incremental build's fingerprints.
    digests: dict[str, bytes] = field(default_factory=dict)
    #: What the id lock check reported (warnings only, in a build that goes on): once the build
    #: has added its ids to the lock, a new check would no longer report them.
    lock_problems: list[Problem] = field(default_factory=list)
    #: catalogue file path → the key its checked unit is kept under (units.py)
    unit_keys: dict[str, str] = field(default_factory=dict)
    #: problems[start:stop] are the catalogue files' own problems, in file order (None: not known)
    files_problems: tuple[int, int] | None = None


@dataclass
class BuildReport:
    out: Path
    model: SiteModel | None            # None when nothing changed and nothing was rebuilt
    problems: Problems
    files: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    catalogues: int = 0
    items: int = 0
    #: Nothing changed since the last build of --out: nothing was read twice or written.
    unchanged: bool = False
    #: Outputs produced anew (the rest were reused from the previous --out).
    produced: int = 0
    #: Built by an edit's quick build (quick_build.py): only the edited catalogues were read.
    quick: bool = False
    #: What the editor should know that is not about the catalogue (a cache that could not be saved).
    notes: list[str] = field(default_factory=list)
