"""The project's own documentation: the guide and the schema reference live in docs/, the
schema reference is what the code says (``make docs`` regenerates it), and nothing in the
repository cites a file that is not in it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType

from support import REPO

#: Documents the project once cited from outside the repository (with any path before them).
CITED = re.compile(r"[\w./-]*\b(?:MIGRATIONS_GUIDE|SCHEMAS|DESIGN|APPS)\.md")


def _schemas_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_schemas", REPO / "docs" / "schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_schema_reference_is_generated_from_the_code() -> None:
    schemas = _schemas_module()
    written = (REPO / "docs" / "SCHEMAS.md").read_text()
    assert written == schemas.render(), "docs/SCHEMAS.md is stale: run `make docs`"
    for label in ("SAP_clone", "Mulesoft", "ServiceNow", "Salesforce"):
        assert f"## {label} (" in written
    for table in ("`core.tickets`", "`pm_workflow.", "`accounts`"):
        assert table in written


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    files = []
    for name in names:
        path = REPO / name
        if path.suffix in {".py", ".md", ".toml", ".ini", ".txt", ".yml", ".yaml", ".sh", ".cfg"}:
            files.append(path)
        elif path.name in {"Makefile", "Dockerfile"}:
            files.append(path)
    return [p for p in files if p.is_file()]


def test_nothing_cites_a_file_outside_the_repository() -> None:
    found = []
    for path in _tracked_text_files():
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            # A citation must name a file of the repository: from the citing file's folder or
            # from the root. "../shared" is outside by definition.
            missing = [
                cited
                for cited in CITED.findall(line)
                if not (path.parent / cited).is_file() and not (REPO / cited).is_file()
            ]
            if missing or "../shared" in line:
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_markdown_links_point_at_files_that_exist() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    broken = []
    for path in _tracked_text_files():
        if path.suffix != ".md":
            continue
        for target in link.findall(path.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO)} -> {target}")
    assert not broken, "\n".join(broken)
    readme = (REPO / "README.md").read_text()
    assert "(docs/MIGRATIONS_GUIDE.md)" in readme and "(docs/SCHEMAS.md)" in readme


def test_every_netapps_command_in_the_guide_exists() -> None:
    from netapps.cli.app import cli

    known = {command.name for command in cli.registered_commands}
    guide = (REPO / "docs" / "MIGRATIONS_GUIDE.md").read_text()
    used = set(re.findall(r"^\s*netapps (?:--\S+ )*([a-z]+)", guide, re.MULTILINE))
    used |= set(re.findall(r"`netapps (?:--\S+ )*([a-z]+)", guide))
    assert used, "the guide names no netapps command"
    assert used <= known, f"the guide names commands netapps lacks: {sorted(used - known)}"
