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
    from .render_context import RenderContext


class Output(NamedTuple):
    """One file of the site. A tuple: a city's plan holds 300,000 of them."""

    path: str          # site-relative, POSIX: "items/edu-policy/index.html"
    producer: str      # a name registered with @producer
    key: str = ""      # what the producer makes: an item id, a catalogue id …
    origin: str = ""   # for messages: "事项 edu-policy（domains/compulsory-education.yaml:12）"


Producer = Callable[["RenderContext", str], bytes]
PRODUCERS: dict[str, Producer] = {}
#: Functions that list the outputs of one feature; the build calls each in turn.
PLANNERS: list[Callable[["RenderContext"], Iterable[Output]]] = []


def producer(name: str) -> Callable[[Producer], Producer]:
    def register(function: Producer) -> Producer:
        PRODUCERS[name] = function
        return function
    return register


def planner(function: Callable[["RenderContext"], Iterable[Output]]) -> Callable[["RenderContext"], Iterable[Output]]:
    PLANNERS.append(function)
    return function


def produce(ctx: "RenderContext", output: Output) -> bytes:
    try:
        return PRODUCERS[output.producer](ctx, output.key)
    except jinja2.TemplateError as exc:
        raise template_error(exc, output.origin or output.path) from None


#: Steps that add files to the output folder from the model (the search index), run beside
#: the render (build.py): each gets the render context, the staging folder, an event set when
#: the build is given up, which it should check between long steps, and one set while the
#: render workers still run (and hold their memory).
Finisher = Callable[["RenderContext", Path, threading.Event | None, threading.Event | None], None]
FINISHERS: list[Finisher] = []


def finisher(function: Finisher) -> Finisher:
    FINISHERS.append(function)
    return function
