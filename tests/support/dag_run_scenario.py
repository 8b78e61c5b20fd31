"""Run a DAG (``live_event_harvest`` unless the spec names another) with ``dag.test()`` for a list of
confs; write what happened as JSON.

Run as a script in its own process, because Airflow reads its configuration (``AIRFLOW_HOME``,
the database, ``[operators] default_deferrable``) when it is first imported:

    python dag_run_scenario.py SPEC.json RESULT.json

``SPEC.json``: ``{"runs": [conf, ...], "poll_interval": 0.2, "dag_id": "live_event_harvest"}``
(``dag_id`` optional). The runs go one after the other
against the same Airflow database, like re-triggers of the same DAG (the DAG is parsed afresh for
each, see :func:`load_dag`). ``poll_interval`` sets the
documented ``poll_interval`` of the two deferrable tasks so the in-line triggers poll the local
stack quickly; nothing else of the DAG changes. Every task also gets one more
``on_failure_callback`` (Airflow's own hook, after the DAG's alerting one) that records the
exception message, so a test can read why a task failed without scraping logs.

``RESULT.json``: one entry per run: ``raised`` (``dag.test`` itself raised, e.g. the param
schema refused the conf), else ``state``, ``tasks`` (task instance -> state), ``tries`` (task
instance -> try number), ``errors`` (task
instance -> exception message) and ``xcom`` (task instance -> return value). A task instance is
named by its task id, with ``[map_index]`` appended for the expanded instances of a mapped task
(``harvest.publish[0]``); an unmapped task, or a mapped one that was never expanded (its upstream
failed), goes by its task id alone.

Used through ``harvest_pipeline.py``; not a test module itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DAG_ID = "live_event_harvest"


def ti_key(task_id: str, map_index: int | None) -> str:
    """``task_id``, or ``task_id[map_index]`` for an expanded instance of a mapped task."""
    return task_id if map_index is None or map_index < 0 else f"{task_id}[{map_index}]"


def load_dag(errors: dict[str, str], poll_interval: float | None, dag_id: str = DAG_ID) -> Any:
    """The DAG, parsed afresh from AIRFLOW__CORE__DAGS_FOLDER, instrumented for one run.

    Parsed again for every run: the task runner resolves a run's conf into the DAG's own ``Param``
    objects, so in one process a second ``dag.test()`` would inherit the first run's conf values
    for keys it does not set (a worker runs each task in a fresh process and never sees that).
    """
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag()
    if bag.import_errors:
        raise SystemExit(f"the DAG folder has import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]

    def record_failure(context: Any) -> None:
        ti = context["ti"]
        errors[ti_key(ti.task_id, getattr(ti, "map_index", -1))] = str(context.get("exception"))

    # dag.test() cannot run a DAG with a Deadline Alert to success in Airflow 3.3: on success the
    # run looks its alerts up by the ids a scheduler-side DAG holds, and the in-process DAG holds
    # their definitions ("'dict' object has no attribute 'hex'"). Deadlines are the scheduler's job
    # anyway (dag.test never evaluates them); tests/e2e/test_game_day_airflow.py checks them for real.
    dag.deadline = None
    for task in dag.tasks:
        own = task.on_failure_callback or []  # the DAG's own (alerts) stay, the recorder goes last
        task.on_failure_callback = [*(own if isinstance(own, list) else [own]), record_failure]
        if poll_interval is not None and hasattr(task, "poll_interval"):
            task.poll_interval = poll_interval
    return dag


def main(spec_path: str, result_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_id = spec.get("dag_id", DAG_ID)
    results = []
    for conf in spec["runs"]:
        errors: dict[str, str] = {}
        dag = load_dag(errors, spec.get("poll_interval"), dag_id)
        try:
            run = dag.test(run_conf=conf)
        except Exception as exc:  # reported to the test, which decides
            results.append({"raised": f"{type(exc).__name__}: {exc}"})
            continue
        with create_session() as session:
            rows = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"
                )
            ).all()
            xcom = {ti_key(row.task_id, row.map_index): XComModel.deserialize_value(row) for row in rows}
            instances = run.get_task_instances(session=session)
            tasks = {ti_key(ti.task_id, ti.map_index): str(ti.state) for ti in instances}
            tries = {ti_key(ti.task_id, ti.map_index): ti.try_number for ti in instances}
        results.append(
            {
                "run_id": run.run_id,
                "state": str(run.state),
                "tasks": tasks,
                "tries": tries,
                "errors": errors,
                "xcom": xcom,
            }
        )
    Path(result_path).write_text(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
