"""Compare two revisions of gkml on the same data: cold builds alternated, each from its own tree.

Run on demand (not part of the test suite):

    python -m tests.perf.compare HEAD~3 HEAD                  # 10,000 items, 10 builds of each
    python -m tests.perf.compare main my-branch --items 2000 --runs 20 --where /dev/shm
    python -m tests.perf.compare HEAD HEAD --python-a /tmp/pyenv-venv/bin/python   # two interpreters

Each revision is exported (``git archive``) into a folder of its own and every build of it runs
there: ``python -m`` puts the current folder first on ``sys.path``, so a build started from the
repository with ``PYTHONPATH`` pointing at another tree runs the repository's code, and such a
comparison compares the code with itself. The builds alternate (A B, then B A, …) so that the
machine's drift between minutes falls on both alike; each is a cold render-only build (no
previous --out, no cache, no search index), as the benchmark's cold render against Hugo. One
build of each comes first, unmeasured: it compiles the tree's modules and templates, as an
installed gkml finds them compiled.

``--python-a`` / ``--python-b``: the interpreter each side's builds run on (by default this one),
for instance two venvs' ``python`` with gkml's dependencies installed: the same revision on both
sides then measures the interpreters (a distribution's CPython against a source build, say).

Printed: each revision's wall times, their median and CPU time, and the median of the pairs'
ratios (B / A) — on a machine whose speed drifts by a third between minutes, the pairs' median
is the steadier figure.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from generator.cache import cache_dir

from .benchmark import ROOT, Run, gkml, machine, measure
from .synthetic import write_catalogue


def export(revision: str, target: Path) -> str:
    """Write ``revision``'s files into ``target``; its short commit id."""
    commit = _git("rev-parse", "--short", f"{revision}^{{commit}}").decode().strip()
    archive = _git("archive", "--format=tar", commit)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):      # Python 3.11.4 on
            tar.extractall(target, filter="data")
        else:
            tar.extractall(target)
    if not (target / "tests/perf/driver.py").is_file():
        sys.exit(f"{revision} ({commit}) has no tests/perf/driver.py: it cannot be measured this way")
    return commit


def _git(*args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def cold_build(tree: Path, catalog: Path, out: Path, jobs: int, name: str, python: str = sys.executable) -> Run:
    """One cold render-only build by ``tree``'s own code, on ``python``."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache_dir(out), ignore_errors=True)
    return measure(name, gkml(catalog, out, jobs=jobs, cache=True, search=False, python=python), cwd=tree)


def compare(first: str, second: str, items: int, runs: int, where: Path, jobs: int,
            pythons: tuple[str, str] = (sys.executable, sys.executable)) -> list[list[Run]]:
    """Each side's measured builds, alternated."""
    with tempfile.TemporaryDirectory(prefix="gkml-compare-", dir=where) as tmp:
        root = Path(tmp)
        trees, names = [], []
        for label, revision, python in (("a", first, pythons[0]), ("b", second, pythons[1])):
            tree = root / label
            on = f" on {python}" if pythons[0] != pythons[1] else ""
            names.append(f"{revision} ({export(revision, tree)}){on}")
            trees.append(tree)
        catalog = write_catalogue(root / "catalog", items, 24, max(1, items // 50))
        outs = [root / "out-a", root / "out-b"]
        for tree, out, name, python in zip(trees, outs, names, pythons):
            if cold_build(tree, catalog, out, jobs, f"{name}, first", python).name.endswith("(failed)"):
                sys.exit(f"{name}: the build failed (above)")
        measured: list[list[Run]] = [[], []]
        for run in range(runs):
            order = (0, 1) if run % 2 == 0 else (1, 0)
            for side in order:
                measured[side].append(cold_build(trees[side], catalog, outs[side], jobs, names[side], pythons[side]))
        report(names, measured)
        return measured


def report(names: list[str], measured: list[list[Run]]) -> None:
    print()
    for name, runs in zip(names, measured):
        walls = [run.wall for run in runs]
        cpus = [run.cpu for run in runs]
        print(f"{name}: median {statistics.median(walls):.3f} s wall, {statistics.median(cpus):.2f} s CPU; "
              f"runs {' '.join(f'{w:.2f}' for w in walls)}")
    ratios = [b.wall / a.wall for a, b in zip(*measured)]
    print(f"{names[1]} / {names[0]}, wall time: pairs' median {statistics.median(ratios):.3f} "
          f"({', '.join(f'{r:.2f}' for r in ratios)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", help="a revision (commit, branch, tag)")
    parser.add_argument("second", help="the revision to compare with it")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10, help="measured builds of each revision")
    parser.add_argument("--where", type=Path, default=Path(tempfile.gettempdir()),
                        help="folder to build in (a disk, or tmpfs such as /dev/shm)")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--python-a", default=sys.executable,
                        help="the interpreter the first side's builds run on (one with gkml's dependencies)")
    parser.add_argument("--python-b", default=sys.executable, help="the same for the second side")
    args = parser.parse_args()
    print(machine())
    compare(args.first, args.second, args.items, args.runs, args.where, args.jobs, (args.python_a, args.python_b))


if __name__ == "__main__":
    main()
