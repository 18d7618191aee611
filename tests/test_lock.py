"""requirements/lock.txt installs on every Python that pyproject.toml admits.

pip-compile resolves on the Python that runs it and takes a pin's Requires-Python only against
that interpreter: soupsieve 4.1.3 (Python >= 3.11.5) entered the lock that way, and
`scripts/venv` with Debian 12's python3 (3.11.2), inside ">=3.11", failed halfway. The installed
distributions carry their Requires-Python, so the check needs no network.
"""

from __future__ import annotations

import re
import tomllib
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


def test_every_locked_pin_admits_the_lowest_python_of_pyproject():
    lowest = _lowest_admitted_python()
    pins = _locked_pins()
    refused, read = {}, 0
    for name, version in pins.items():
        try:
            installed = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue  # not in this environment: nothing to read
        if Version(installed["Version"]) != Version(version):
            continue  # another release installed here: its Requires-Python is not the pin's
        read += 1
        requires = installed.get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(lowest):
            refused[f"{name}=={version}"] = requires
    assert not refused, f"the lock pins releases that refuse Python {lowest}: {refused}"
    # scripts/venv installs the whole lock: a check that read few pins checked little
    assert read >= len(pins) * 0.9, f"only {read} of {len(pins)} pins are installed as locked"


def test_a_pin_needing_a_later_patch_release_is_refused():
    # The check's own model: soupsieve 4.1.3's requirement excludes 3.11.0, 2.10's does not.
    assert not SpecifierSet(">=3.11.5").contains(Version("3.11.0"))
    assert SpecifierSet(">=3.10").contains(Version("3.11.0"))
