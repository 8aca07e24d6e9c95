"""deploy/helm/values.yaml against the JSON schema of the official Dagster Helm chart (helm/dagster/
values.schema.json of dagster-io/dagster, stored in tests/deploy/data/ with its source in the README there).

Helm merges a values file over the chart's own values.yaml and validates the result. The chart's defaults are
not stored here, so the file is validated as Helm would see its keys: the schema's `required` lists are dropped
(the defaults supply those keys), every other rule is kept (types, enums, the `if type: K8sRunLauncher then
config.k8sRunLauncher` conditions, and `additionalProperties: false` where the chart has it). List items get no
defaults from Helm (a list replaces the default list), so the user deployment is also validated complete.

The schema refers to Kubernetes' own object schemas on kubernetesjsonschema.dev (Probe, ResourceRequirements,
...): there is no network here, and those objects are accepted as they are, except the two this file uses
for its Secrets and ConfigMaps (SecretEnvSource, ConfigMapEnvSource), whose fields are the Kubernetes API's
`name` and `optional`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
SCHEMA = Path(__file__).parent / "data" / "dagster-helm-values.schema.json"
K8S_DEFINITIONS = "https://kubernetesjsonschema.dev/v1.18.0/_definitions.json"
#: The Kubernetes API's fields of the two env sources this file uses (core/v1 SecretEnvSource, ConfigMapEnvSource).
ENV_SOURCE = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "optional": {"type": "boolean"}},
    "required": ["name"],
    "additionalProperties": False,
}
QUEUED = ["dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator"]


def chart_schema() -> dict:
    return json.loads(SCHEMA.read_text())


def external_refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) and node["$ref"].startswith("http") else set()
        return found.union(*(external_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(external_refs(value) for value in node))
    return set()


def kubernetes_stub(schema: dict) -> dict:
    """A document with every pointer the chart's schema takes from kubernetesjsonschema.dev: `{}` (anything),
    except the env sources."""
    document: dict = {}
    for ref in external_refs(schema):
        url, _, pointer = ref.partition("#")
        assert url == K8S_DEFINITIONS, ref
        node = document
        *parents, leaf = pointer.strip("/").split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node.setdefault(leaf, {})
    for kind in ("SecretEnvSource", "ConfigMapEnvSource"):
        document["definitions"][f"io.k8s.api.core.v1.{kind}"] = ENV_SOURCE
    return document


def validator(schema: dict) -> jsonschema.Draft7Validator:
    # draft 7: the keywords pydantic v1 writes (definitions, if/then); Helm's validator reads the schema the same
    stub = Resource.from_contents(kubernetes_stub(chart_schema()), default_specification=DRAFT7)
    registry = Registry().with_resource(K8S_DEFINITIONS, stub)
    return jsonschema.Draft7Validator(schema, registry=registry)


def as_over_defaults(schema: dict) -> dict:
    """The chart's schema less its `required` lists (root and definitions; the conditional ones stay)."""
    schema = copy.deepcopy(schema)
    schema.pop("required", None)
    for definition in schema["definitions"].values():
        definition.pop("required", None)
    return schema


def strict(schema: dict) -> dict:
    """The schema with `additionalProperties: false` wherever it lists properties and says nothing of others:
    every key must be one the chart knows, also where the chart itself would ignore an unknown one."""
    schema = copy.deepcopy(schema)
    for node in [schema, *schema["definitions"].values()]:
        if node.get("properties") and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return schema


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def errors(schema: dict, document) -> list[str]:
    """Every error, with those under an anyOf (a nullable section) spelt out."""

    def spelt_out(error):
        yield error
        for suberror in error.context or ():
            yield from spelt_out(suberror)

    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for error in validator(schema).iter_errors(document)
        for e in spelt_out(error)
    ]


def test_the_stored_schema_is_the_charts():
    schema = chart_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["title"] == "DagsterHelmValues"
    assert {"dagster-user-deployments", "runLauncher", "dagsterDaemon", "postgresql"} <= set(schema["properties"])
    assert external_refs(schema) and all(ref.startswith(K8S_DEFINITIONS) for ref in external_refs(schema))


def test_values_validate_against_the_chart_schema():
    assert errors(as_over_defaults(chart_schema()), values()) == []


def test_every_key_is_a_key_of_the_chart():
    assert errors(strict(as_over_defaults(chart_schema())), values()) == []


def test_the_user_deployment_is_complete_as_a_list_item():
    schema = chart_schema()
    item = {"$ref": "#/definitions/UserDeployment", "definitions": schema["definitions"]}
    for deployment in values()["dagster-user-deployments"]["deployments"]:
        assert errors(item, deployment) == []


