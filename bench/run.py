#!/usr/bin/env python3
"""Network-apps benchmarks: ``.venv/bin/python bench/run.py`` (see bench/README.md).

Every figure is the wall-clock time of a real subprocess, as a user or a container would start
it, measured side by side with its baseline in the same run (repetitions interleaved), and
reported as the median with the spread (min-max). Nothing is written into the repository:
databases, configurations, backups and Python's bytecode cache go to a temporary directory
(removed at the end unless --keep), and the PostgreSQL database is created for the run and
dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
# The tests' helpers: the apps (from netapps.toml), the config and the subprocess environment.
sys.path.insert(0, str(REPO / "tests"))
try:
    from measure import (
        BenchError,
        Results,
        Row,
        Timing,
        bench_config,
        clean_env,
        fmt,
        heading,
        interleaved,
        ratio,
        run,
        sqlite_url,
        timed,
    )
    from support import ALEMBIC_APPS, APPS, BIN, NETAPPS
    from tenants import parse_sizes, run_tenants

    from netapps.settings import ALEMBIC_VERSION_TABLE, SQL_VERSION_TABLE
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/run.py` (`make install` creates .venv)")

PYTHON = BIN / "python"
ALEMBIC = BIN / "alembic"
GUIDE = BENCH / "guide_run_all_migrations.py"
#: kind -> (version table, version column): what the floor reads.
VERSION_ROW = {
    "alembic": (ALEMBIC_VERSION_TABLE, "version_num"),
    "sql": (SQL_VERSION_TABLE, "version"),
}

#: The floor: one Python process reading each database's version row with the plain driver.
FLOOR_CODE = (
    "import sqlite3,sys\n"
    "for arg in sys.argv[1:]:\n"
    "    path, table, column = arg.split('|')\n"
    "    con = sqlite3.connect('file:' + path + '?mode=ro', uri=True)\n"
    "    print(path, con.execute(f'SELECT {column} FROM {table}').fetchall())\n"
    "    con.close()\n"
)


# --------------------------------------------------------------------------------------------
# 1. no-op, all apps at head


def bench_noop(tmp: Path, reps: int, results: Results) -> None:
    heading("1. no-op: all apps at head (SQLite files, migrated once beforehand)")
    d = tmp / "noop"
    dbs = {name: d / f"{name}.db" for name in APPS}
    config = bench_config(
        d / "netapps.toml", d / "backups", {n: sqlite_url(p) for n, p in dbs.items()}
    )
    # The same databases, only the three Alembic apps (the guide's set), for a like-for-like.
    config3 = bench_config(
        d / "three" / "netapps.toml",
        d / "backups",
        {n: sqlite_url(dbs[n]) for n in ALEMBIC_APPS},
    )
    env, env3 = clean_env(config, tmp), clean_env(config3, tmp)
    timed([NETAPPS, "migrate"], env)  # bring all four to head (untimed)
    floor_args = [f"{dbs[n]}|{'|'.join(VERSION_ROW[APPS[n].kind])}" for n in APPS]
    contenders: dict[str, Callable[[], Timing]] = {
        "a  netapps migrate (4 apps)": lambda: timed([NETAPPS, "migrate"], env),
        "a3 netapps migrate (3 Alembic apps)": lambda: timed([NETAPPS, "migrate"], env3),
        "b  guide: alembic upgrade head x3": lambda: timed([PYTHON, GUIDE], env),
        "c  floor: python + sqlite3 (4 rows)": lambda: timed(
            [PYTHON, "-c", FLOOR_CODE, *floor_args], env
        ),
    }
    for fn in contenders.values():  # warm-up: bytecode cache filled, files in page cache
        fn()
    samples = interleaved(contenders, reps)
    for name, s in samples.items():
        print(f"  {name:40s} {s.text()}")
    a, a3, b, c = (s.median for s in samples.values())
    check_noop_took_fast_path(env, results)
    results.raw["noop"] = {k: v.values for k, v in samples.items()}
    results.add(
        Row(
            "1. no-op, guide / netapps",
            f"b {fmt(b)} vs a {fmt(a)}",
            f"{ratio(b, a):.1f}x",
            ">= 20x",
            ratio(b, a) >= 20,
        )
    )
    results.add(
        Row(
            "1. no-op, guide / netapps (3 apps)",
            f"b {fmt(b)} vs a3 {fmt(a3)}",
            f"{ratio(b, a3):.1f}x",
            "(like-for-like)",
            None,
        )
    )
    results.add(
        Row(
            "1. no-op, netapps / floor",
            f"a {fmt(a)} vs c {fmt(c)}",
            f"{ratio(a, c):.1f}x",
            "<= 5x",
            ratio(a, c) <= 5,
        )
    )


def check_noop_took_fast_path(env: dict[str, str], results: Results) -> None:
    """Report whether the no-op imported SQLAlchemy (it should not)."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['netapps', 'migrate']\n"
        "try:\n"
        f"    runpy.run_path({str(NETAPPS)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'sqlalchemy', 'alembic'} & set(sys.modules)\n"
        "print('HEAVY' if heavy else 'FAST', file=sys.stderr)\n"
    )
    _, proc = run([PYTHON, "-c", code], env, check=False)
    verdict = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"
    print(f"  fast path (no SQLAlchemy/Alembic imported by the no-op): {verdict == 'FAST'}")
    if verdict != "FAST":
        results.note("the no-op `netapps migrate` imported SQLAlchemy (fast path not taken)")


