"""The installation's key, and the checks that make a file netapps reads back trustworthy.

netapps writes files it later acts on: replay recordings (netapps.replay_cache: statements it
runs) and backup manifests (netapps.backup: what a restore trusts). Each carries a keyed MAC
(HMAC-SHA256) made with this installation's key, so a file edited or forged by anyone who
cannot read the key is refused. The key is 32 random bytes, made once, mode 0600, at
``$NETAPPS_KEY_FILE`` if set, else ``$XDG_CACHE_HOME/netapps/key``, else
``~/.cache/netapps/key``. As ssh treats its keys, a file (the key included) is refused when
another user owns it or group or others can write it or its folder; the key also when group
or others can read it.

Standard library only: the replay reads recordings without importing SQLAlchemy.
"""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

KEY_BYTES = 32


class Untrusted(Exception):
    """A file netapps must not act on; the message says why in a few words."""


def key_path() -> Path:
    if os.environ.get("NETAPPS_KEY_FILE"):
        return Path(os.environ["NETAPPS_KEY_FILE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netapps" / "key"


def check_folder(folder: Path) -> None:
    """``folder`` may hold files netapps trusts: this user's (or root's, as /home is), and
    nobody else may write into it."""
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise Untrusted(f"its folder {folder} cannot be read ({exc.strerror or exc})") from None
    if info.st_uid not in (os.geteuid(), 0):
        raise Untrusted(f"its folder {folder} belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Untrusted(f"group or others can write its folder {folder}")


def check_private(path: Path, info: os.stat_result | None = None) -> None:
    """``path`` is this user's, nobody else can write it or its folder (else Untrusted)."""
    if info is None:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise Untrusted(f"it cannot be read ({exc.strerror or exc})") from None
    if info.st_uid != os.geteuid():
        raise Untrusted(f"it belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Untrusted(f"group or others can write it (mode {stat.S_IMODE(info.st_mode):04o})")
    check_folder(path.parent)


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        info = os.fstat(fd)
        data = os.read(fd, 4 * KEY_BYTES)
    finally:
        os.close(fd)
    try:
        check_private(path, info)
    except Untrusted as exc:
        raise Untrusted(f"the key {path}: {exc}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise Untrusted(f"group or others can read the key {path} (chmod 600 it)")
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise Untrusted(f"{path} is not a netapps key (delete it to make a new one)")
    return key


def installation_key() -> bytes:
    """This installation's key, made now if there is none yet (Untrusted if it cannot be
    used: not private, or not a key)."""
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise Untrusted(f"the key {path} cannot be read ({exc.strerror or exc})") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(KEY_BYTES).hex().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # A link, not a rename: two processes making the key at once keep the first one.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
        return _read_key(path)
    except OSError as exc:
        raise Untrusted(f"the key {path} cannot be made ({exc.strerror or exc})") from None


def mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, "sha256").hexdigest()


def verify(key: bytes, body: bytes, claimed: object) -> bool:
    return isinstance(claimed, str) and hmac.compare_digest(mac(key, body), claimed)