def replace_key(document: dict, path: list[str], new_key: str) -> dict:
    document = copy.deepcopy(document)
    node = document
    for part in path[:-1]:
        node = node[part][0] if isinstance(node[part], list) else node[part]
    node[new_key] = node.pop(path[-1])
    return document


@pytest.mark.parametrize(
    ("path", "misspelt"),
    [
        ([*QUEUED, "maxConcurrentRuns"], "maxConcurentRuns"),
        (["runLauncher", "config", "k8sRunLauncher", "envSecrets"], "envSecret"),
        (["dagsterDaemon", "runCoordinator"], "runCordinator"),
        (["computeLogManager", "config", "s3ComputeLogManager"], "s3ComputeLogManger"),
        (["retention", "sensor", "purgeAfterDays", "skipped"], "skiped"),
    ],
)
def test_a_misspelt_key_is_refused_where_the_chart_is_strict(path, misspelt):
    found = errors(as_over_defaults(chart_schema()), replace_key(values(), path, misspelt))
    assert any(misspelt in message and "Additional properties" in message for message in found), found


def test_a_misspelt_key_where_the_chart_is_lax_is_caught_by_the_strict_check():
    # The chart's schema lets a user deployment (and the top level) carry unknown keys: Helm would install a
    # code server without its arguments. The strict check refuses it.
    path = ["dagster-user-deployments", "deployments", "dagsterApiGrpcArgs"]
    wrong = replace_key(values(), path, "dagsterApiGrpcArg")
    assert errors(as_over_defaults(chart_schema()), wrong) == []
    found = errors(strict(as_over_defaults(chart_schema())), wrong)
    assert any("dagsterApiGrpcArg" in message for message in found), found


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ([*QUEUED, "maxConcurrentRuns"], "four"),
        (["runLauncher", "type"], "K8sLauncher"),
        (["runLauncher", "config", "k8sRunLauncher", "imagePullPolicy"], "Sometimes"),
        (["postgresql", "enabled"], "no"),
        (["runLauncher", "config", "k8sRunLauncher", "envSecrets"], ["sacnn-dagster-secrets"]),
    ],
)
def test_a_wrong_value_is_refused(path, value):
    document = copy.deepcopy(values())
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert errors(as_over_defaults(chart_schema()), document) != []


def test_a_launcher_type_without_its_config_is_refused():
    document = copy.deepcopy(values())
    document["runLauncher"]["type"] = "CeleryK8sRunLauncher"
    found = errors(as_over_defaults(chart_schema()), document)
    assert any("celeryK8sRunLauncher" in message for message in found), found


def test_the_deployment_serves_the_project_module_from_the_image():
    (deployment,) = values()["dagster-user-deployments"]["deployments"]
    (entry,) = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", entry["python_module"]["module_name"]]
    assert str(deployment["port"]) in (ROOT / "deploy" / "Dockerfile").read_text().split("EXPOSE ")[1].split()[0]
    cloud = yaml.safe_load((ROOT / "dagster_cloud.yaml").read_text())
    assert deployment["image"]["repository"] == cloud["locations"][0]["build"]["registry"]
    # runs as the image's user
    assert deployment["podSecurityContext"]["runAsUser"] == 10001
    assert "USER 10001:10001" in (ROOT / "deploy" / "Dockerfile").read_text()


def test_secrets_come_from_kubernetes_secrets_never_from_values():
    from sacnn_dagster.defs.monitoring.alert_webhook import WEBHOOK_ENV
    from sacnn_dagster.io.credentials import ENV_VARS

    document = values()
    (deployment,) = document["dagster-user-deployments"]["deployments"]
    assert {"SACNN_REGIONS", "SACNN_STORAGE"} <= set(deployment["env"])

    def keys_and_strings(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys_and_strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys_and_strings(value)
        elif isinstance(node, str):
            yield node

    written = " ".join(keys_and_strings(document))
    for name in [*ENV_VARS.values(), WEBHOOK_ENV]:
        assert name not in written, name
    secret = [{"name": "sacnn-dagster-secrets"}]
    assert deployment["envSecrets"] == secret
    assert document["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == secret
    assert document["postgresql"]["enabled"] is False and "postgresqlPassword" not in document["postgresql"]
    assert document["generatePostgresqlPasswordSecret"] is False and document["global"]["postgresqlSecretName"]


def test_runs_are_queued_by_the_daemon_and_launched_as_kubernetes_jobs():
    document = values()
    assert document["runLauncher"]["type"] == "K8sRunLauncher"
    daemon = document["dagsterDaemon"]
    assert daemon["enabled"] is True
    assert daemon["runCoordinator"]["enabled"] is True and daemon["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert daemon["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] >= 1
