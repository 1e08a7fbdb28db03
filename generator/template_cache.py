"""Compiled templates, kept for the user across builds and output folders.

Compiling the theme costs about a quarter of a second (gkml compiles partials into the pages
that include them and a page into its layout, see theme.py): half the build of a site of a few
hundred items, and the same again for every build of a fresh ``--out``. Jinja keeps compiled
templates in a "bytecode cache"; gkml keeps them in Jinja's own per-user folder under the
system's temporary folder, which Jinja makes private to the user (mode 0700, owned by them) and
refuses otherwise: compiled templates are code that every build runs, so a folder another user
could write to would let them plant it. Where Jinja cannot make that folder safe, they are kept
beside ``--out``'s cache instead.

A page's compiled code depends on every partial it includes and on gkml's own code, so a
template's files are named by a digest of all the theme's files and of gkml's code and library
versions (:func:`cache.theme_digest`); Jinja checks the template's own source besides. One set
is kept per theme folder: a build with a new digest removes that folder's older sets, so editing
a theme does not pile files up, and two sites with two themes do not evict each other's. Another
folder's set untouched for :data:`UNUSED_DAYS` is removed too (its theme may be long gone); were
it still in use, its next build compiles it again.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import jinja2

from .cache import theme_digest

PREFIX = "gkml-"
UNUSED_DAYS = 30


def user_folder() -> str | None:
    """Jinja's per-user folder for compiled templates, or None where it cannot make it safe."""
    try:
        return jinja2.FileSystemBytecodeCache().directory
    except (OSError, RuntimeError):
        return None


def compiled_templates(theme_dirs: Sequence[Path], fallback: Path) -> jinja2.FileSystemBytecodeCache:
    """Where the templates of ``theme_dirs`` are kept compiled: the user's folder, else
    ``fallback`` (made if need be)."""
    folder = user_folder()
    if folder is None:
        fallback.mkdir(parents=True, exist_ok=True)
        folder = str(fallback)
    # The theme folders' own paths name the set; their files' digest names its version.
    slot = hashlib.sha256("\0".join(str(d.resolve()) for d in theme_dirs).encode()).hexdigest()[:16]
    prefix = f"{PREFIX}{slot}-"
    current = f"{prefix}{theme_digest(theme_dirs).hex()}-"
    unused_since = time.time() - UNUSED_DAYS * 86400
    try:
        names = os.listdir(folder)
    except OSError:
        names = []            # tidied another time; Jinja reports a folder it cannot use
    for name in names:
        if not name.startswith(PREFIX) or name.startswith(current):
            continue
        path = os.path.join(folder, name)
        try:
            if name.startswith(prefix) or os.stat(path).st_mtime < unused_since:
                os.remove(path)
        except OSError:
            pass              # another build removed it first
    return jinja2.FileSystemBytecodeCache(folder, current + "%s.cache")
