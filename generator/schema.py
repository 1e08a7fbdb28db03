"""JSON Schemas derived from :mod:`fields`: for editors' YAML tools, and for the open data."""

from __future__ import annotations

from typing import Any

from . import fields as F
from .validate import Vocabulary

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _field_schema(f: F.Field, vocab: Vocabulary) -> dict[str, Any]:
    base: dict[str, Any] = {"title": f.title, "description": f.help, "markdownDescription": f"**{f.title}**：{f.help}"}
    if f.type == "objects":
        element = _object_schema(f.fields, vocab, None)
        return {**base, "type": "array", "minItems": f.min_items, "items": element}
    if f.type == "list":
        element = _scalar_schema(f.element, vocab)
        return {**base, "type": "array", "minItems": f.min_items, "items": element}
    return {**base, **_scalar_schema(f, vocab)}


def _scalar_schema(f: F.Field, vocab: Vocabulary) -> dict[str, Any]:
    if f.type == "date":
        return {"type": "string", "format": "date"}
    if f.type == "id":
        return {"type": "string", "pattern": F.ID_PATTERN}
    if f.type == "url":
        return {"type": "string", "format": "uri", "pattern": "^https://"}
    if f.type == "enum":
        return {"type": "string", "enum": list(vocab.get(f.choices_from) if f.choices_from else f.choices)}
    return {"type": "string", "minLength": 1}


def _object_schema(fields: tuple[F.Field, ...], vocab: Vocabulary, kind: str | None) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.key for f in fields if f.required or (kind and kind in f.required_for)],
        "properties": {f.key: _field_schema(f, vocab) for f in fields},
    }


def catalogue_schema(vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The schema of ``catalog/domains/*.yaml`` and ``catalog/community/*.yaml``."""
    vocab = vocab or Vocabulary()
    schema = _object_schema(F.CATALOGUE_FIELDS, vocab, None)
    # Domain catalogues must state 对象、方式、层级 for each item; community lists may omit them.
    domain_items = _object_schema(F.ITEM_FIELDS, vocab, "domain")
    schema["allOf"] = [{
        "if": {"properties": {"kind": {"const": "domain"}}},
        "then": {"properties": {"items": {"items": {"required": domain_items["required"]}}}},
    }]
    return {"$schema": SCHEMA_DIALECT, "$id": "https://gkml.invalid/schema/catalogue.json",
            "title": "政务公开标准目录文件", "description": "gkml 的领域目录或居务/村务公开目录（YAML）", **schema}


def site_schema(vocab: Vocabulary | None = None) -> dict[str, Any]:
    schema = _object_schema(F.SITE_FIELDS, vocab or Vocabulary(), None)
    return {"$schema": SCHEMA_DIALECT, "$id": "https://gkml.invalid/schema/site.json",
            "title": "站点配置 site.yaml", **schema}


def open_data_schema(schema_id: str) -> dict[str, Any]:
    """The schema of the published ``catalog.json``."""
    vocab = Vocabulary()
    item = _object_schema(F.ITEM_FIELDS, vocab, None)
    props = item["properties"]
    nullable = ("group", "audience", "audience_group", "mode", "replaced_by")
    for key in nullable:
        props[key] = {**props[key], "type": ["string", "null"]}
        props[key].pop("enum", None)
        props[key].pop("pattern", None)
        props[key].pop("minLength", None)
    props["basis"]["items"]["properties"]["number"]["type"] = ["string", "null"]
    props["basis"]["items"]["properties"]["articles"]["type"] = ["string", "null"]
    props["channels"]["items"].pop("enum", None)   # sites add their own channels
    props["levels"]["items"].pop("enum", None)
    props["levels"]["minItems"] = 0
    props["notes"] = {"type": ["string", "null"]}
    props.update({
        "catalogue": {"type": "string", "title": "所属目录标识"},
        "url": {"type": "string", "format": "uri", "title": "事项页面网址"},
        "qr": {"type": "string", "format": "uri", "title": "事项二维码（SVG）网址"},
    })
    item["required"] = ["id", "catalogue", "url", "qr", "category", "name", "content", "basis", "timing",
                        "subject", "channels", "status"]
    catalogue = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "kind", "source", "updated", "url", "items"],
        "properties": {
            "id": {"type": "string", "pattern": F.ID_PATTERN},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["domain", "community"]},
            "source": {"type": "string"},
            "updated": {"type": "string", "format": "date"},
            "url": {"type": "string", "format": "uri"},
            "items": {"type": "integer", "minimum": 0, "title": "事项数"},
        },
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": schema_id,
        "title": "政务公开标准目录（开放数据）",
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "publisher", "base_url", "catalogues", "items"],
        "properties": {
            "$schema": {"type": "string"},
            "title": {"type": "string"},
            "publisher": {"type": "string"},
            "base_url": {"type": "string", "format": "uri"},
            "updated": {"type": ["string", "null"], "format": "date"},
            "catalogues": {"type": "array", "items": catalogue},
            "items": {"type": "array", "items": item},
        },
    }
