"""The templates as gkml compiles them print exactly what Jinja prints for them as written.

``theme.py`` compiles each fixed ``{% include %}`` into the page that includes it (and may
merge more in future): a speed-up that must never change a byte of any page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from generator.build import BuildOptions, check
from generator.render_stage import plan
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


def test_functions_a_theme_is_given_are_called_as_jinja_calls_them() -> None:
    """Plain functions take the quick call; one that asks for the context still gets it."""

    @jinja2.pass_context
    def reader(context: jinja2.runtime.Context) -> str:
        return repr(context["reader"])

    source = "{{ plain('甲', b='<乙>') }}|{{ reader() }}"
    context = {"plain": lambda a, b: a + b, "reader": reader}
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    expected = plain.from_string(source).render(context)
    assert expected.startswith("甲&lt;乙&gt;|") and "function" in expected
    assert Theme().env.from_string(source).render(context) == expected


# --- partials made once for the pages that share their values --------------------------------


def _item_pages(theme: Theme, content: Path | None = None) -> tuple[RenderContext, list[str]]:
    model = check(BuildOptions(catalog=MINI, content=content)).model
    assert model is not None
    ctx = RenderContext(model, theme)
    return ctx, [_bytes(produce(ctx, o)).decode() for o in plan(ctx) if o.producer == "item"]


def test_the_header_and_footer_are_made_once_for_all_item_pages_of_a_catalogue() -> None:
    theme = Theme()
    made: list[str] = []
    keep = theme.env.filters["gkml_fragment_keep"]
    theme.env.filters["gkml_fragment_keep"] = lambda html, miss: made.append(miss.key[0]) or keep(html, miss)
    ctx, pages = _item_pages(theme, ROOT / "content")
    catalogues = {c.id for c in ctx.model.catalogues if c.items}
    assert len(pages) > len(catalogues) + 2
    # One header for every item page (none of them is a navigation entry), one footer for
    # each catalogue (it shows the catalogue's revision date).
    assert made.count("_partials/header.html") == 1
    assert made.count("_partials/footer.html") == len(catalogues)
    # … and each page still shows its own catalogue's date, not the first one's.
    for catalogue in ctx.model.catalogues:
        for item in catalogue.items:
            page = next(p for p in pages if f"<h1>{item.name}</h1>" in p)
            footer = page[page.index('<footer class="site-footer">'):]
            assert f'<time datetime="{catalogue.updated.isoformat()}">' in footer, item.id


def test_a_shared_partial_is_made_again_where_its_values_may_differ(tmp_path: Path) -> None:
    """Only values that cannot change between two pages (text, dates, the model's objects)
    let a partial's output be reused; a list given as ``root`` may, so it is made every time."""
    templates = tmp_path / "theme" / "templates"
    (templates / "_partials").mkdir(parents=True)
    (templates / "_partials" / "footer.html").write_text("<footer>{{ root | join('/') }}</footer>\n", encoding="utf-8")
    (templates / "listing.html").write_text('{% include "_partials/footer.html" %}', encoding="utf-8")
    theme = Theme(tmp_path / "theme")
    shared = ["甲"]
    assert theme.render(["listing.html"], root=shared) == "<footer>甲</footer>\n"
    shared.append("乙")
    assert theme.render(["listing.html"], root=shared) == "<footer>甲/乙</footer>\n"
    assert theme.render(["listing.html"], root="丙") == "<footer>丙</footer>\n"
    assert theme.render(["listing.html"], root="丁") == "<footer>丁</footer>\n"
    assert theme.render(["listing.html"], root="丙") == "<footer>丙</footer>\n"
    # Equal values of two kinds print apart: text is escaped, Markup is not; 1 is not True.
    assert theme.render(["listing.html"], root=["<b>"]) == "<footer>&lt;b&gt;</footer>\n"
    (templates / "_partials" / "footer.html").write_text("<footer>{{ root }}</footer>\n", encoding="utf-8")
    theme = Theme(tmp_path / "theme")
    assert theme.render(["listing.html"], root="<b>") == "<footer>&lt;b&gt;</footer>\n"
    assert theme.render(["listing.html"], root=Markup("<b>")) == "<footer><b></footer>\n"
    assert theme.render(["listing.html"], root=1) == "<footer>1</footer>\n"
    assert theme.render(["listing.html"], root=True) == "<footer>True</footer>\n"


def test_the_navigation_marks_the_page_the_reader_is_on(mini_site: Path) -> None:
    def current(path: str) -> list[str]:
        html = (mini_site / path).read_text(encoding="utf-8")
        nav = html[html.index('<nav class="site-nav"'):html.index("</nav>")]
        return [part.split(">")[1].split("<")[0] for part in nav.split('aria-current="page"')[1:]]

    assert current("index.html") == ["首页"]
    assert current("search/index.html") == ["搜索"]
    assert current("guide/index.html") == ["政府信息公开指南"]
    assert current("about/index.html") != []
    # An item, its poster and the 404 page are no entry of the navigation.
    item = next((mini_site / "items").iterdir()).name
    assert current(f"items/{item}/index.html") == []
    assert current(f"items/{item}/poster/index.html") == []
    assert current("404.html") == []
