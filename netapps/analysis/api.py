"""What the CLI calls: the findings of an app's migrations, lock rules and destructive ones.

An app is named by its folder and kind (``"alembic"``: ``alembic.ini`` and its versions;
``"sql"``: numbered files in ``migrations/``). Every migration is rendered for PostgreSQL and
parsed; the catalog before each one comes from replaying its ancestors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netapps.analysis.baseline import BASELINE_FILE, Split, load_baseline, split
from netapps.analysis.catalog import Catalog, replay
from netapps.analysis.destructive import destructive
from netapps.analysis.findings import Finding
from netapps.analysis.parse import Statement, parse_migration
from netapps.analysis.render import (
    Direction,
    Kind,
    RenderedMigration,
    RenderError,
    list_migrations,
    render_migration,
)
from netapps.analysis.rules import LintOptions, MigrationView, lint


@dataclass(frozen=True)
class Analysed:
    migration: RenderedMigration
    statements: tuple[Statement, ...]


class AppAnalysis:
    """An app's migrations rendered and parsed once, for any number of questions."""

    def __init__(self, folder: Path, kind: Kind) -> None:
        self.folder = Path(folder)
        self.kind: Kind = kind
        self.refs = list_migrations(self.folder, kind)
        self._by_id = {ref.id: ref for ref in self.refs}
        self._cache: dict[tuple[str, Direction], Analysed] = {}

    def analysed(self, migration_id: str, direction: Direction = "up") -> Analysed:
        key = (migration_id, direction)
        if key not in self._cache:
            rendered = render_migration(
                self.folder, self._by_id[migration_id], self.kind, direction
            )
            self._cache[key] = Analysed(rendered, tuple(parse_migration(rendered)))
        return self._cache[key]

    def ancestors(self, migration_id: str) -> list[str]:
        """The migrations that run before ``migration_id``, in order (base first)."""
        seen: set[str] = set()
        stack = list(self._by_id[migration_id].parents)
        while stack:
            current = stack.pop()
            if current not in seen and current in self._by_id:
                seen.add(current)
                stack.extend(self._by_id[current].parents)
        return [ref.id for ref in self.refs if ref.id in seen]

    def view(self, migration_id: str, direction: Direction = "up") -> MigrationView:
        """The migration's statements, each with the catalog before it."""
        catalog = Catalog()
        before = self.ancestors(migration_id)
        if direction == "down":
            before.append(migration_id)  # a downgrade runs after the upgrade it undoes
        for earlier in before:
            replay(catalog, self.analysed(earlier).statements)
        current = self.analysed(migration_id, direction)
        return MigrationView(current.migration, tuple(replay(catalog, current.statements)))

    def select(self, revisions: Sequence[str] | None) -> list[str]:
        if revisions is None:
            return [ref.id for ref in self.refs]
        chosen: list[str] = []
        for wanted in revisions:
            match = [
                ref.id
                for ref in self.refs
                if ref.id == wanted
                or (wanted.isdigit() and ref.id.isdigit() and int(wanted) == int(ref.id))
            ]
            if not match:
                known = ", ".join(ref.id for ref in self.refs)
                raise RenderError(f"{self.folder}: no migration {wanted!r} (known: {known})")
            chosen.extend(match)
        return chosen


def _render_failure(view: MigrationView) -> list[Finding]:
    migration = view.migration
    if migration.error is None:
        return []
    return [
        Finding(
            rule="render-failed",
            category="destructive",
            migration=migration.id,
            path=migration.relpath,
            statement="",
            statement_index=0,
            line=1,
            column=1,
            source_line=None,
            fingerprint="render-failed",
            message=f"cannot be rendered offline for PostgreSQL: {migration.error}",
            why="the SQL it runs cannot be read, so neither locks nor data loss can be judged",
            recipe="keep work that needs a live connection behind op.get_context().as_sql, "
            "or review the revision by hand",
            effect="opaque",
            direction=migration.direction,
        )
    ]


def lint_app(
    folder: Path,
    kind: Kind,
    revisions: Sequence[str] | None = None,
    *,
    runner_sets_lock_timeout: bool = False,
    direction: Direction = "up",
    analysis: AppAnalysis | None = None,
) -> list[Finding]:
    """Lock-aware lint findings of the app's migrations (all, or ``revisions``)."""
    app = analysis or AppAnalysis(folder, kind)
    options = LintOptions(runner_sets_lock_timeout=runner_sets_lock_timeout)
    findings: list[Finding] = []
    for migration_id in app.select(revisions):
        findings.extend(lint(app.view(migration_id, direction), options))
    return findings


def destructive_findings(
    folder: Path,
    kind: Kind,
    revisions: Sequence[str] | None = None,
    *,
    direction: Direction = "up",
    analysis: AppAnalysis | None = None,
) -> list[Finding]:
    """Whether each migration (all, or ``revisions``) can destroy data, as findings."""
    app = analysis or AppAnalysis(folder, kind)
    findings: list[Finding] = []
    for migration_id in app.select(revisions):
        view = app.view(migration_id, direction)
        findings.extend(_render_failure(view))
        findings.extend(destructive(view))
    return findings


def analyse_app(
    folder: Path,
    kind: Kind,
    revisions: Sequence[str] | None = None,
    *,
    runner_sets_lock_timeout: bool = False,
    direction: Direction = "up",
) -> list[Finding]:
    """Lint and destructive findings together, ordered by migration and statement."""
    app = AppAnalysis(folder, kind)
    findings = lint_app(
        folder,
        kind,
        revisions,
        runner_sets_lock_timeout=runner_sets_lock_timeout,
        direction=direction,
        analysis=app,
    ) + destructive_findings(folder, kind, revisions, direction=direction, analysis=app)
    order = {ref.id: n for n, ref in enumerate(app.refs)}
    return sorted(findings, key=lambda f: (order[f.migration], f.statement_index, f.rule))


def check_app(
    folder: Path,
    kind: Kind,
    revisions: Sequence[str] | None = None,
    *,
    runner_sets_lock_timeout: bool = False,
    baseline_path: Path | None = None,
) -> Split:
    """All findings of the app's upgrades split by its baseline (``lint-baseline.toml`` in
    the app folder unless ``baseline_path``) into new and acknowledged."""
    findings = analyse_app(
        folder, kind, revisions, runner_sets_lock_timeout=runner_sets_lock_timeout
    )
    baseline = load_baseline(baseline_path or Path(folder) / BASELINE_FILE)
    return split(findings, baseline)


def as_json(findings: Iterable[Finding]) -> list[dict[str, object]]:
    return [finding.to_json() for finding in findings]


def concurrent_indexes(
    folder: Path,
    kind: Kind,
    revisions: Sequence[str],
    *,
    analysis: AppAnalysis | None = None,
) -> list[tuple[str | None, str]]:
    """(schema, name) of every index the upgrades of ``revisions`` build CONCURRENTLY: the
    ones a killed or failed build leaves behind INVALID, for the rerun to drop."""
    from pglast import ast

    app = analysis or AppAnalysis(folder, kind)
    found: list[tuple[str | None, str]] = []
    for migration_id in app.select(revisions):
        for statement in app.analysed(migration_id).statements:
            node = statement.node
            if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname:
                schema = node.relation.schemaname if node.relation is not None else None
                found.append((schema, node.idxname))
    return found
