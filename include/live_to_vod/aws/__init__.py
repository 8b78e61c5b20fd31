"""Airflow components in the amazon provider's shape: hooks, operators, sensors, triggers, links, waiters.

Importable by every Airflow component, the triggerer included: the project is installed
(editable) into the environment, so nothing depends on the DAG folder being on ``sys.path``.
"""
