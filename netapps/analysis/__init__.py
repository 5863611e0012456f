"""What a migration's SQL does, read by PostgreSQL's own parser (pglast).

``render`` turns an Alembic revision or a SQL file into the PostgreSQL SQL it runs; ``parse``
cuts it into statements; ``catalog`` replays earlier migrations to know the tables, columns,
types and indexes before each statement; ``rules`` are the lock-aware lint rules;
``destructive`` classifies data loss; ``baseline`` holds reviewed, acknowledged findings;
``api`` is what the CLI calls.
"""

from netapps.analysis.api import (
    AppAnalysis,
    analyse_app,
    as_json,
    check_app,
    destructive_findings,
    lint_app,
)
from netapps.analysis.baseline import (
    BASELINE_FILE,
    Baseline,
    BaselineError,
    Split,
    load_baseline,
    render_baseline,
    split,
)
from netapps.analysis.findings import Finding
from netapps.analysis.render import (
    RenderedMigration,
    RenderError,
    list_migrations,
    migration_sql,
    render_app,
    render_migration,
)
from netapps.analysis.rules import RULES, LintOptions

__all__ = [
    "BASELINE_FILE",
    "RULES",
    "AppAnalysis",
    "Baseline",
    "BaselineError",
    "Finding",
    "LintOptions",
    "RenderError",
    "RenderedMigration",
    "Split",
    "analyse_app",
    "as_json",
    "check_app",
    "destructive_findings",
    "lint_app",
    "list_migrations",
    "load_baseline",
    "migration_sql",
    "render_app",
    "render_baseline",
    "render_migration",
    "split",
]
