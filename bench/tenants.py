"""Many databases of one app (the issue's goal 3): SQLite tenant files and PostgreSQL schema
tenants, migrated by ``netapps migrate``, by the floor (one Python process replaying the same
SQL with the plain driver) and by a sequential loop of plain ``alembic upgrade head``; the
no-op with and without flags; the cost from 1,000 to 10,000 tenants; the peak memory.

Run from bench/run.py (``--only tenants``, ``--only schemas``, ``--only scaling``) or alone:
``.venv/bin/python bench/tenants.py [--quick]``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The tests' helpers: the apps (from netapps.toml), the config and the subprocess environment.
sys.path.insert(0, str(REPO / "tests"))
try:
    from measure import (
        BenchError,
        Results,
        Row,
        Sample,
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
    from support import APPS, BIN, NETAPPS
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/run.py` (`make install` creates .venv)")

PYTHON = BIN / "python"
ALEMBIC = BIN / "alembic"
TENANT_APP = "servicenow"  # the smallest app: two revisions, a dozen tables

#: Goal 3 of the issue.
FLOOR_FACTOR = 2.0  # empty -> head within 2x of the floor
LOOP_FACTOR = 50.0  # ... and at least 50x faster than the sequential alembic loop
FLAGS_FACTOR = 1.15  # a no-op with flags as fast as without (within the noise: 15 %)
LINEAR_FACTOR = 1.3  # per-tenant cost at the largest size within 1.3x of the smallest's
MEMORY_LIMIT_MIB = 100.0  # peak memory of the 10,000-tenant no-op
#: Flags a user may pass to every migrate (the README recommends --parallel).
NOOP_FLAGS = ("--parallel", "4", "--lock-timeout", "60", "--ddl-lock-timeout", "5")

#: The floor on SQLite: one process, the plain driver, the SQL Alembic renders for these
#: migrations (offline), replayed into each fresh file. Argv: SQL file, folder, count.
SQLITE_FLOOR = (
    "import sqlite3, sys\n"
    "sql = open(sys.argv[1]).read()\n"
    "for i in range(int(sys.argv[3])):\n"
    "    con = sqlite3.connect(f'{sys.argv[2]}/f{i}.db', isolation_level=None)\n"
    "    con.executescript(sql)\n"
    "    con.close()\n"
)
#: The floor on PostgreSQL: one connection, each tenant's schema created and the same SQL
#: replayed in it, statement by statement: Alembic's offline script holds its own BEGIN and
#: COMMIT, and a CREATE INDEX CONCURRENTLY (autocommit block) cannot run in a multi-statement
#: query. Argv: SQL file, libpq URL, schema prefix, count.
POSTGRES_FLOOR = (
    "import psycopg, sys\n"
    "sql = [s for s in open(sys.argv[1]).read().split(';\\n') if s.strip()]\n"
    "with psycopg.connect(sys.argv[2], autocommit=True) as con:\n"
    "    for i in range(int(sys.argv[4])):\n"
    "        schema = f'{sys.argv[3]}{i}'\n"
    "        con.execute(f'CREATE SCHEMA {schema}')\n"
    "        con.execute(f'SET search_path TO {schema}')\n"
    "        for statement in sql:\n"
    "            con.execute(statement)\n"
)
#: Runs a command and prints the peak resident memory (KiB) of it and of every process it
#: waited for (its worker processes): ``ru_maxrss`` of the children, the largest of them.
PEAK_MEMORY = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


@dataclass
class Fleet:
    """N targets of one app for netapps (a tenants config), for the floor and for the loop.
    Every callable takes a repetition number: each repetition starts from empty targets."""

    kind: str  # "sqlite" or "postgresql"
    names: list[str]
    netapps_env: Callable[[int], dict[str, str]]
    floor: Callable[[int], list[str | Path]]  # the floor's command line
    baseline: Callable[[str], tuple[dict[str, str], Path]]  # env and cwd of one alembic run
    prepare_baseline: Callable[[list[str]], None] = lambda names: None


def tenant_names(n: int) -> list[str]:
    return [f"t{i:05d}" for i in range(1, n + 1)]


def tenants_available(env: dict[str, str]) -> str | None:
    """None when netapps knows tenants, else why not."""
    _, proc = run([NETAPPS, "status", "--json"], env, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return lines[-1] if lines else f"netapps status exited {proc.returncode}"
    try:
        rows = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return "netapps status --json printed no JSON"
    if not any(isinstance(r, dict) and r.get("tenant") for r in rows):
        return "netapps status --json lists no tenants"
    return None


def rendered_sql(tmp: Path, url: str, path: Path) -> Path:
    """The SQL of every migration of the app, as Alembic renders it offline for ``url``'s
    dialect (``alembic upgrade head --sql``, which also writes the version rows and netapps'
    ledger rows): what the floor replays. Rendered once, untimed."""
    config = bench_config(
        tmp / "render" / "netapps.toml", tmp / "render" / "backups", {TENANT_APP: url}
    )
    env = clean_env(config, tmp, DATABASE_URL=url)
    _, proc = run([ALEMBIC, "upgrade", "head", "--sql"], env, APPS[TENANT_APP].folder)
    path.write_text(proc.stdout)
    return path


def sqlite_fleet(tmp: Path, n: int) -> Fleet:
    names = tenant_names(n)
    root = tmp / f"tenants-sqlite-{n}"
    tenants_file = root / "tenants.txt"
    root.mkdir(parents=True)
    tenants_file.write_text("\n".join(names) + "\n")
    sql = rendered_sql(tmp, sqlite_url(root / "render.db"), root / "migrations.sql")
    # netapps' replay cache of the bench's own, recorded once (untimed) by the full path
    # building one plain database of the app: every fleet's tenants are then replayed, as on a
    # machine that has built the app once (README: Fast from an empty database).
    cache = {"NETAPPS_REPLAY_CACHE": str(root / "replay-cache")}
    recording = root / "recording"
    recording_config = bench_config(
        recording / "netapps.toml",
        recording / "backups",
        {TENANT_APP: sqlite_url(recording / f"{TENANT_APP}.db")},
    )
    run([NETAPPS, "migrate"], clean_env(recording_config, tmp, **cache))
    if not list((root / "replay-cache").glob("*.json")):
        raise BenchError("the full path recorded nothing into the replay cache")

    def netapps_env(rep: int) -> dict[str, str]:
        d = root / f"netapps-r{rep}"
        d.mkdir()
        url = sqlite_url(d / f"{TENANT_APP}-{{tenant}}.db")
        config = bench_config(
            d / "netapps.toml", d / "backups", {TENANT_APP: url}, tenants_file=tenants_file
        )
        return clean_env(config, tmp, **cache)

    def floor(rep: int) -> list[str | Path]:
        d = root / f"floor-r{rep}"
        d.mkdir()
        return [PYTHON, "-c", SQLITE_FLOOR, sql, d, str(n)]

    base = root / "baseline"
    base.mkdir()
    # Plain alembic, as a user loops it: the app's ordinary (single-database) configuration,
    # DATABASE_URL naming one tenant's file per run.
    base_config = bench_config(
        base / "netapps.toml", base / "backups", {TENANT_APP: sqlite_url(base / "unused.db")}
    )

    def baseline(name: str) -> tuple[dict[str, str], Path]:
        url = sqlite_url(base / f"{TENANT_APP}-{name}.db")
        return clean_env(base_config, tmp, DATABASE_URL=url), APPS[TENANT_APP].folder

    return Fleet("sqlite", names, netapps_env, floor, baseline)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database of our own on the server, dropped at the end: its SQLAlchemy URL."""
    import psycopg

    name = f"bench_netapps_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    host, port, user = info.get("host", "127.0.0.1"), info.get("port", "5432"), info["user"]
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        # A server out of connections (other clients) refuses the admin connection too: a
        # few more tries before giving up and saying which database is left.
        for attempt in range(5):
            try:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                print(f"  (dropped database {name})")
                break
            except psycopg.OperationalError:
                if attempt == 4:
                    print(f"  could not drop database {name}: drop it by hand")
                    raise
                time.sleep(3)


