"""netapps.testing: templates rebuilt when a migration changes, kept apart per key, built once
when two processes ask at the same time, and the pytest plugin's fixtures and options.

Each test migrates an app of its own (a copy of Salesforce's SQL files under a name of its
own), so its templates never touch the ones the rest of the suite shares, on disk or on the
PostgreSQL server; they are removed afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL
from support import REPO, copy_app, inspector, run, subprocess_env, write_config

from netapps.config import Project, load_project
from netapps.testing import TemplateCache
from netapps.testing.postgres_templates import PostgresTemplates, connect_args
from netapps.testing.sqlite_templates import KEEP

NEW_MIGRATION = "CREATE TABLE quotes (id INTEGER PRIMARY KEY, amount NUMERIC(15, 2));\n"


class OwnApp:
    """A copy of Salesforce's migrations registered as an app named ``name``."""

    def __init__(self, tmp_path: Path) -> None:
        self.name = f"crm_{uuid.uuid4().hex[:8]}"
        self.folder = copy_app("salesforce", tmp_path / "apps")
        self.config = write_config(
            tmp_path / "netapps.toml",
            [self.name],
            folders={self.name: self.folder},
            app_settings={self.name: {"kind": "sql"}},
        )

    def project(self) -> Project:
        return load_project(self.config.parent)

    def add_migration(self, number: str) -> None:
        folder = self.folder / "migrations"
        (folder / f"{number}_add_quotes_{number}.up.sql").write_text(
            NEW_MIGRATION.replace("quotes", f"quotes_{number}")
        )
        (folder / f"{number}_add_quotes_{number}.down.sql").write_text(
            f"DROP TABLE quotes_{number};\n"
        )


@pytest.fixture
def own_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OwnApp:
    app = OwnApp(tmp_path)
    monkeypatch.setenv("NETAPPS_CONFIG", str(app.config))
    return app


@pytest.fixture
def caches(own_app: OwnApp, tmp_path: Path) -> Iterator[list[TemplateCache]]:
    """Caches a test opens (one per "test session"), closed and their templates removed."""
    opened: list[TemplateCache] = []
    yield opened
    for cache in opened:
        cache.clear(own_app.name)
        cache.close()


def open_cache(
    caches: list[TemplateCache], own_app: OwnApp, tmp_path: Path, postgres: URL | None = None
) -> TemplateCache:
    cache = TemplateCache(own_app.project(), cache_dir=tmp_path / "cache", postgres=postgres)
    caches.append(cache)
    return cache


def has_table(url: URL, name: str) -> bool:
    with inspector(url) as insp:
        return bool(insp.has_table(name))


def test_a_new_or_edited_migration_builds_a_new_template_and_old_ones_are_pruned(
    own_app: OwnApp, caches: list[TemplateCache], tmp_path: Path
) -> None:
    # The next two versions after the copied app's own, whatever it has by now.
    last = max(int(p.name[:3]) for p in (own_app.folder / "migrations").glob("[0-9]*.sql"))
    new, newer = f"{last + 1:03d}", f"{last + 2:03d}"
    first = open_cache(caches, own_app, tmp_path)
    before = first.sqlite_template(own_app.name)
    with first.database(own_app.name) as url:
        assert not has_table(url, f"quotes_{new}")
    own_app.add_migration(new)  # the next session sees the new file
    second = open_cache(caches, own_app, tmp_path)
    assert second.key(own_app.name).digest != first.key(own_app.name).digest
    with second.database(own_app.name) as url:
        assert has_table(url, f"quotes_{new}")
        with inspector(url) as insp:
            assert insp.has_table("netapps_migration_log")
    edited = own_app.folder / "migrations" / f"{new}_add_quotes_{new}.up.sql"
    edited.write_text(edited.read_text() + "-- a comment changes the checksum too\n")
    third = open_cache(caches, own_app, tmp_path)
    assert third.key(own_app.name).digest not in {c.key(own_app.name).digest for c in caches[:2]}
    third.sqlite_template(own_app.name)
    own_app.add_migration(newer)
    open_cache(caches, own_app, tmp_path).sqlite_template(own_app.name)
    kept = sorted((tmp_path / "cache").glob(f"{own_app.name}-*.db"))
    assert len(kept) == KEEP, kept
    assert before not in kept, "the oldest template is pruned"


