"""A fresh migrated database for a test: a clone of a template (netapps.testing) against
migrating an empty database from nothing, per app, on SQLite and PostgreSQL.

    .venv/bin/python bench/testdb.py [--reps 7] [--postgres URL | --no-postgres]

Both sides run in this process, as a test suite does (the imports are paid once, before any
measurement; so the baseline is the cheapest way to migrate from nothing, and the ratio the
least flattering): per database, the clone is ``TemplateCache.create`` + ``drop`` both in the
caller's path (a file copy, or ``CREATE DATABASE … TEMPLATE`` and ``DROP DATABASE``; clones
made ahead turned off), its whole cost; migrating is creating an empty database, ``netapps
migrate``'s executor to head on it (lock, ledger, checksums, as the template is built), and
dropping it. A and B alternate (interleaved). CPU time is this process's; the PostgreSQL
server's work is in the wall time only. On PostgreSQL a sequence of tests (each using its
database for 100 ms) then measures what a test waits with the default, clones made ahead and
dropped behind on a worker thread.

Goals (issue 15, goal 4): ≤ 10 ms per SQLite database, ≤ 50 ms per PostgreSQL one, at least
20x faster than migrating from nothing. ``bench_testdb`` is what bench/run.py calls.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
try:
    from measure import Results, Row, Sample, Timing, fmt, heading, interleaved, ratio

    from netapps.config import Project, load_project
    from netapps.testing import TemplateCache
    from netapps.testing import build as template_build
    from netapps.testing.key import code_digest
    from netapps.testing.sqlite_templates import SqliteTemplates, sqlite_url
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/testdb.py` (`make install` creates .venv)")

APPS = ("sap", "mulesoft", "servicenow", "salesforce")
SQLITE_GOAL, POSTGRES_GOAL, SPEEDUP_GOAL = 0.010, 0.050, 20.0
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def precise(seconds: float) -> str:
    """Milliseconds with two decimals below 10 ms (a SQLite copy is a fraction of one)."""
    return f"{seconds * 1000:.2f} ms" if seconds < 0.010 else fmt(seconds)


def text(sample: Sample) -> str:
    """As Sample.text, with sub-millisecond figures readable."""
    if not sample.values:
        return "-"
    low, high = min(sample.values), max(sample.values)
    return (
        f"{precise(sample.median)} ({precise(low)}-{precise(high)}, n={len(sample.values)}, "
        f"cpu {precise(sample.cpu_median)})"
    )


def timed(work: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def migrate_from_nothing(
    cache: TemplateCache, project: Project, app: str, engine: str, folder: Path
) -> None:
    """An empty database, migrated to head through netapps' executor, then dropped."""
    found = project.find(app)
    if engine == "sqlite":
        path = folder / f"scratch-{uuid.uuid4().hex[:12]}.db"
        template_build.migrate(project, found, sqlite_url(path), cache.key(app).revision)
        cache.drop(sqlite_url(path))
        return
    server = cache.postgres
    assert server is not None
    name = f"netapps_test_{uuid.uuid4().hex[:12]}"
    server.admin.execute(f'CREATE DATABASE "{name}"')
    try:
        template_build.migrate(
            project, found, server.url(name), cache.key(app, engine="postgresql").revision
        )
    finally:
        server.admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def clone_once(
    cache: TemplateCache, app: str, engine: str, folder: Path, creates: Sample | None = None
) -> None:
    """One clone made and dropped; the making alone is added to ``creates``."""
    began = time.perf_counter()
    url = cache.create(app, engine=engine, directory=folder)
    if creates is not None:
        creates.add(Timing(time.perf_counter() - began, float("nan")))
    cache.drop(url)


def compare(
    cache: TemplateCache,
    project: Project,
    app: str,
    engine: str,
    folder: Path,
    reps: int,
    results: Results,
    where: str = "",
) -> None:
    """``where``: which server, in the row's name (the default one: nothing)."""
    first = timed(lambda: clone_once(cache, app, engine, folder))  # builds the template
    creates = Sample()
    samples = interleaved(
        {
            "clone": lambda: timed(lambda: clone_once(cache, app, engine, folder, creates)),
            "migrate": lambda: timed(
                lambda: migrate_from_nothing(cache, project, app, engine, folder)
            ),
        },
        reps,
    )
    clone, migrate = samples["clone"], samples["migrate"]
    speedup = ratio(migrate.median, clone.median)
    goal = SQLITE_GOAL if engine == "sqlite" else POSTGRES_GOAL
    met = clone.median <= goal and speedup >= SPEEDUP_GOAL
    made = f" (of which creating {precise(creates.median)})" if engine == "postgresql" else ""
    print(f"  {app:<11} {engine:<10} clone {text(clone)}{made}   migrate {text(migrate)}")
    results.raw[f"testdb {app} {engine}{where}"] = {
        "clone": clone.values,
        "create": creates.values,
        "clone_cpu": clone.cpu,
        "migrate": migrate.values,
        "migrate_cpu": migrate.cpu,
        "first (builds the template)": first.wall,
    }
    results.add(
        Row(
            f"4. fresh {app} database, {engine}{where}",
            f"clone {text(clone)}{made}; migrate from nothing {text(migrate)}",
            f"{speedup:.0f}x faster",
            f"≤ {fmt(goal)} and ≥ {SPEEDUP_GOAL:.0f}x",
            met,
        )
    )