def postgres_fleet(tmp: Path, n: int, db_url: str) -> Fleet:
    import psycopg

    names = tenant_names(n)
    root = tmp / f"tenants-pg-{n}"
    tenants_file = root / "tenants.txt"
    root.mkdir(parents=True)
    tenants_file.write_text("\n".join(names) + "\n")
    libpq_url = db_url.replace("postgresql+psycopg://", "postgresql://")
    sql = rendered_sql(tmp, db_url, root / "migrations.sql")
    # netapps' replay cache of the bench's own, recorded once (untimed) by the full path
    # building one schema tenant: every fleet's schemas are then replayed, as where the
    # app's first tenant schema has been built once (README: Fast from an empty database).
    cache = {"NETAPPS_REPLAY_CACHE": str(root / "replay-cache")}
    recording = root / "recording"
    one = recording / "tenants.txt"
    recording.mkdir()
    one.write_text("recording\n")
    recording_config = bench_config(
        recording / "netapps.toml",
        recording / "backups",
        {TENANT_APP: db_url},
        tenants_file=one,
        schema="rec_{tenant}",
    )
    run([NETAPPS, "migrate"], clean_env(recording_config, tmp, **cache))
    if not list((root / "replay-cache").glob("*.json")):
        raise BenchError("the full path recorded nothing into the replay cache")

    def netapps_env(rep: int) -> dict[str, str]:
        d = root / f"netapps-r{rep}"
        d.mkdir()
        # Each repetition gets its own schemas: r<rep>_t00001 ...
        config = bench_config(
            d / "netapps.toml",
            d / "backups",
            {TENANT_APP: db_url},
            tenants_file=tenants_file,
            schema=f"r{rep}_{{tenant}}",
        )
        return clean_env(config, tmp, **cache)

    def floor(rep: int) -> list[str | Path]:
        return [PYTHON, "-c", POSTGRES_FLOOR, sql, libpq_url, f"floor_r{rep}_", str(n)]

    base = root / "baseline"
    base.mkdir()
    base_config = bench_config(
        base / "netapps.toml", base / "backups", {TENANT_APP: sqlite_url(base / "unused.db")}
    )

    def baseline(name: str) -> tuple[dict[str, str], Path]:
        # Stock alembic has no schema option; the stock way to point it at one is libpq's
        # search_path in the URL: every unqualified table (the app's, alembic_version, the
        # ledger) then lives in that schema.
        url = f"{db_url}?options=-csearch_path%3Dbase_{name}"
        return clean_env(base_config, tmp, DATABASE_URL=url), APPS[TENANT_APP].folder

    def prepare_baseline(chosen: list[str]) -> None:
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            for name in chosen:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS base_{name}")

    return Fleet("postgresql", names, netapps_env, floor, baseline, prepare_baseline)


