"""The single-host deployment: docker-compose.yaml, its Dockerfile, .dockerignore and .env.example,
and the Helm values of the Kubernetes deployment.

Static checks only (no Docker daemon, no network): the compose file is valid Compose (the vendored
Compose Specification schema), runs exactly the production topology of localrun/topology.py, keeps
every secret out of the file, publishes ports on loopback only, and its workers scale; the
Dockerfile's production target holds the runtime set and live_to_vod only, the local stack has its
own target. (tests/deploy/test_runtime_set.py runs the runtime set itself.)
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from devstack.config import Settings
from live_to_vod.airflow_settings import AIRFLOW_SETTINGS, settings_table
from live_to_vod.config import ENV_VARIABLES  # every LIVE_TO_VOD_* variable the settings read
from localrun.seed import DEMO
from localrun.topology import INFRASTRUCTURE, SERVICES
from tests.deploy.locks import DEV_ONLY_DISTRIBUTIONS, DEV_ONLY_PACKAGES, RUNTIME_LOCK, pins

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
SCHEMA_FILE = ROOT / "deploy" / "schema" / "compose-spec.json"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
CELERY_CONFIG = "live_to_vod.pipeline.celery_config.CELERY_CONFIG"
AIRFLOW_VERSION = "3.3.2"
# One-shot services: they exit when done, so they have no healthcheck; others wait for them to
# complete successfully.
ONE_SHOT = {"airflow-init"}
# Names of secret settings: passwords, secret and Fernet keys, tokens, access keys.
SECRET_KEY_RE = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|ACCESS_KEY|_KEY$")
# A required variable: compose refuses to start when it is unset or empty.
REQUIRED_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]+\}")
# The Dockerfile's targets: production (every Airflow component) and the local media stack.
PRODUCTION_TARGET = "airflow"
DEVSTACK_TARGET = "devstack"


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the anchors and `<<:` merge keys, as Compose does.
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def airflow_services(services: dict[str, dict]) -> dict[str, dict]:
    """The services running Airflow (those with Airflow's settings): SERVICES' Airflow entries and flower."""
    return {name: s for name, s in services.items() if "AIRFLOW__CORE__EXECUTOR" in (s.get("environment") or {})}


def argv(command: str | list[str]) -> list[str]:
    """A compose or topology command as the image's entrypoint runs it.

    The rule: a command is a list of words (a compose string is split like a shell would), and a
    leading ``airflow`` is dropped, because the official image's entrypoint runs ``airflow <args>``
    for anything that is not ``bash`` or ``python`` and drops a leading ``airflow`` itself: ``airflow
    scheduler`` and ``scheduler`` are the same container command.
    """
    words = shlex.split(command) if isinstance(command, str) else list(command)
    return words[1:] if words[:1] == ["airflow"] else words


def strings(node) -> list[str]:
    """Every string value in a loaded YAML document (comments are gone)."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def with_defaults(text: str) -> str:
    """``text`` as compose interpolates it with no variable set: ``${VAR:-default}`` -> default."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", text)


def env_example() -> dict[str, str]:
    """The active (uncommented) assignments of .env.example."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# -- valid Compose ------------------------------------------------------------------------------


def test_the_compose_file_is_valid_against_the_compose_specification(compose):
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft-07/schema"
    jsonschema.Draft7Validator.check_schema(schema)
    errors = jsonschema.Draft7Validator(schema).iter_errors(compose)
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors] == []


def test_the_schema_check_is_not_vacuous(compose):
    schema = json.loads(SCHEMA_FILE.read_text())
    broken = copy.deepcopy(compose)
    broken["services"]["airflow-worker"]["container_nam"] = "typo"
    broken["services"]["postgres"]["healthcheck"]["retries"] = ["five"]
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) == 2


# -- the production topology --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_topology_service_has_a_compose_twin_running_the_same_command(services, name):
    assert name in services, f"localrun/topology.py names {name!r}; docker-compose.yaml has no such service"
    assert argv(services[name]["command"]) == argv(SERVICES[name])


def test_the_infrastructure_services_exist_and_airflow_uses_them(services):
    assert set(INFRASTRUCTURE) == {"postgres", "redis"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres/airflow")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0")