# --------------------------------------------------------------------------------------------
# 2. empty to head, all apps (the goal 1)

#: The floor of building the four databases: one Python process that replays, with sqlite3,
#: the very schema and rows netapps builds (each database's dump: DDL, data, version rows and
#: ledger), one script per fresh file.
FLOOR_BUILD_CODE = (
    "import sqlite3,sys\n"
    "for arg in sys.argv[1:]:\n"
    "    script, path = arg.split('|')\n"
    "    con = sqlite3.connect(path)\n"
    "    con.executescript(open(script).read())\n"
    "    con.close()\n"
)


def replay_env(env: dict[str, str], tmp: Path, *, replay: bool) -> dict[str, str]:
    """``env`` with netapps' replay cache in the temporary directory (replay on), or with the
    replay and its recording off (NETAPPS_REPLAY=0): netapps as it was before the cache, and
    the baselines, which never pay for looking the cache up."""
    if replay:
        return env | {"NETAPPS_REPLAY_CACHE": str(tmp / "replay-cache")}
    return {k: v for k, v in env.items() if k != "NETAPPS_REPLAY_CACHE"} | {"NETAPPS_REPLAY": "0"}


def dump_floor_scripts(dbs: dict[str, Path], folder: Path) -> dict[str, Path]:
    """Each database's content as one SQL script (sqlite3's iterdump)."""
    import sqlite3

    folder.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for name, path in dbs.items():
        con = sqlite3.connect(path)
        try:
            script = folder / f"{name}.sql"
            script.write_text("\n".join(con.iterdump()) + "\n")
        finally:
            con.close()
        scripts[name] = script
    return scripts


