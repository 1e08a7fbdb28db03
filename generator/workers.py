"""Forked worker pools that end cleanly when the work is given up; the cycle collector paused
while the model they inherit is made.

Loading and rendering both fork workers that inherit what the parent holds (the files' bytes,
the model, the templates). When the parent stops reading their results (an error, or a caller
that stops early), ``Pool.terminate()`` would kill them where they stand; killed while
sending a result, a worker keeps the lock of the result queue for good, and tearing the pool
down then waits for that lock forever. So a pool from :func:`forked_pool` is told the work was
given up (:func:`given_up` turns true in its workers), its workers skip the tasks left and end
on their own, and only then is it torn down.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:     # imported by the pool itself when one is made: not on an edit's path
    from multiprocessing.pool import Pool
    from multiprocessing.synchronize import Event

#: In a worker: set once its parent gave the work up.
_GIVEN_UP: Event | None = None


def given_up() -> bool:
    """In a worker of :func:`forked_pool`: whether the parent gave the work up (skip the task)."""
    return _GIVEN_UP is not None and _GIVEN_UP.is_set()


def _start(event: Event, initializer: Callable[[], None] | None) -> None:
    global _GIVEN_UP
    _GIVEN_UP = event
    if initializer is not None:
        initializer()


@contextmanager
def forked_pool(processes: int, initializer: Callable[[], None] | None = None) -> Iterator[Pool]:
    """A pool of ``processes`` forked workers (each running ``initializer`` first)."""
    context = multiprocessing.get_context("fork")
    event = context.Event()
    with context.Pool(processes, initializer=_start, initargs=(event, initializer)) as pool:
        try:
            yield pool
        except (Exception, GeneratorExit):
            event.set()
            pool.close()
            pool.join()
            raise


def next_task_size(left: int, workers: int, smallest: int, largest: int) -> int:
    """How much of the work ``left`` to hand out as the next task: a quarter of each worker's
    share, within bounds. Large tasks first keep the parent's share of handing them out small;
    shrinking towards the end, they keep a worker from idling while another finishes its last."""
    return min(largest, max(smallest, left // (workers * 4)))


@contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """Loading a city's model makes millions of objects and no garbage cycles; Python's cycle
    collector would walk all of them again and again while they are made (seconds at 100,000 items).

    ``freeze``: what was made is kept out of the collector's reach from then on. Otherwise the
    first collection after the pause walks all of it (0.4 s of a city's build, on one core).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