def test_every_long_running_service_has_a_healthcheck(services):
    one_shot = {name for name, s in services.items() if s.get("restart", "no") == "no"}
    assert one_shot == ONE_SHOT
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_dependencies_wait_for_health_or_completion_as_in_airflows_compose_file(services):
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert spec == {"condition": expected}, f"{name} -> {dependency}"
    for name, service in airflow_services(services).items():
        needs = service["depends_on"]
        assert {"postgres", "redis"} <= set(needs), name
        if name != "airflow-init":
            assert "airflow-init" in needs, name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"] == {"condition": "service_healthy"}


def test_without_a_profile_nothing_depends_on_a_profiled_service(services):
    profiled = {name for name, s in services.items() if s.get("profiles")}
    assert profiled == {"flower", "devstack", "devstack-seed"}
    for name, service in services.items():
        if not service.get("profiles"):
            assert not set(service.get("depends_on") or {}) & profiled, name


def test_workers_scale(services):
    """`docker compose up --scale airflow-worker=3` needs distinct names and no fixed host port."""
    worker = services["airflow-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "hostname" not in worker
    assert not [name for name, s in services.items() if "container_name" in s]


# -- settings -----------------------------------------------------------------------------------


def test_airflow_runs_with_celery_fab_auth_and_deferrable_operators(services):
    airflow = airflow_services(services)
    assert set(airflow) == {n for n, cmd in SERVICES.items() if cmd[0] == "airflow"} | {"flower"}
    for name, service in airflow.items():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB_AUTH_MANAGER, name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true", name
        for setting in AIRFLOW_SETTINGS:  # the workload's settings, as the local deployments run them
            assert with_defaults(str(env[setting.env_name])) == setting.value, (name, setting.env_name)
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == CELERY_CONFIG, name
        assert not [key for key in env if "SIMPLE_AUTH_MANAGER" in key], name
    init = services["airflow-init"]["environment"]
    assert init["_AIRFLOW_DB_MIGRATE"] == "true" and init["_AIRFLOW_WWW_USER_CREATE"] == "true"


def test_aws_and_deployment_settings_come_from_the_environment(services):
    """Every LIVE_TO_VOD_* setting of include/live_to_vod/config.py, and the AWS connection."""
    for name, service in airflow_services(services).items():
        env = service["environment"]
        for variable in [*ENV_VARIABLES.values(), "AIRFLOW_CONN_AWS_DEFAULT"]:
            assert re.fullmatch(rf"\$\{{{variable}:-[^}}]*\}}", str(env.get(variable))), f"{name}: {variable}"


def test_no_secret_is_written_in_the_compose_file(services):
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_KEY_RE.search(key):
                assert REQUIRED_VAR_RE.fullmatch(value), f"{name}: {key} must be ${{VAR:?why}}"
            for credentials in re.findall(r"://([^/@\s]*)@", value):  # user:password@ in URLs
                _, _, password = credentials.partition(":")
                assert REQUIRED_VAR_RE.fullmatch(password), f"{name}: {key} has a literal password"


def test_env_example_documents_every_required_variable_without_a_value(compose):
    required = {name for text in strings(compose) for name in REQUIRED_VAR_RE.findall(text)}
    assert required >= {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_FERNET_KEY"}
    assert required >= {"AIRFLOW_API_SECRET_KEY", "AIRFLOW_JWT_SECRET"}
    example = env_example()
    for variable in required:
        assert variable in example, f".env.example does not document {variable}"
        assert example[variable] == "", f".env.example must not carry a value for {variable}"


def test_the_devstack_values_in_env_example_are_what_the_seed_creates(monkeypatch):
    monkeypatch.delenv("DEVSTACK_ACCOUNT_ID", raising=False)
    account = Settings.from_env().account_id
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented = dict(line.lstrip("# ").split("=", 1) for line in lines if line.startswith("# LIVE_TO_VOD_"))
    assert documented == {
        "LIVE_TO_VOD_S3_BUCKET": DEMO["bucket"],
        "LIVE_TO_VOD_HARVEST_ROLE_ARN": f"arn:aws:iam::{account}:role/{DEMO['harvest_role']}",
        "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN": f"arn:aws:iam::{account}:role/{DEMO['vod_role']}",
        "LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN": f"arn:aws:iam::{account}:role/{DEMO['mediaconvert_role']}",
        "LIVE_TO_VOD_MEDIACONVERT_OUTPUTS": "mp4,thumbnails",
        "LIVE_TO_VOD_PACKAGING_GROUP_ID": DEMO["packaging_group_id"],
        # moto names a queue by the host the seed called: the devstack service.
        "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL": f"http://devstack:4566/{account}/{DEMO['queue']}",
        "LIVE_TO_VOD_END_MARGIN_SECONDS": "5",
    }
    assert '"endpoint_url": "http://devstack:4566"' in ENV_EXAMPLE.read_text()


def test_published_ports_bind_loopback_only(services):
    published = 0
    for name, service in services.items():
        for port in service.get("ports", []):
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:  # "HOST_IP:HOST:CONTAINER"; without HOST_IP, docker binds every interface
                assert re.fullmatch(r"127\.0\.0\.1:\d+:\d+", with_defaults(str(port))), f"{name}: {port}"
    assert published >= 3  # api-server, flower, devstack


def test_the_devstack_profile_runs_the_stack_on_all_interfaces_inside_the_network(services):
    stack = services["devstack"]
    assert stack["profiles"] == ["devstack"]
    assert stack["environment"]["DEVSTACK_HOST"] == "0.0.0.0"
    assert stack["environment"]["DEVSTACK_PUBLIC_URL"] == "http://devstack:4566"
    assert stack["ports"] == ["127.0.0.1:4566:4566"]
    seed = services["devstack-seed"]
    assert seed["profiles"] == ["devstack"]
    assert "python -m localrun seed" in " ".join(seed["command"])
    assert seed["environment"]["DEVSTACK_PUBLIC_URL"] == stack["environment"]["DEVSTACK_PUBLIC_URL"]
    assert seed["depends_on"] == {"devstack": {"condition": "service_healthy"}}
    assert seed["image"] == stack["image"] != services["airflow-scheduler"]["image"]


# -- the images ---------------------------------------------------------------------------------


def dockerfile_stages() -> dict[str, dict]:
    """The Dockerfile's stages in order: name -> {"from": base, "lines": instructions}.

    Comments dropped, continuation lines joined, so each instruction is one line.
    """
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: dict[str, dict] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := re.fullmatch(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE):
            base, name = match.groups()
            assert name, f"every stage is named: {line}"
            stages[name] = {"from": base, "lines": []}
        stages[name]["lines"].append(line)
    return stages


def build_instructions(target: str) -> list[str]:
    """Every instruction that makes ``target``: its own and its parent stages', base first."""
    stages = dockerfile_stages()
    lines: list[str] = []
    while target in stages:
        lines = stages[target]["lines"] + lines
        target = stages[target]["from"]
    return lines


def copies(lines: list[str]) -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context in ``lines``: one source each,
    ``--chown=airflow:0`` into the Airflow image (the board's node stage builds as root)."""
    found = [line for line in lines if line.startswith("COPY ") and "--from=" not in line]
    pairs = [re.fullmatch(r"COPY (?:--chown=airflow:0 )?(\S+) (\S+)", line) for line in found]
    assert all(pairs), found  # one source each, no other form
    return [pair.groups() for pair in pairs]


def stage_copies(lines: list[str]) -> list[tuple[str, str, str]]:
    """(stage, source, destination) of every COPY from another build stage in ``lines``."""
    found = [line for line in lines if line.startswith("COPY ") and "--from=" in line]
    pairs = [re.fullmatch(r"COPY --from=(\S+) --chown=airflow:0 (\S+) (\S+)", line) for line in found]
    assert all(pairs), found
    return [pair.groups() for pair in pairs]


def requirement_files(lines: list[str]) -> list[str]:
    """The requirement files (``-r``) the RUN instructions in ``lines`` install."""
    runs = [line for line in lines if line.startswith("RUN ")]
    return [path for line in runs for path in re.findall(r"(?:-r|--requirement)[ =](\S+)", line)]


def project_packages() -> list[str]:
    """The top-level packages pyproject.toml's setuptools config names (live_to_vod, devstack, ...)."""
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    return [pattern.rstrip("*") for pattern in find["include"]]


def test_the_images_extend_airflow_3_3_2_and_production_is_the_default_target():
    stages = dockerfile_stages()
    assert list(stages) == ["board", "runtime", DEVSTACK_TARGET, PRODUCTION_TARGET]  # the last: `docker build .`
    assert stages["board"]["from"] == "node:20-bookworm-slim"  # builds the board's script, nothing else
    base = stages["runtime"]["from"]
    assert re.fullmatch(rf"apache/airflow:{re.escape(AIRFLOW_VERSION)}-python3\.11", base)
    assert stages["runtime"]["from"] == base
    assert stages[DEVSTACK_TARGET]["from"] == stages[PRODUCTION_TARGET]["from"] == "runtime"


def test_the_production_target_installs_the_runtime_lock_only():
    lines = build_instructions(PRODUCTION_TARGET)
    assert requirement_files(lines) == ["/opt/airflow/requirements/runtime.lock"]
    installs = [line for line in lines if line.startswith("RUN pip install")]
    # The lock, with Airflow pinned to the image's own version (the official way to extend it).
    assert installs[0] == (
        'RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements/runtime.lock'
    )
    assert pins(RUNTIME_LOCK)["apache-airflow"] == AIRFLOW_VERSION
    assert dict(copies(lines))["requirements/runtime.lock"] == "/opt/airflow/requirements/runtime.lock"
    # Nothing installed beside the lock and the project: no dev lock, no tool by name.
    for line in lines:
        assert "dev.lock" not in line, line
        if line.startswith("RUN "):
            assert not [name for name in DEV_ONLY_DISTRIBUTIONS if re.search(rf"\b{name}\b", line)], line


def test_the_production_requirement_set_has_no_test_tooling_and_no_emulator():
    copied = copies(build_instructions(PRODUCTION_TARGET))
    (requirements,) = {source for source, _ in copied if source.startswith("requirements/")}
    installed = pins(ROOT / requirements)
    assert {"apache-airflow", "apache-airflow-providers-amazon", "av", "m3u8", "pyyaml"} <= set(installed)
    assert sorted(DEV_ONLY_DISTRIBUTIONS & set(installed)) == []


def test_the_production_target_holds_live_to_vod_and_no_other_code_of_this_repository():
    lines = build_instructions(PRODUCTION_TARGET)
    copied = dict(copies(lines))
    for source in copied:
        assert source != "." and not source.startswith(("..", "/")), source
        assert source.split("/")[0] not in {*DEV_ONLY_PACKAGES, "tests", "bench", "deploy"}, source
    # The project is built from pyproject.toml and include/live_to_vod alone: setuptools finds only
    # live_to_vod (the other packages it names are not there).
    project = sorted(source for source, target in copied.items() if target.startswith("/opt/airflow/project/"))
    assert project == ["include/live_to_vod", "pyproject.toml"]
    assert copied["include/live_to_vod"] == "/opt/airflow/project/include/live_to_vod"
    assert "live_to_vod" in project_packages()
    assert any("pip install --no-cache-dir --no-deps /opt/airflow/project" in line for line in lines)
    assert copied["dags"] == "/opt/airflow/dags"
    assert copied["plugins"] == "/opt/airflow/plugins"
    # The board's bundle, built in the node stage from ui/board's lock; no node_modules, no sources.
    assert stage_copies(lines) == [
        ("board", "/build/plugins/live_to_vod_board/static", "/opt/airflow/plugins/live_to_vod_board/static")
    ]
    board = dockerfile_stages()["board"]["lines"]
    assert "RUN npm ci --no-audit --no-fund" in board
    assert sorted(dict(copies(board))) == ["ui/board/package-lock.json", "ui/board/package.json", "ui/board/src"]
    assert copied["include/schedules"] == "/opt/airflow/include/schedules"
    assert "ENV LIVE_TO_VOD_SCHEDULE_DIR=/opt/airflow/include/schedules" in lines


def test_the_devstack_target_holds_the_development_set_and_every_package_of_the_project():
    lines = build_instructions(DEVSTACK_TARGET)
    assert requirement_files(lines) == ["/opt/airflow/requirements/runtime.lock", "/opt/airflow/requirements/dev.lock"]
    copied = dict(copies(lines))
    # Every package pyproject.toml names and the repository has (localrun once it exists, say).
    where = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["where"]
    for package in project_packages():
        sources = [f"{root}/{package}".removeprefix("./") for root in where if (ROOT / root / package).is_dir()]
        assert sources, f"pyproject.toml names {package!r}, the repository has no such package"
        assert copied.get(sources[0]) == f"/opt/airflow/project/{sources[0]}", f"the devstack image lacks {package}"
    assert copied["deploy/aws/iam"] == "/opt/airflow/deploy/aws/iam"
    assert "ENV DEVSTACK_IAM_DIR=/opt/airflow/deploy/aws/iam" in lines


def test_each_service_builds_its_own_target(services):
    targets = set(dockerfile_stages())
    devstack = {name for name, s in services.items() if s.get("profiles") == [DEVSTACK_TARGET]}
    assert devstack == {"devstack", "devstack-seed"}
    for name, service in services.items():
        if name in {"postgres", "redis"}:
            assert "build" not in service, name
            continue
        expected = DEVSTACK_TARGET if name in devstack else PRODUCTION_TARGET
        assert service["build"] == {"context": ".", "target": expected}, name
        assert expected in targets
    images = {name: with_defaults(s["image"]) for name, s in services.items() if "build" in s}
    assert {images[name] for name in devstack} == {"live-to-vod-devstack:3.3.2"}
    assert {image for name, image in images.items() if name not in devstack} == {"live-to-vod-airflow:3.3.2"}
    assert set(airflow_services(services)) == set(images) - devstack


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    rules = [line for line in DOCKERIGNORE.read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {source for stage in dockerfile_stages() for source, _ in copies(build_instructions(stage))}
    assert allowed == copied
    assert ".env" not in allowed


def test_the_deploy_docs_show_the_current_workload_settings():
    page = (ROOT / "docs" / "deploy.md").read_text()
    begin = "<!-- airflow settings: generated by `python -m live_to_vod.airflow_settings`, do not edit -->\n"
    assert begin in page, "docs/deploy.md has no generated settings table"
    block = page.split(begin, 1)[1].split("\n\n", 1)[0].rstrip("\n")
    assert block == settings_table(), "docs/deploy.md is stale: paste `python -m live_to_vod.airflow_settings` into it"


# -- Kubernetes (the official Helm chart) -------------------------------------------------------


def test_the_helm_values_match_the_compose_deployment(services):
    values = yaml.safe_load(HELM_VALUES.read_text())
    assert values["executor"] == "CeleryExecutor"
    assert values["airflowVersion"] == AIRFLOW_VERSION
    assert values["config"]["core"]["auth_manager"] == FAB_AUTH_MANAGER
    for setting in AIRFLOW_SETTINGS:
        assert values["config"][setting.section][setting.key] == setting.value, setting.env_name
    assert values["config"]["celery"]["celery_config_options"] == CELERY_CONFIG
    assert values["triggerer"]["enabled"] and values["dagProcessor"]["enabled"]
    assert values["workers"]["celery"]["replicas"] >= 2
    # Secrets only by reference to existing Kubernetes secrets.
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert values[key], key
    assert values["data"]["metadataSecretName"] and values["data"]["brokerUrlSecretName"]
    for literal in ("fernetKey", "apiSecretKey", "jwtSecret", "webserverSecretKey"):
        assert not values.get(literal), literal
    assert "metadataConnection" not in values["data"]
    secret_env = {s["envName"] for s in values["secret"]}
    assert "AIRFLOW_CONN_AWS_DEFAULT" in secret_env
    env = {e["name"]: e["value"] for e in values["env"]}
    assert not [name for name in env if SECRET_KEY_RE.search(name)]
    for variable in ("LIVE_TO_VOD_S3_BUCKET", "LIVE_TO_VOD_HARVEST_ROLE_ARN", "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN"):
        assert variable in env
    assert set(env) | secret_env <= set(ENV_VARIABLES.values()) | {"AIRFLOW_CONN_AWS_DEFAULT"}
    # The AWS role of the workers and triggerers (IRSA) carries the worker policy.
    for component in ("workers", "triggerer"):
        annotations = values[component]["serviceAccount"]["annotations"]
        assert annotations["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