def bench_empty(tmp: Path, reps: int, results: Results) -> None:
    heading("2. empty to head: all apps, SQLite (fresh files each repetition) [goal 1]")
    counter = iter(range(10_000))

    def fresh(apps: Sequence[str], *, replay: bool) -> tuple[dict[str, str], dict[str, Path]]:
        d = tmp / "empty" / f"r{next(counter)}"
        d.mkdir(parents=True)
        dbs = {n: d / f"{n}.db" for n in apps}
        config = bench_config(
            d / "netapps.toml", d / "backups", {n: sqlite_url(p) for n, p in dbs.items()}
        )
        return replay_env(clean_env(config, tmp), tmp, replay=replay), dbs

    # One untimed full-path build: it records the replay cache, and its databases give the
    # floor its scripts.
    env, built = fresh(list(APPS), replay=True)
    timed([NETAPPS, "migrate"], env)
    scripts = dump_floor_scripts(built, tmp / "floor-scripts")

    def floor() -> Timing:
        d = tmp / "empty" / f"r{next(counter)}"
        d.mkdir(parents=True)
        args = [f"{scripts[n]}|{d / f'{n}.db'}" for n in APPS]
        return timed([PYTHON, "-c", FLOOR_BUILD_CODE, *args], env)

    contenders: dict[str, Callable[[], Timing]] = {
        "a  netapps migrate (4 apps)": lambda: timed(
            [NETAPPS, "migrate"], fresh(list(APPS), replay=True)[0]
        ),
        "a0 netapps, replay cache off (4 apps)": lambda: timed(
            [NETAPPS, "migrate"], fresh(list(APPS), replay=False)[0]
        ),
        "b  guide: alembic upgrade head x3": lambda: timed(
            [PYTHON, GUIDE], fresh(ALEMBIC_APPS, replay=False)[0]
        ),
        "c  floor: python + sqlite3 (4 dumps)": floor,
    }
    for fn in contenders.values():
        fn()
    samples = interleaved(contenders, reps)
    for name, s in samples.items():
        print(f"  {name:40s} {s.text()}")
    a, a0, b, c = (s.median for s in samples.values())
    results.raw["empty"] = {k: {"wall": v.values, "cpu": v.cpu} for k, v in samples.items()}
    results.add(
        Row(
            "goal 1. SQLite empty->head, guide / netapps",
            f"b {fmt(b)} vs a {fmt(a)}",
            f"{ratio(b, a):.1f}x",
            ">= 5x",
            ratio(b, a) >= 5,
        )
    )
    results.add(
        Row(
            "goal 1. SQLite empty->head, netapps / floor",
            f"a {fmt(a)} vs c {fmt(c)}",
            f"{ratio(a, c):.1f}x",
            "<= 5x",
            ratio(a, c) <= 5,
        )
    )
    results.add(
        Row(
            "    (first build of a set of files: cache off)",
            f"b {fmt(b)} vs a0 {fmt(a0)}",
            f"{ratio(b, a0):.1f}x",
            "(no goal)",
            None,
        )
    )


# --------------------------------------------------------------------------------------------
# 2b. SAP on PostgreSQL, empty to head (the goal 2)


def bench_empty_postgres(tmp: Path, reps: int, admin_url: str, results: Results) -> None:
    import psycopg

    heading("2b. empty to head: SAP on PostgreSQL (a fresh database each repetition) [goal 2]")
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    host, port, user = info.get("host", "127.0.0.1"), info.get("port", "5432"), info["user"]
    created: list[str] = []
    folder = tmp / "empty-pg"
    folder.mkdir()
    config = bench_config(
        folder / "netapps.toml", folder / "backups", {"sap": sqlite_url(folder / "unused.db")}
    )
    base_env = clean_env(config, tmp)

    def fresh_database() -> str:
        name = f"bench_netapps_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql+psycopg://{user}@{host}:{port}/{name}"

    def netapps_run(replay: bool) -> Timing:
        env = replay_env(base_env, tmp, replay=replay) | {"SAP_DATABASE_URL": fresh_database()}
        return timed([NETAPPS, "migrate", "sap"], env)

    def alembic_run() -> Timing:
        env = replay_env(base_env, tmp, replay=False) | {"DATABASE_URL": fresh_database()}
        return timed([ALEMBIC, "upgrade", "head"], env, APPS["sap"].folder)

    contenders: dict[str, Callable[[], Timing]] = {
        "a  netapps migrate sap": lambda: netapps_run(True),
        "a0 netapps migrate sap, replay cache off": lambda: netapps_run(False),
        "b  alembic upgrade head (SAP's folder)": alembic_run,
    }
    try:
        for fn in contenders.values():  # warm-up; netapps' first run records the cache
            fn()
        samples = interleaved(contenders, reps)
        check_safety_steps(admin_url, created, results)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"  (dropped {len(created)} benchmark databases)")
    for name, s in samples.items():
        print(f"  {name:44s} {s.text()}")
    a, a0, b = (s.median for s in samples.values())
    results.raw["empty-pg"] = {k: {"wall": v.values, "cpu": v.cpu} for k, v in samples.items()}
    results.add(
        Row(
            "goal 2. SAP PostgreSQL empty->head, alembic / netapps",
            f"b {fmt(b)} vs a {fmt(a)}",
            f"{ratio(b, a):.1f}x",
            ">= 1.5x",
            ratio(b, a) >= 1.5,
        )
    )
    results.add(
        Row(
            "    (first build of a set of files: cache off)",
            f"b {fmt(b)} vs a0 {fmt(a0)}",
            f"{ratio(b, a0):.1f}x",
            "(no goal)",
            None,
        )
    )


