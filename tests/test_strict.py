"""The pipeline switches CI relies on: --strict, --quiet, and the progress display on a terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MINI, ROOT, copy_catalog
from .helpers import gkml, replace_in

WARNING_LINE = re.compile(r"^[^:]+\.yaml:\d+:\d+: warning: .+$")


@pytest.fixture
def warned(tmp_path: Path) -> Path:
    """A catalogue whose only problem is a warning (a 文号 with square brackets)."""
    catalog = copy_catalog(MINI, tmp_path / "catalog")
    text = "\n".join(p.read_text(encoding="utf-8") for p in catalog.rglob("*.yaml"))
    assert "国发[2012] 45号" in text
    return catalog


def test_validate_passes_with_warnings_but_strict_fails(warned: Path) -> None:
    plain = gkml("validate", "--catalog", warned)
    assert plain.code == 0 and any(WARNING_LINE.match(line) for line in plain.lines)
    strict = gkml("validate", "--catalog", warned, "--strict")
    assert strict.code == 1 and any(WARNING_LINE.match(line) for line in strict.lines)
    assert "未通过" in strict.stderr


def test_build_strict_fails_on_warnings_and_leaves_out_untouched(warned: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("上一次发布的网站", encoding="utf-8")
    run = gkml("build", "--catalog", warned, "--content", warned / "none", "--out", out, "--strict")
    assert run.code == 1 and "--strict" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    ok = gkml("build", "--catalog", warned, "--content", warned / "none", "--out", out)
    assert ok.code == 0 and (out / "index.html").is_file()


def test_strict_passes_a_clean_catalogue(warned: Path) -> None:
    replace_in(warned / "domains" / "social-assistance.yaml", "国发[2012] 45号", "国发〔2012〕45号")
    assert gkml("validate", "--catalog", warned, "--strict").code == 0


def test_quiet_prints_only_problems(warned: Path, tmp_path: Path) -> None:
    run = gkml("build", "--catalog", warned, "--content", warned / "none", "--out", tmp_path / "site", "--quiet")
    assert run.code == 0
    assert run.lines and all(WARNING_LINE.match(line) for line in run.lines)
    assert run.stdout == ""
    validate = gkml("validate", "--catalog", warned, "--quiet")
    assert all(WARNING_LINE.match(line) for line in validate.lines)


def _build_on_a_terminal(catalog: Path, out: Path, *extra: str) -> tuple[int, str]:
    """Run `gkml build` with stderr on a pseudo-terminal, as an editor at a console sees it."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--catalog", str(catalog), "--content",
                                str(catalog / "none"), "--out", str(out), *extra],
                               cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_only(warned: Path, tmp_path: Path) -> None:
    code, shown = _build_on_a_terminal(warned, tmp_path / "tty")
    assert code == 0 and "校验并生成网站" in shown and "构建完成" in shown
    code, quiet = _build_on_a_terminal(warned, tmp_path / "quiet", "--quiet")
    assert code == 0 and "校验并生成网站" not in quiet and "构建完成" not in quiet
    piped = gkml("build", "--catalog", warned, "--content", warned / "none", "--out", tmp_path / "piped")
    assert "校验并生成网站" not in piped.stderr and "\x1b[" not in piped.stderr


def test_problem_matcher_reads_gkml_problem_lines(warned: Path) -> None:
    """docs/gkml-problem-matcher.json turns problem lines into CI annotations."""
    matcher = json.loads((ROOT / "docs" / "gkml-problem-matcher.json").read_text(encoding="utf-8"))
    patterns = [entry["pattern"][0] for entry in matcher["problemMatcher"]]
    lines = gkml("validate", "--catalog", warned).lines
    line = next(line for line in lines if " warning: " in line)
    match = re.match(patterns[0]["regexp"], line)
    assert match is not None
    assert match.group(patterns[0]["file"]).endswith("social-assistance.yaml")
    assert match.group(patterns[0]["severity"]) == "warning" and "国发" in match.group(patterns[0]["message"])
    assert int(match.group(patterns[0]["line"])) > 0 and int(match.group(patterns[0]["column"])) > 0
