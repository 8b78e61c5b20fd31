"""A DAG's Trigger form, as Airflow applies it to a trigger's conf before a run exists."""

from __future__ import annotations

import copy

import pytest
from airflow.sdk.exceptions import ParamValidationError


def check_form(dag, conf: dict, refused: str | None) -> None:
    """``conf`` passes the form's schema, or is refused naming the param ``refused``."""

    def run_conf() -> None:  # as Airflow takes a trigger's conf into the run's params
        params = copy.deepcopy(dag.params)
        params.update(conf)
        params.validate()

    if refused is None:
        run_conf()
        return
    with pytest.raises(ParamValidationError, match=f"Invalid input for param {refused}:"):
        run_conf()