def check_safety_steps(admin_url: str, created: list[str], results: Results) -> None:
    """Every database netapps built holds a ledger row, with the file's checksum, per
    revision, and the head as its version: the safety steps ran (the lock is the replay's
    and the full path's alike)."""
    import psycopg

    heads = set()
    for name in created:
        conninfo = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
        with psycopg.connect(conninfo) as conn:
            ledger = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE length(checksum) = 64) "
                "FROM netapps_migration_log"
            ).fetchone()
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert ledger is not None and version is not None
        heads.add((ledger[0], ledger[1], version[0]))
    ok = len(heads) == 1
    print(f"  every database: (ledger rows, with checksums, version) = {sorted(heads)}")
    if not ok:
        results.note("goal 2: the databases built differ in ledger or version")


# --------------------------------------------------------------------------------------------
# goals measured by modules of their own (bench/tenants.py has its own entry: run_tenants)

#: Benchmark modules beside this file, each measuring goals of its own: a module that exists
#: and defines ``goals(tmp: Path, args: argparse.Namespace, results: Results) -> None`` is run
#: (``--only NAME`` alone, or with everything), with this run's temporary directory and
#: arguments, and adds its rows to ``results`` (bench/measure.py: Row, interleaved, Timing).
#: Module name -> the issue's goal it measures (named in the table while it is missing).
GOAL_MODULES = {"testdb": "goal 4. test databases"}


def run_goal_modules(only: set[str], tmp: Path, args: argparse.Namespace, results: Results) -> None:
    import importlib

    for name, goal in GOAL_MODULES.items():
        if name not in only:
            continue
        module = importlib.import_module(name) if (BENCH / f"{name}.py").is_file() else None
        goals = getattr(module, "goals", None)
        if goals is None:
            results.add(Row(goal, f"not measured (no goals() in bench/{name}.py)", "-", "-", None))
            continue
        folder = tmp / f"module-{name}"
        folder.mkdir(exist_ok=True)
        goals(folder, args, results)