TEST_BODY = 0.1  # seconds a simulated test uses its database


def waits_with_clones_made_ahead(
    cache: TemplateCache, app: str, tests: int, results: Results, where: str = ""
) -> None:
    """``tests`` tests in a row, each using its PostgreSQL database for 100 ms: what each
    waits for its database (create, and drop at its end) while the next clone is made ahead
    and used ones are dropped behind. A sequence, not interleaved: it is the steady state of
    a suite that is measured."""
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql_text

    waits = Sample()
    cache.drop(cache.create(app, engine="postgresql"))  # the first one makes none ahead
    for _ in range(tests):
        cpu, began = time.process_time(), time.perf_counter()
        url = cache.create(app, engine="postgresql")
        got = time.perf_counter()
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(sql_text("SELECT count(*) FROM netapps_migration_log")).scalar()
        engine.dispose()
        time.sleep(max(0.0, TEST_BODY - (time.perf_counter() - got)))
        ended = time.perf_counter()
        cache.drop(url)
        waits.add(Timing(got - began + time.perf_counter() - ended, time.process_time() - cpu))
    cache.flush()
    print(f"  {app:<11} postgresql{where} wait per test, clones made ahead: {text(waits)}")
    results.raw[f"testdb {app} postgresql{where} ahead"] = {"wait": waits.values}
    migrated = results.raw.get(f"testdb {app} postgresql{where}", {})
    baseline = statistics.median(migrated["migrate"]) if isinstance(migrated, dict) else 0.0
    speedup = ratio(baseline, waits.median)
    results.add(
        Row(
            f"4. a test's wait for a {app} database, postgresql{where}, made ahead",
            f"{text(waits)} ({tests} tests in a row, each using it {fmt(TEST_BODY)}); "
            f"migrate from nothing above: {precise(baseline)}",
            f"{speedup:.0f}x faster",
            f"≤ {fmt(POSTGRES_GOAL)} and ≥ {SPEEDUP_GOAL:.0f}x",
            waits.median <= POSTGRES_GOAL and speedup >= SPEEDUP_GOAL,
        )
    )


def sqlite_copy_or_backup(cache: TemplateCache, folder: Path, reps: int, results: Results) -> None:
    """Which SQLite clone: a file copy or SQLite's backup API (SAP, the largest template)."""
    template = cache.sqlite_template("sap")

    def by(method: Callable[[Path, Path], object]) -> Timing:
        destination = folder / f"copy-{uuid.uuid4().hex[:12]}.db"
        timing = timed(lambda: method(template, destination))
        destination.unlink()
        return timing

    samples = interleaved(
        {
            "copy": lambda: by(cache.sqlite.clone),
            "backup": lambda: by(SqliteTemplates.clone_by_backup),
        },
        reps,
    )
    copy, backup = samples["copy"], samples["backup"]
    print(f"  SQLite clone of sap: file copy {text(copy)}   backup API {text(backup)}")
    results.add(
        Row(
            "4. SQLite clone method (sap)",
            f"file copy {text(copy)}; backup API {text(backup)}",
            f"copy {ratio(backup.median, copy.median):.1f}x faster",
            "-",
            None,
        )
    )


def postgres_strategies(cache: TemplateCache, reps: int, results: Results) -> None:
    """CREATE DATABASE … TEMPLATE with PostgreSQL 15's two strategies (SAP's template)."""
    server = cache.postgres
    assert server is not None
    template = cache.postgres_template("sap")

    def create(strategy: str) -> Timing:
        name = f"netapps_test_{uuid.uuid4().hex[:12]}"
        sql = f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY {strategy}'
        timing = timed(lambda: server.admin.execute(sql))  # type: ignore[call-overload]
        server.admin.execute(f'DROP DATABASE "{name}"')
        return timing

    samples = interleaved({s: (lambda s=s: create(s)) for s in ("WAL_LOG", "FILE_COPY")}, reps)  # type: ignore[misc]
    wal, copy = samples["WAL_LOG"], samples["FILE_COPY"]
    print(f"  CREATE DATABASE of sap: WAL_LOG {text(wal)}   FILE_COPY {text(copy)}")
    results.add(
        Row(
            "4. PostgreSQL clone strategy (sap, create only)",
            f"WAL_LOG (default) {text(wal)}; FILE_COPY {text(copy)}",
            f"WAL_LOG {ratio(copy.median, wal.median):.1f}x faster",
            "-",
            None,
        )
    )


