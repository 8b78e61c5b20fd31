"""The project run on this machine against the local media stack (``devstack``): the demo
(``make run``), ``airflow standalone``, the production topology as processes, and the demo seed.
Development, demo and tests only."""
