"""docker-compose.yml is checked offline, since CI has no Docker engine: against the Compose
specification's JSON schema (vendored by check-jsonschema), and against the code it runs -
service modules, ports, settings, secrets, health checks and start-up order.

Each rule is a function returning the problems it finds, run on the real file (no problems)
and on a copy broken on purpose (the problem is found), so a rule cannot pass vacuously.
"""

from __future__ import annotations

import copy
import importlib.resources
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from shared.ops import apidocs, apidocs_build
from shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|API_KEY)")
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[?+-])?(?P<arg>[^}]*)\}")


def load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def compose_schema() -> dict[str, Any]:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendor.joinpath("compose-spec.json").read_text())
    return schema


def ours(compose: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(compose name, definition, python module) of every service built from our image."""
    for name, service in compose["services"].items():
        if "build" in service:
            command = service["command"]
            assert command[:2] == ["python", "-m"], f"{name}: run as python -m <module>"
            yield name, service, command[2]


def settings_for(module: str) -> type[ServiceSettings]:
    """The settings class a module reads: a service's own, otherwise the shared one."""
    parts = module.split(".")
    if parts[0] == "services":
        return apidocs_build.settings_class(parts[1])
    return ServiceSettings


def interpolate(value: str) -> str:
    """Compose's interpolation with every required variable set to a 40-character value."""

    def one(match: re.Match[str]) -> str:
        op, arg = match["op"] or "", match["arg"]
        if op.endswith("?"):
            return "x" * 40
        if op.endswith("-"):
            return arg
        return ""

    return VARIABLE.sub(one, value)


# -- the rules ------------------------------------------------------------------------------


def schema_problems(compose: dict[str, Any]) -> list[str]:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose)
    ]


def module_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, _service, module in ours(compose):
        if module.startswith("services."):
            package = module.split(".")[1]
            if not (REPO / "services" / package / "__main__.py").exists():
                problems.append(f"{name}: services/{package} does not exist")
        elif importlib.util.find_spec(module) is None:
            problems.append(f"{name}: no module {module}")
    return problems


def port_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, service, module in ours(compose):
        if not module.startswith("services."):
            continue
        settings = settings_for(module)
        default = settings.model_fields["http_port"].default
        published = [str(p) for p in service.get("ports", [])]
        if published != [f"{default}:{default}"]:
            problems.append(f"{name}: ports {published}, settings default {default}")
        port_env = f"{module.split('.')[1].upper()}_HTTP_PORT"
        if service["environment"].get(port_env) != str(default):
            problems.append(f"{name}: {port_env} is not {default}")
        if str(default) not in service["healthcheck"]["test"]:
            problems.append(f"{name}: health check does not ask port {default}")
    return problems


def environment_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, service, module in ours(compose):
        known = apidocs_build.env_names(settings_for(module))
        for variable in service.get("environment", {}):
            if variable.upper() not in known:
                problems.append(f"{name}: {variable} is not a setting of {module}")
    return problems


def secret_problems(compose: dict[str, Any], text: str) -> list[str]:
    """Secrets are never written in the file nor defaulted: ``${VAR:?message}`` only."""
    problems = []
    for match in VARIABLE.finditer(text):
        if SECRET_NAME.search(match["name"]) and match["op"] != ":?":
            problems.append(f"${{{match['name']}}} must be required: ${{{match['name']}:?...}}")
    for name, service, _module in ours(compose):
        for variable, value in service.get("environment", {}).items():
            if SECRET_NAME.search(variable) and not VARIABLE.fullmatch(str(value)):
                problems.append(f"{name}: {variable} is written in the file")
    return problems


