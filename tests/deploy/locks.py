"""Reading requirements/*.lock and *.in: the two exactly pinned sets and their top-level choices."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
RUNTIME_LOCK = REQUIREMENTS / "runtime.lock"
DEV_LOCK = REQUIREMENTS / "dev.lock"

#: Test tooling and the emulator's server: the development set's, never the runtime set's.
DEV_ONLY_DISTRIBUTIONS = frozenset(
    {"pytest", "pytest-xdist", "pytest-timeout", "hypothesis", "moto", "ruff", "cfn-lint"}
)
#: This repository's code that is not the pipeline: the local media stack and the local runner.
DEV_ONLY_PACKAGES = ("devstack", "localrun")

#: ``name==version`` and nothing else: no range, extra, marker, URL or hash.
PIN_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` is ``pyyaml``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(path: Path) -> list[str]:
    """The lines of a requirements file that say something: no blanks, no comments."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(path: Path) -> dict[str, str]:
    """A lock file: normalized name -> version. Every entry must be an exact pin."""
    found: dict[str, str] = {}
    for line in entries(path):
        match = PIN_RE.fullmatch(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        name = normalize(match.group(1))
        assert name not in found, f"{path.name}: {name} pinned twice"
        found[name] = match.group(2)
    return found


def top_level(path: Path) -> dict[str, str]:
    """An .in file's own requirements (``-r`` includes not followed): normalized name -> specifier."""
    found = {}
    for line in entries(path):
        if line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)", line)
        assert match, f"{path.name}: {line!r}"
        found[normalize(match.group(1))] = match.group(3)
    return found
