"""The checks every app's schema gets, on SQLite and PostgreSQL; each app brings a `Spec`.

An app's test module holds its data — the tables and columns docs/SCHEMAS.md names, rows that must
be unique, values outside the closed sets, seed rows, server defaults, ON DELETE cases — and
runs the checks with ``class TestAppSchema(SchemaChecks): spec = Spec(...)``.

Rows are dicts of column values; a value ``"{name}"`` stands for the id of the seed row saved
under ``name`` (see `Spec.seed`). Tables are named as in docs/SCHEMAS.md (``core.tickets``); SQLite,
which has no schemas, holds them under their bare name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import pytest
from sqlalchemy import Connection, Dialect, ForeignKeyConstraint, MetaData, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import conv
from support import connect, downgrade, inspector, table, upgrade

from appdb.engine import flatten_for

Row = dict[str, Any]
#: The ``migrated`` fixture (tests/conftest.py): ``migrated(app, revision="head")`` -> URL of a
#: new database of the app, migrated, on the parametrised engine.
Migrated = Callable[..., URL]
# Tables that are not the app's: Alembic's version table and netapps' migration ledger.
BOOKKEEPING = ("alembic_", "netapps_")
NOT_NULL = object()  # an expected default: any value but NULL


class Insert(NamedTuple):
    table: str
    row: Row


class Delete(NamedTuple):
    table: str
    where: Row


class Refused(NamedTuple):
    """A delete that an ON DELETE RESTRICT rule refuses."""

    table: str
    where: Row


class Count(NamedTuple):
    """``where`` matches ``n`` rows; a None value matches NULL."""

    table: str
    where: Row
    n: int


Step = Insert | Delete | Refused | Count


@dataclass(frozen=True)
class Spec:
    app: str
    metadata: MetaData
    #: Every table with the columns it must have (it may have more).
    tables: dict[str, set[str]]
    #: (table, a valid row): inserting the row twice must fail.
    unique_rows: list[tuple[str, Row]]
    #: (table, a valid row, column, a value outside its closed set).
    bad_values: list[tuple[str, Row, str, Any]]
    #: (name or None, table, row), inserted in order before the data checks; a named row's
    #: ``id`` can be referred to as ``"{name}"``.
    seed: list[tuple[str | None, str, Row]]
    #: (table, where, {column: expected}) for seed rows that left those columns out.
    defaults: list[tuple[str, Row, Row]]
    #: ON DELETE rules at work, one step a transaction, after the seed.
    cascades: list[Step]
    #: The schemas the models use (SQLite maps them away).
    schemas: tuple[str, ...] = ()


def qualified(url: URL, name: str) -> str:
    schema, table_name = table(url, name)
    return f"{schema}.{table_name}" if schema else table_name


@contextmanager
def fk_connection(url: URL, schemas: tuple[str, ...] = ()) -> Iterator[Connection]:
    """A connection that enforces foreign keys (SQLite needs the pragma, outside a transaction)."""
    with connect(url, schemas) as conn:
        if url.get_backend_name() == "sqlite":
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.rollback()
        yield conn


def _values(row: Row, refs: Row) -> Row:
    return {
        k: refs[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in row.items()
    }


def insert(
    conn: Connection, name: str, row: Row, refs: Row | None = None, returning: str | None = None
) -> Any:
    values = _values(row, refs or {})
    names = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    sql = f"INSERT INTO {qualified(conn.engine.url, name)} ({names}) VALUES ({params})"
    if returning is None:
        conn.execute(text(sql), values)
        return None
    return conn.execute(text(f"{sql} RETURNING {returning}"), values).scalar_one()


def _where(where: Row) -> str:
    return " AND ".join(f"{k} IS NULL" if v is None else f"{k} = :{k}" for k, v in where.items())


def count(conn: Connection, name: str, where: Row, refs: Row | None = None) -> int:
    values = {k: v for k, v in _values(where, refs or {}).items() if v is not None}
    sql = f"SELECT count(*) FROM {qualified(conn.engine.url, name)} WHERE {_where(where)}"
    return int(conn.execute(text(sql), values).scalar_one())


def delete(conn: Connection, name: str, where: Row, refs: Row | None = None) -> None:
    sql = f"DELETE FROM {qualified(conn.engine.url, name)} WHERE {_where(where)}"
    conn.execute(text(sql), _values(where, refs or {}))


def seed(conn: Connection, spec: Spec) -> Row:
    refs: Row = {}
    with conn.begin():
        for ref, name, row in spec.seed:
            saved = insert(conn, name, row, refs, returning=None if ref is None else "id")
            if ref is not None:
                refs[ref] = saved
    return refs


def run_steps(conn: Connection, steps: list[Step], refs: Row | None = None) -> None:
    """Each step in a transaction of its own; a `Refused` delete must fail."""
    for step in steps:
        if isinstance(step, Refused):
            with pytest.raises(IntegrityError), conn.begin():
                delete(conn, step.table, step.where, refs)
            continue
        with conn.begin():
            if isinstance(step, Insert):
                insert(conn, step.table, step.row, refs)
            elif isinstance(step, Delete):
                delete(conn, step.table, step.where, refs)
            else:
                assert count(conn, step.table, step.where, refs) == step.n, step


def fitted_to(dialect: Dialect) -> Callable[[str | None], str | None]:
    """A model's constraint name as ``dialect`` stores it: PostgreSQL shortens a name past
    63 characters to 55 and a hash, as SQLAlchemy does when it creates the constraint."""
    preparer = dialect.identifier_preparer

    def fit(name: str | None) -> str | None:
        if name is None:
            return None
        return preparer.truncate_and_render_constraint_name(conv(name), _alembic_quote=False)

    return fit


def describe(
    insp: Any, url: URL, names: list[str], fit: Callable[[str | None], str | None] = lambda n: n
) -> dict[str, Any]:
    """Names of every constraint and index of ``names``, and each FK's ON DELETE."""
    out: dict[str, Any] = {}
    for name in names:
        schema, t = table(url, name)
        out[name] = {
            "pk": fit(insp.get_pk_constraint(t, schema=schema)["name"]),
            "uq": sorted(
                (fit(u["name"]), tuple(u["column_names"]))
                for u in insp.get_unique_constraints(t, schema=schema)
            ),
            "ix": sorted(  # PostgreSQL also lists the indexes behind unique constraints
                (fit(i["name"]), tuple(i["column_names"]))
                for i in insp.get_indexes(t, schema=schema)
                if not i.get("duplicates_constraint")
            ),
            "ck": sorted(fit(c["name"]) for c in insp.get_check_constraints(t, schema=schema)),
            "fk": sorted(
                (
                    fit(f["name"]),
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    f["options"].get("ondelete"),
                )
                for f in insp.get_foreign_keys(t, schema=schema)
            ),
        }
    return out