def check_up_to_date(env: dict[str, str], n: int, label: str) -> None:
    _, proc = run([NETAPPS, "status", "--json"], env)
    states = [r.get("state") for r in json.loads(proc.stdout)]
    if states.count("up to date") != n:
        raise BenchError(f"{label}: after migrate, {states.count('up to date')} of {n} up to date")


def bench_fleet(
    fleet: Fleet,
    label: str,
    reps_big: int,
    reps_noop: int,
    sample: int,
    parallel: int | None,
    results: Results,
) -> None:
    """Empty -> head: netapps, the floor and the loop (on ``sample`` targets, a fresh sample
    each repetition), interleaved; then the no-op with and without flags, interleaved."""
    n = len(fleet.names)
    migrate = [NETAPPS, "migrate", *(["--parallel", str(parallel)] if parallel else [])]
    env0 = fleet.netapps_env(0)
    missing = tenants_available(env0)
    if missing:
        results.add(Row(f"3. {label}", "not available yet", "-", "-", None))
        results.note(f"{label}: tenants not available in netapps ({missing})")
        return

    # Empty -> head. Repetition r: netapps on fleet r, the floor into fresh files or schemas,
    # the loop over the next `sample` names (each name used once: always an empty target).
    chosen = fleet.names[: min(sample, n)]
    loop_names = iter([f"r{rep}_{name}" for rep in range(reps_big + 1) for name in chosen])
    fleet.prepare_baseline([f"r{rep}_{name}" for rep in range(reps_big + 1) for name in chosen])
    counters = {"netapps": iter(range(1, 1000)), "floor": iter(range(1000))}
    envs: list[dict[str, str]] = []

    def run_netapps() -> Timing:
        envs.append(fleet.netapps_env(next(counters["netapps"])))
        return timed(migrate, envs[-1])

    def run_floor() -> Timing:
        return timed(fleet.floor(next(counters["floor"])), env0)

    def run_loop() -> Timing:
        """The whole sample, one `alembic upgrade head` after another (CPU summed)."""
        wall = cpu = 0.0
        for _ in chosen:
            b_env, cwd = fleet.baseline(next(loop_names))
            one = timed([ALEMBIC, "upgrade", "head"], b_env, cwd)
            wall, cpu = wall + one.wall, cpu + one.cpu
        return Timing(wall, cpu)

    def run_netapps_full() -> Timing:
        """netapps as before the replay cache (NETAPPS_REPLAY=0): the full path per target."""
        env = fleet.netapps_env(next(counters["netapps"]))
        env = {k: v for k, v in env.items() if k != "NETAPPS_REPLAY_CACHE"}
        return timed(migrate, env | {"NETAPPS_REPLAY": "0"})

    contenders: dict[str, Callable[[], Timing]] = {
        f"a  netapps migrate, {n} targets": run_netapps,
        f"f  floor: one process, plain driver, {n} targets": run_floor,
        f"l  loop: alembic upgrade head x{len(chosen)}": run_loop,
    }
    contenders[f"a0 netapps migrate, replay off, {n} targets"] = run_netapps_full
    empty = interleaved(contenders, reps_big)
    for name, s in empty.items():
        print(f"  {name:48s} {s.text()}")
    a, f, loop = list(empty.values())[:3]
    check_up_to_date(envs[-1], n, label)

    # No-op on the last migrated fleet: as typed, with flags, status; interleaved.
    env = envs[-1]
    noops = interleaved(
        {
            "a  netapps migrate (no-op)": lambda: timed([NETAPPS, "migrate"], env),
            "af netapps migrate " + " ".join(NOOP_FLAGS): lambda: timed(
                [NETAPPS, "migrate", *NOOP_FLAGS], env
            ),
            "s  netapps status": lambda: timed([NETAPPS, "status"], env),
        },
        reps_noop,
    )
    for name, s in noops.items():
        print(f"  {name:48s} {s.text()}")
    noop, noop_flags, _status = noops.values()
    # The loop's no-op: the targets it migrated in the last repetition, once more each.
    base_noop = Sample()
    for name in chosen:
        b_env, cwd = fleet.baseline(f"r{reps_big - 1}_{name}")
        base_noop.add(timed([ALEMBIC, "upgrade", "head"], b_env, cwd))

    measured = len(chosen)
    full = measured == n
    how = "measured in full" if full else f"EXTRAPOLATED from {measured} of {n}"
    loop_empty = loop.median * n / measured
    loop_noop = statistics.fmean(base_noop.values) * n
    print(f"  alembic loop, per target, no-op: {base_noop.text()}")
    print(
        f"  alembic loop over {n}: empty -> head {fmt(loop_empty)}, no-op {fmt(loop_noop)} ({how})"
    )
    results.raw[label] = {
        "targets": n,
        **{k: {"wall": v.values, "cpu": v.cpu} for k, v in (empty | noops).items()},
        "alembic_per_target_noop": base_noop.values,
        "alembic_measured": measured,
    }
    tag = "" if full else f" [loop extrapolated from {measured}]"
    cpu = f"; cpu a {fmt(a.cpu_median)}, f {fmt(f.cpu_median)}"
    results.add(
        Row(
            f"3. {label}: empty->head, netapps / floor",
            f"a {fmt(a.median)} vs f {fmt(f.median)}{cpu}",
            f"{ratio(a.median, f.median):.1f}x",
            f"<= {FLOOR_FACTOR:g}x",
            ratio(a.median, f.median) <= FLOOR_FACTOR,
        )
    )
    if len(empty) > 3:
        a0 = list(empty.values())[3]
        results.add(
            Row(
                f"3. {label}: empty->head, replay off / on",
                f"a0 {fmt(a0.median)} vs a {fmt(a.median)}; cpu a0 {fmt(a0.cpu_median)}",
                f"{ratio(a0.median, a.median):.1f}x",
                "-",
                None,
            )
        )
    results.add(
        Row(
            f"3. {label}: empty->head, loop / netapps",
            f"loop {fmt(loop_empty)} vs netapps {fmt(a.median)}{tag}",
            f"{ratio(loop_empty, a.median):.1f}x",
            f">= {LOOP_FACTOR:g}x",
            ratio(loop_empty, a.median) >= LOOP_FACTOR,
        )
    )
    results.add(
        Row(
            f"3. {label}: empty->head, loop / floor",
            f"loop {fmt(loop_empty)} vs f {fmt(f.median)}{tag}",
            f"{ratio(loop_empty, f.median):.1f}x",
            "-",
            None,
        )
    )
    results.note(
        f"{label}: loop / floor is how much faster than the loop the same statements run from "
        "one process on one connection; on PostgreSQL the server's DDL and commits, not the "
        "client, bound it"
    )
    results.add(
        Row(
            f"3. {label}: no-op with flags / without",
            f"{fmt(noop_flags.median)} vs {fmt(noop.median)}",
            f"{ratio(noop_flags.median, noop.median):.2f}x",
            f"<= {FLAGS_FACTOR:g}x",
            ratio(noop_flags.median, noop.median) <= FLAGS_FACTOR,
        )
    )
    results.add(
        Row(
            f"3. {label}: no-op, loop / netapps",
            f"loop {fmt(loop_noop)} vs netapps {fmt(noop.median)}{tag}",
            f"{ratio(loop_noop, noop.median):.0f}x",
            "-",
            None,
        )
    )


