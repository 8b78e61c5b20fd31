# The live-to-vod Airflow image: the official Airflow 3.3.2 image, extended as its docs describe
# (https://airflow.apache.org/docs/docker-stack/build.html), plus this project's exact dependencies
# and code. One image for every component: api-server, scheduler, dag-processor, triggerer, Celery
# workers, flower, and the local media stack of the compose `devstack` profile.
#
#   docker build -t live-to-vod-airflow:3.3.2 .
#
# Python 3.11: the interpreter requirements.lock was resolved with.
FROM apache/airflow:3.3.2-python3.11

# The base image runs as `airflow` (uid 50000, gid 0); pip installs into its user site.
USER airflow

# The locked set, with apache-airflow pinned to the image's own version so pip can never change
# Airflow itself ($AIRFLOW_VERSION is set by the base image).
COPY --chown=airflow:0 requirements.lock /opt/airflow/requirements.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.lock

# The project's packages (live_to_vod from include/, devstack, localrun), without touching the locked set.
COPY --chown=airflow:0 pyproject.toml /opt/airflow/project/pyproject.toml
COPY --chown=airflow:0 include /opt/airflow/project/include
COPY --chown=airflow:0 devstack /opt/airflow/project/devstack
COPY --chown=airflow:0 localrun /opt/airflow/project/localrun
RUN pip install --no-cache-dir --no-deps /opt/airflow/project \
    && rm -rf /opt/airflow/project

# DAGs, plugins and include/ (the season schedule YAML) where Airflow and the settings look.
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --chown=airflow:0 include /opt/airflow/include
# The seed of the local media stack creates its roles from the same IAM documents as AWS.
COPY --chown=airflow:0 deploy/aws/iam /opt/airflow/deploy/aws/iam

# The installed package's default schedule dir would point into site-packages.
ENV LIVE_TO_VOD_SCHEDULE_DIR=/opt/airflow/include/schedules \
    DEVSTACK_IAM_DIR=/opt/airflow/deploy/aws/iam
