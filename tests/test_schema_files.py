"""The committed JSON Schemas in schema/ that editors' YAML tools read through the
``# yaml-language-server: $schema=…`` line: up to date, and agreeing with the validator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.commands import schema as schema_command

from .conftest import MINI, ROOT
from .helpers import gkml

SCHEMA_DIR = ROOT / "schema"
REGENERATE = ("gkml schema catalogue > schema/catalogue.schema.json && "
              "gkml schema site > schema/site.schema.json")


@pytest.mark.parametrize("which", ["catalogue", "site"])
def test_committed_schema_is_what_gkml_schema_prints(which: str) -> None:
    committed = (SCHEMA_DIR / f"{which}.schema.json").read_text(encoding="utf-8")
    current = schema_command.run(which, ROOT / "catalog")
    assert committed == current, f"schema/{which}.schema.json is stale; regenerate with: {REGENERATE}"


def test_gkml_schema_command_prints_the_same(tmp_path: Path) -> None:
    run = gkml("schema", "catalogue")
    assert run.code == 0
    assert run.stdout == (SCHEMA_DIR / "catalogue.schema.json").read_text(encoding="utf-8")


def _as_json(value: Any) -> Any:
    """YAML dates are plain strings to an editor's YAML tool, as they are here."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _validator(which: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / f"{which}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_fixture_catalogues_satisfy_the_schema() -> None:
    validator = _validator("catalogue")
    for path in sorted((MINI / "domains").glob("*.yaml")) + sorted((MINI / "community").glob("*.yaml")):
        data = _as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, (path, errors)
    site = _as_json(yaml.safe_load((MINI / "site.yaml").read_text(encoding="utf-8")))
    assert not list(_validator("site").iter_errors(site))


def test_schema_catches_what_editors_get_wrong() -> None:
    validator = _validator("catalogue")
    data = _as_json(yaml.safe_load((MINI / "domains" / "compulsory-education.yaml").read_text(encoding="utf-8")))
    data["items"][0]["mode"] = "主动公开"           # not one of 主动 / 依申请
    del data["items"][1]["levels"]                 # domain items must state 公开层级
    data["items"][1]["itmes"] = "typo"             # unknown key
    messages = " | ".join(e.message for e in validator.iter_errors(data))
    assert "主动公开" in messages and "levels" in messages and "itmes" in messages


def test_shipped_site_file_points_at_the_committed_schema() -> None:
    first = (ROOT / "catalog" / "site.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/site.schema.json"
    assert (ROOT / "catalog" / "../schema/site.schema.json").resolve().is_file()
