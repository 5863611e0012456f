"""Many databases at once: targets migrated by a bounded pool of worker processes.

Processes, not threads: Alembic's ``context`` and ``op`` are module-level proxies to the one
migration running in a process, so two migrations in two threads would write through each
other's context. Each worker runs the same :func:`netapps.executor.migrate` as a sequential
run; a target that fails is reported and the others go on.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from netapps.config import Project, Target
from netapps.errors import MigrationFailed
from netapps.executor import Event, MigrateOptions, MigrateResult, Progress, migrate
from netapps.sources import source_for

# In a worker: where its progress events go (the parent prints them, so that output stays
# one readable stream whatever stderr is).
_events: Any = None


def _init_worker(events: Any) -> None:
    global _events
    _events = events


def _send_progress(event: Event) -> None:
    _events.put(event)


def _migrate_one(project: Project, target: Target, options: MigrateOptions) -> MigrateResult:
    progress = _send_progress if _events is not None else None
    result = migrate(project, target, source_for(target), options, progress)
    if result.error is not None:
        result.error.__cause__ = None  # tracebacks do not cross process boundaries
        result.error.__context__ = None
    return result


def migrate_all(
    project: Project,
    targets: list[Target],
    options: MigrateOptions,
    workers: int,
    progress: Progress | None = None,
    on_result: Any = None,
) -> list[MigrateResult]:
    """Migrate every target, ``workers`` at a time; results in the order of ``targets``."""
    if workers <= 1 or len(targets) <= 1:
        results = []
        for target in targets:
            result = migrate(project, target, source_for(target), options, progress)
            if on_result is not None:
                on_result(result)
            results.append(result)
        return results
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    printer = threading.Thread(target=_print_events, args=(events, progress), daemon=True)
    printer.start()
    try:
        return _run_pool(project, targets, options, workers, context, events, on_result)
    finally:
        events.put(None)
        printer.join()


def _print_events(events: Any, progress: Progress | None) -> None:
    while (event := events.get()) is not None:
        if progress is not None:
            progress(event)


def _run_pool(
    project: Project,
    targets: list[Target],
    options: MigrateOptions,
    workers: int,
    context: Any,
    events: Any,
    on_result: Any,
) -> list[MigrateResult]:
    with ProcessPoolExecutor(
        max_workers=min(workers, len(targets)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(events,),
    ) as pool:
        futures = [pool.submit(_migrate_one, project, t, options) for t in targets]
        results = []
        for target, future in zip(targets, futures, strict=True):
            try:
                result = future.result()
            except Exception as exc:  # a worker that died (killed, out of memory)
                result = MigrateResult(target=target)
                result.error = MigrationFailed(
                    f"{target.name}: the worker migrating it died ({type(exc).__name__}); "
                    "rerun to continue where it stopped"
                )
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results