def peak_memory_mib(cmd: list[str | Path], env: dict[str, str]) -> tuple[Timing, float]:
    """Run ``cmd``; its time, and the peak resident memory of it and its worker processes."""
    timing, proc = run([PYTHON, "-c", PEAK_MEMORY, *cmd], env)
    return timing, int(proc.stdout.split()[-1]) / 1024


def bench_scaling(tmp: Path, sizes: list[int], parallel: int | None, results: Results) -> None:
    """The cost per tenant at each size (empty -> head, then the no-op), and the peak memory
    of each no-op: linear means the per-tenant cost does not grow with the count. The verdict
    is on CPU time (the command's and its workers'): on a shared machine the wall clock of a
    ten-minute run also measures the neighbours; wall time is printed beside it."""
    migrate = [NETAPPS, "migrate", *(["--parallel", str(parallel)] if parallel else [])]
    cpu: dict[str, dict[int, float]] = {"empty->head": {}, "no-op": {}}
    wall: dict[str, dict[int, float]] = {"empty->head": {}, "no-op": {}}
    memory: dict[int, tuple[float, float]] = {}
    for n in sizes:
        fleet = sqlite_fleet(tmp / "scaling", n)
        env = fleet.netapps_env(0)
        empty, empty_mib = peak_memory_mib(migrate, env)
        check_up_to_date(env, n, f"{n} tenants")
        timed(migrate, env)  # warm-up of the no-op (files in the page cache)
        noop = Sample()
        for _ in range(3):
            noop.add(timed(migrate, env))
        _, noop_mib = peak_memory_mib(migrate, env)
        cpu["empty->head"][n], wall["empty->head"][n] = empty.cpu / n, empty.wall / n
        cpu["no-op"][n], wall["no-op"][n] = noop.cpu_median / n, noop.median / n
        memory[n] = (empty_mib, noop_mib)
        print(
            f"  {n:6d} tenants: empty -> head {fmt(empty.wall)} (cpu {fmt(empty.cpu)}, "
            f"{empty.cpu / n * 1000:.1f} ms cpu a tenant, peak {empty_mib:.0f} MiB); no-op "
            f"{noop.text()} ({noop.cpu_median / n * 1000:.2f} ms cpu a tenant, peak "
            f"{noop_mib:.0f} MiB)",
            flush=True,
        )
        shutil.rmtree(tmp / "scaling", ignore_errors=True)
    results.raw["scaling"] = {
        "sizes": sizes,
        "per_tenant_cpu_seconds": {k: list(v.values()) for k, v in cpu.items()},
        "per_tenant_wall_seconds": {k: list(v.values()) for k, v in wall.items()},
        "peak_mib": [memory[n] for n in sizes],
    }
    small, large = sizes[0], sizes[-1]
    for what, costs in cpu.items():
        growth = ratio(costs[large], costs[small])
        figures = ", ".join(
            f"{n}: {costs[n] * 1000:.2f} ms cpu ({wall[what][n] * 1000:.2f} wall)" for n in sizes
        )
        results.add(
            Row(
                f"3. scaling, {what}, cpu per tenant {large} / {small}",
                figures,
                f"{growth:.2f}x",
                f"<= {LINEAR_FACTOR:g}x (linear)",
                growth <= LINEAR_FACTOR,
            )
        )
    noop_peak = memory[large][1]
    results.add(
        Row(
            f"3. peak memory, {large}-tenant no-op",
            ", ".join(f"{n}: {memory[n][1]:.0f} MiB" for n in sizes)
            + f" (empty->head at {large}: {memory[large][0]:.0f} MiB)",
            f"{noop_peak:.0f} MiB",
            f"< {MEMORY_LIMIT_MIB:g} MiB" if large >= 10_000 else "(goal is for 10,000)",
            noop_peak < MEMORY_LIMIT_MIB if large >= 10_000 else None,
        )
    )


