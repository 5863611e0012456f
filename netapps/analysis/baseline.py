"""The reviewed baseline: findings a person has looked at and acknowledged, with the reason.

A TOML file in the app's folder (``lint-baseline.toml``)::

    version = 1

    [[acknowledged]]
    migration = "005_create_fi_tables"
    rule = "add-foreign-key-validated"
    fingerprint = "0123456789abcdef"   # Finding.fingerprint: the statement's canonical SQL
    statement = "ALTER TABLE mm.requisitions ..."   # optional, for the reader; not matched
    reason = "applied everywhere before this check existed; applied migrations are never edited"

An entry matches a finding with the same migration, rule and fingerprint. ``reason`` is
required and may not be blank; any other key is an error that names it.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from netapps.analysis.findings import Finding

BASELINE_FILE = "lint-baseline.toml"
VERSION = 1

_REQUIRED = ("migration", "rule", "fingerprint", "reason")
_OPTIONAL = ("statement",)


class BaselineError(ValueError):
    """The baseline file is malformed; the message names the file, entry and key."""


@dataclass(frozen=True)
class Acknowledged:
    migration: str
    rule: str
    fingerprint: str
    reason: str
    statement: str | None = None

    def matches(self, finding: Finding) -> bool:
        return (self.migration, self.rule, self.fingerprint) == (
            finding.migration,
            finding.rule,
            finding.fingerprint,
        )


@dataclass(frozen=True)
class Baseline:
    entries: tuple[Acknowledged, ...] = ()
    path: Path | None = None


@dataclass(frozen=True)
class Split:
    new: list[Finding]  # not in the baseline: to fix, or to review and acknowledge
    acknowledged: list[Finding]
    stale: list[Acknowledged]  # entries that match no finding any more


def load_baseline(path: Path) -> Baseline:
    """The baseline at ``path``; an empty one when the file does not exist."""
    if not path.exists():
        return Baseline((), path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"version", "acknowledged"})
    if unknown:
        raise BaselineError(f"{path}: unknown top-level key {unknown[0]!r}")
    if data.get("version", VERSION) != VERSION:
        raise BaselineError(f"{path}: version {data['version']!r} is not {VERSION}")
    raw = data.get("acknowledged", [])
    if not isinstance(raw, list):
        raise BaselineError(f"{path}: 'acknowledged' must be an array of tables ([[acknowledged]])")
    entries: list[Acknowledged] = []
    for number, entry in enumerate(raw, start=1):
        where = f"{path}: acknowledged entry {number}"
        if not isinstance(entry, dict):
            raise BaselineError(f"{where}: must be a table")
        for key in entry:
            if key not in _REQUIRED + _OPTIONAL:
                raise BaselineError(
                    f"{where}: unknown key {key!r} (allowed: {', '.join(_REQUIRED + _OPTIONAL)})"
                )
        for key in _REQUIRED:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problem = "is missing" if key not in entry else "must be a non-empty string"
                raise BaselineError(f"{where}: {key!r} {problem}")
        statement = entry.get("statement")
        if statement is not None and not isinstance(statement, str):
            raise BaselineError(f"{where}: 'statement' must be a string")
        entries.append(
            Acknowledged(
                migration=entry["migration"],
                rule=entry["rule"],
                fingerprint=entry["fingerprint"],
                reason=entry["reason"].strip(),
                statement=statement,
            )
        )
    return Baseline(tuple(entries), path)


def split(findings: Iterable[Finding], baseline: Baseline) -> Split:
    new: list[Finding] = []
    acknowledged: list[Finding] = []
    used: set[Acknowledged] = set()
    for finding in findings:
        match = next((e for e in baseline.entries if e.matches(finding)), None)
        if match is None:
            new.append(finding)
        else:
            acknowledged.append(finding)
            used.add(match)
    stale = [e for e in baseline.entries if e not in used]
    return Split(new, acknowledged, stale)


def render_baseline(
    findings: Iterable[Finding], reason: Callable[[Finding], str], header: str = ""
) -> str:
    """The text of a baseline acknowledging ``findings``, each with ``reason(finding)``."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [f"version = {VERSION}", ""]
    seen: set[tuple[str, str, str]] = set()
    for finding in findings:
        key = (finding.migration, finding.rule, finding.fingerprint)
        if key in seen:
            continue
        seen.add(key)
        text = reason(finding).strip()
        if not text:
            raise BaselineError(f"no reason given for {finding.text()}")
        lines += [
            "[[acknowledged]]",
            f"migration = {_string(finding.migration)}",
            f"rule = {_string(finding.rule)}",
            f"fingerprint = {_string(finding.fingerprint)}",
            f"statement = {_string(' '.join(finding.statement.split())[:200])}",
            f"reason = {_string(text)}",
            "",
        ]
    return "\n".join(lines)


def _string(value: str) -> str:
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(value, ensure_ascii=False)
