"""The templates as gkml compiles them print exactly what Jinja prints for them as written.

``theme.py`` compiles each fixed ``{% include %}`` into the page that includes it (and may
merge more in future): a speed-up that must never change a byte of any page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest

from generator.build import BuildOptions, check, plan
from generator.joined import Joined
from generator.outputs import produce
from generator.render_context import RenderContext
from generator.theme import Theme, _Environment

from .conftest import MINI, ROOT


@pytest.mark.parametrize("catalog", [MINI, ROOT / "catalog"], ids=["mini", "shipped"])
def test_compiled_templates_print_what_the_templates_say(catalog: Path) -> None:
    model = check(BuildOptions(catalog=catalog, content=ROOT / "content")).model
    assert model is not None
    compiled = RenderContext(model, Theme())
    outputs = [o for o in plan(compiled) if o.path.endswith((".html", ".xml", ".svg"))]
    as_written = Theme()
    as_written.env = as_written._environment(_Environment)   # Jinja's own includes
    written = RenderContext(model, as_written, extras=compiled.extras)
    pages = [o for o in outputs if o.path.endswith(".html")]
    assert len(pages) > 20
    for output in outputs:
        assert _bytes(produce(compiled, output)) == _bytes(produce(written, output)), output.path


def _bytes(made: bytes | Joined) -> bytes:
    return made.whole() if isinstance(made, Joined) else made


def test_a_site_theme_extending_a_merged_page_still_overrides_its_blocks(tmp_path: Path) -> None:
    """item.html is merged into base.html when compiled; a site theme's item-<catalogue>.html
    that extends it must still replace its blocks (and reach them with ``super()``)."""
    templates = tmp_path / "theme" / "templates"
    templates.mkdir(parents=True)
    (templates / "item-social-assistance.html").write_text(
        '{% extends "item.html" %}\n'
        '{% block item_extra %}<p class="local-note">救助热线：12345</p>{{ super() }}{% endblock %}\n'
        '{% block title %}社会救助 · {{ item.name }}{% endblock %}\n', encoding="utf-8")
    model = check(BuildOptions(catalog=MINI, content=None)).model
    assert model is not None
    compiled = RenderContext(model, Theme(tmp_path / "theme"))
    as_written = Theme(tmp_path / "theme")
    as_written.env = as_written._environment(_Environment)
    written = RenderContext(model, as_written, extras=compiled.extras)
    pages = [o for o in plan(compiled) if o.producer == "item"]
    local = [o for o in pages if o.key == "sa-dibao-guide"]
    assert local
    page = produce(compiled, local[0]).decode("utf-8")
    assert '<p class="local-note">救助热线：12345</p>' in page and "qr.svg" in page   # override + super()
    assert "<title>社会救助 · " in page
    for output in pages:
        assert produce(compiled, output) == produce(written, output), output.path


class _Model:
    """What a site theme may call: plain methods, and methods that ask Jinja for its context."""

    def __init__(self) -> None:
        self.names = ["甲", "乙", "<丙>"]

    def absolute(self, path: str) -> str:
        return "https://example.gov.cn/" + path

    @jinja2.pass_context
    def greeting(self, context: jinja2.runtime.Context) -> str:
        return f"您好，{context['reader']}"

    @jinja2.pass_environment
    def autoescaping(self, environment: jinja2.Environment) -> bool:
        return bool(environment.autoescape)

    def exhausted(self) -> str:
        raise StopIteration


def test_calls_and_filters_behave_as_jinjas_own() -> None:
    """gkml's quicker method calls and filters give what Jinja's own give, context and all."""
    source = (
        "{{ m.absolute('items/a/') }}|{{ day.isoformat() }}|{{ m.greeting() }}|{{ m.autoescaping() }}|"
        "{{ m.exhausted() is undefined }}|{{ m.names | join('、') }}|{{ m.names | map('length') | sum }}|"
        "{% for n in m.names %}{{ loop.index }}{{ m.absolute(n) }}{% endfor %}|"
        "{{ pages | selectattr('slug', 'equalto', 'scan-help') | list | length }}|{{ m.names | first }}"
    )
    context = {"m": _Model(), "day": dt.date(2024, 3, 1), "reader": "居民",
               "pages": [{"slug": "about"}, {"slug": "scan-help"}]}
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    ours = Theme().env
    expected = plain.from_string(source).render(context)
    assert "您好，居民" in expected and "&lt;丙&gt;" in expected and "|True|" in expected
    assert ours.from_string(source).render(context) == expected
