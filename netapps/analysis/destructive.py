"""Whether a migration can destroy data, decided from the SQL that will run.

Each statement gets at most one verdict per object it touches (a :class:`Finding` with
category "destructive" and an effect):

* destroys-data: DROP TABLE / DROP COLUMN / DROP SCHEMA, any DROP ... CASCADE, TRUNCATE,
  DELETE without WHERE, a column type change that narrows (varchar(50) -> varchar(3), numeric
  precision or scale down, text -> varchar(n), bigint -> int), converts between unrelated types,
  or has a USING expression that computes something (``USING col::newtype`` is no USING);
* rewrites-data: UPDATE without WHERE, DELETE with a WHERE (selected rows), MERGE;
* opaque: what cannot be judged from the SQL text: dynamic SQL in a DO block (EXECUTE; the
  block's static statements are parsed and classified like any other), CALL, a SELECT that
  calls a function we do not know, a statement the parser rejects, and any statement kind this
  module does not classify. A reviewer must read those.

Statements on a table created earlier in the same migration are not destructive: it held no
data before the migration.

What no reading of SQL can see (the limits, also in the report): data changes made by Python
in an Alembic revision that never reach ``op`` (``op.get_bind().execute`` behind an
``as_sql`` check, raw driver calls, loops with conditions over fetched rows: offline rendering
runs only the offline branch), dynamic SQL inside functions created earlier and called later,
triggers fired by an innocent-looking INSERT, and ON DELETE CASCADE rules that make a
filtered DELETE reach other tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pglast
from pglast import ast, enums

from netapps.analysis.catalog import StatementView
from netapps.analysis.coltypes import column_type, compare, has_using
from netapps.analysis.findings import Effect, Finding
from netapps.analysis.parse import function_names, qualified, qualified_names
from netapps.analysis.rules import AT, OBJ, MigrationView

#: Statement kinds that create, grant, comment, insert or configure: never destructive.
HARMLESS: tuple[type[ast.Node], ...] = (
    ast.CreateStmt,
    ast.CreateTableAsStmt,
    ast.IndexStmt,
    ast.CreateSchemaStmt,
    ast.InsertStmt,
    ast.CommentStmt,
    ast.GrantStmt,
    ast.GrantRoleStmt,
    ast.VariableSetStmt,
    ast.VariableShowStmt,
    ast.CreateSeqStmt,
    ast.AlterSeqStmt,
    ast.CreateEnumStmt,
    ast.AlterEnumStmt,
    ast.ViewStmt,
    ast.CreateFunctionStmt,
    ast.CreateTrigStmt,
    ast.CreateExtensionStmt,
    ast.TransactionStmt,
    ast.LockStmt,
    ast.CreateDomainStmt,
    ast.CompositeTypeStmt,
    ast.RenameStmt,
    ast.AlterOwnerStmt,
    ast.AlterObjectSchemaStmt,
    ast.CreatePolicyStmt,
    ast.AlterDefaultPrivilegesStmt,
    ast.DefineStmt,
    ast.RefreshMatViewStmt,
    ast.VacuumStmt,
    ast.ReindexStmt,
    ast.ClusterStmt,
    ast.CopyStmt,
)

#: Functions a migration's SELECT may call without hiding what it does.
KNOWN_FUNCTIONS = frozenset(
    {
        "setval",
        "nextval",
        "currval",
        "set_config",
        "current_setting",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_advisory_unlock",
        "pg_try_advisory_lock",
        "now",
        "count",
        "max",
        "min",
        "coalesce",
        "version",
        "pg_get_serial_sequence",
    }
)

Classifier = Callable[[MigrationView, StatementView], Iterator[Finding]]


def destructive(view: MigrationView) -> list[Finding]:
    findings: list[Finding] = []
    for sv in view.statements:
        findings.extend(classify(view, sv))
    return findings


def classify(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    if node is None:
        yield _finding(
            view,
            sv,
            "unparseable-statement",
            "opaque",
            f"PostgreSQL's parser rejects this statement ({sv.statement.error})",
            "its effect cannot be judged; it will also fail on PostgreSQL as written",
        )
        return
    for kind, classifier in CLASSIFIERS:
        if isinstance(node, kind):
            yield from classifier(view, sv)
            return
    if not isinstance(node, HARMLESS):
        yield _finding(
            view,
            sv,
            "unclassified-statement",
            "opaque",
            f"{type(node).__name__} is not a statement kind the analysis classifies",
            "a reviewer must read it",
        )


def _finding(
    view: MigrationView,
    sv: StatementView,
    rule: str,
    effect: Effect,
    message: str,
    recipe: str,
    table: str | None = None,
) -> Finding:
    why = {
        "destroys-data": "data that exists before the migration is lost and only a backup "
        "brings it back",
        "rewrites-data": "existing rows are changed or removed; undoing it needs a backup",
        "opaque": "what it does to data cannot be read from its SQL",
    }[effect]
    return view.finding(
        sv,
        rule,
        category="destructive",
        effect=effect,
        message=message,
        why=why,
        recipe=recipe,
        table=table,
    )


def _drop(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.DropStmt)
    cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
    for names in node.objects or ():
        if node.removeType == OBJ.OBJECT_TABLE:
            table = qualified_names(names)
            if sv.existing(table):
                yield _finding(
                    view,
                    sv,
                    "drop-table",
                    "destroys-data",
                    f"drops table {table} and every row in it"
                    + (" (CASCADE: and what depends on it)" if cascade else ""),
                    "back up first; production needs --allow-destructive",
                    table,
                )
        elif node.removeType == OBJ.OBJECT_SCHEMA:
            schema = str(getattr(names, "sval", names))
            yield _finding(
                view,
                sv,
                "drop-schema",
                "destroys-data",
                f"drops schema {schema}"
                + (
                    " and every table in it (CASCADE)" if cascade else " (fails unless it is empty)"
                ),
                "back up first; production needs --allow-destructive",
            )
        elif cascade and node.removeType != OBJ.OBJECT_INDEX:
            yield _finding(
                view,
                sv,
                "drop-cascade",
                "destroys-data",
                f"DROP {_object_kind(node.removeType)} ... CASCADE also "
                "drops what depends on it (columns of that type, views, defaults)",
                "drop the dependents explicitly, so the migration says what goes",
            )


def _object_kind(kind: enums.ObjectType | None) -> str:
    return kind.name.removeprefix("OBJECT_").replace("_", " ") if kind is not None else "?"


def _alter_table(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.AlterTableStmt)
    table = qualified(node.relation)
    if not sv.existing(table):
        return
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        definition = cmd.def_
        if cmd.subtype == AT.AT_DropColumn:
            yield _finding(
                view,
                sv,
                "drop-column",
                "destroys-data",
                f"drops column {table}.{cmd.name} and its values",
                "back up first; production needs --allow-destructive",
                table,
            )
        elif (
            cmd.subtype == AT.AT_AlterColumnType
            and isinstance(definition, ast.ColumnDef)
            and definition.typeName is not None
            and cmd.name
        ):
            change = compare(
                sv.before.column_type(table, cmd.name),
                column_type(definition.typeName),
                using=has_using(definition, cmd.name),
            )
            if change.lossy:
                yield _finding(
                    view,
                    sv,
                    "narrow-column-type",
                    "destroys-data",
                    f"{table}.{cmd.name} type {change.description}: {change.reason}",
                    "check the data fits first (SELECT ... WHERE length(col) > n); prefer a new "
                    "column and a backfill; production needs --allow-destructive",
                    table,
                )


def _truncate(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.TruncateStmt)
    for relation in node.relations or ():
        if isinstance(relation, ast.RangeVar) and sv.existing(qualified(relation)):
            yield _finding(
                view,
                sv,
                "truncate",
                "destroys-data",
                f"empties table {qualified(relation)}",
                "back up first; production needs --allow-destructive",
                qualified(relation),
            )


def _delete(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.DeleteStmt)
    table = qualified(node.relation)
    if not sv.existing(table):
        return
    if node.whereClause is None:
        yield _finding(
            view,
            sv,
            "delete-all-rows",
            "destroys-data",
            f"DELETE without WHERE empties {table}",
            "add the WHERE that says which rows go; back up first",
            table,
        )
    else:
        yield _finding(
            view,
            sv,
            "delete-rows",
            "rewrites-data",
            f"deletes the rows of {table} that match its WHERE",
            "make sure the WHERE selects only rows the migration owns",
            table,
        )


def _update(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.UpdateStmt)
    table = qualified(node.relation)
    if sv.existing(table) and node.whereClause is None:
        yield _finding(
            view,
            sv,
            "update-all-rows",
            "rewrites-data",
            f"UPDATE without WHERE rewrites every row of {table}",
            "backfill in batches with a WHERE (also keeps row locks and WAL small)",
            table,
        )


def _merge(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    node = sv.statement.node
    assert isinstance(node, ast.MergeStmt)
    yield _finding(
        view,
        sv,
        "merge",
        "rewrites-data",
        f"MERGE into {qualified(node.relation)} updates or deletes matching rows",
        "review its WHEN clauses",
        qualified(node.relation),
    )


def _call(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    yield _finding(
        view,
        sv,
        "opaque-statement",
        "opaque",
        "CALL of a procedure: what it runs is defined elsewhere",
        "move its DDL and data changes into plain statements, or review it by hand",
    )


def _do_block(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    """A DO block's static SQL is parsed (PL/pgSQL, by pglast) and classified like any
    statement, whatever IF it sits in; dynamic SQL (EXECUTE) and other languages are opaque."""
    node = sv.statement.node
    assert isinstance(node, ast.DoStmt)
    inner = plpgsql_statements(node)
    if inner is None:
        yield _finding(
            view,
            sv,
            "opaque-statement",
            "opaque",
            "DO block whose body cannot be read (not PL/pgSQL, or it does not parse)",
            "move its DDL and data changes into plain statements, or review it by hand",
        )
        return
    sql_texts, dynamic = inner
    for text in sql_texts:
        try:
            nodes = [raw.stmt for raw in pglast.parse_sql(text) if raw.stmt is not None]
        except pglast.Error:
            dynamic = True
            continue
        for inner_node in nodes:
            statement = dataclasses.replace(sv.statement, node=inner_node)
            inner_view = dataclasses.replace(sv, statement=statement)
            for finding in classify(view, inner_view):
                yield dataclasses.replace(finding, message=f"in a DO block: {finding.message}")
    if dynamic:
        yield _finding(
            view,
            sv,
            "opaque-statement",
            "opaque",
            "DO block runs dynamic SQL (EXECUTE): the statement is built at run time",
            "write the statements out, or review the block by hand",
        )


def plpgsql_statements(node: ast.DoStmt) -> tuple[list[str], bool] | None:
    """(the static SQL statements in a DO block's body, whether it also runs dynamic SQL), or
    None when the body is not PL/pgSQL that parses."""
    body: str | None = None
    language = "plpgsql"
    for arg in node.args or ():
        if isinstance(arg, ast.DefElem) and isinstance(arg.arg, ast.String):
            if arg.defname == "as":
                body = arg.arg.sval
            elif arg.defname == "language":
                language = (arg.arg.sval or "").lower()
    if body is None or language != "plpgsql":
        return None
    tag = "$netapps_do$"
    if tag in body:
        return None
    wrapper = (
        f"CREATE FUNCTION pg_temp.do_block() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}"
    )
    try:
        tree = pglast.parse_plpgsql(wrapper)
    except pglast.Error:
        return None
    statements: list[str] = []
    dynamic = False

    def walk(item: object) -> None:
        nonlocal dynamic
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "PLpgSQL_stmt_execsql":
                    query = value.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query")
                    if isinstance(query, str):
                        statements.append(query)
                elif key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors") or (
                    key == "PLpgSQL_stmt_open" and "dynquery" in value
                ):
                    dynamic = True
                walk(value)
        elif isinstance(item, list):
            for element in item:
                walk(element)

    walk(tree)
    return statements, dynamic


def _select(view: MigrationView, sv: StatementView) -> Iterator[Finding]:
    unknown = sorted(set(function_names(sv.statement.node)) - KNOWN_FUNCTIONS)
    if unknown:
        yield _finding(
            view,
            sv,
            "opaque-statement",
            "opaque",
            f"SELECT calls {', '.join(f'{n}()' for n in unknown)}: a function may change data",
            "review what the function does",
        )


CLASSIFIERS: tuple[tuple[type[ast.Node], Classifier], ...] = (
    (ast.DropStmt, _drop),
    (ast.AlterTableStmt, _alter_table),
    (ast.TruncateStmt, _truncate),
    (ast.DeleteStmt, _delete),
    (ast.UpdateStmt, _update),
    (ast.MergeStmt, _merge),
    (ast.DoStmt, _do_block),
    (ast.CallStmt, _call),
    (ast.SelectStmt, _select),
)
