"""Many databases at once: targets migrated by a bounded pool of worker processes.

Processes, not threads: Alembic's ``context`` and ``op`` are module-level proxies to the one
migration running in a process, so two migrations in two threads would write through each
other's context. Each worker runs the same :func:`netapps.executor.migrate` as a sequential
run; a target that fails is reported and the others go on.

What crosses a process boundary is small and of constant size, whatever the number of tenants:
a task is the index of its target, a result or a progress event names its steps by revision id.
The workers are forked after the project, the targets and the options are built, so each one
inherits them instead of unpickling them per task (a Target holds its App, and an App all of
its tenants: pickled per task and per result, 4,000 tenants made a gigabyte). Each process
reads an app's migration files once, for all of its tenants.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from netapps.config import Project, Target
from netapps.errors import MigrationFailed, NetappsError
from netapps.executor import Event, MigrateOptions, MigrateResult, Progress, migrate
from netapps.sources import source_for
from netapps.sources.base import Source
from netapps.sources.revisions import Step


class Sources:
    """One Source per app (and engine, for SQL files) in a process: its files are read, and
    its revisions parsed, once for all of the app's tenants."""

    def __init__(self) -> None:
        self._by_app: dict[tuple[str, str], Source] = {}

    def __call__(self, target: Target) -> Source:
        key = (target.app.name, target.url.get_backend_name())
        if key not in self._by_app:
            self._by_app[key] = source_for(target)
        return self._by_app[key]


@dataclass(frozen=True)
class _Work:
    """What a worker needs, inherited when it is forked (never pickled)."""

    project: Project
    targets: list[Target]
    options: MigrateOptions
    events: Any
    sources: Sources


#: Step as it crosses a process boundary: (revision id, direction).
_StepId = tuple[str, str]


@dataclass(frozen=True)
class _Outcome:
    """A worker's MigrateResult without its Target: the parent has that."""

    index: int
    start: tuple[str, ...]
    end: tuple[str, ...]
    steps: tuple[tuple[_StepId, float], ...]
    backup: Any
    error: NetappsError | None
    seconds: float


# In a worker: everything it migrates with, and the index of the target it is on (for its
# progress events).
_work: _Work | None = None
_current = -1


def _init_worker(work: _Work, parent: int) -> None:
    """A worker dies with the run that started it (even killed by SIGKILL): it must not go on
    migrating, or hold a database's lock, with nobody to report to."""
    from netapps.engines.base import die_with_parent

    global _work
    _work = work
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _send_progress(event: Event) -> None:
    assert _work is not None
    _work.events.put(
        (
            _current,
            event.kind,
            (event.step.revision.id, event.step.direction),
            event.seconds,
            event.attempt,
            event.retries,
            event.pause,
            event.blocker,
        )
    )


def _migrate_one(index: int) -> _Outcome:
    global _current
    assert _work is not None
    _current = index
    target = _work.targets[index]
    result = migrate(_work.project, target, _work.sources(target), _work.options, _send_progress)
    error = result.error
    if error is not None:
        error.__cause__ = None  # tracebacks do not cross process boundaries
        error.__context__ = None
    return _Outcome(
        index,
        result.start,
        result.end,
        tuple(((s.revision.id, s.direction), seconds) for s, seconds in result.steps),
        result.backup,
        error,
        result.seconds,
    )


def migrate_all(
    project: Project,
    targets: list[Target],
    options: MigrateOptions,
    workers: int,
    progress: Progress | None = None,
    on_result: Callable[[MigrateResult], None] | None = None,
) -> list[MigrateResult]:
    """Migrate every target, ``workers`` at a time; results in the order of ``targets``."""
    sources = Sources()
    if workers <= 1 or len(targets) <= 1:
        results = []
        for target in targets:
            result = migrate(project, target, sources(target), options, progress)
            if on_result is not None:
                on_result(result)
            results.append(result)
        return results
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    printer = threading.Thread(
        target=_print_events, args=(events, targets, sources, progress), daemon=True
    )
    printer.start()
    try:
        work = _Work(project, targets, options, events, sources)
        return _run_pool(work, workers, context, on_result)
    finally:
        events.put(None)
        printer.join()


def _step(sources: Sources, target: Target, step: _StepId) -> Step:
    revision, direction = step
    return Step(sources(target).by_id[revision], "up" if direction == "up" else "down")


def _print_events(
    events: Any, targets: list[Target], sources: Sources, progress: Progress | None
) -> None:
    while (item := events.get()) is not None:
        if progress is None:
            continue
        index, kind, step, seconds, attempt, retries, pause, blocker = item
        target = targets[index]
        progress(
            Event(
                kind,
                target,
                _step(sources, target, step),
                seconds,
                attempt,
                retries,
                pause,
                blocker,
            )
        )


def _run_pool(
    work: _Work,
    workers: int,
    context: Any,
    on_result: Callable[[MigrateResult], None] | None,
) -> list[MigrateResult]:
    targets = work.targets
    with ProcessPoolExecutor(
        max_workers=min(workers, len(targets)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(work, os.getpid()),
    ) as pool:
        futures = [pool.submit(_migrate_one, index) for index in range(len(targets))]
        results = []
        for target, future in zip(targets, futures, strict=True):
            result = MigrateResult(target=target)
            try:
                outcome = future.result()
            except Exception as exc:  # a worker that died (killed, out of memory)
                result.error = MigrationFailed(
                    f"{target.name}: the worker migrating it died ({type(exc).__name__}); "
                    "rerun to continue where it stopped"
                )
            else:
                result.start, result.end = outcome.start, outcome.end
                result.steps = [
                    (_step(work.sources, target, step), seconds) for step, seconds in outcome.steps
                ]
                result.backup, result.error = outcome.backup, outcome.error
                result.seconds = outcome.seconds
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results