# --------------------------------------------------------------------------------------------
# the machine and the final table


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    _, proc = run(["git", "log", "-1", "--oneline"], dict(os.environ), REPO, check=False)
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": proc.stdout.strip() or "?",
        "load average": loadavg(),
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def print_table(results: Results) -> None:
    heading("summary")
    headers = ("benchmark", "measured", "ratio", "goal", "verdict")
    rows = [(r.benchmark, r.figures, r.ratio, r.goal, r.verdict) for r in results.rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    for note in results.notes:
        print(f"note: {note}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--quick", action="store_true", help="fewer repetitions, 100 tenants, 20 schemas"
    )
    p.add_argument(
        "--reps", type=int, help="repetitions of the small benchmarks (default 7; quick 3)"
    )
    p.add_argument("--tenants", type=int, help="SQLite tenant databases (default 1000; quick 100)")
    p.add_argument("--schemas", type=int, help="PostgreSQL schemas (default 200; quick 20)")
    p.add_argument(
        "--sample",
        type=int,
        help="targets the sequential alembic loop is measured on, then extrapolated "
        "(default 20; quick 5)",
    )
    p.add_argument("--full", action="store_true", help="run the alembic loop over every target")
    p.add_argument("--parallel", type=int, help="netapps migrate --parallel N (default: its own)")
    p.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="an admin connection (libpq URL) to create and drop the benchmark database",
    )
    p.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL schemas")
    p.add_argument(
        "--only",
        choices=["noop", "empty", "empty-pg", "tenants", "schemas", "scaling", *GOAL_MODULES],
        action="append",
        help="run some",
    )
    p.add_argument(
        "--scaling",
        type=parse_sizes,
        help="SQLite tenant counts of the scaling run (default 1000,2000,5000,10000; quick "
        "100,200,500,1000)",
    )
    p.add_argument("--json", type=Path, help="also write the raw figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    q = args.quick
    args.reps = args.reps or (3 if q else 7)
    args.reps_big = 1 if q else 3
    args.tenants = args.tenants if args.tenants is not None else (100 if q else 1000)
    args.schemas = args.schemas if args.schemas is not None else (20 if q else 200)
    args.sample = args.sample or (5 if q else 20)
    if args.scaling is None:
        args.scaling = [100, 200, 500, 1000] if q else [1000, 2000, 5000, 10_000]
    if args.full:
        args.sample = max(args.tenants, args.schemas)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in (PYTHON, NETAPPS, ALEMBIC):
        if not tool.exists():
            print(f"error: {tool} is missing; run `make migrate` first (it creates .venv)")
            return 2
    only = set(
        args.only or ["noop", "empty", "empty-pg", "tenants", "schemas", "scaling", *GOAL_MODULES]
    )
    info = machine()
    print("Network-apps benchmarks: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"command: {' '.join([Path(sys.executable).name, 'bench/run.py', *sys.argv[1:]])}")
    results = Results(raw={"machine": info, "args": sys.argv[1:]})
    tmp = Path(tempfile.mkdtemp(prefix="netapps-bench-"))
    print(f"temporary directory: {tmp}")
    # netapps' replay cache (recordings of empty -> head builds) in the temporary directory
    # too, for every subprocess: nothing is read from or written to the user's cache.
    os.environ["NETAPPS_REPLAY_CACHE"] = str(tmp / "replay-cache")
    os.environ["NETAPPS_KEY_FILE"] = str(tmp / "netapps-key")
    started = time.perf_counter()
    try:
        if "noop" in only:
            bench_noop(tmp, args.reps, results)
        if "empty" in only:
            bench_empty(tmp, max(3, args.reps // 2 + 1), results)
        if "empty-pg" in only:
            if args.no_postgres:
                skipped = "skipped (--no-postgres)"
                results.add(Row("goal 2. SAP PostgreSQL", skipped, "-", "-", None))
            else:
                try:
                    bench_empty_postgres(tmp, max(3, args.reps // 2 + 1), args.postgres, results)
                except Exception as exc:
                    if not type(exc).__module__.startswith("psycopg"):
                        raise
                    results.add(Row("goal 2. SAP PostgreSQL", "not measured", "-", "-", None))
                    results.note(f"PostgreSQL not reachable ({exc}); goal 2 not measured")
        run_tenants(
            tmp,
            tenants=args.tenants if "tenants" in only else 0,
            schemas=args.schemas if "schemas" in only else 0,
            scaling=args.scaling if "scaling" in only else [],
            reps_big=args.reps_big,
            reps_noop=args.reps,
            sample=args.sample,
            parallel=args.parallel,
            postgres=None if args.no_postgres else args.postgres,
            results=results,
        )
        # Goals measured by modules of their own (bench/tenants.py, bench/testdb.py).
        run_goal_modules(only, tmp, args, results)
    except BenchError as exc:
        print_table(results)
        print(f"\nerror: {exc}")
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(results)
    print(f"\ntotal time {fmt(time.perf_counter() - started)}; load average now {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results.raw | {"rows": [r.__dict__ for r in results.rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
