"""Replay recordings are trusted only when this installation made them and nobody else can
change them (issue 25, point 1): a recording carries a keyed MAC (HMAC-SHA256, the
installation's key, 0600), and one that was edited, belongs to another user, or that others
can write (the file or its folder) is refused with one warning line naming it; the full path
then builds the database, and nothing the edit added runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from replay_support import probe
from sqlalchemy.engine import make_url
from support import netapps, subprocess_env, url_text, write_config

APP = "salesforce"
#: What an attacker adds to a recording: a table the migrations never create.
INJECTED = "CREATE TABLE injected_by_someone_else (id INTEGER)"


def environment(tmp: Path, tag: str, cache: Path) -> dict[str, str]:
    url = url_text(make_url(f"sqlite:///{tmp / f'{tag}.db'}"))
    config = write_config(tmp / tag / "netapps.toml", [APP], urls={APP: url})
    return subprocess_env(
        config, NETAPPS_REPLAY_CACHE=str(cache), NETAPPS_KEY_FILE=str(tmp / "key" / "key")
    )


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def tamper(recording: Path, key_file: Path, *, signed: bool) -> None:
    """Add a statement to the recording's first step, with the digest recomputed (what an
    unkeyed digest allowed), and with a valid MAC when ``signed`` (as if the key had leaked:
    only the file's owner and mode can refuse it then)."""
    document = json.loads(recording.read_text())
    body = json.loads(document["body"])
    body["steps"][0]["statements"].append([INJECTED, None, False, False, None])
    text = json.dumps(body, sort_keys=True)
    document["body"] = text
    document["digest"] = hashlib.sha256(text.encode()).hexdigest()
    if signed and key_file.exists():
        key = bytes.fromhex(key_file.read_text().strip())
        document["mac"] = hmac.new(key, text.encode(), "sha256").hexdigest()
    mode = stat.S_IMODE(recording.stat().st_mode)
    recording.write_text(json.dumps(document))
    recording.chmod(mode)


def unsigned(recording: Path) -> None:
    document = json.loads(recording.read_text())
    document.pop("mac", None)
    recording.write_text(json.dumps(document))


def group_writable(recording: Path) -> None:
    recording.chmod(0o666)


def another_users(recording: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(recording, 65534, 65534)


def folder_writable(recording: Path) -> None:
    recording.parent.chmod(0o777)


@pytest.mark.parametrize(
    ("signed", "weaken"),
    [
        (False, None),
        (False, unsigned),
        (True, group_writable),
        (True, another_users),
        (True, folder_writable),
    ],
    ids=["edited", "edited-unsigned", "mode-0666", "another-user", "folder-0777"],
)
def test_a_recording_that_cannot_be_trusted_is_refused_with_one_warning(
    tmp_path: Path, signed: bool, weaken: Callable[[Path], None] | None
) -> None:
    cache = tmp_path / "cache"
    key_file = tmp_path / "key" / "key"
    first = probe(environment(tmp_path, "first", cache), "migrate", APP)
    assert first[1] == 0
    (recording,) = cache.glob("*.json")
    tamper(recording, key_file, signed=signed)
    if weaken is not None:
        weaken(recording)
    done = netapps("migrate", APP, env=environment(tmp_path, "second", cache))
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(recording) in warnings[0], done.stderr
    built = tables(tmp_path / "second.db")
    assert "injected_by_someone_else" not in built
    assert built == tables(tmp_path / "first.db")


def test_the_key_is_made_once_private_and_a_shared_key_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    key_file = tmp_path / "key" / "key"
    assert probe(environment(tmp_path, "first", cache), "migrate", APP)[1] == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    made = key_file.read_text()
    replayed, code, _ = probe(environment(tmp_path, "second", cache), "migrate", APP)
    assert replayed and code == 0 and key_file.read_text() == made
    key_file.chmod(0o644)  # readable by others: anyone could sign with it
    replayed, code, _ = probe(environment(tmp_path, "third", cache), "migrate", APP)
    assert not replayed and code == 0
    assert tables(tmp_path / "third.db") == tables(tmp_path / "first.db")