def bench_testdb(
    tmp: Path, reps: int, results: Results, postgres: str | None = DEFAULT_POSTGRES
) -> None:
    """The goal-4 rows: every app on SQLite and (with ``postgres``, an admin URL) PostgreSQL.
    SQLite templates go into ``tmp``; PostgreSQL's are the server's shared ones (the same key
    as the test suite's, so a run reuses them)."""
    heading("4. a fresh migrated database per test: clone of a template vs migrating")
    project = load_project(REPO)
    began = time.perf_counter()
    code_digest()
    results.note(
        f"a template's key (netapps' and appdb's sources hashed, once per process): "
        f"{fmt(time.perf_counter() - began)}"
    )
    folder = tmp / "testdb"
    folder.mkdir(parents=True, exist_ok=True)
    # Clones made and dropped in the test's path: the cost of one, nothing hidden.
    cache = TemplateCache(project, cache_dir=folder / "cache", postgres=postgres, ahead=False)
    try:
        for app in APPS:
            compare(cache, project, app, "sqlite", folder, reps, results)
        sqlite_copy_or_backup(cache, folder, reps, results)
        if postgres is None:
            results.add(Row("4. fresh databases, postgresql", "skipped", "-", "-", None))
            return
        try:
            cache.postgres.admin  # type: ignore[union-attr]  # noqa: B018
        except Exception as exc:  # the server's absence is a note, not a crash
            results.add(Row("4. fresh databases, postgresql", "not measured", "-", "-", None))
            results.note(f"PostgreSQL not reachable ({str(exc).splitlines()[0]})")
            return
        for app in APPS:
            compare(cache, project, app, "postgresql", folder, reps, results)
        postgres_strategies(cache, reps, results)
        postgres_waits(project, folder, postgres, reps, results)
    finally:
        cache.close()
    in_memory_server(project, folder, reps, results)


def postgres_waits(
    project: Project, folder: Path, postgres: str, reps: int, results: Results, where: str = ""
) -> None:
    ahead = TemplateCache(project, cache_dir=folder / "cache", postgres=postgres)
    try:
        for app in APPS:
            waits_with_clones_made_ahead(ahead, app, reps, results, where)
    finally:
        ahead.close()


def in_memory_server(project: Project, folder: Path, reps: int, results: Results) -> None:
    """The PostgreSQL rows again on a throwaway test server (netapps.testing.server: files in
    memory, never waiting for a disk), as ``--netapps-postgres throwaway`` gives a suite."""
    from netapps.testing.server import THROWAWAY, Unavailable, postgres_for_tests

    where = ", throwaway server in memory"
    heading(f"4. PostgreSQL clones on a test server of their own{where}")
    try:
        server = postgres_for_tests(THROWAWAY)
        url = server.__enter__()
    except Unavailable as exc:
        results.add(Row(f"4. fresh databases, postgresql{where}", "not measured", "-", "-", None))
        results.note(f"no throwaway server: {exc}")
        return
    try:
        admin = url.render_as_string(hide_password=False)
        cache = TemplateCache(project, cache_dir=folder / "cache", postgres=admin, ahead=False)
        try:
            for app in APPS:
                compare(cache, project, app, "postgresql", folder, reps, results, where)
        finally:
            cache.close()
        postgres_waits(project, folder, admin, reps, results, where)
    finally:
        server.__exit__(None, None, None)


def goals(tmp: Path, args: argparse.Namespace, results: Results) -> None:
    """Goal 4 from bench/run.py (``--only testdb``), with its repetitions and server."""
    bench_testdb(tmp, args.reps, results, None if args.no_postgres else args.postgres)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each side")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a server's admin URL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    results = Results()
    tmp = Path(tempfile.mkdtemp(prefix="netapps-bench-testdb-"))
    try:
        bench_testdb(tmp, args.reps, results, None if args.no_postgres else args.postgres)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    heading("summary")
    for row in results.rows:
        print(f"{row.benchmark}: {row.figures}\n    {row.ratio}; goal {row.goal}: {row.verdict}")
    for note in results.notes:
        print(f"note: {note}")
    # Unused by the sqlite3 import otherwise: the library version the SQLite side ran.
    print(f"SQLite {sqlite3.sqlite_version}; {len(results.rows)} rows")
    return 0 if all(row.met is not False for row in results.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