def settings_problems(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each service's settings, from exactly this environment, pass its own validation."""
    problems = []
    for name, service, module in ours(compose):
        cls = settings_for(module)
        with monkeypatch.context() as env:
            for variable in apidocs_build.env_names(cls):
                env.delenv(variable, raising=False)
            for variable, value in service.get("environment", {}).items():
                env.setenv(variable, interpolate(str(value)))
            try:
                cls(_env_file=None)  # type: ignore[call-arg]
            except ValueError as error:
                problems.append(f"{name}: {error}")
    return problems


def health_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    services = compose["services"]
    for name, service, module in ours(compose):
        long_running = module != "shared.cli"
        if long_running and "healthcheck" not in service:
            problems.append(f"{name}: no health check")
        if module.startswith("services."):
            needs = service.get("depends_on", {})
            for infrastructure in ("kafka", "postgres"):
                if needs.get(infrastructure, {}).get("condition") != "service_healthy":
                    problems.append(f"{name}: does not wait for {infrastructure} to be healthy")
    for name, service in services.items():
        needs = service.get("depends_on", {})
        if isinstance(needs, list):
            problems.append(f"{name}: depends_on without conditions")
            continue
        for target, rule in needs.items():
            wanted = (
                "service_healthy"
                if "healthcheck" in services[target]
                else "service_completed_successfully"
                if services[target].get("command", [None])[-1] == "topics"
                else "service_started"
            )
            if rule.get("condition") != wanted:
                problems.append(f"{name}: should wait for {target} with {wanted}")
    return problems


def database_problems(compose: dict[str, Any]) -> list[str]:
    """Each service's database URL names a database the init script creates, on PostgreSQL."""
    created = set(
        re.findall(
            r"CREATE DATABASE (\w+);", (REPO / "deploy/compose/create-databases.sql").read_text()
        )
    )
    problems = []
    for name, service, module in ours(compose):
        if not module.startswith("services."):
            continue
        variable = f"{module.split('.')[1].upper()}_DATABASE_URL"
        url = str(service["environment"].get(variable, ""))
        if not url.startswith("postgresql+asyncpg://"):
            problems.append(f"{name}: {variable} is not PostgreSQL")
        elif url.rsplit("/", 1)[-1] not in created:
            problems.append(f"{name}: database {url.rsplit('/', 1)[-1]} is never created")
    return problems


# -- the real file --------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    assert schema_problems(load()) == []


def test_compose_runs_each_of_our_services_and_only_existing_modules() -> None:
    compose = load()
    assert module_problems(compose) == []
    run = {
        module.split(".")[1] for _n, _s, module in ours(compose) if module.startswith("services.")
    }
    assert run == set(apidocs.SERVICES)


def test_ports_are_the_services_default_ports() -> None:
    assert port_problems(load()) == []


def test_every_environment_variable_is_a_real_setting() -> None:
    assert environment_problems(load()) == []


def test_secrets_are_required_and_never_written_down() -> None:
    assert secret_problems(load(), COMPOSE.read_text()) == []


def test_each_service_starts_with_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_problems(load(), monkeypatch) == []


def test_health_checks_and_start_up_order() -> None:
    assert health_problems(load()) == []


def test_each_service_has_its_own_postgresql_database() -> None:
    assert database_problems(load()) == []


# -- the rules catch what they guard --------------------------------------------------------


def test_the_schema_rejects_an_unknown_key() -> None:
    broken = copy.deepcopy(load())
    broken["services"]["registry"]["restart_policy"] = "always"
    assert schema_problems(broken)


def test_a_missing_service_is_reported() -> None:
    broken = copy.deepcopy(load())
    broken["services"]["referrals"]["command"] = ["python", "-m", "services.referral"]
    assert module_problems(broken) == ["referrals: services/referral does not exist"]


def test_a_wrong_port_is_reported() -> None:
    broken = copy.deepcopy(load())
    broken["services"]["notifications"]["ports"] = ["8005:8003"]
    assert port_problems(broken)


def test_an_unknown_environment_variable_is_reported() -> None:
    broken = copy.deepcopy(load())
    broken["services"]["registry"]["environment"]["REGISTRY_DB_URL"] = "x"
    assert environment_problems(broken) == [
        "registry: REGISTRY_DB_URL is not a setting of services.registry"
    ]


def test_a_defaulted_or_written_secret_is_reported() -> None:
    text = COMPOSE.read_text().replace("${TOKEN_SECRET:?", "${TOKEN_SECRET:-")
    assert secret_problems(load(), text)
    broken = copy.deepcopy(load())
    broken["services"]["registry"]["environment"]["TOKEN_SECRET"] = "x" * 40
    assert secret_problems(broken, COMPOSE.read_text()) == [
        "registry: TOKEN_SECRET is written in the file"
    ]


def test_settings_a_service_would_refuse_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = copy.deepcopy(load())
    broken["services"]["referrals"]["environment"]["CARERS_ENV"] = "production"
    broken["services"]["referrals"]["environment"]["REFERRALS_DATABASE_URL"] = "sqlite:///x"
    assert [p.split(":")[0] for p in settings_problems(broken, monkeypatch)] == ["referrals"]


def test_compose_in_production_mode_is_refused_for_want_of_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = copy.deepcopy(load())
    for _name, service, _module in ours(broken):
        service["environment"] = {**service.get("environment", {}), "CARERS_ENV": "production"}
    problems = [p for p in settings_problems(broken, monkeypatch) if "TOKEN_SECRET" not in p]
    services = [
        name for name, service, _ in ours(broken) if "TOKEN_SECRET" in service["environment"]
    ]
    assert len(problems) == len(services) == 5
    assert all("KAFKA_SECURITY_PROTOCOL" in p for p in problems), problems


def test_a_missing_health_check_or_condition_is_reported() -> None:
    broken = copy.deepcopy(load())
    del broken["services"]["consultation"]["healthcheck"]
    broken["services"]["registry"]["depends_on"]["kafka"] = {"condition": "service_started"}
    problems = health_problems(broken)
    assert "consultation: no health check" in problems
    assert "registry: does not wait for kafka to be healthy" in problems
