"""What a build writes: a plan of :class:`Output` entries, each made by a named producer.

Planning is separate from producing so that (1) two outputs claiming one path are caught
before anything is written, and (2) producing can be fanned out over processes — an
``Output`` is plain data, and every producer is a pure function of the model and a key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import jinja2

from .theme import template_error

if TYPE_CHECKING:
    from .model import SiteModel
    from .render_context import RenderContext


class Output(NamedTuple):
    """One file of the site. A tuple: a city's plan holds 300,000 of them."""

    path: str          # site-relative, POSIX: "items/edu-policy/index.html"
    producer: str      # a name registered with @producer
    key: str = ""      # what the producer makes: an item id, a catalogue id …
    #: For messages: "事项 edu-policy（domains/compulsory-education.yaml:12）"; empty when the
    #: producer was registered with a function that tells it (see :func:`origin_of`).
    origin: str = ""


Producer = Callable[["RenderContext", str], bytes]
PRODUCERS: dict[str, Producer] = {}
#: producer → what one of its outputs is, for messages, told from the model and the output's key.
ORIGINS: dict[str, Callable[["SiteModel", str], str]] = {}
#: Functions that list the outputs of one feature; the build calls each in turn.
PLANNERS: list[Callable[["RenderContext"], Iterable[Output]]] = []


def producer(name: str, origin: Callable[["SiteModel", str], str] | None = None) -> Callable[[Producer], Producer]:
    """Register a producer; ``origin`` tells what one of its outputs is, for messages, so that
    its planner need not write that out for each of a city's 100,000 items (a fifth of a plan)."""
    def register(function: Producer) -> Producer:
        PRODUCERS[name] = function
        if origin is not None:
            ORIGINS[name] = origin
        return function
    return register


def item_origin(what: str = "") -> Callable[["SiteModel", str], str]:
    """The ``origin`` of a producer keyed by item id: "事项 x{what}（file:line）"."""
    def tell(model: "SiteModel", key: str) -> str:
        item = model.items_by_id[key]
        return f"事项 {item.id}{what}（{item.source_path}:{item.source_line}）"
    return tell


def origin_of(ctx: "RenderContext", output: Output) -> str:
    """What ``output`` is, for a message."""
    if output.origin:
        return output.origin
    tell = ORIGINS.get(output.producer)
    return tell(ctx.model, output.key) if tell is not None else output.path


def planner(function: Callable[["RenderContext"], Iterable[Output]]) -> Callable[["RenderContext"], Iterable[Output]]:
    PLANNERS.append(function)
    return function


def produce(ctx: "RenderContext", output: Output) -> bytes:
    try:
        return PRODUCERS[output.producer](ctx, output.key)
    except jinja2.TemplateError as exc:
        raise template_error(exc, origin_of(ctx, output)) from None


#: Steps that add files to the output folder from the model (the search index), run beside
#: the render (render_stage.py): each gets the render context, the staging folder, an event set when
#: the build is given up, which it should check between long steps, and one set while the
#: render workers still run (and hold their memory).
Finisher = Callable[["RenderContext", Path, threading.Event | None, threading.Event | None], None]
FINISHERS: list[Finisher] = []


def finisher(function: Finisher) -> Finisher:
    FINISHERS.append(function)
    return function
