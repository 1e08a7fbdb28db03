"""The set-up the README's two commands run: which Python the virtual environment is made from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PICK = ROOT / "scripts" / "pick-python.sh"


def _pick(*candidates: str) -> str:
    done = subprocess.run(["sh", str(PICK), *candidates], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _fake_python(folder: Path, name: str, version: tuple[int, int], venv: bool = True) -> str:
    """A stand-in interpreter: it runs the question it is asked (``-c CODE``) in this Python,
    made to report ``version`` and, with ``venv`` false, to lack the venv module (as Debian's
    does without python3-venv)."""
    path = folder / name
    prelude = f"import sys; sys.version_info = {(*version, 0, 'final', 0)!r}"
    if not venv:
        prelude += "; sys.modules['venv'] = None"
    path.write_text(f'#!/bin/sh\n[ "$1" = -c ] || exit 2\n'
                    f'exec "{sys.executable}" -c "{prelude}; exec(sys.argv[1])" "$2"\n', encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_the_first_candidate_new_enough_with_venv_is_chosen(tmp_path):
    old = _fake_python(tmp_path, "python3.9", (3, 9))
    without_venv = _fake_python(tmp_path, "python3.12-bare", (3, 12), venv=False)
    good = _fake_python(tmp_path, "python3.11", (3, 11))
    newer = _fake_python(tmp_path, "python3.13", (3, 13))
    assert _pick(str(tmp_path / "missing"), old, without_venv, good, newer) == good


def test_python3_from_path_when_no_candidate_can_make_a_venv(tmp_path):
    assert _pick(str(tmp_path / "missing"), _fake_python(tmp_path, "python3.10", (3, 10))) == "python3"


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no distribution Python here")
def test_the_distributions_python_comes_first_when_it_can_make_a_venv():
    usable = subprocess.run(["/usr/bin/python3", "-c", "import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))"],
                            capture_output=True, check=False).returncode == 0
    assert _pick() == ("/usr/bin/python3" if usable else "python3")
