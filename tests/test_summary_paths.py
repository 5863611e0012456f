"""The migration summary's table names a SQLite file of the checkout by its path in it (the
absolute URLs made a 220-column table); other databases keep their masked URL."""

from __future__ import annotations

from netapps.cli.tables import REPOSITORY, migrate_grid, plain, shown_database


def test_sqlite_files_in_the_checkout_are_shown_by_their_path_in_it() -> None:
    inside = f"sqlite:///{REPOSITORY / 'SAP_clone' / 'backend' / 'saperp.db'}"
    assert shown_database(inside) == "SAP_clone/backend/saperp.db"
    assert shown_database("sqlite+aiosqlite:////elsewhere/app.db") == (
        "sqlite+aiosqlite:////elsewhere/app.db"
    )
    masked = "postgresql+psycopg://sapuser:***@db:5432/saperp"
    assert shown_database(masked) == masked


def test_the_migration_summary_is_narrow_for_the_dev_databases() -> None:
    row = {
        "app": "mulesoft",
        "tenant": None,
        "url": "sqlite:///"
        + str(REPOSITORY / "Mulesoft-Application/Inte-platform/platform-backend/x.db"),
        "from": [],
        "to": ["006_create_auth_tables"],
        "steps": ["a"],
        "seconds": 0.1,
        "error": None,
        "backup": None,
    }
    text = plain(migrate_grid([row]))
    assert "Mulesoft-Application/Inte-platform/platform-backend/x.db" in text
    assert str(REPOSITORY) not in text
