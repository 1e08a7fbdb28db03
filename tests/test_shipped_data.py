"""The shipped catalogue: complete, valid, and written the way the standard requires."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from generator.doc_numbers import normalise_number
from generator.standard_lists import BASIS_KINDS, PILOT_DOMAINS

from .helpers import ROOT, gkml

CATALOG = ROOT / "catalog"
SITE = yaml.safe_load((CATALOG / "site.yaml").read_text(encoding="utf-8"))
FILES = sorted((CATALOG / "domains").glob("*.yaml")) + sorted((CATALOG / "community").glob("*.yaml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_shipped_catalogue_validates_without_problems() -> None:
    run = gkml("validate", "--strict")
    assert run.code == 0, run.stderr


def test_all_26_pilot_domains_ship_and_24_are_enabled() -> None:
    shipped = {p.stem for p in (CATALOG / "domains").glob("*.yaml")}
    assert shipped == set(PILOT_DOMAINS)
    assert len(SITE["domains"]) == 24 and set(SITE["domains"]) <= shipped
    assert len(SITE["community"]) >= 2


def test_domain_names_match_the_national_list() -> None:
    for path in (CATALOG / "domains").glob("*.yaml"):
        assert load(path)["name"] == PILOT_DOMAINS[path.stem], path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_empty_required_field_and_every_basis_has_a_kind(path: Path) -> None:
    data = load(path)
    required = ["id", "category", "name", "content", "basis", "timing", "subject", "channels"]
    if data["kind"] == "domain":
        required += ["audience", "mode", "levels"]
    for item in data["items"]:
        for key in required:
            assert item.get(key), f"{path.name}: {item.get('id')} has no {key}"
        assert all(str(element).strip() for element in item["content"]), item["id"]
        for basis in item["basis"]:
            assert basis.get("kind") in BASIS_KINDS, f"{item['id']}: {basis}"
            assert not basis["title"].startswith("《"), f"{item['id']}: write titles without 《》"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_duplicate_item_names_within_a_catalogue(path: Path) -> None:
    items = [i for i in load(path)["items"] if i.get("status", "active") == "active"]
    names = Counter((i["category"], i["name"]) for i in items)
    assert not [name for name, count in names.items() if count > 1]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_document_numbers_are_in_normalised_form(path: Path) -> None:
    for item in load(path)["items"]:
        for basis in item["basis"]:
            number = basis.get("number")
            if number:
                assert normalise_number(number) == number, f"{item['id']}: {number}"
                assert "[" not in number and "(" not in number and "（" not in number


def test_the_same_instrument_is_cited_the_same_way_everywhere() -> None:
    numbers: dict[str, set[str]] = {}
    for path in FILES:
        for item in load(path)["items"]:
            for basis in item["basis"]:
                if basis.get("number"):
                    numbers.setdefault(basis["title"], set()).add(basis["number"])
    assert not {title: found for title, found in numbers.items() if len(found) > 1}


def test_residents_words_are_recorded_as_keywords() -> None:
    keywords = {k for path in FILES for item in load(path)["items"] for k in item.get("keywords") or []}
    assert {"低保", "入学"} <= keywords