def run_tenants(
    tmp: Path,
    *,
    tenants: int,
    schemas: int,
    scaling: list[int],
    reps_big: int,
    reps_noop: int,
    sample: int,
    parallel: int | None,
    postgres: str | None,
    results: Results,
) -> None:
    """Everything of goal 3 that is asked for (0 or [] skips a part)."""
    if tenants > 0:
        heading(f"3a. {tenants} SQLite tenant databases of {TENANT_APP}")
        fleet = sqlite_fleet(tmp, tenants)
        bench_fleet(
            fleet, f"{tenants} SQLite tenants", reps_big, reps_noop, sample, parallel, results
        )
    if schemas > 0:
        heading(f"3b. {schemas} PostgreSQL schemas of {TENANT_APP}")
        label = f"{schemas} PG schemas"
        if postgres is None:
            results.add(Row(f"3. {label}", "skipped (--no-postgres)", "-", "-", None))
        else:
            try:
                with postgres_database(postgres) as db_url:
                    print(f"  database: {db_url}")
                    fleet = postgres_fleet(tmp, schemas, db_url)
                    bench_fleet(fleet, label, reps_big, reps_noop, sample, parallel, results)
            except ImportError as exc:
                results.add(Row(f"3. {label}", "not measured", "-", "-", None))
                results.note(f"PostgreSQL: {exc}")
            except Exception as exc:
                if type(exc).__module__.startswith("psycopg"):
                    results.add(Row(f"3. {label}", "not measured", "-", "-", None))
                    results.note(f"PostgreSQL not reachable ({exc}); schemas not measured")
                else:
                    raise
    if scaling:
        heading(f"3c. scaling: {', '.join(map(str, scaling))} SQLite tenants, and peak memory")
        bench_scaling(tmp, scaling, parallel, results)


