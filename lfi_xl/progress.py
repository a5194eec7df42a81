"""Progress for long work: a bar on a terminal, nothing when output is not a terminal.

The command line opens a bar around a command (``with shown("Validating", steps)``); the
work reports its steps with :func:`step` wherever it is, without knowing whether anyone
is watching (the ribbon's buttons and the tests are not).
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_CURRENT: contextvars.ContextVar = contextvars.ContextVar("progress", default=None)


def step(description: str) -> None:
    """One step done, and what comes next."""
    current = _CURRENT.get()
    if current is not None:
        bar, task = current
        bar.update(task, advance=1, description=description)


@contextmanager
def shown(description: str, steps: int) -> Iterator[None]:
    """A progress bar on standard error while the block runs, if that is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        token = _CURRENT.set((bar, bar.add_task(description, total=steps)))
        try:
            yield
        finally:
            _CURRENT.reset(token)
