"""The measuring tools of ``tests/perf/`` measure what they say they measure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .helpers import replace_in
from .perf.compare import cold_build, export
from .perf.synthetic import write_catalogue

pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HEAD exported as ``compare.py`` exports a revision; the builds' compiled templates go to
    a folder of the test, not the user's."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tree = tmp_path / "tree"
    commit = export("HEAD", tree)
    assert commit and (tree / "generator/build.py").is_file() and (tree / "tests/perf/driver.py").is_file()
    return tree


def test_compare_builds_each_revision_with_its_own_code(tree: Path, tmp_path: Path) -> None:
    """Run from the repository, ``python -m`` would import the repository's code whatever the
    tree: a revision's builds must run the code exported into its own folder."""
    # A change only that tree has: its item pages show it.
    replace_in(tree / "themes/default/templates/item.html", "<h1>{{ item.name }}</h1>",
               "<h1>{{ item.name }}（本树）</h1>")
    catalog = write_catalogue(tmp_path / "catalog", 60, domains=2, community_lists=1)
    out = tmp_path / "out"
    run = cold_build(tree, catalog, out, 1, "tree")
    assert run.name == "tree" and run.wall > 0 and run.details["produced"] == run.details["files"]
    page = next((out / "items").glob("*/index.html")).read_text(encoding="utf-8")
    assert "（本树）</h1>" in page


def test_compare_runs_each_side_on_the_interpreter_given(tree: Path, tmp_path: Path) -> None:
    """``--python-a`` / ``--python-b``: a side's builds run on its interpreter, not this one."""
    # An interpreter that leaves a mark of each run, then is this Python.
    marks = tmp_path / "marks"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho run >> "{marks}"\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    catalog = write_catalogue(tmp_path / "catalog", 30, domains=1, community_lists=1)
    out = tmp_path / "out"
    run = cold_build(tree, catalog, out, 1, "other interpreter", str(python))
    assert run.details["produced"] == run.details["files"] > 0
    assert marks.read_text(encoding="utf-8").split() == ["run"]
    assert next((out / "items").glob("*/qr.svg")).read_bytes().startswith(b"<svg")