def parse_sizes(text: str) -> list[int]:
    if not text.strip():
        return []
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give tenant counts, such as 1000,2000")
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="100 tenants, 20 schemas, small scaling")
    p.add_argument("--tenants", type=int, help="SQLite tenants (default 1000; quick 100)")
    p.add_argument("--schemas", type=int, help="PostgreSQL schemas (default 200; quick 20)")
    p.add_argument(
        "--scaling",
        type=parse_sizes,
        help="tenant counts of the scaling run (default 1000,2000,5000,10000; quick "
        "100,200,500,1000; empty: skip)",
    )
    p.add_argument("--reps", type=int, help="repetitions of empty -> head (default 3; quick 1)")
    p.add_argument("--sample", type=int, help="targets the alembic loop runs on (default 20)")
    p.add_argument("--parallel", type=int, help="netapps migrate --parallel N")
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = p.parse_args(argv)
    q = args.quick
    results = Results(raw={"args": sys.argv[1:]})
    tmp = Path(tempfile.mkdtemp(prefix="netapps-bench-tenants-"))
    started = time.perf_counter()
    try:
        run_tenants(
            tmp,
            tenants=args.tenants if args.tenants is not None else (100 if q else 1000),
            schemas=args.schemas if args.schemas is not None else (20 if q else 200),
            scaling=args.scaling
            if args.scaling is not None
            else ([100, 200, 500, 1000] if q else [1000, 2000, 5000, 10_000]),
            reps_big=args.reps or (1 if q else 3),
            reps_noop=3 if q else 7,
            sample=args.sample or (5 if q else 20),
            parallel=args.parallel,
            postgres=None if args.no_postgres else args.postgres,
            results=results,
        )
    except BenchError as exc:
        print(f"\nerror: {exc}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    heading("summary")
    for row in results.rows:
        print(f"{row.benchmark:60s} {row.ratio:>9s}  {row.goal:28s} {row.verdict}")
        print(f"    {row.figures}")
    print(f"\ntotal time {fmt(time.perf_counter() - started)}")
    if args.json:
        args.json.write_text(json.dumps(results.raw | {"rows": [r.__dict__ for r in results.rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
