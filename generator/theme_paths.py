"""Where a theme's files are: known without loading Jinja (the no-change check needs only this)."""

from __future__ import annotations

from pathlib import Path

#: The theme gkml ships; a site's own theme (``--theme``) overrides its templates file by file.
DEFAULT_THEME = Path(__file__).resolve().parent.parent / "themes" / "default"


def theme_directories(directory: Path | None = None) -> list[Path]:
    """The theme folders, most specific first: ``directory`` (``--theme``), then the default.
    Deduplicated in order: --theme may name the default theme itself."""
    return list(dict.fromkeys(d.resolve() for d in (directory, DEFAULT_THEME) if d is not None))