class SchemaChecks:
    """The matrix: every test here runs for each app's subclass, on both engines."""

    spec: ClassVar[Spec]

    def test_tables_and_columns(self, migrated: Migrated) -> None:
        spec = self.spec
        db_url = migrated(spec.app)
        with inspector(db_url) as insp:
            for name, wanted in spec.tables.items():
                schema, t = table(db_url, name)
                assert insp.has_table(t, schema=schema), f"missing {name}"
                present = {c["name"] for c in insp.get_columns(t, schema=schema)}
                assert wanted <= present, f"{name} lacks {sorted(wanted - present)}"
            expected = {table(db_url, name) for name in spec.tables}
            for schema in {s for s, _ in expected}:  # and no other tables but bookkeeping
                others = {(schema, t) for t in insp.get_table_names(schema=schema)} - expected
                assert all(t.startswith(BOOKKEEPING) for _, t in others), others

    def test_migration_creates_what_the_models_describe(
        self, migrated: Migrated, tmp_path: Path
    ) -> None:
        """Names of every constraint and index, and each FK's ON DELETE, as the models say —
        including CHECK constraints, which `alembic check` does not compare."""
        spec = self.spec
        db_url = migrated(spec.app)
        models_url = make_url(f"sqlite:///{tmp_path / 'models.db'}")
        names = list(spec.tables)
        with connect(models_url) as models_conn:
            flatten_for(models_url, spec.metadata).create_all(models_conn)
            models_conn.commit()
            with connect(db_url, spec.schemas) as conn:
                migrated = describe(inspect(conn), db_url, names)
                fit = fitted_to(conn.dialect)
                modelled = describe(inspect(models_conn), models_url, names, fit)
        differences = {
            (name, kind): (migrated[name][kind], modelled[name][kind])
            for name in names
            for kind in migrated[name]
            if migrated[name][kind] != modelled[name][kind]
        }
        assert not differences, f"(migrated, models) differ: {differences}"
        for model in spec.metadata.sorted_tables:  # every reference has an explicit rule
            for fk in model.constraints:
                if isinstance(fk, ForeignKeyConstraint):
                    assert fk.ondelete in {"CASCADE", "SET NULL", "RESTRICT"}, fk.name

    @contextmanager
    def seeded(self, migrated: Migrated) -> Iterator[tuple[Connection, Row]]:
        """The app at head with its seed rows, on a connection that enforces foreign keys."""
        db_url = migrated(self.spec.app)
        with fk_connection(db_url, self.spec.schemas) as conn:
            yield conn, seed(conn, self.spec)

    def test_unique_constraints_reject_duplicates(self, migrated: Migrated) -> None:
        with self.seeded(migrated) as (conn, refs):
            for name, row in self.spec.unique_rows:
                with conn.begin():
                    insert(conn, name, row, refs)
                with pytest.raises(IntegrityError), conn.begin():
                    insert(conn, name, row, refs)

    def test_check_constraints_reject_values_outside_the_closed_sets(
        self, migrated: Migrated
    ) -> None:
        with self.seeded(migrated) as (conn, refs):
            for name, row, column, bad in self.spec.bad_values:
                with pytest.raises(IntegrityError), conn.begin():
                    insert(conn, name, {**row, column: bad}, refs)
                with conn.begin():  # the same row without the bad value is accepted
                    insert(conn, name, row, refs)

    def test_server_defaults(self, migrated: Migrated) -> None:
        with self.seeded(migrated) as (conn, refs):
            db_url = conn.engine.url
            for name, where, expected in self.spec.defaults:
                columns = ", ".join(expected)
                sql = f"SELECT {columns} FROM {qualified(db_url, name)} WHERE {_where(where)}"
                row = conn.execute(text(sql), _values(where, refs)).one()._asdict()
                for column, value in expected.items():
                    if value is NOT_NULL:
                        assert row[column] is not None, (name, column)
                    else:  # == : True and 1, False and 0 are equal (SQLite has no booleans)
                        assert row[column] == value, (name, column, row[column], value)

    def test_foreign_key_rules_on_delete(self, migrated: Migrated) -> None:
        with self.seeded(migrated) as (conn, refs):
            run_steps(conn, self.spec.cascades, refs)

    def test_downgrade_removes_every_table(self, db_url: URL) -> None:
        spec = self.spec
        upgrade(spec.app, db_url)
        downgrade(spec.app, db_url, "base")
        with inspector(db_url) as insp:
            tables = set(insp.get_table_names())
            left = tables & {name.rpartition(".")[2] for name in spec.tables}
            assert not left, f"left behind: {sorted(left)}"
            assert all(t.startswith(BOOKKEEPING) for t in tables), tables
            if db_url.get_backend_name() == "postgresql":
                schemas = set(spec.schemas) & set(insp.get_schema_names())
                assert not schemas, f"schemas left behind: {sorted(schemas)}"
