"""The theme: Jinja templates and static files, looked up most-specific-first.

A site's own theme (``--theme DIR``) sits in front of the default one, so a district can
override one template (say ``item-social-assistance.html``) without copying the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import jinja2

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "themes" / "default"


def _date_zh(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


class Theme:
    def __init__(self, directory: Path | None = None):
        directories = [d for d in (directory, DEFAULT_THEME) if d is not None]
        # Deduplicate while keeping order: --theme may name the default theme itself.
        self.directories = list(dict.fromkeys(d.resolve() for d in directories))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d / "templates") for d in self.directories]),
            autoescape=True,  # everything, whatever the extension: catalogue text is untrusted
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # One Theme per build: checking every template's mtime on each of 300,000 renders
            # costs a stat call each and cannot find a change within one build anyway.
            auto_reload=False,
        )
        self.env.filters["date_zh"] = _date_zh
        self.env.globals["now"] = None  # templates must never print the clock
        #: The template chosen for each list of names: a missing ``item-<catalogue>.html`` would
        #: otherwise be looked for on disk again for each of a city's 100,000 item pages.
        self._chosen: dict[tuple[str, ...], jinja2.Template] = {}

    def template(self, names: Sequence[str]) -> jinja2.Template:
        """The first template of ``names`` that exists (most specific first)."""
        key = tuple(names)
        chosen = self._chosen.get(key)
        if chosen is None:
            chosen = self._chosen[key] = self.env.select_template(list(key))
        return chosen

    def render(self, names: Sequence[str], **context: object) -> str:
        """Render the first template of ``names`` that exists (most specific first)."""
        return self.template(names).render(context)

    def static_files(self) -> Iterator[tuple[str, Path]]:
        """(site path under assets/, file) for every static file; front themes win."""
        seen: dict[str, Path] = {}
        for directory in self.directories:
            static = directory / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    seen.setdefault(path.relative_to(static).as_posix(), path)
        for name in sorted(seen):
            yield name, seen[name]
