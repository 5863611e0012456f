"""Lock-aware lint rules: statements that block reads or writes on a table that exists.

One function per rule, registered by :func:`rule` under its id; each receives the migration's
statements with the catalog before each one (:class:`MigrationView`) and yields findings. To
add a rule, write a function and decorate it; :data:`RULES` is the registry that
:func:`lint` runs. A statement on a table created earlier in the same migration is never
flagged: the table is new and empty, and no running code uses it yet.

Lock modes are PostgreSQL's (https://www.postgresql.org/docs/current/explicit-locking.html):
SHARE blocks writes, SHARE ROW EXCLUSIVE blocks writes (and other such locks), ACCESS EXCLUSIVE
blocks everything including reads. Each finding says which one the statement takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pglast import ast, enums

from netapps.analysis.catalog import StatementView
from netapps.analysis.coltypes import column_type, compare, has_using
from netapps.analysis.findings import Category, Effect, Finding
from netapps.analysis.parse import function_names, qualified, qualified_names, string_constants
from netapps.analysis.render import RenderedMigration

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"

AT = enums.AlterTableType
CONSTR = enums.ConstrType
OBJ = enums.ObjectType


@dataclass(frozen=True)
class LintOptions:
    #: netapps sets lock_timeout on the migration connection itself: the missing-lock-timeout
    #: rule then has nothing to say.
    runner_sets_lock_timeout: bool = False


@dataclass(frozen=True)
class MigrationView:
    migration: RenderedMigration
    statements: tuple[StatementView, ...]

    def finding(
        self,
        view: StatementView,
        rule: str,
        *,
        message: str,
        why: str,
        recipe: str,
        table: str | None = None,
        lock: str | None = None,
        category: Category = "lock",
        effect: Effect | None = None,
    ) -> Finding:
        statement = view.statement
        return Finding(
            rule=rule,
            category=category,
            migration=self.migration.id,
            path=self.migration.relpath,
            statement=statement.text,
            statement_index=statement.index,
            line=statement.line,
            column=statement.column,
            source_line=statement.source_line,
            fingerprint=statement.fingerprint,
            message=message,
            why=why,
            recipe=recipe,
            table=table,
            lock=lock,
            effect=effect,
            direction=self.migration.direction,
        )


Rule = Callable[[MigrationView, LintOptions], Iterator[Finding]]

#: rule id -> rule, in the order they run.
RULES: dict[str, Rule] = {}


def rule(rule_id: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        if rule_id in RULES:
            raise ValueError(f"lint rule {rule_id!r} is registered twice")
        RULES[rule_id] = function
        return function

    return register


def lint(
    view: MigrationView, options: LintOptions, only: tuple[str, ...] | None = None
) -> list[Finding]:
    findings: list[Finding] = []
    for rule_id, function in RULES.items():
        if only is None or rule_id in only:
            findings.extend(function(view, options))
    return sorted(findings, key=lambda f: (f.statement_index, f.rule))


# --------------------------------------------------------------------------------- helpers


def alter_commands(view: StatementView) -> Iterator[tuple[str, ast.AlterTableCmd]]:
    """(table, command) of an ALTER TABLE on a table that exists before the migration."""
    node = view.statement.node
    if not isinstance(node, ast.AlterTableStmt) or node.objtype != OBJ.OBJECT_TABLE:
        return
    table = qualified(node.relation)
    if not view.existing(table):
        return
    for cmd in node.cmds or ():
        if isinstance(cmd, ast.AlterTableCmd):
            yield table, cmd


def added_constraints(cmd: ast.AlterTableCmd) -> Iterator[tuple[ast.Constraint, bool]]:
    """Constraints an ALTER TABLE command adds: (constraint, inline in ADD COLUMN)."""
    definition = cmd.def_
    if cmd.subtype == AT.AT_AddConstraint and isinstance(definition, ast.Constraint):
        yield definition, False
    elif cmd.subtype == AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
        for constraint in definition.constraints or ():
            if isinstance(constraint, ast.Constraint):
                yield constraint, True


def _column_of(cmd: ast.AlterTableCmd) -> str:
    definition = cmd.def_
    if isinstance(definition, ast.ColumnDef) and definition.colname:
        return definition.colname
    return cmd.name or "?"


# ----------------------------------------------------------------------------------- rules


@rule("create-index-non-concurrently")
def create_index(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        node = sv.statement.node
        if isinstance(node, ast.IndexStmt) and not node.concurrent:
            table = qualified(node.relation)
            if sv.existing(table):
                yield view.finding(
                    sv,
                    "create-index-non-concurrently",
                    message=f"CREATE INDEX on existing table {table} without CONCURRENTLY",
                    table=table,
                    lock=SHARE,
                    why="blocks every INSERT, UPDATE and DELETE on the table while the whole "
                    "index is built",
                    recipe="CREATE INDEX CONCURRENTLY in a migration of its own that runs "
                    "outside a transaction (Alembic: inside op.get_context().autocommit_block()); "
                    "if it fails, DROP INDEX CONCURRENTLY the invalid index and retry",
                )


@rule("drop-index-non-concurrently")
def drop_index(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        node = sv.statement.node
        if not (
            isinstance(node, ast.DropStmt)
            and node.removeType == OBJ.OBJECT_INDEX
            and not node.concurrent
        ):
            continue
        for names in node.objects or ():
            index = sv.before.resolve_index(qualified_names(names))
            table = sv.before.indexes.get(index)
            if index in sv.new_indexes or (table is not None and not sv.existing(table)):
                continue
            yield view.finding(
                sv,
                "drop-index-non-concurrently",
                message=f"DROP INDEX {index} without CONCURRENTLY",
                table=table,
                lock=ACCESS_EXCLUSIVE,
                why="locks the index's table against reads and writes until the drop commits, "
                "and queues behind every running query on it",
                recipe="DROP INDEX CONCURRENTLY in a migration of its own that runs outside a "
                "transaction (Alembic: inside op.get_context().autocommit_block())",
            )


@rule("add-foreign-key-validated")
def add_foreign_key(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            for constraint, inline in added_constraints(cmd):
                if constraint.contype != CONSTR.CONSTR_FOREIGN:
                    continue
                if constraint.skip_validation and not inline:
                    continue
                referenced = qualified(constraint.pktable)
                name = constraint.conname or _column_of(cmd)
                yield view.finding(
                    sv,
                    "add-foreign-key-validated",
                    message=f"foreign key {name} on existing table {table} -> {referenced} "
                    + ("added with its column" if inline else "without NOT VALID"),
                    table=table,
                    lock=SHARE_ROW_EXCLUSIVE,
                    why=f"blocks writes on {table} and {referenced} while every existing row "
                    "is checked against the referenced table",
                    recipe="ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant), then "
                    "ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (takes only "
                    "SHARE UPDATE EXCLUSIVE: reads and writes go on)"
                    + ("; add the column first, without REFERENCES" if inline else ""),
                )


@rule("add-check-validated")
def add_check(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            for constraint, inline in added_constraints(cmd):
                if constraint.contype != CONSTR.CONSTR_CHECK:
                    continue
                if constraint.skip_validation and not inline:
                    continue
                name = constraint.conname or _column_of(cmd)
                yield view.finding(
                    sv,
                    "add-check-validated",
                    message=f"CHECK {name} on existing table {table} "
                    + (f"added with column {_column_of(cmd)}" if inline else "without NOT VALID"),
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="blocks reads and writes on the table while every existing row is checked",
                    recipe="add the column without the constraint, then ADD CONSTRAINT ... "
                    "CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration "
                    "(SHARE UPDATE EXCLUSIVE: reads and writes go on)",
                )


@rule("add-unique-constraint")
def add_unique(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    kinds = {CONSTR.CONSTR_UNIQUE: "UNIQUE", CONSTR.CONSTR_PRIMARY: "PRIMARY KEY"}
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            for constraint, _inline in added_constraints(cmd):
                kind = kinds.get(constraint.contype) if constraint.contype else None
                if kind is None or constraint.indexname:
                    continue
                yield view.finding(
                    sv,
                    "add-unique-constraint",
                    message=f"{kind} constraint on existing table {table} builds its index "
                    "under the table lock",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="blocks reads and writes on the table while the unique index is built",
                    recipe="CREATE UNIQUE INDEX CONCURRENTLY (outside a transaction), then "
                    f"ALTER TABLE ... ADD CONSTRAINT name {kind} USING INDEX index_name",
                )


@rule("set-not-null")
def set_not_null(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            if cmd.subtype == AT.AT_SetNotNull:
                yield view.finding(
                    sv,
                    "set-not-null",
                    message=f"SET NOT NULL on {table}.{cmd.name}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="blocks reads and writes while the whole table is scanned for NULLs",
                    recipe=f"ADD CONSTRAINT ... CHECK ({cmd.name} IS NOT NULL) NOT VALID; "
                    "VALIDATE CONSTRAINT in a later migration; then SET NOT NULL (PostgreSQL "
                    "12+ skips the scan given the valid check) and drop the check",
                )


@rule("column-type-rewrite")
def column_type_rewrite(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            definition = cmd.def_
            if not (
                cmd.subtype == AT.AT_AlterColumnType
                and isinstance(definition, ast.ColumnDef)
                and definition.typeName is not None
                and cmd.name
            ):
                continue
            change = compare(
                sv.before.column_type(table, cmd.name),
                column_type(definition.typeName),
                using=has_using(definition, cmd.name),
            )
            if change.rewrites:
                yield view.finding(
                    sv,
                    "column-type-rewrite",
                    message=f"{table}.{cmd.name} type {change.description}: {change.reason}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="rewrites the whole table (and rebuilds its indexes) while blocking "
                    "reads and writes",
                    recipe="add a new column of the new type, backfill it in batches, switch "
                    "the code to it, then drop the old column; or pick a binary-coercible "
                    "change (a longer varchar, varchar -> text, more numeric precision)",
                )


#: Functions that are not volatile: a default calling only these is evaluated once
#: (PostgreSQL 11+) and stored in the catalog, without a rewrite. now() is STABLE, so a
#: ``DEFAULT now()`` column gets the migration's timestamp in every existing row, no rewrite.
NON_VOLATILE = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "lower",
        "upper",
        "length",
        "concat",
        "to_char",
        "to_date",
        "to_timestamp",
        "make_interval",
        "make_date",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "array_length",
        "abs",
        "round",
        "trim",
        "btrim",
        "replace",
        "substring",
        "left",
        "right",
    }
)


@rule("add-column-volatile-default")
def add_column_rewrite(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            definition = cmd.def_
            if cmd.subtype != AT.AT_AddColumn or not isinstance(definition, ast.ColumnDef):
                continue
            cause = _rewrite_cause(definition)
            if cause:
                yield view.finding(
                    sv,
                    "add-column-volatile-default",
                    message=f"ADD COLUMN {table}.{definition.colname} with {cause}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="the value is computed for every existing row: the whole table is "
                    "rewritten while reads and writes are blocked",
                    recipe="add the column without a default (or with a constant one), set the "
                    "default with ALTER COLUMN ... SET DEFAULT for new rows, and backfill "
                    "existing rows in batches",
                )


def _rewrite_cause(column: ast.ColumnDef) -> str | None:
    names = (
        [str(getattr(n, "sval", "")) for n in (column.typeName.names or ())]
        if column.typeName
        else []
    )
    if names and names[-1].lower() in (
        "serial",
        "bigserial",
        "smallserial",
        "serial2",
        "serial4",
        "serial8",
    ):
        return f"type {names[-1]} (a nextval() default)"
    for constraint in column.constraints or ():
        if not isinstance(constraint, ast.Constraint):
            continue
        if constraint.contype == CONSTR.CONSTR_DEFAULT:
            volatile = sorted(set(function_names(constraint.raw_expr)) - NON_VOLATILE)
            if volatile:
                return f"a volatile default ({', '.join(f'{name}()' for name in volatile)})"
        elif constraint.contype == CONSTR.CONSTR_IDENTITY:
            return "GENERATED ... AS IDENTITY (every row gets a value)"
        elif constraint.contype == CONSTR.CONSTR_GENERATED:
            return "GENERATED ALWAYS AS (...) STORED (computed for every row)"
    return None


@rule("rename-column")
def rename_column(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    yield from _renames(view, OBJ.OBJECT_COLUMN)


@rule("rename-table")
def rename_table(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    yield from _renames(view, OBJ.OBJECT_TABLE)


def _renames(view: MigrationView, kind: enums.ObjectType) -> Iterator[Finding]:
    what = "column" if kind == OBJ.OBJECT_COLUMN else "table"
    for sv in view.statements:
        node = sv.statement.node
        if not isinstance(node, ast.RenameStmt) or node.renameType != kind:
            continue
        table = qualified(node.relation)
        if not sv.existing(table):
            continue
        old = f"{table}.{node.subname}" if kind == OBJ.OBJECT_COLUMN else table
        yield view.finding(
            sv,
            f"rename-{what}",
            message=f"renames {what} {old} to {node.newname}",
            table=table,
            lock=ACCESS_EXCLUSIVE,
            why=f"code deployed before the migration still uses the old {what} name and fails "
            "from the moment it commits",
            recipe=f"expand and contract: add the new {what} (or a view), write to both, move "
            f"the code over, and drop the old {what} in a later release",
        )


@rule("drop-column-in-use")
def drop_column(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        for table, cmd in alter_commands(sv):
            if cmd.subtype == AT.AT_DropColumn:
                yield view.finding(
                    sv,
                    "drop-column-in-use",
                    message=f"drops column {table}.{cmd.name}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="code deployed before the migration may still read or write the column "
                    "(ORMs select every mapped column) and fails once it is gone",
                    recipe="release code that no longer uses the column first (remove it from "
                    "the models), then drop it in a later migration",
                )


@rule("drop-table-in-use")
def drop_table(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        node = sv.statement.node
        if not (isinstance(node, ast.DropStmt) and node.removeType == OBJ.OBJECT_TABLE):
            continue
        for names in node.objects or ():
            table = qualified_names(names)
            if sv.existing(table):
                yield view.finding(
                    sv,
                    "drop-table-in-use",
                    message=f"drops table {table}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="code deployed before the migration may still use the table and fails "
                    "once it is gone",
                    recipe="release code that no longer uses the table first, then drop it in "
                    "a later migration (after a backup)",
                )


@rule("rewrite-maintenance")
def rewrite_maintenance(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    for sv in view.statements:
        node = sv.statement.node
        tables: list[str] = []
        if isinstance(node, ast.VacuumStmt) and any(
            isinstance(o, ast.DefElem) and o.defname == "full" for o in node.options or ()
        ):
            tables = [
                qualified(r.relation) for r in node.rels or () if isinstance(r, ast.VacuumRelation)
            ]
            command = "VACUUM FULL"
        elif isinstance(node, ast.ClusterStmt) and node.relation is not None:
            tables, command = [qualified(node.relation)], "CLUSTER"
        for table in tables:
            if sv.existing(table):
                yield view.finding(
                    sv,
                    "rewrite-maintenance",
                    message=f"{command} rewrites existing table {table}",
                    table=table,
                    lock=ACCESS_EXCLUSIVE,
                    why="blocks reads and writes for as long as the whole table is copied",
                    recipe="leave it out of migrations; plain VACUUM runs without blocking, "
                    "and pg_repack rewrites a table without a long lock",
                )


def lock_mode(node: ast.Node | None) -> str:
    """The strongest table lock a statement takes (ALTER TABLE: the strongest of its
    commands)."""
    if isinstance(node, ast.IndexStmt):
        return "SHARE UPDATE EXCLUSIVE" if node.concurrent else SHARE
    if isinstance(node, ast.AlterTableStmt):
        modes = set()
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd):
                continue
            if cmd.subtype == AT.AT_ValidateConstraint:
                modes.add("SHARE UPDATE EXCLUSIVE")
            elif (
                cmd.subtype == AT.AT_AddConstraint
                and isinstance(cmd.def_, ast.Constraint)
                and cmd.def_.contype == CONSTR.CONSTR_FOREIGN
            ):
                modes.add(SHARE_ROW_EXCLUSIVE)
            else:
                modes.add(ACCESS_EXCLUSIVE)
        for mode in (ACCESS_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, "SHARE UPDATE EXCLUSIVE"):
            if mode in modes:
                return mode
    return ACCESS_EXCLUSIVE


def takes_table_lock(sv: StatementView) -> str | None:
    """The existing table a statement must lock (and so may wait for), if any."""
    node = sv.statement.node
    table: str | None = None
    if isinstance(node, ast.AlterTableStmt | ast.RenameStmt):
        table = qualified(node.relation)
    elif isinstance(node, ast.IndexStmt) and not node.concurrent:
        table = qualified(node.relation)
    elif isinstance(node, ast.TruncateStmt):
        tables = [qualified(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
        table = next((t for t in tables if sv.existing(t)), None)
    elif (
        isinstance(node, ast.DropStmt)
        and node.removeType in (OBJ.OBJECT_TABLE, OBJ.OBJECT_INDEX)
        and not node.concurrent
    ):
        for names in node.objects or ():
            name = qualified_names(names)
            if node.removeType == OBJ.OBJECT_INDEX:
                index = sv.before.resolve_index(name)
                if index in sv.new_indexes:
                    continue
                name = sv.before.indexes.get(index, name)
            if sv.existing(name):
                return name
    if table is not None and sv.existing(table):
        return table
    return None


def sets_lock_timeout(node: ast.Node | None) -> bool:
    if isinstance(node, ast.VariableSetStmt):
        if (node.name or "").lower() != "lock_timeout":
            return False
        values = [
            getattr(getattr(arg, "val", None), "ival", None)
            or getattr(getattr(arg, "val", None), "sval", None)
            for arg in node.args or ()
        ]
        return bool(values) and values[0] not in (None, 0, "0")  # 0 or DEFAULT: no timeout
    if isinstance(node, ast.SelectStmt):
        return "set_config" in set(function_names(node)) and "lock_timeout" in set(
            string_constants(node)
        )
    return False


@rule("missing-lock-timeout")
def missing_lock_timeout(view: MigrationView, options: LintOptions) -> Iterator[Finding]:
    if options.runner_sets_lock_timeout:
        return
    for sv in view.statements:
        if sets_lock_timeout(sv.statement.node):
            return
        table = takes_table_lock(sv)
        if table is not None:
            yield view.finding(
                sv,
                "missing-lock-timeout",
                message=f"locks existing table {table} with no lock_timeout set",
                table=table,
                lock=lock_mode(sv.statement.node),
                why="while it waits behind a long query for its lock, every later query on the "
                "table queues behind it: a brief lock becomes an outage",
                recipe="SET LOCAL lock_timeout = '5s' at the start of the migration (or have "
                "netapps set it on the migration connection) and retry on timeout",
            )
            return
