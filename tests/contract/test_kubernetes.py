"""deploy/k8s is checked offline, since CI has no cluster.

- The Kustomize base and production overlay are rendered - with ``kubectl kustomize`` where
  it is installed, and always with the small pure-Python renderer below (the subset of
  Kustomize these files use), which must agree with kubectl wherever both run - and every
  resource is validated against the Kubernetes API schemas shipped by kubernetes-validate.
- The rendered Deployments are checked against the code: ports, /health probes, memory
  limit, non-root read-only containers, a migration init container, environment variables
  that are real settings, and production settings that pass the services' own validation.
- The Strimzi resources are checked against a schema of the Strimzi fields we rely on
  (kafka.strimzi.io/v1beta2, from Strimzi's documented CRDs), topics against
  shared/topics.py, and each KafkaUser's ACLs against the ACLs derived from the generated
  AsyncAPI documents (what each service reads and writes, and its consumer groups).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared import topics
from shared.kafka import principals
from shared.ops import apidocs, apidocs_build
from shared.topics import TOPICS

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
STRIMZI = K8S / "strimzi"
KUBERNETES_VERSION = "1.32"
MAX_RETENTION_MS = 30 * 86_400_000  # the council's retention schedule: docs/data-flow.md
CLUSTER = "carers"
Resource = dict[str, Any]


# -- rendering ------------------------------------------------------------------------------


def _load_all(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge as Kustomize applies it to these files: maps merge key by key; lists
    of maps that all have a ``name`` (containers, env, volumes, mounts) merge by name, items
    new to the list first (as Kustomize orders them); any other list is replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    named = (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
    )
    if named:
        patches = {item["name"]: item for item in patch}
        names = {item["name"] for item in base}
        added = [copy.deepcopy(item) for item in patch if item["name"] not in names]
        kept = [
            _merge(item, patches[item["name"]]) if item["name"] in patches else copy.deepcopy(item)
            for item in base
        ]
        return added + kept
    return copy.deepcopy(patch)


def render_python(directory: Path) -> list[Resource]:
    """Kustomize's build for the features deploy/k8s uses: resources, namespace, labels,
    patches (strategic merge, matched by kind and name), replicas and images."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    known = {"apiVersion", "kind", "resources", "namespace", "labels", "patches", "replicas"}
    unsupported = set(kustomization) - known - {"images"}
    assert not unsupported, f"the Python renderer does not know {unsupported}: extend it"
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources += render_python(path) if path.is_dir() else _load_all(path)
    for patch_entry in kustomization.get("patches", []):
        for patch in _load_all(directory / patch_entry["path"]):
            key = (patch["kind"], patch["metadata"]["name"])
            index = next(
                i for i, r in enumerate(resources) if (r["kind"], r["metadata"]["name"]) == key
            )
            resources[index] = _merge(resources[index], patch)
    for rule in kustomization.get("replicas", []):
        for resource in resources:
            if resource["kind"] == "Deployment" and resource["metadata"]["name"] == rule["name"]:
                resource["spec"]["replicas"] = rule["count"]
    for image in kustomization.get("images", []):
        for resource in resources:
            for container in _all_containers(resource):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for resource in resources:
        for label in kustomization.get("labels", []):
            resource["metadata"].setdefault("labels", {}).update(label["pairs"])
        if "namespace" in kustomization:
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def render_kubectl(directory: Path) -> list[Resource] | None:
    """``kubectl kustomize`` (real Kustomize), or None where kubectl is not installed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    answer = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True
    )
    return [doc for doc in yaml.safe_load_all(answer.stdout) if doc]


def by_name(resources: Iterable[Resource]) -> dict[tuple[str, str], Resource]:
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


def _all_containers(resource: Resource) -> list[dict[str, Any]]:
    if resource["kind"] != "Deployment":
        return []
    spec = resource["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(scope="module", params=["base", "production"])
def rendered(request: pytest.FixtureRequest) -> tuple[str, dict[tuple[str, str], Resource]]:
    directory = BASE if request.param == "base" else PRODUCTION
    return request.param, by_name(render_python(directory))


@pytest.fixture(scope="module")
def production() -> dict[tuple[str, str], Resource]:
    return by_name(render_python(PRODUCTION))


# -- the renderer is right ------------------------------------------------------------------


@pytest.mark.parametrize("directory", [BASE, PRODUCTION, STRIMZI], ids=lambda p: p.name)
def test_the_python_renderer_agrees_with_kubectl_kustomize(directory: Path) -> None:
    real = render_kubectl(directory)
    if real is None:
        pytest.skip("kubectl is not installed: the Python renderer alone is used")
    assert by_name(render_python(directory)) == by_name(real)


def test_the_overlay_changes_what_production_needs(production: dict[Any, Resource]) -> None:
    base = by_name(render_python(BASE))
    assert base[("ConfigMap", "carers-config")]["data"]["CARERS_ENV"] == "development"
    assert production[("ConfigMap", "carers-config")]["data"]["CARERS_ENV"] == "production"
    assert all(r["metadata"]["namespace"] == "carers" for r in production.values())


# -- Kubernetes schemas ---------------------------------------------------------------------


def test_every_rendered_resource_is_valid_kubernetes(
    rendered: tuple[str, dict[Any, Resource]],
) -> None:
    for key, resource in rendered[1].items():
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{rendered[0]} {key}: {error.message}")


def test_the_schema_check_catches_a_misspelt_field(production: dict[Any, Resource]) -> None:
    broken = copy.deepcopy(production[("Deployment", "registry")])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


# -- the Deployments match the code ---------------------------------------------------------


def deployment_problems(resources: dict[tuple[str, str], Resource], service: str) -> list[str]:
    """What is wrong with one service's Deployment and Service."""
    problems: list[str] = []
    deployment = resources.get(("Deployment", service))
    if deployment is None or ("Service", service) not in resources:
        return [f"{service}: no Deployment and Service"]
    port = apidocs_build.settings_class(service).model_fields["http_port"].default
    pod = deployment["spec"]["template"]["spec"]
    main = next((c for c in pod["containers"] if c["name"] == service), None)
    if main is None:
        return [f"{service}: no container named {service}"]
    if main.get("ports") != [{"name": "http", "containerPort": port}]:
        problems.append(f"{service}: container port is not {port}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        if main.get(probe, {}).get("httpGet", {}).get("path") != "/health":
            problems.append(f"{service}: {probe} does not ask /health")
    migrations = [
        c
        for c in pod.get("initContainers", [])
        if c.get("command") == ["python", "-m", f"services.{service}", "migrate"]
    ]
    if not migrations:
        problems.append(f"{service}: no init container running the migrations")
    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append(f"{service}: pod may run as root")
    for container in [main, *migrations]:
        limits = container.get("resources", {}).get("limits", {})
        wanted = MEMORY_LIMITS.get(container["name"], "256Mi")
        if limits.get("memory") != wanted or not container["resources"].get("requests"):
            problems.append(f"{service}/{container['name']}: memory limit is not {wanted}")
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{service}/{container['name']}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{service}/{container['name']}: may escalate privileges")
    mounts = {m["mountPath"] for m in main.get("volumeMounts", [])}
    if "/tmp" not in mounts:
        problems.append(f"{service}: no writable /tmp for a read-only root filesystem")
    return problems


MEMORY_LIMITS = {"consultation": "512Mi"}
"""Containers whose limit is not 256Mi: the consultation service holds the theme model
(~400 MB resident with it, measured; docs/operations.md)."""


def container_environment(
    resources: dict[tuple[str, str], Resource], container: dict[str, Any]
) -> dict[str, str | tuple[str, str]]:
    """Each variable a container gets: a value, or ("secret", "<name>/<key>")."""
    env: dict[str, str | tuple[str, str]] = {}
    for source in container.get("envFrom", []):
        config = resources[("ConfigMap", source["configMapRef"]["name"])]
        env.update(config["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = ("secret", f"{ref['name']}/{ref['key']}")
    return env


def test_each_service_has_a_sound_deployment(rendered: tuple[str, dict[Any, Resource]]) -> None:
    for service in apidocs.SERVICES:
        assert deployment_problems(rendered[1], service) == []


def test_a_broken_deployment_is_reported(production: dict[Any, Resource]) -> None:
    broken = copy.deepcopy(production)
    pod = broken[("Deployment", "referrals")]["spec"]["template"]["spec"]
    pod["containers"][0]["resources"]["limits"]["memory"] = "1Gi"
    pod["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/"
    pod["initContainers"] = []
    assert deployment_problems(broken, "referrals") == [
        "referrals: readinessProbe does not ask /health",
        "referrals: no init container running the migrations",
        "referrals/referrals: memory limit is not 256Mi",
    ]


def test_every_environment_variable_is_a_real_setting(
    rendered: tuple[str, dict[Any, Resource]],
) -> None:
    resources = rendered[1]
    for service in apidocs.SERVICES:
        known = apidocs_build.env_names(apidocs_build.settings_class(service))
        for container in _all_containers(resources[("Deployment", service)]):
            unknown = set(container_environment(resources, container)) - known
            assert not unknown, f"{service}/{container['name']}: not settings: {unknown}"


def _stand_in(reference: str) -> str:
    """A valid value for a secret the cluster provides, by what it holds."""
    key = reference.rsplit("/", 1)[-1]
    if reference.endswith("-database/url"):
        return "postgresql+asyncpg://carers:pw@postgres:5432/carers"
    if key == "public-url":
        return "https://carers.example.org"
    return "s" * 40


def test_production_settings_pass_each_services_own_checks(
    production: dict[Any, Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    for service in apidocs.SERVICES:
        cls = apidocs_build.settings_class(service)
        for container in _all_containers(production[("Deployment", service)]):
            env = container_environment(production, container)
            with monkeypatch.context() as patched:
                for name in apidocs_build.env_names(cls):
                    patched.delenv(name, raising=False)
                for name, value in env.items():
                    patched.setenv(name, value if isinstance(value, str) else _stand_in(value[1]))
                settings = cls(_env_file=None)  # type: ignore[call-arg]
            assert settings.environment == "production"
            assert settings.kafka_security_protocol == "SASL_SSL"
            assert settings.kafka_sasl_username == f"carers-{service}"
            assert settings.database_url.startswith("postgresql+asyncpg://")
            assert settings.database_ssl_mode == "verify-full"
            assert settings.cookie_secure


def test_production_checks_the_databases_certificate_against_a_mounted_ca(
    production: dict[Any, Resource],
) -> None:
    for service in apidocs.SERVICES:
        deployment = production[("Deployment", service)]
        for container in _all_containers(deployment):
            env = container_environment(production, container)
            assert env["DATABASE_SSL_MODE"] == "verify-full"
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert str(Path(str(env["DATABASE_SSL_ROOT_CERT"])).parent) in mounts
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["database-ca"]["secret"]["secretName"] == "carers-database-ca"


def test_a_production_overlay_without_tls_is_refused_by_the_services_own_checks(
    production: dict[Any, Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _all_containers(production[("Deployment", "registry")])[-1]
    env = container_environment(production, container)
    cls = apidocs_build.settings_class("registry")
    for name, weakened in (
        ("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        ("DATABASE_SSL_MODE", "require"),
    ):
        with monkeypatch.context() as patched:
            for setting in apidocs_build.env_names(cls):
                patched.delenv(setting, raising=False)
            for key, value in {**env, name: weakened}.items():
                patched.setenv(key, value if isinstance(value, str) else _stand_in(value[1]))
            with pytest.raises(ValueError, match=name):
                cls(_env_file=None)  # type: ignore[call-arg]


def test_production_takes_credentials_from_secrets(production: dict[Any, Resource]) -> None:
    users = {u["metadata"]["name"] for u in _strimzi("KafkaUser")}
    for service in apidocs.SERVICES:
        deployment = production[("Deployment", service)]
        for container in _all_containers(deployment):
            env = container_environment(production, container)
            assert env[f"{service.upper()}_DATABASE_URL"] == (
                "secret",
                f"carers-{service}-database/url",
            )
            assert env["KAFKA_SASL_PASSWORD"] == ("secret", f"carers-{service}/password")
            assert env["TOKEN_SECRET"][0] == "secret"
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert str(Path(str(env["KAFKA_SSL_CAFILE"])).parent) in mounts
        assert f"carers-{service}" in users
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == f"{CLUSTER}-cluster-ca-cert"
        assert deployment["spec"]["replicas"] >= 2


# -- Strimzi --------------------------------------------------------------------------------


def _strimzi(kind: str | None = None) -> list[Resource]:
    found = [r for path in sorted(STRIMZI.glob("*.yaml")) for r in _load_all(path)]
    found = [r for r in found if r.get("kind") != "Kustomization"]
    return [r for r in found if kind is None or r["kind"] == kind]


STRIMZI_SCHEMAS: dict[str, dict[str, Any]] = yaml.safe_load(
    (K8S / "schemas" / "strimzi-v1beta2.yaml").read_text()
)
"""Kind -> JSON Schema of the Strimzi fields we rely on (see the file's header)."""


def test_strimzi_resources_match_the_documented_fields() -> None:
    found = _strimzi()
    assert {r["kind"] for r in found} == set(STRIMZI_SCHEMAS)
    for resource in found:
        assert resource["apiVersion"] == "kafka.strimzi.io/v1beta2"
        jsonschema.validate(resource, STRIMZI_SCHEMAS[resource["kind"]])


def test_the_strimzi_schema_rejects_a_misspelt_field() -> None:
    user = copy.deepcopy(_strimzi("KafkaUser")[0])
    user["spec"]["authorization"]["acls"][0]["operation"] = "Read"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(user, STRIMZI_SCHEMAS["KafkaUser"])


def test_kafka_is_three_kraft_nodes_behind_a_tls_scram_listener() -> None:
    (pool,) = _strimzi("KafkaNodePool")
    (kafka,) = _strimzi("Kafka")
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert kafka["metadata"]["name"] == CLUSTER
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert all(li["tls"] and li["authentication"]["type"] == "scram-sha-512" for li in listeners)
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    assert config["min.insync.replicas"] == 2
    assert kafka["spec"]["entityOperator"].keys() >= {"topicOperator", "userOperator"}


def test_every_contract_topic_is_a_kafkatopic_as_shared_topics_says() -> None:
    declared = {t["spec"]["topicName"]: t["spec"] for t in _strimzi("KafkaTopic")}
    assert set(declared) == {spec.name for spec in TOPICS}
    for spec in TOPICS:
        topic = declared[spec.name]
        assert topic["partitions"] == spec.partitions, spec.name
        assert topic["replicas"] == 3, spec.name
        config = {k: str(v) for k, v in topic["config"].items()}
        assert config["min.insync.replicas"] == "2", spec.name
        assert config.items() >= spec.config.items(), spec.name


def test_status_is_compacted_and_nothing_outlives_the_retention_schedule() -> None:
    for topic in _strimzi("KafkaTopic"):
        name, config = topic["spec"]["topicName"], topic["spec"]["config"]
        if name == topics.STATUS:
            assert config["cleanup.policy"] == "compact"
            # An erased carer's old snapshots are compacted away within a bounded time.
            assert int(config["max.compaction.lag.ms"]) <= MAX_RETENTION_MS
        else:
            assert config.get("cleanup.policy", "delete") == "delete", name
            assert 0 < int(config["retention.ms"]) <= MAX_RETENTION_MS, name


# -- ACLs: exactly what the AsyncAPI documents say each service does ------------------------


Acl = tuple[str, str, str, str]  # (resource type, name, pattern type, operation)


def _operations(service: str, action: str) -> set[str]:
    document = apidocs.load_asyncapi(service)
    found = set()
    for operation in document["operations"].values():
        if operation["action"] == action:
            channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
            found.add(document["channels"][channel]["address"])
    return found


def _groups(service: str) -> set[str]:
    document = apidocs.load_asyncapi(service)
    return {
        group
        for operation in document["operations"].values()
        if operation["action"] == "receive"
        for group in operation["bindings"]["kafka"]["groupId"]["enum"]
    }


def expected_acls() -> dict[str, set[Acl]]:
    """KafkaUser name -> the ACLs it needs, from what each service reads and writes."""
    out: dict[str, set[Acl]] = {}
    replayed: set[str] = set()
    for service in apidocs.SERVICES:
        reads, writes = _operations(service, "receive"), _operations(service, "send")
        replayed |= reads
        acls = {("topic", t, "literal", op) for t in reads for op in ("Read", "Describe")}
        acls |= {("topic", t, "literal", op) for t in writes for op in ("Write", "Describe")}
        if reads:
            acls.add(("group", f"carers-{service}", "prefix", "Read"))
        out[f"carers-{service}"] = acls
    operator = {("topic", topics.DEADLETTER, "literal", op) for op in ("Read", "Describe")}
    operator |= {("topic", t, "literal", op) for t in replayed for op in ("Write", "Describe")}
    out["carers-operator"] = operator
    # Partner organisations sending over Kafka: write their own inbound topic, nothing else.
    for user, row in principals.PARTNER_ROWS.items():
        out[user] = {(g.resource, g.name, g.pattern, g.operation) for g in principals.grants(row)}
    return out


def declared_acls(users: Iterable[Resource]) -> dict[str, set[Acl]]:
    out: dict[str, set[Acl]] = {}
    for user in users:
        acls = out.setdefault(user["metadata"]["name"], set())
        for rule in user["spec"]["authorization"]["acls"]:
            resource = rule["resource"]
            for operation in rule["operations"]:
                acls.add(
                    (resource["type"], resource.get("name", ""), resource["patternType"], operation)
                )
    return out


def acl_differences(declared: dict[str, set[Acl]], expected: dict[str, set[Acl]]) -> list[str]:
    problems = []
    for user in sorted(set(declared) | set(expected)):
        missing = expected.get(user, set()) - declared.get(user, set())
        extra = declared.get(user, set()) - expected.get(user, set())
        problems += [f"{user} lacks {acl}" for acl in sorted(missing)]
        problems += [f"{user} has more than it needs: {acl}" for acl in sorted(extra)]
    return problems


def test_each_kafkauser_has_exactly_the_acls_its_service_needs() -> None:
    assert acl_differences(declared_acls(_strimzi("KafkaUser")), expected_acls()) == []


def test_every_kafkauser_authenticates_with_scram() -> None:
    for user in _strimzi("KafkaUser"):
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"


def test_consumer_groups_are_covered_by_the_group_acl_prefix() -> None:
    for service in apidocs.SERVICES:
        for group in _groups(service):
            assert group.startswith(f"carers-{service}"), (service, group)
    assert _groups("registry") == {
        "carers-registry",
        "carers-registry-referrals",
        "carers-registry-partners",
    }


def test_acls_follow_contract_section_1() -> None:
    """The contract's "written by" column, seen from the brokers' side."""
    acls = declared_acls(_strimzi("KafkaUser"))
    writes = {
        user.removeprefix("carers-"): {name for kind, name, _p, op in rules if op == "Write"}
        for user, rules in acls.items()
        if user != "carers-operator"
    }
    assert {topics.REGISTRY, topics.STATUS} <= writes["registry"]
    assert writes["referrals"] - {topics.DEADLETTER} == {topics.REFERRALS}
    assert writes["notifications"] - {topics.DEADLETTER} == {topics.NOTIFICATIONS}
    assert writes["consultation"] - {topics.DEADLETTER} == {topics.CONSULTATION}
    reads = {
        user.removeprefix("carers-"): {name for kind, name, _p, op in rules if op == "Read"}
        for user, rules in acls.items()
    }
    assert reads["registry"] == {
        topics.INBOUND,
        *topics.PARTNER_INBOUND,
        topics.REFERRALS,
        "carers-registry",
    }
    assert reads["referrals"] == {topics.REGISTRY, "carers-referrals"}
    assert reads["notifications"] == {
        topics.REGISTRY,
        topics.REFERRALS,
        topics.SELFSERVICE,
        "carers-notifications",
    }
    # The internal sign-in code topic: only the registry writes it, only notifications reads
    # it (and the operator may replay its dead letters); no partner's user is named.
    assert {u for u, r in acls.items() if any(n == topics.SELFSERVICE for _k, n, _p, _o in r)} == {
        "carers-registry",
        "carers-notifications",
        "carers-operator",
    }
    assert reads["consultation"] == set()


def test_a_removed_acl_is_caught() -> None:
    users = copy.deepcopy(_strimzi("KafkaUser"))
    notifications = next(u for u in users if u["metadata"]["name"] == "carers-notifications")
    rules = notifications["spec"]["authorization"]["acls"]
    rules[:] = [r for r in rules if r["resource"]["name"] != topics.REFERRALS]
    assert acl_differences(declared_acls(users), expected_acls()) == [
        f"carers-notifications lacks ('topic', '{topics.REFERRALS}', 'literal', 'Describe')",
        f"carers-notifications lacks ('topic', '{topics.REFERRALS}', 'literal', 'Read')",
    ]


def test_a_new_subscription_without_an_acl_is_caught() -> None:
    expected = expected_acls()
    expected["carers-consultation"].add(("topic", topics.REGISTRY, "literal", "Read"))
    problems = acl_differences(declared_acls(_strimzi("KafkaUser")), expected)
    assert problems == [
        f"carers-consultation lacks ('topic', '{topics.REGISTRY}', 'literal', 'Read')"
    ]
