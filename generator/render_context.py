"""Everything a producer needs to make one output: the model, the theme and the options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import Catalogue, SiteModel
from .theme import Theme


@dataclass
class RenderContext:
    model: SiteModel
    theme: Theme
    #: Extra values a feature puts in every page's context (e.g. the search page's options).
    extras: dict[str, Any] = field(default_factory=dict)
    #: An edit's quick build has only the edited catalogues in its model; this reads any other
    #: one (from its checked unit) for the few outputs that need it (the search index's records).
    load_catalogue: Callable[[str], Catalogue] | None = None

    def catalogue(self, ident: str) -> Catalogue:
        """The published catalogue ``ident``, from the model or, in a quick build, its unit."""
        found = self.model.catalogues_by_id.get(ident)
        if found is None and self.load_catalogue is not None:
            found = self.load_catalogue(ident)
        if found is None:
            raise KeyError(ident)
        return found

    def page(self, path: str, *, title: str, crumbs: tuple[tuple[str, str | None], ...] = (),
             **context: Any) -> dict[str, Any]:
        """The context shared by every HTML page at site path ``path`` (``items/x/``)."""
        depth = path.count("/")
        return {
            "site": self.model.site,
            "model": self.model,
            # Links are relative, so the site works under any base_url prefix, from disk,
            # and from `gkml serve` alike; only canonical, QR and open data use base_url.
            "root": "../" * depth if depth else "./",
            "page_path": path,
            # The navigation entry this page is: its path, unless a producer says it is no
            # entry's (an item's page and poster, the 404 page). The header reads this and not
            # page_path, so that it is made once for all items (theme.SHARED).
            "nav_path": path,
            "canonical": self.model.site.absolute(path),
            "title": title,
            "crumbs": crumbs,
            **self.extras,
            **context,
        }

    def render(self, templates: list[str], path: str, **context: Any) -> bytes:
        return self.theme.render(templates, **self.page(path, **context)).encode("utf-8")
