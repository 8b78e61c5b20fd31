"""devstack is the AWS emulator and only that: no module of it imports localrun (which runs the project
against it), the pipeline (live_to_vod) or Airflow."""

from __future__ import annotations

import subprocess
import sys

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
import devstack
for module in pkgutil.walk_packages(devstack.__path__, "devstack."):
    if not module.name.endswith("__main__"):  # running those would start the CLIs
        importlib.import_module(module.name)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & {"localrun", "live_to_vod", "airflow"})))
"""


def test_devstack_imports_neither_localrun_nor_the_pipeline_nor_airflow():
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
