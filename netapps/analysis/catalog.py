"""The tables, columns, types and indexes known before each statement, found by replaying every
earlier migration's statements (and the earlier statements of the same migration).

The catalog is what rules need to tell a statement on an existing table (locks it) from one on
a table created earlier in the same migration (new, empty, safe), and to know a column's type
before ``ALTER COLUMN ... TYPE`` (widening or narrowing). A table the replay never saw created
(made outside migrations, or by an opaque statement) counts as existing: the safe assumption.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pglast import ast, enums

from netapps.analysis.coltypes import ColumnType, column_type
from netapps.analysis.parse import DEFAULT_SCHEMA, Statement, qualified, qualified_names


@dataclass
class Table:
    name: str  # schema.name
    columns: dict[str, ColumnType | None] = field(default_factory=dict)


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # schema.index -> schema.table

    def copy(self) -> Catalog:
        return Catalog(
            {name: Table(name, dict(t.columns)) for name, t in self.tables.items()},
            dict(self.indexes),
        )

    def column_type(self, table: str, column: str) -> ColumnType | None:
        found = self.tables.get(table)
        return found.columns.get(column) if found else None

    def resolve_index(self, name: str) -> str:
        """``schema.index`` of an index named with or without its schema."""
        if name in self.indexes:
            return name
        bare = name.rpartition(".")[2]
        if name.startswith(f"{DEFAULT_SCHEMA}."):
            for known in self.indexes:
                if known.rpartition(".")[2] == bare:
                    return known
        return name

    def apply(self, node: ast.Node | None) -> None:
        """Change the catalog as ``node`` would change the database."""
        if isinstance(node, ast.CreateStmt):
            if not (node.if_not_exists and qualified(node.relation) in self.tables):
                self._create(node)
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            name = qualified(node.into.rel)
            self.tables[name] = Table(name)
        elif isinstance(node, ast.IndexStmt):
            table = qualified(node.relation)
            if node.idxname:
                self.indexes[f"{table.partition('.')[0]}.{node.idxname}"] = table
        elif isinstance(node, ast.AlterTableStmt):
            self._alter(node)
        elif isinstance(node, ast.RenameStmt):
            self._rename(node)
        elif isinstance(node, ast.DropStmt):
            self._drop(node)

    def _create(self, node: ast.CreateStmt) -> None:
        name = qualified(node.relation)
        table = Table(name)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.colname:
                table.columns[element.colname] = (
                    column_type(element.typeName) if element.typeName else None
                )
        self.tables[name] = table

    def _alter(self, node: ast.AlterTableStmt) -> None:
        name = qualified(node.relation)
        table = self.tables.get(name)
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd) or table is None:
                continue
            definition = cmd.def_
            if cmd.subtype == enums.AlterTableType.AT_AddColumn and isinstance(
                definition, ast.ColumnDef
            ):
                if definition.colname:
                    table.columns[definition.colname] = (
                        column_type(definition.typeName) if definition.typeName else None
                    )
            elif cmd.subtype == enums.AlterTableType.AT_DropColumn and cmd.name:
                table.columns.pop(cmd.name, None)
            elif (
                cmd.subtype == enums.AlterTableType.AT_AlterColumnType
                and cmd.name
                and isinstance(definition, ast.ColumnDef)
                and definition.typeName is not None
            ):
                table.columns[cmd.name] = column_type(definition.typeName)

    def _rename(self, node: ast.RenameStmt) -> None:
        old = qualified(node.relation)
        if node.renameType == enums.ObjectType.OBJECT_TABLE and node.newname:
            new = f"{old.partition('.')[0]}.{node.newname}"
            if old in self.tables:
                table = self.tables.pop(old)
                self.tables[new] = Table(new, table.columns)
            for index, owner in self.indexes.items():
                if owner == old:
                    self.indexes[index] = new
        elif node.renameType == enums.ObjectType.OBJECT_COLUMN and node.subname and node.newname:
            found = self.tables.get(old)
            if found is not None and node.subname in found.columns:
                found.columns[node.newname] = found.columns.pop(node.subname)
        elif node.renameType == enums.ObjectType.OBJECT_INDEX and node.newname:
            index = self.resolve_index(old)
            if index in self.indexes:
                self.indexes[f"{index.partition('.')[0]}.{node.newname}"] = self.indexes.pop(index)

    def _drop(self, node: ast.DropStmt) -> None:
        for names in node.objects or ():
            if node.removeType == enums.ObjectType.OBJECT_TABLE:
                name = qualified_names(names)
                self.tables.pop(name, None)
                for index in [i for i, t in self.indexes.items() if t == name]:
                    del self.indexes[index]
            elif node.removeType == enums.ObjectType.OBJECT_INDEX:
                self.indexes.pop(self.resolve_index(qualified_names(names)), None)
            elif node.removeType == enums.ObjectType.OBJECT_SCHEMA:
                schema = str(getattr(names, "sval", names))
                for table in [t for t in self.tables if t.partition(".")[0] == schema]:
                    del self.tables[table]


@dataclass(frozen=True)
class StatementView:
    """A statement with what was known just before it ran."""

    statement: Statement
    before: Catalog  # the catalog before this statement
    new_tables: frozenset[str]  # tables created earlier in the same migration
    new_indexes: frozenset[str]  # indexes created earlier in the same migration

    def existing(self, table: str) -> bool:
        """Whether ``table`` may hold rows that running code uses: anything not created
        earlier in this migration."""
        return table not in self.new_tables


def replay(catalog: Catalog, statements: Iterable[Statement]) -> list[StatementView]:
    """Apply ``statements`` to ``catalog`` (changed in place), one view per statement."""
    views: list[StatementView] = []
    new_tables: set[str] = set()
    new_indexes: set[str] = set()
    for statement in statements:
        views.append(
            StatementView(statement, catalog.copy(), frozenset(new_tables), frozenset(new_indexes))
        )
        node = statement.node
        existed = isinstance(node, ast.CreateStmt) and qualified(node.relation) in catalog.tables
        catalog.apply(node)
        if isinstance(node, ast.CreateStmt):
            if not (node.if_not_exists and existed):  # IF NOT EXISTS of a table that exists
                new_tables.add(qualified(node.relation))
        elif (
            isinstance(node, ast.RenameStmt)
            and node.renameType == enums.ObjectType.OBJECT_TABLE
            and qualified(node.relation) in new_tables
            and node.newname
        ):
            new_tables.add(f"{qualified(node.relation).partition('.')[0]}.{node.newname}")
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            new_tables.add(qualified(node.into.rel))
        elif isinstance(node, ast.IndexStmt) and node.idxname:
            schema = qualified(node.relation).partition(".")[0]
            new_indexes.add(f"{schema}.{node.idxname}")
    return views
