"""The Airflow pieces of the pipeline that call no AWS service: the operators that wait for an
event's end, publish and summarize, the task groups and defaults both DAGs wire, the form's
params and the Celery workers' settings. Importable by every Airflow component."""
