"""requirements.lock, which `make install` installs with hashes, is in step with pyproject.toml.

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
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def locked() -> dict[str, Version]:
    """Each locked package's canonical name and its pinned version."""
    pins: dict[str, Version] = {}
    for line in LOCK.read_text().splitlines():
        if found := PIN.match(line):
            pins[canonicalize_name(found[1])] = Version(found[2])
    return pins


def declared() -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, the dev extra and the build backend."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    lines = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
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


def test_every_locked_package_has_a_pin_and_hashes() -> None:
    text = LOCK.read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(entries) == len(locked()) > 0
    for entry in entries:
        assert PIN.match(entry), f"not an exact pin: {entry.splitlines()[0]}"
        assert HASH.search(entry), f"no hash for {entry.splitlines()[0]}"


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_pyproject_requirement_is_locked_within_its_range(requirement: Requirement) -> None:
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is not in requirements.lock: run `make lock`"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"requirements.lock pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
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
