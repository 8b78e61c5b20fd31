"""The two dependency sets: requirements/runtime.lock (every Airflow component in production, the
image's) and requirements/dev.lock (the runtime set plus tests, tooling and the local media stack).

Both exactly pinned; the runtime set holds no test tooling and no emulator; every package the two
hold has one version, so what the tests run is what ships. (tests/deploy/test_runtime_set.py
installs the runtime set alone and runs the DAGs and the plugin in it.)
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.locks import (
    DEV_LOCK,
    DEV_ONLY_DISTRIBUTIONS,
    REQUIREMENTS,
    ROOT,
    RUNTIME_LOCK,
    entries,
    pins,
    top_level,
)

RUNTIME_IN = REQUIREMENTS / "runtime.in"
DEV_IN = REQUIREMENTS / "dev.in"


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda path: path.name)
def test_every_entry_of_a_lock_is_an_exact_pin(lock):
    assert len(pins(lock)) > 100  # a full resolution, not the top-level choices


def test_the_runtime_set_has_no_test_tooling_and_no_emulator():
    runtime = pins(RUNTIME_LOCK)
    assert sorted(DEV_ONLY_DISTRIBUTIONS & set(runtime)) == []
    assert sorted(DEV_ONLY_DISTRIBUTIONS - set(pins(DEV_LOCK))) == []  # the check is not vacuous


def test_both_sets_pin_every_shared_package_to_the_same_version():
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)
    assert {name: (version, dev[name]) for name, version in runtime.items() if dev.get(name) != version} == {}
    # dev.in starts from runtime.in: the development set holds the whole runtime set.
    assert sorted(set(runtime) - set(dev)) == []


def test_each_lock_holds_its_top_level_choices_and_the_pinned_ones_at_their_pin():
    for requirements, lock in ((RUNTIME_IN, RUNTIME_LOCK), (DEV_IN, DEV_LOCK)):
        locked = pins(lock)
        for name, specifier in top_level(requirements).items():
            assert name in locked, f"{requirements.name} names {name}; {lock.name} does not pin it"
            if specifier.startswith("=="):
                assert locked[name] == specifier[2:], name
    assert pins(RUNTIME_LOCK)["apache-airflow"] == "3.3.2"
    assert pins(RUNTIME_LOCK)["apache-airflow-providers-amazon"] == "9.39.0"
    assert pins(RUNTIME_LOCK)["celery"].startswith("5.6.")  # celery<5.7: the celery provider's import


def test_dev_in_extends_runtime_in_and_the_tools_are_chosen_in_dev_in_only():
    assert "-r runtime.in" in entries(DEV_IN)
    assert sorted(DEV_ONLY_DISTRIBUTIONS & set(top_level(RUNTIME_IN))) == []
    assert DEV_ONLY_DISTRIBUTIONS <= set(top_level(DEV_IN))
    assert not set(top_level(RUNTIME_IN)) & set(top_level(DEV_IN))  # each choice is made once


def test_one_command_sets_up_from_the_dev_lock_and_regenerates_both_locks():
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.MULTILINE).group(1).split()
    assert {"requirements/runtime.lock", "requirements/dev.lock", "pyproject.toml"} <= set(stamp)
    assert "pip install -q -r requirements/dev.lock" in makefile
    lock = makefile[makefile.index("\nlock:") :]
    assert "-r requirements/runtime.in" in lock and "> requirements/runtime.lock" in lock
    assert "-r requirements/dev.in -c requirements/runtime.lock" in lock and "> requirements/dev.lock" in lock
