"""Which column type changes rewrite the table, as coltypes predicts them, checked against a
real PostgreSQL: the table's relfilenode changes exactly when the table is rewritten."""

from __future__ import annotations

import pglast
import psycopg
import pytest
from pglast import ast
from sqlalchemy.engine import URL

from netapps.analysis.coltypes import column_type, compare, has_using

# (old type, new type, USING expression or None)
CHANGES = [
    ("varchar(10)", "varchar(20)", None),
    ("varchar(10)", "text", None),
    ("text", "varchar", None),
    ("varchar(10)", "varchar(5)", None),
    ("text", "varchar(20)", None),
    ("numeric(10, 2)", "numeric(12, 2)", None),
    ("numeric(10, 2)", "numeric", None),
    ("numeric(10, 2)", "numeric(12, 4)", None),
    ("numeric(10, 2)", "numeric(8, 2)", None),
    ("integer", "bigint", None),
    ("bigint", "integer", None),
    ("smallint", "integer", None),
    ("real", "double precision", None),
    ("char(2)", "char(4)", None),
    ("varchar(10)", "varchar(20)", "c::varchar(20)"),
    ("varchar(10)", "varchar(20)", "upper(c)"),
    ("integer", "bigint", "c * 2"),
    ("integer", "text", None),
]


def _type(sql_type: str) -> ast.TypeName:
    node = pglast.parse_sql(f"CREATE TABLE t (c {sql_type})")[0].stmt
    assert isinstance(node, ast.CreateStmt) and node.tableElts
    column = node.tableElts[0]
    assert isinstance(column, ast.ColumnDef) and column.typeName is not None
    return column.typeName


def test_rewrite_predictions_match_postgresql(pg_database: URL) -> None:
    with psycopg.connect(
        host=pg_database.host,
        port=pg_database.port,
        user=pg_database.username,
        dbname=pg_database.database,
        autocommit=True,
    ) as conn:
        for number, (old, new, using) in enumerate(CHANGES):
            table = f"t{number}"
            conn.execute(f"CREATE TABLE {table} (c {old})")
            conn.execute(f"INSERT INTO {table} VALUES ('1')")
            before = conn.execute(f"SELECT pg_relation_filenode('{table}')").fetchone()
            clause = f" USING {using}" if using else ""
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN c TYPE {new}{clause}")
            after = conn.execute(f"SELECT pg_relation_filenode('{table}')").fetchone()
            statement = pglast.parse_sql(f"ALTER TABLE t ALTER COLUMN c TYPE {new}{clause}")[0]
            assert isinstance(statement.stmt, ast.AlterTableStmt) and statement.stmt.cmds
            definition = statement.stmt.cmds[0].def_
            predicted = compare(
                column_type(_type(old)), column_type(_type(new)), has_using(definition, "c")
            )
            assert predicted.rewrites == (before != after), (old, new, using)


@pytest.mark.parametrize(
    ("old", "new", "lossy"),
    [
        ("varchar(50)", "varchar(3)", True),
        ("varchar(50)", "varchar(50)", False),
        ("varchar(50)", "text", False),
        ("text", "varchar(10)", True),
        ("numeric(15, 2)", "numeric(15, 0)", True),
        ("numeric(15, 2)", "numeric(10, 2)", True),
        ("numeric(15, 2)", "numeric(17, 2)", False),
        ("bigint", "integer", True),
        ("integer", "bigint", False),
        ("timestamp", "timestamptz", False),
        ("varchar(20)", "integer", True),
    ],
)
def test_lossy_changes(old: str, new: str, lossy: bool) -> None:
    assert compare(column_type(_type(old)), column_type(_type(new))).lossy is lossy
