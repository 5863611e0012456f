"""Many databases of one app: SQLite tenant files and PostgreSQL schema tenants, migrated by
``netapps migrate`` and by a sequential loop of plain ``alembic upgrade head``. Run from
bench/run.py (``--only tenants``, ``--only schemas``); see bench/README.md."""

from __future__ import annotations

import json
import secrets
import statistics
import sys
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
        bench_config,
        clean_env,
        fmt,
        ratio,
        run,
        sqlite_url,
        timed,
    )
    from support import APPS, BIN, NETAPPS
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/run.py` (`make install` creates .venv)")

ALEMBIC = BIN / "alembic"
TENANT_APP = "servicenow"  # the smallest app: one revision, a dozen tables


@dataclass
class Fleet:
    """N targets of one app for netapps (a tenants config) and for the baseline."""

    kind: str  # "sqlite" or "postgresql"
    names: list[str]
    netapps_env: Callable[[int], dict[str, str]]  # a fresh (empty) fleet per repetition
    baseline: Callable[[str], tuple[dict[str, str], Path]]  # env and cwd of one alembic run
    prepare_baseline: Callable[[list[str]], None] = lambda names: None


def tenant_names(n: int) -> list[str]:
    return [f"t{i:04d}" for i in range(1, n + 1)]


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


def sqlite_fleet(tmp: Path, n: int) -> Fleet:
    names = tenant_names(n)
    root = tmp / "tenants-sqlite"
    tenants_file = root / "tenants.txt"
    root.mkdir(parents=True)
    tenants_file.write_text("\n".join(names) + "\n")

    def netapps_env(rep: int) -> dict[str, str]:
        d = root / f"netapps-r{rep}"
        d.mkdir()
        url = sqlite_url(d / f"{TENANT_APP}-{{tenant}}.db")
        config = bench_config(
            d / "netapps.toml", d / "backups", {TENANT_APP: url}, tenants_file=tenants_file
        )
        return clean_env(config, tmp)

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

    return Fleet("sqlite", names, netapps_env, baseline)


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
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"  (dropped database {name})")


def postgres_fleet(tmp: Path, n: int, db_url: str) -> Fleet:
    import psycopg

    names = tenant_names(n)
    root = tmp / "tenants-pg"
    tenants_file = root / "tenants.txt"
    root.mkdir(parents=True)
    tenants_file.write_text("\n".join(names) + "\n")
    libpq_url = db_url.replace("postgresql+psycopg://", "postgresql://")

    def netapps_env(rep: int) -> dict[str, str]:
        d = root / f"netapps-r{rep}"
        d.mkdir()
        # Each repetition gets its own schemas: r<rep>_t0001 ...
        config = bench_config(
            d / "netapps.toml",
            d / "backups",
            {TENANT_APP: db_url},
            tenants_file=tenants_file,
            schema=f"r{rep}_{{tenant}}",
        )
        return clean_env(config, tmp)

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

    return Fleet("postgresql", names, netapps_env, baseline, prepare_baseline)


def bench_fleet(
    fleet: Fleet,
    label: str,
    reps_big: int,
    reps_noop: int,
    sample: int,
    parallel: int | None,
    results: Results,
    goals: bool,
) -> None:
    n = len(fleet.names)
    migrate = [NETAPPS, "migrate", *(["--parallel", str(parallel)] if parallel else [])]
    env0 = fleet.netapps_env(0)
    missing = tenants_available(env0)
    if missing:
        results.add(Row(f"3. {label}", "not available yet", "-", "-", None))
        results.note(f"{label}: tenants not available in netapps ({missing})")
        return

    # netapps: empty -> head, each repetition on a fresh fleet; then no-op on the last one.
    empty = Sample()
    env = env0
    for rep in range(reps_big):
        env = env0 if rep == 0 else fleet.netapps_env(rep)
        empty.add(timed(migrate, env))
        print(
            f"  netapps migrate, empty -> head, {n} {fleet.kind} targets: {fmt(empty.values[-1])}"
        )
    noop = Sample()
    for _ in range(reps_noop):
        noop.add(timed(migrate, env))
    status = Sample()
    for _ in range(reps_noop):
        status.add(timed([NETAPPS, "status"], env))
    _, proc = run([NETAPPS, "status", "--json"], env)
    states = [r.get("state") for r in json.loads(proc.stdout)]
    if states.count("up to date") != n:
        raise BenchError(f"{label}: after migrate, {states.count('up to date')} of {n} up to date")

    # baseline: a sequential loop of `alembic upgrade head`, over a sample (or all).
    chosen = fleet.names[: min(sample, n)]
    fleet.prepare_baseline(chosen)
    base_empty, base_noop = Sample(), Sample()
    for name in chosen:
        b_env, cwd = fleet.baseline(name)
        base_empty.add(timed([ALEMBIC, "upgrade", "head"], b_env, cwd))
    for name in chosen:
        b_env, cwd = fleet.baseline(name)
        base_noop.add(timed([ALEMBIC, "upgrade", "head"], b_env, cwd))
    measured = len(chosen)
    full = measured == n
    how = "measured in full" if full else f"EXTRAPOLATED from {measured} of {n} measured"
    loop_empty = statistics.fmean(base_empty.values) * n
    loop_noop = statistics.fmean(base_noop.values) * n
    print(f"  netapps migrate, empty -> head: {empty.text()}")
    print(f"  netapps migrate, no-op:         {noop.text()}")
    print(f"  netapps status, all at head:    {status.text()}")
    print(f"  alembic loop, per target, empty -> head: {base_empty.text()}")
    print(f"  alembic loop, per target, no-op:         {base_noop.text()}")
    print(
        f"  alembic loop over {n}: empty -> head {fmt(loop_empty)}, no-op {fmt(loop_noop)} ({how})"
    )
    results.raw[label] = {
        "targets": n,
        "netapps_empty": empty.values,
        "netapps_noop": noop.values,
        "netapps_status": status.values,
        "alembic_per_target_empty": base_empty.values,
        "alembic_per_target_noop": base_noop.values,
        "alembic_measured": measured,
    }
    tag = "" if full else f" [loop extrapolated from {measured}]"
    thousand = n == 1000
    results.add(
        Row(
            f"3. {label}: no-op",
            f"netapps {noop.text()}",
            f"{fmt(noop.median)}",
            "< 2 s" if goals and thousand else "(goal is for 1,000 tenants)" if goals else "-",
            (noop.median < 2) if goals and thousand else None,
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
    results.add(
        Row(
            f"3. {label}: empty->head, loop / netapps",
            f"loop {fmt(loop_empty)} vs netapps {fmt(empty.median)}{tag}",
            f"{ratio(loop_empty, empty.median):.1f}x",
            ">= 10x" if goals else "(no goal set)",
            ratio(loop_empty, empty.median) >= 10 if goals else None,
        )
    )
