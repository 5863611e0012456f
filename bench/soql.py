"""The SOQL engine's cost per page: a page of 2,000 records, first page (``run_query``) and a
following one (``query_more``), over 100,000 accounts on PostgreSQL, against the same SELECT
written by hand in SQLAlchemy Core and fetched through the same session.

    .venv/bin/python bench/soql.py [--reps 100] [--rows 100000] [--postgres URL]

The database is a clone of Salesforce's migrated template (netapps.testing), made on the
server given (default 127.0.0.1:5432, user postgres) and dropped at the end. Its rows come
from one ``INSERT … SELECT generate_series`` (untimed), then ANALYZE. The query:

    SELECT Id, Name, BillingCity, NumberOfEmployees, AnnualRevenue, CreatedDate FROM Account
    WHERE NumberOfEmployees >= 10 ORDER BY Name

Contenders, interleaved in rotating order, one session for all:

- **engine, first page**: ``run_query`` (parse, compile, the page's SELECT, COUNT for
  totalSize, a locator stored and committed, 2,000 records as JSON-ready dicts);
- **engine, query_more**: ``query_more`` at position 2,000 (the locator claimed and its life
  extended, parse, compile, the page's SELECT at OFFSET 2,000, records);
- **hand, page**: the same SELECT (same columns, ORDER BY name, id, LIMIT 2,000) in Core, rows
  fetched, nothing else; **hand, page at 2,000**: the same at OFFSET 2,000;
- **hand, page + count**: the page and the COUNT, what any answer with a totalSize needs;
- **hand, page as records**: the page turned into the API's records by hand (ids encoded,
  values through ``values.to_api``): the share of the work that is the answer's format.

The ratio engine / hand is the engine's overhead over fetching the same rows. Figures are
p50 and p99 of the repetitions in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "salesforce"))  # the tests' catalog over the CRM tables
try:
    from salesforce_crm.sobjects import ids
    from salesforce_crm.sobjects.values import to_api
    from salesforce_crm.soql import query_more, run_query
    from soql_catalog import ACCOUNT, CATALOG, accounts, async_url
    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
    from sqlalchemy.pool import NullPool

    from netapps.testing import TemplateCache
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/soql.py` (`make install` creates .venv)")

SOQL = (
    "SELECT Id, Name, BillingCity, NumberOfEmployees, AnnualRevenue, CreatedDate FROM Account "
    "WHERE NumberOfEmployees >= 10 ORDER BY Name"
)
OWNER = "0055g0000000001AAA"
API = "62.0"
PAGE = 2_000
#: The fields of the SELECT after Id, for the hand-made records.
FIELDS = [
    ACCOUNT.field(name)
    for name in ("Name", "BillingCity", "NumberOfEmployees", "AnnualRevenue", "CreatedDate")
]


def seed(url: Any, rows: int) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (name, billing_city, number_of_employees, annual_revenue,"
                " created_at) SELECT 'Account ' || lpad((g * 7919 % :rows)::text, 6, '0'),"
                " (ARRAY['Oslo', 'Rome', 'Kyiv', NULL])[1 + g % 4], g % 500, g * 10.5,"
                " now() - g * interval '1 minute' FROM generate_series(1, :rows) AS g"
            ),
            {"rows": rows},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE accounts"))
    engine.dispose()


def hand_page() -> Any:
    return (
        select(
            accounts.c.id,
            accounts.c.name,
            accounts.c.billing_city,
            accounts.c.number_of_employees,
            accounts.c.annual_revenue,
            accounts.c.created_at,
        )
        .where(accounts.c.number_of_employees >= 10)
        .order_by(accounts.c.name, accounts.c.id)
        .limit(PAGE)
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(url: Any, reps: int) -> dict[str, list[float]]:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    timings: dict[str, list[float]] = {}
    try:
        async with async_sessionmaker(engine)() as session:
            first = await run_query(
                session,
                CATALOG,
                SOQL,
                include_deleted=False,
                batch_size=PAGE,
                owner_id=OWNER,
                api_version=API,
            )
            locator = first["nextRecordsUrl"].rsplit("/", 1)[-1]
            assert len(first["records"]) == PAGE and locator.endswith(f"-{PAGE}")

            async def engine_first(session: AsyncSession) -> None:
                answer = await run_query(
                    session,
                    CATALOG,
                    SOQL,
                    include_deleted=False,
                    batch_size=PAGE,
                    owner_id=OWNER,
                    api_version=API,
                )
                assert len(answer["records"]) == PAGE

            async def engine_more(session: AsyncSession) -> None:
                answer = await query_more(
                    session, CATALOG, locator, owner_id=OWNER, api_version=API
                )
                assert len(answer["records"]) == PAGE

            async def hand(session: AsyncSession) -> None:
                assert len((await session.execute(hand_page())).all()) == PAGE

            async def hand_more(session: AsyncSession) -> None:
                rows = (await session.execute(hand_page().offset(PAGE))).all()
                assert len(rows) == PAGE

            async def hand_as_records(session: AsyncSession) -> None:
                rows = (await session.execute(hand_page())).all()
                records = [
                    {
                        "attributes": {
                            "type": "Account",
                            "url": f"/services/data/v{API}/sobjects/Account/"
                            + ids.encode("001", row[0]),
                        },
                        **{
                            field.name: to_api(field, value)
                            for field, value in zip(FIELDS, row[1:], strict=True)
                        },
                    }
                    for row in rows
                ]
                assert len(records) == PAGE

            async def hand_with_count(session: AsyncSession) -> None:
                await hand(session)
                count = (
                    select(func.count())
                    .select_from(accounts)
                    .where(accounts.c.number_of_employees >= 10)
                )
                (await session.execute(count)).scalar_one()

            contenders: dict[str, Callable[[AsyncSession], Awaitable[None]]] = {
                "engine, first page": engine_first,
                "engine, query_more": engine_more,
                "hand, page": hand,
                "hand, page at 2,000": hand_more,
                "hand, page + count": hand_with_count,
                "hand, page as records": hand_as_records,
            }
            for name, call in contenders.items():  # warm-up, untimed
                await call(session)
                timings[name] = []
            names = list(contenders)
            for rep in range(reps):
                turn = names[rep % len(names) :] + names[: rep % len(names)]
                for name in turn:
                    started = time.perf_counter()
                    await contenders[name](session)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    await session.commit()  # every contender starts a transaction afresh
    finally:
        await engine.dispose()
    return timings


def report(timings: dict[str, list[float]], rows: int, reps: int) -> None:
    print(f"SOQL page of {PAGE:,} over {rows:,} accounts, PostgreSQL, n={reps} (ms)")
    print(f"{'contender':<22} {'p50':>8} {'p99':>8}")
    for name, values in timings.items():
        print(f"{name:<22} {statistics.median(values):8.1f} {percentile(values, 0.99):8.1f}")
    first = statistics.median(timings["engine, first page"])
    more = statistics.median(timings["engine, query_more"])
    print(
        f"ratio first page / hand page + count: "
        f"{first / statistics.median(timings['hand, page + count']):.2f}"
    )
    print(f"ratio first page / hand page: {first / statistics.median(timings['hand, page']):.2f}")
    print(
        f"ratio query_more / hand page at 2,000: "
        f"{more / statistics.median(timings['hand, page at 2,000']):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    cache = TemplateCache(postgres=options.postgres, ahead=False)
    url = cache.create("salesforce", engine="postgresql")
    try:
        seed(url, options.rows)
        timings = asyncio.run(measure(url, options.reps))
    finally:
        cache.drop(url)
        cache.close()
    report(timings, options.rows, options.reps)


if __name__ == "__main__":
    main()
