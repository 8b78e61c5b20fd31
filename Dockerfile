# The live-to-vod images: the official Airflow 3.3.2 image, extended as its docs describe
# (https://airflow.apache.org/docs/docker-stack/build.html). Two targets:
#
#   docker build --target airflow -t live-to-vod-airflow:3.3.2 .     # production (the default target)
#   docker build --target devstack -t live-to-vod-devstack:3.3.2 .   # the local media stack
#
# `airflow` runs every Airflow component (api-server, scheduler, dag-processor, triggerer, Celery
# workers, flower): requirements/runtime.lock and the live_to_vod package, nothing else of this
# repository's code, no test tooling. `devstack` runs the local AWS media stack and its seed (the
# compose `devstack` profile; development and demo only, never deployed).
# Python 3.11: the interpreter both locks were resolved with.

# The board's script (the UI plugin's front end): built from ui/board's package-lock.json; only the
# bundle reaches the image.
FROM node:20-bookworm-slim AS board
WORKDIR /build/ui/board
COPY ui/board/package.json ./package.json
COPY ui/board/package-lock.json ./package-lock.json
RUN npm ci --no-audit --no-fund
COPY ui/board/src ./src
RUN mkdir -p /build/plugins/live_to_vod_board/static && npm run build

# The runtime set, with apache-airflow pinned to the image's own version so pip can never change
# Airflow itself ($AIRFLOW_VERSION is set by the base image).
FROM apache/airflow:3.3.2-python3.11 AS runtime
# The base image runs as `airflow` (uid 50000, gid 0); pip installs into its user site.
USER airflow
COPY --chown=airflow:0 requirements/runtime.lock /opt/airflow/requirements/runtime.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements/runtime.lock

# The local media stack: the development set (the runtime set at the same versions, plus moto's
# server and the tools) and the whole project (live_to_vod, devstack, localrun: what seeds it).
FROM runtime AS devstack
COPY --chown=airflow:0 requirements/dev.lock /opt/airflow/requirements/dev.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements/dev.lock
COPY --chown=airflow:0 pyproject.toml /opt/airflow/project/pyproject.toml
COPY --chown=airflow:0 include/live_to_vod /opt/airflow/project/include/live_to_vod
COPY --chown=airflow:0 devstack /opt/airflow/project/devstack
COPY --chown=airflow:0 localrun /opt/airflow/project/localrun
RUN pip install --no-cache-dir --no-deps /opt/airflow/project \
    && rm -rf /opt/airflow/project
# The seed creates its roles from the same IAM documents as AWS.
COPY --chown=airflow:0 deploy/aws/iam /opt/airflow/deploy/aws/iam
ENV DEVSTACK_IAM_DIR=/opt/airflow/deploy/aws/iam

# Production. The project's pyproject.toml with include/live_to_vod alone: setuptools installs the
# packages it finds, so live_to_vod and nothing else. Installed (not only on the DAG folder's
# path), so every component imports it, the triggerer and the Celery config included.
FROM runtime AS airflow
COPY --chown=airflow:0 pyproject.toml /opt/airflow/project/pyproject.toml
COPY --chown=airflow:0 include/live_to_vod /opt/airflow/project/include/live_to_vod
RUN pip install --no-cache-dir --no-deps /opt/airflow/project \
    && rm -rf /opt/airflow/project

# DAGs, plugins and the season schedule (YAML) where Airflow and the settings look.
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --from=board --chown=airflow:0 /build/plugins/live_to_vod_board/static /opt/airflow/plugins/live_to_vod_board/static
COPY --chown=airflow:0 include/schedules /opt/airflow/include/schedules

# The installed package's default schedule dir would point into site-packages.
ENV LIVE_TO_VOD_SCHEDULE_DIR=/opt/airflow/include/schedules
