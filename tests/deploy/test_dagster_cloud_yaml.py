"""dagster_cloud.yaml (Dagster+ Hybrid) read by dagster-cloud-cli's own model, the one `dagster-cloud ci init`
and `ci set-build-output` load it with; its Kubernetes container context read by dagster-k8s's own config
schema, the one the agent applies to the code server and the run pods."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster_cloud_cli.config.models import load_dagster_cloud_yaml

ROOT = Path(__file__).resolve().parents[2]
CLOUD_YAML = ROOT / "dagster_cloud.yaml"


def location():
    (only,) = load_dagster_cloud_yaml(CLOUD_YAML.read_text()).locations
    return only


def test_the_location_serves_the_workspace_module_built_from_the_repository():
    (entry,) = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    loaded = location()
    assert loaded.location_name == entry["python_module"]["location_name"]
    assert loaded.code_source.module_name == entry["python_module"]["module_name"]
    assert loaded.build.directory == "."
    # `ci set-build-output --image-tag TAG` deploys <registry>:TAG: the image the Helm values name
    helm = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    (deployment,) = helm["dagster-user-deployments"]["deployments"]
    assert loaded.build.registry == deployment["image"]["repository"]


def test_a_misspelt_key_is_refused_by_the_cli_model():
    text = CLOUD_YAML.read_text().replace("registry:", "regsitry:")
    with pytest.raises(ValueError, match="regsitry"):
        load_dagster_cloud_yaml(text)


def test_settings_as_env_vars_and_secrets_from_the_kubernetes_secret():
    from sacnn_dagster.defs.monitoring.alert_webhook import WEBHOOK_ENV
    from sacnn_dagster.io.credentials import ENV_VARS

    k8s = location().container_context["k8s"]
    settings = dict(item.split("=", 1) for item in k8s["env_vars"])
    assert {"SACNN_REGIONS", "SACNN_STORAGE"} <= set(settings)
    assert not {*ENV_VARS.values(), WEBHOOK_ENV} & {item.split("=", 1)[0] for item in k8s["env_vars"]}
    assert k8s["env_secrets"] == ["sacnn-dagster-secrets"]
    # the same settings as the Helm deployment's
    helm = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    (deployment,) = helm["dagster-user-deployments"]["deployments"]
    assert settings == deployment["env"]
    assert [{"name": name} for name in k8s["env_secrets"]] == deployment["envSecrets"]


def test_the_container_context_is_valid_for_the_kubernetes_agent():
    from dagster import DagsterInvalidConfigError
    from dagster_k8s.container_context import K8sContainerContext  # a dependency of the project (pyproject)

    context = K8sContainerContext.create_from_config(location().container_context)
    # what the run pods get: the Secret as envFrom, the settings as env
    container = context.run_k8s_config.container_config
    assert {"secret_ref": {"name": "sacnn-dagster-secrets"}} in container["env_from"]
    assert {"name": "SACNN_REGIONS", "value": "s3://CHANGE-ME-bucket/regions"} in container["env"]
    wrong = {"k8s": {**location().container_context["k8s"], "env_secret": ["sacnn-dagster-secrets"]}}
    with pytest.raises(DagsterInvalidConfigError):
        K8sContainerContext.create_from_config(wrong)
