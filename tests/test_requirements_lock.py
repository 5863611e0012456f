"""requirements.lock, which `make install` installs with hashes, and requirements-runtime.lock,
which the Docker image installs, are in step with pyproject.toml and with each other.

A dependency added to or changed in pyproject.toml without `make lock` fails here, so CI never
runs a set of packages that the lock does not hold.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
RUNTIME_LOCK = REPO / "requirements-runtime.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def entries(lock: Path) -> dict[str, tuple[Version, str]]:
    """Each locked package's canonical name, its pinned version and its entry (pin, hashes)."""
    found = {}
    for entry in re.split(r"\n(?=\S)", lock.read_text()):
        if pin := PIN.match(entry):
            found[canonicalize_name(pin[1])] = (Version(pin[2]), entry)
    return found


def locked(lock: Path = LOCK) -> dict[str, Version]:
    """Each locked package's canonical name and its pinned version."""
    return {name: version for name, (version, _) in entries(lock).items()}


def declared(dev: bool = True) -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, the dev extra and the build backend."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    lines = [
        *project["project"]["dependencies"],
        *(project["project"]["optional-dependencies"]["dev"] if dev else []),
        *project["build-system"]["requires"],
    ]
    return [Requirement(line) for line in lines]


def extra_requirements(requirement: Requirement) -> list[Requirement]:
    """What the extras named in a requirement (``psycopg[binary]``) add, from the installed
    package's metadata (the locked version, as `make install` installed it)."""
    found = []
    for line in metadata.requires(requirement.name) or []:
        extra_requirement = Requirement(line)
        marker = extra_requirement.marker
        if marker is None:
            continue
        if any(marker.evaluate({"extra": extra}) for extra in requirement.extras):
            found.append(extra_requirement)
    return found


@pytest.mark.parametrize("lock", [LOCK, RUNTIME_LOCK], ids=lambda path: path.name)
def test_every_locked_package_has_a_pin_and_hashes(lock: Path) -> None:
    lines = lock.read_text().splitlines()
    requirements = [line for line in lines if line and line[0] not in "# \t"]
    assert len(requirements) == len(entries(lock)) > 0, "a line that is not an exact pin"
    for name, (_, entry) in entries(lock).items():
        assert HASH.search(entry), f"no hash for {name} in {lock.name}"


def test_the_runtime_lock_is_the_full_lock_without_the_dev_extra() -> None:
    """The image runs the versions CI tested: the same pins with the same hashes."""
    full, runtime = entries(LOCK), entries(RUNTIME_LOCK)
    for name, (version, entry) in runtime.items():
        assert name in full, f"{name} is in {RUNTIME_LOCK.name} only: run `make lock`"
        assert version == full[name][0], f"{name} differs: run `make lock`"
        assert HASH.findall(entry) == HASH.findall(full[name][1]), f"{name}'s hashes differ"
    assert not {"pytest", "mypy", "ruff"} & runtime.keys(), "dev tools in the runtime lock"


@pytest.mark.parametrize(
    ("lock", "requirement"),
    [(LOCK, r) for r in declared()] + [(RUNTIME_LOCK, r) for r in declared(dev=False)],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_pyproject_requirement_is_locked_within_its_range(
    lock: Path, requirement: Requirement
) -> None:
    pins = locked(lock)
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is not in {lock.name}: run `make lock`"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"{lock.name} pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
    )
    for added in extra_requirements(requirement):
        added_name = canonicalize_name(added.name)
        assert added_name in pins, f"{added} (for {requirement}) is not locked: run `make lock`"
        assert added.specifier.contains(pins[added_name], prereleases=True)


def test_the_installed_packages_are_the_locked_ones() -> None:
    """What the tests run on is what the lock holds (after `make install`)."""
    differ = []
    for name, version in sorted(locked().items()):
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            differ.append(f"{name}=={version} is not installed")
            continue
        if installed != version:
            differ.append(f"{name}=={version} is locked, {installed} installed")
    assert not differ, "; ".join(differ) + ": run `make install`"


def test_every_locked_package_is_needed() -> None:
    """A dependency removed from pyproject.toml leaves the lock too (`make lock`): each locked
    package is asked for by pyproject.toml or by a locked package (or is pip itself, which
    `make lock` locks beside them), as the installed packages' metadata says."""
    needed = {"pip"}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = declared()
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        needed.add(name)
        for line in metadata.requires(name) or []:
            wanted = Requirement(line)
            extras = requirement.extras or {""}
            if wanted.marker is None or any(wanted.marker.evaluate({"extra": e}) for e in extras):
                queue.append(wanted)
    unneeded = sorted(locked().keys() - needed)
    assert not unneeded, f"locked but not needed: {unneeded}: run `make lock`"