BUILD = """
import sys
from pathlib import Path
from netapps.config import load_project
from netapps.testing import TemplateCache
cache = TemplateCache(load_project(), cache_dir=Path(sys.argv[1]), postgres=sys.argv[2] or None)
url = cache.create(sys.argv[3], engine=sys.argv[4], directory=Path(sys.argv[1]))
print(url.database)
cache.drop(url)
cache.close()
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_processes_asking_for_a_missing_template_build_it_once(
    engine: str,
    own_app: OwnApp,
    caches: list[TemplateCache],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    postgres: URL | None = None
    if engine == "postgresql":
        postgres = request.getfixturevalue("netapps_postgres")
    admin = postgres.render_as_string(hide_password=False) if postgres is not None else ""
    env = subprocess_env(own_app.config)
    argv = [sys.executable, "-c", BUILD, str(tmp_path / "cache"), admin, own_app.name, engine]
    started = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in started]
    assert [p.returncode for p in started] == [0, 0], outputs
    cache = open_cache(caches, own_app, tmp_path, postgres)
    if engine == "sqlite":
        files = sorted(p.name for p in (tmp_path / "cache").iterdir() if p.suffix == ".db")
        assert files == [cache.sqlite.path(cache.key(own_app.name)).name], files
    else:
        assert cache.postgres is not None
        assert cache.postgres.templates(own_app.name) == [
            PostgresTemplates.name(cache.key(own_app.name, engine="postgresql"))
        ]


def test_a_postgres_template_cannot_be_connected_to_and_clones_are_dropped(
    own_app: OwnApp, caches: list[TemplateCache], tmp_path: Path, netapps_postgres: URL
) -> None:
    cache = open_cache(caches, own_app, tmp_path, netapps_postgres)
    template = cache.postgres_template(own_app.name)
    server = cache.postgres
    assert server is not None
    allowed = server.admin.execute(
        "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = %s", (template,)
    ).fetchone()
    assert allowed == (True, False)
    used = []
    for _ in range(2):  # the second is the one made ahead while the first was in use
        with cache.database(own_app.name, engine="postgresql") as url:
            with inspector(url) as insp:
                assert "netapps_migration_log" in insp.get_table_names()
            used.append(str(url.database))
    ahead = server.made_ahead()
    assert len(ahead) == 1 and ahead[0] not in used
    cache.close()  # drops the one made ahead, waits for the drops
    with psycopg.connect(**connect_args(netapps_postgres), autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", ([*used, *ahead],)
        ).fetchall()
    assert left == []


# -- the plugin ------------------------------------------------------------------------------
PLUGIN_TESTS = """
from sqlalchemy import create_engine, text


def test_sqlite(netapps_db):
    url = netapps_db("salesforce")
    assert url.get_backend_name() == "sqlite"
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == "HEAD"


def test_sqlite_below_head(netapps_db):
    url = netapps_db("salesforce", "001")
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == "001"


def test_postgres(netapps_db):
    url = netapps_db("salesforce", engine="postgresql")
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == "HEAD"
""".replace(
    # Salesforce's head, read from its folder: the app gains migrations.
    "HEAD",
    max(p.name[:3] for p in (REPO / "Salesforce" / "migrations").glob("[0-9]*.sql")),
)


def run_plugin_tests(tmp_path: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_uses_plugin.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    argv = [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *options]
    extra = {"NETAPPS_TESTDB_CACHE": str(tmp_path / "cache"), **env}
    return run([*argv, str(tmp_path / "test_uses_plugin.py")], env=subprocess_env(**extra))


def test_the_plugin_hands_each_test_a_database(tmp_path: Path, netapps_postgres: URL) -> None:
    admin = netapps_postgres.render_as_string(hide_password=False)
    done = run_plugin_tests(tmp_path, "--netapps-postgres", admin)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_a_throwaway_server_in_memory_is_started_when_asked_for_and_removed(
    tmp_path: Path,
) -> None:
    from netapps.testing.server import THROWAWAY, local_bin_dir, postgres_for_tests

    if local_bin_dir() is None:
        pytest.skip("no local PostgreSQL binaries (initdb, pg_ctl): no throwaway server")
    with postgres_for_tests(THROWAWAY) as url:
        assert url.port != 5432
        with psycopg.connect(
            host=url.host, port=url.port, user="postgres", dbname="postgres"
        ) as conn:
            found = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name IN "
                    "('data_directory', 'fsync', 'synchronous_commit', 'full_page_writes')"
                ).fetchall()
            )
        data = Path(found.pop("data_directory"))
        assert found == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        if Path("/dev/shm").is_dir():
            assert data.is_relative_to("/dev/shm"), data  # in memory
        assert data.exists()
        # The plugin's own tests, through the environment's setting, on a server of their own.
        done = run_plugin_tests(tmp_path, NETAPPS_TEST_POSTGRES=THROWAWAY)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "3 passed" in done.stdout
    assert not data.exists(), "the throwaway server's files are removed with it"


def test_the_plugin_skips_postgres_with_the_reason_or_fails_when_required(tmp_path: Path) -> None:
    nowhere = "postgresql://postgres:sekret@127.0.0.1:1/postgres"
    skipped = run_plugin_tests(tmp_path, "--netapps-postgres", nowhere, NETAPPS_REQUIRE_POSTGRES="")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "2 passed, 1 skipped" in skipped.stdout
    assert "PostgreSQL tests skipped: no PostgreSQL answers at" in skipped.stdout
    assert "sekret" not in skipped.stdout + skipped.stderr
    required = run_plugin_tests(
        tmp_path, "--netapps-postgres", nowhere, NETAPPS_REQUIRE_POSTGRES="1"
    )
    assert required.returncode == 1, required.stdout + required.stderr
    assert "PostgreSQL is required (NETAPPS_REQUIRE_POSTGRES=1)" in required.stdout
    assert "2 passed" in required.stdout
    assert "sekret" not in required.stdout + required.stderr


def test_clear_removes_templates_and_removes_nothing_when_the_server_is_unreachable(
    own_app: OwnApp, caches: list[TemplateCache], tmp_path: Path
) -> None:
    template = open_cache(caches, own_app, tmp_path).sqlite_template(own_app.name)
    env = subprocess_env(own_app.config, NETAPPS_TESTDB_CACHE=str(tmp_path / "cache"))
    clear = [sys.executable, "-m", "netapps.testing", "clear", "--app", own_app.name]
    nowhere = "postgresql://postgres:sekret@127.0.0.1:1/postgres"
    refused = run([*clear, "--postgres", nowhere], env=env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert refused.stderr.count("\n") == 1 and "cannot reach" in refused.stderr
    assert "sekret" not in refused.stdout + refused.stderr
    assert template.exists(), "nothing is removed when the server cannot be reached"
    done = run(clear, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {template}" in done.stdout
    assert not template.exists()
