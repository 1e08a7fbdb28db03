"""``gkml schema``: print a JSON Schema so editors' YAML tools complete and check fields."""

from __future__ import annotations

import json
from pathlib import Path

from ..load import load_sources
from ..problems import Problems
from ..schema import catalogue_schema, open_data_schema, site_schema
from ..validate import Vocabulary, site_vocabulary


def run(which: str, catalog: Path | None) -> str:
    vocab = Vocabulary()
    if catalog is not None and (catalog / "site.yaml").is_file():
        # The site's own channels and level labels belong in the editors' completion lists.
        sources = load_sources(catalog, Problems())
        vocab = site_vocabulary(sources.site.data if sources.site else None)
    if which == "site":
        schema = site_schema(vocab)
    elif which == "opendata":
        schema = open_data_schema("catalog.schema.json")
    else:
        schema = catalogue_schema(vocab)
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
