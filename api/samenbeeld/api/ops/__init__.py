"""Operations around the apps, never imported by them: clusters, rounds over HTTP, Airflow.

``cluster`` starts and stops a local federation of service processes; ``client`` drives
rounds over the services' HTTP APIs as the hub's operator does; ``orchestration`` is what
the DAGs' tasks call; ``airflow_adapter`` is the only module that imports Airflow;
``airflow_stack`` runs a real Airflow; ``dag_test`` runs the DAGs in a child process;
``demo_run`` is ``samenbeeld demo``.
"""
