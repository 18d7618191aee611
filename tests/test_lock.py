"""requirements/lock.txt installs on every Python that pyproject.toml admits.

pip-compile resolves on the Python that runs it and takes a pin's Requires-Python only against
that interpreter: soupsieve 4.1.3 (Python >= 3.11.5) entered the lock that way, and
`scripts/venv` with Debian 12's python3 (3.11.2), inside ">=3.11", failed halfway. The installed
distributions carry their Requires-Python, so the check needs no network.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _lowest_admitted_python() -> Version:
    """The lowest version pyproject's requires-python admits (">=3.11" gives 3.11.0)."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    (lower,) = re.findall(r">=\s*([0-9.]+)", spec)
    release = [int(part) for part in lower.split(".")]
    return Version(".".join(map(str, release + [0] * (3 - len(release)))))


def _locked_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def test_lowest_admitted_python_is_read_from_pyproject():
    assert _lowest_admitted_python() == Version("3.11.0")


def _refused(
    pins: dict[str, str], lowest: Version, read_metadata: Callable[[str], Mapping[str, str]]
) -> tuple[dict[str, str], int]:
    """({"name==version": Requires-Python} of the pins that refuse ``lowest``, how many pins
    were read): a pin is read where ``read_metadata`` finds it installed at the locked version."""
    refused, read = {}, 0
    for name, version in pins.items():
        try:
            installed = read_metadata(name)
        except metadata.PackageNotFoundError:
            continue  # not in this environment: nothing to read
        if Version(installed["Version"]) != Version(version):
            continue  # another release installed here: its Requires-Python is not the pin's
        read += 1
        requires = installed.get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(lowest):
            refused[f"{name}=={version}"] = requires
    return refused, read


def test_every_locked_pin_admits_the_lowest_python_of_pyproject():
    lowest = _lowest_admitted_python()
    pins = _locked_pins()
    refused, read = _refused(pins, lowest, metadata.metadata)
    assert not refused, f"the lock pins releases that refuse Python {lowest}: {refused}"
    # scripts/venv installs the whole lock: a check that read few pins checked little
    assert read >= len(pins) * 0.9, f"only {read} of {len(pins)} pins are installed as locked"


def test_the_check_refuses_the_pin_that_broke_debian_12():
    installed = {
        "soupsieve": {"Version": "4.1.3", "Requires-Python": ">=3.11.5"},
        "numpy": {"Version": "2.4.6", "Requires-Python": ">=3.11"},
        "six": {"Version": "1.16.0"},  # no Requires-Python: admits every Python
        "scipy": {"Version": "1.18.0", "Requires-Python": ">=3.12"},  # not the locked release
    }

    def read_metadata(name: str) -> Mapping[str, str]:
        if name not in installed:
            raise metadata.PackageNotFoundError(name)
        return installed[name]

    pins = {"soupsieve": "4.1.3", "numpy": "2.4.6", "six": "1.16.0", "scipy": "1.17.1", "x": "1"}
    refused, read = _refused(pins, Version("3.11.0"), read_metadata)
    assert refused == {"soupsieve==4.1.3": ">=3.11.5"}
    assert read == 3
    # the release soupsieve is held at now
    installed["soupsieve"] = {"Version": "2.10", "Requires-Python": ">=3.10"}
    pins["soupsieve"] = "2.10"
    assert _refused(pins, Version("3.11.0"), read_metadata) == ({}, 3)
    # and a later lowest Python admits 4.1.3
    installed["soupsieve"] = {"Version": "4.1.3", "Requires-Python": ">=3.11.5"}
    pins["soupsieve"] = "4.1.3"
    assert _refused(pins, Version("3.11.5"), read_metadata) == ({}, 3)
