"""The theme: Jinja templates and static files, looked up most-specific-first.

A site's own theme (``--theme DIR``) sits in front of the default one, so a district can
override one template (say ``item-social-assistance.html``) without copying the rest.

Templates are rendered as written; how they are compiled makes each of a city's 200,000
pages cheaper, with the same bytes: an ``{% include "_partials/x.html" %}`` of a fixed name is
compiled into the template that includes it (:class:`_InliningEnvironment`), the values a page
outputs are escaped without a ``Markup`` object each (:func:`_escape_text`), a template's
globals are one dict (:meth:`_Environment.make_globals`), and a partial that reads only what
many pages share (the header, the footer) is made once for them all (:data:`SHARED`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from types import BuiltinMethodType, FunctionType, MethodType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from .problems import CatalogueError, Position, Problems
from .theme_paths import theme_directories

try:  # MarkupSafe 3: escape is Python around this C function
    from markupsafe import _escape_inner
except ImportError:  # MarkupSafe 2: escape itself is C
    _escape_inner = None  # type: ignore[assignment]


def template_error(exc: jinja2.TemplateError, making: str) -> CatalogueError:
    """A theme's template failed while making ``making``: the error names the template file and
    line, in Chinese, as a catalogue error does (a site's own theme is edited by hand too)."""
    path, line = Path("templates"), 0
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        path, line = Path(exc.filename), exc.lineno
    else:
        # Jinja rewrites the traceback so that template code shows as the template's lines.
        trace = exc.__traceback__
        while trace is not None:
            name = trace.tb_frame.f_code.co_filename
            if name.endswith((".html", ".xml", ".txt")) and Path(name).is_file():
                path, line = Path(name), trace.tb_lineno
            trace = trace.tb_next
    if isinstance(exc, jinja2.UndefinedError):
        what = f"用到了未定义的变量或属性（{exc.message}）"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        what = f"模板语法错误（{exc.message}）"
    else:
        what = str(exc) or type(exc).__name__
    problems = Problems()
    problems.error(path, Position(line, 1) if line else None, f"生成{making}时模板出错：{what}")
    return CatalogueError(problems)


def _date_zh(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


#: The name compiled templates call markupsafe's C escape by (see _CodeGenerator).
_ESCAPE_STR = "gkml_escape_str"


def _escape_text(value: Any) -> str:
    """The text of ``markupsafe.escape(value)``, without making a ``Markup`` of it.

    Compiled templates escape each ``{{ value }}`` they output with ``escape``, and every piece
    of output is only ever joined into the page (or into a ``Markup`` by a macro or a ``set``
    block), so the ``Markup`` escape makes of each of an item page's ~80 values is thrown away:
    that was a third of the page's template time.
    """
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is Markup:
        return value               # a str already, and escaped
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_inner(str(value))


class _Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: Any,
                  uptodate: Any = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The name the compiled module outputs values through (its root and block functions
        # share this namespace). Were Jinja to call it something else, this changes nothing.
        namespace = template.root_render_func.__globals__
        if _escape_inner is not None and namespace.get("escape") is jinja2.runtime.escape:
            namespace["escape"] = _escape_text
            namespace[_ESCAPE_STR] = _escape_inner
        return template


class _Context(jinja2.runtime.Context):
    """Jinja's context, with a quicker :meth:`call` for what themes call on every page: the
    methods of dates and of the model (``revised.isoformat()``, ``site.absolute(path)``).

    Jinja looks for a ``pass_context``-style marker on each callable it calls (and on its
    ``__call__``), at about 1 µs a call; a built-in method cannot carry one, and whether a
    Python method's function does is asked once per function.
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's own signature)
        kind = type(__obj)
        if kind is BuiltinMethodType or (kind is MethodType and _plain(__obj.__func__)) or (
                kind is FunctionType and _plain(__obj)):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


@functools.cache
def _plain(function: Any) -> bool:
    """Whether Jinja calls a method of this function as it is (no context or environment first)."""
    return not hasattr(function, "jinja_pass_arg")


class _Environment(jinja2.Environment):
    template_class = _Template
    context_class = _Context

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # One dict, not Jinja's ChainMap over the environment's globals: each render copies a
        # template's globals into its context, and a ChainMap is copied key by key in Python
        # (a sixth of a poster's time). Theme sets every global before it loads a template.
        return {**self.globals, **(d or {})}


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code, with ``x.name`` read by Python's own ``getattr`` first, and text escaped
    without a Python call (see :meth:`_output_child_pre`).

    Jinja compiles ``x.name`` into ``environment.getattr(x, "name")``: a Python call that tries
    the attribute, then the item ``x["name"]``. A page reads some 40 attributes of the model;
    asked of ``getattr`` directly (one C call), only a miss goes on to Jinja's own, which then
    gives what it always gives (the item, or an undefined value)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: Per output child being written: the name holding its value, or None (Jinja's own).
        self._texts: list[str | None] = []

    def _output_child_pre(self, node: nodes.Expr, frame: jinja2.compiler.Frame,
                          finalize: jinja2.compiler._FinalizeInfo) -> None:
        """``{{ value }}`` escaped by markupsafe's C function itself when it is a ``str``.

        Nearly every value a page outputs is plain text (a name, a path); :func:`_escape_text`
        would only ask its type and pass it on, a Python call for each of a page's ~80
        values. Anything else (``Markup``, numbers, dates) still goes through ``escape``."""
        if self.environment.is_async or _escape_inner is None or frame.eval_ctx.volatile \
                or not frame.eval_ctx.autoescape or finalize.src is not None:
            self._texts.append(None)
            super()._output_child_pre(node, frame, finalize)
            return
        value = self.temporary_identifier()
        self._texts.append(value)
        self.write(f"({_ESCAPE_STR}({value}) if type({value} := ")

    def _output_child_post(self, node: nodes.Expr, frame: jinja2.compiler.Frame,
                           finalize: jinja2.compiler._FinalizeInfo) -> None:
        value = self._texts.pop()
        if value is None:
            super()._output_child_post(node, frame, finalize)
        else:
            self.write(f") is str else escape({value}))")

    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        owner, found = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({found} if ({found} := getattr(({owner} := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else environment.getattr({owner}, {node.attr!r}))")


class _InliningEnvironment(_Environment):
    """Jinja with each ``{% include "name" %}`` of a fixed name compiled in place, in a scope.

    An include looks the partial up, copies the whole context for it and passes each piece
    of its output up through one more generator, on every page. Inlined, the partial's body
    runs as a ``{% with %}`` block would: it sees what the include would show it (the
    context and the variables set around the include) and what it sets stays inside it.
    A partial that extends a template, defines blocks or uses ``self``/``super`` is included
    the ordinary way, as is one that cannot be found (the error then comes when the page is
    rendered, as with Jinja's include). A partial that reads only what many pages share (the
    header, the footer: see :data:`SHARED`) is made once for each set of those values.
    """

    code_generator_class = _CodeGenerator
    #: Partials made once for many pages (see :data:`SHARED`): (name, values) → (output, values).
    fragments: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fragments = {}
        self._reads: dict[str, frozenset[str]] = {}
        self._free: dict[str, frozenset[str]] = {}
        self.filters["gkml_fragment_kept"] = _kept
        self.filters["gkml_fragment_keep"] = _keep

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Inliner(self, (name,)).visit(super()._parse(source, name, filename))
        return self._into_layout(tree, (name,)) or tree

    def _into_layout(self, page: nodes.Template, extending: tuple[str | None, ...]) -> nodes.Template | None:
        """A page that extends a layout, as one template: the layout with the page's blocks in
        place of its blocks of the same names.

        Extended the ordinary way, every piece of a page's output also passes up through the
        page's own generator (about 150 pieces a page). Merged, the blocks stay blocks, so a
        template extending this page (a site theme's ``item-<catalogue>.html``) still overrides
        them, and each block keeps its own scope. Merged only where nothing else could differ:
        the page holds nothing but its blocks (and blank text) beside the ``extends``, prints
        each of them through the layout, and refers to neither ``self`` nor ``super``.
        """
        extends = [node for node in page.body if isinstance(node, nodes.Extends)]
        if len(extends) != 1 or not isinstance(extends[0].template, nodes.Const):
            return None
        layout_name = extends[0].template.value
        if not isinstance(layout_name, str) or layout_name in extending:
            return None
        blocks: dict[str, nodes.Block] = {}
        for node in page.body:
            if isinstance(node, nodes.Block):
                blocks[node.name] = node
            elif not (isinstance(node, nodes.Extends) or _blank(node)):
                return None
        if any(n.name in ("self", "super") for n in page.find_all(nodes.Name)):
            return None
        try:
            source, filename, _ = self.loader.get_source(self, layout_name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return None
        layout = self.parse(source, layout_name, filename)   # merged into its own layout, if any
        if any(True for _ in layout.find_all(nodes.Extends)):
            return None      # the layout itself could not be merged into its own
        printed = {block.name for block in layout.find_all(nodes.Block)}
        if not set(blocks) <= printed:
            return None
        return nodes.Template(_Blocks(blocks).visit(layout).body, lineno=1).set_environment(self)

    def partial(self, name: str, including: tuple[str | None, ...]) -> list[nodes.Node] | None:
        """The body of partial ``name`` with its own includes inlined, or None to include it."""
        if name in including:
            return None  # a partial including itself: leave the recursion to Jinja
        try:
            source, filename, _ = self.loader.get_source(self, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return None
        tree = super()._parse(source, name, filename)
        if any(True for _ in tree.find_all((nodes.Extends, nodes.Block))) or any(
                n.name in ("self", "super") for n in tree.find_all(nodes.Name)):
            return None
        # What it reads from around it, found once per partial (Jinja generates its code to
        # find out, ≈ 1.5 ms, and the theme includes partials at some fifty places).
        free = self._free.get(name)
        if free is None:
            free = self._free[name] = frozenset(meta.find_undeclared_variables(tree))
        # Jinja makes these only where the including template's own code reads them, so an
        # included partial never sees the including loop's `loop`, say: inlined, it would.
        if free & {"loop", "caller", "varargs", "kwargs"}:
            return None
        if not any(True for _ in tree.find_all(nodes.Include)):
            self._reads.setdefault(name, free)        # nothing of another partial's to add
        return _Inliner(self, (*including, name)).visit(tree).body

    def reads(self, name: str, body: list[nodes.Node]) -> frozenset[str]:
        """What partial ``name`` (inlined as ``body``, with the partials it includes) reads
        from around it, found once per partial."""
        found = self._reads.get(name)
        if found is None:
            found = self._reads[name] = frozenset(
                meta.find_undeclared_variables(nodes.Template(body).set_environment(self)))
        return found


class _Blocks(NodeTransformer):
    """Puts a page's blocks in place of the layout's blocks of the same names."""

    def __init__(self, blocks: dict[str, nodes.Block]):
        self.blocks = blocks

    def visit_Block(self, node: nodes.Block) -> nodes.Node:
        return self.blocks.get(node.name) or self.generic_visit(node)


def _blank(node: nodes.Node) -> bool:
    """Whitespace outside any block of a page that extends a layout (Jinja prints none of it)."""
    return isinstance(node, nodes.Output) and all(
        isinstance(n, nodes.TemplateData) and not n.data.strip() for n in node.nodes)


class _Inliner(NodeTransformer):
    def __init__(self, env: _InliningEnvironment, including: tuple[str | None, ...]):
        self.env = env
        self.including = including
        self.inline = True

    def visit_Template(self, node: nodes.Template) -> nodes.Node:
        # Outside its blocks, a template that extends another prints nothing, except what it
        # includes there (Jinja's include ignores the rule): such includes stay includes.
        self.inline = node.find(nodes.Extends) is None
        return self.generic_visit(node)

    def _inside(self, node: nodes.Node) -> nodes.Node:
        outer, self.inline = self.inline, True
        try:
            return self.generic_visit(node)
        finally:
            self.inline = outer

    visit_Block = visit_Macro = visit_CallBlock = _inside

    def visit_Include(self, node: nodes.Include) -> nodes.Node:
        target = node.template
        if (self.inline and node.with_context and not node.ignore_missing and isinstance(target, nodes.Const)
                and isinstance(target.value, str)):
            body = self.env.partial(target.value, self.including)
            if body is not None:
                reads = self.env.reads(target.value, body)
                if reads and reads <= SHARED:
                    return _fragment(target.value, sorted(reads), body, node.lineno)
                return nodes.Scope(body, lineno=node.lineno)
        return node


#: What a page's context holds that many pages share: the site, its model, the way up to the
#: site's root, the navigation entry the page is (none for an item's page and poster) and the
#: catalogue a page belongs to. A partial that reads nothing else (the header, the footer)
#: prints the same on every page with the same values, so it is made once for each.
SHARED = frozenset({"site", "model", "root", "nav_path", "catalogue"})

#: At most this many outputs are kept, all partials together (a city's footers: 3,000
#: catalogues × 2 depths).
FRAGMENTS_KEPT = 20_000

_MADE = "gkml_fragment"


def _fragment(name: str, reads: list[str], body: list[nodes.Node], lineno: int) -> nodes.Node:
    """A partial's body, made once for each set of values of what it ``reads``; as a template:

        {% set gkml_fragment = (read, …) | gkml_fragment_kept(name) %}
        {% if gkml_fragment %}{{ gkml_fragment }}
        {% else %}{% filter gkml_fragment_keep(gkml_fragment) %}…the body…{% endfilter %}{% endif %}

    Filters, not calls: Jinja calls a filter directly, a function through ``context.call``.
    """
    made = nodes.Name(_MADE, "load")
    look = nodes.Filter(nodes.Tuple([nodes.Name(n, "load") for n in reads], "load"), "gkml_fragment_kept",
                        [nodes.Const(name)], [], None, None)
    make = nodes.FilterBlock(body, nodes.Filter(None, "gkml_fragment_keep", [made], [], None, None))
    tree = nodes.Scope([nodes.Assign(nodes.Name(_MADE, "store"), look),
                        nodes.If(made, [nodes.Output([made])], [], [make])])
    return tree.set_lineno(lineno, override=True)


class _Miss:
    """A fragment not made yet for these values: false, so the page makes it."""

    __slots__ = ("store", "key", "values")

    def __init__(self, store: dict[tuple[Any, ...], Any] | None, key: tuple[Any, ...], values: tuple[Any, ...]):
        self.store, self.key, self.values = store, key, values

    def __bool__(self) -> bool:
        return False


_NOT_KEPT = _Miss(None, (), ())
#: Values compared as they are. The model's objects (dataclasses) are told apart by identity:
#: the build changes none of them while pages are made, and a theme cannot.
_BY_VALUE = frozenset({str, Markup, int, float, bool, type(None), dt.date, dt.datetime})
_UNDEFINED = object()


@functools.cache
def _modelled(kind: type) -> bool:
    return hasattr(kind, "__dataclass_fields__")


@jinja2.pass_environment
def _kept(environment: jinja2.Environment, values: tuple[Any, ...], name: str) -> Any:
    """The fragment ``name`` made earlier with these ``values``, or a :class:`_Miss`."""
    key: list[Any] = [name]
    for value in values:
        kind = type(value)
        if kind in _BY_VALUE:
            key += (kind, value)           # 1 == True == 1.0 and "<b>" == Markup("<b>"), printed apart
        elif _modelled(kind):
            key.append(id(value))          # the value is kept with the fragment: its id stays its own
        elif isinstance(value, jinja2.Undefined):
            key.append(_UNDEFINED)         # only "is defined" can use it without an error
        else:
            return _NOT_KEPT               # a list, a dict …: may differ next time
    store = environment.fragments          # type: ignore[attr-defined]
    whole = tuple(key)
    found = store.get(whole)
    return found[0] if found is not None else _Miss(store, whole, values)


def _keep(made: Markup, miss: _Miss) -> Markup:
    if miss.store is not None and len(miss.store) < FRAGMENTS_KEPT:
        miss.store[miss.key] = (made, miss.values)
    return made


class Theme:
    def __init__(self, directory: Path | None = None):
        self.directories = theme_directories(directory)
        self.env = self._environment(_InliningEnvironment)
        #: The same templates compiled with Jinja's own includes, for an error's message only.
        self._as_written: jinja2.Environment | None = None
        #: The template chosen for each list of names: a missing ``item-<catalogue>.html`` would
        #: otherwise be looked for on disk again for each of a city's 100,000 item pages.
        self._chosen: dict[tuple[str, ...], jinja2.Template] = {}

    @functools.cached_property
    def _names(self) -> set[str]:
        """Every template's name, listed once: a city's 3,000 catalogues each ask for four
        templates of their own (``poster-<catalogue>.html`` …) that a theme seldom has, and
        Jinja looks for each in every theme folder, raising an exception per miss."""
        return set(self.env.list_templates())

    def _environment(self, kind: type[jinja2.Environment]) -> jinja2.Environment:
        env = kind(
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
        env.filters["date_zh"] = _date_zh
        # Filters such as join and selectattr are wrapped to serve async templates too, and the
        # wrapper asks on each call whether this one is (≈ 0.4 µs): ours never are.
        for name, function in list(env.filters.items()):
            if getattr(function, "jinja_async_variant", False) and not env.is_async:
                env.filters[name] = function.__wrapped__
        env.globals["now"] = None  # templates must never print the clock
        return env

    def template(self, names: Sequence[str]) -> jinja2.Template:
        """The first template of ``names`` that exists (most specific first)."""
        key = tuple(names)
        chosen = self._chosen.get(key)
        if chosen is None:
            present = [name for name in key if name in self._names]
            # None there: Jinja's own search gives its own error.
            chosen = self.env.get_template(present[0]) if present else self.env.select_template(list(key))
            self._chosen[key] = chosen
        return chosen

    def compile_all(self) -> None:
        """Compile every template now (a partial only as part of the pages that include it).

        A cold build calls this in a thread while the catalogue files are read, so that the
        forked render workers inherit the compiled templates instead of each compiling them
        (≈ 0.15 s of CPU a worker). A template that fails to compile is left for the render,
        which meets the error again and reports it with its file and line.
        """
        for name in sorted(self._names):
            if not name.startswith("_partials/"):
                with contextlib.suppress(Exception):
                    self.env.get_template(name)

    def render(self, names: Sequence[str], **context: Any) -> str:
        """Render the first template of ``names`` that exists (most specific first)."""
        template = self.template(names)
        try:
            return template.render(context)
        except Exception:
            pass
        # An inlined partial's error would name the template including it: render the page
        # again as written, so that the error names the partial and its line.
        if self._as_written is None:
            self._as_written = self._environment(_Environment)
        return self._as_written.select_template(list(names)).render(context)

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
