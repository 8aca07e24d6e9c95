"""The executor comes from `$SACNN_EXECUTOR` when the code location loads (defs/executor.py): each value, the
settings each reads, and an unknown value refused with the variable and the allowed values named."""

from __future__ import annotations

import dagster as dg
import pytest

from sacnn_dagster.defs.code_location import FEATURES_JOB, build_definitions
from sacnn_dagster.defs.executor import EXECUTORS, executor_from_environment

SECRET = "broker-password-in-the-environment-only"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for var in ("SACNN_EXECUTOR", "SACNN_MAX_CONCURRENT", "SACNN_CELERY_BROKER", "SACNN_CELERY_BACKEND"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("value", [None, "", "in_process", " In_Process "])
def test_in_process_by_default(monkeypatch, value):
    if value is not None:
        monkeypatch.setenv("SACNN_EXECUTOR", value)
    assert executor_from_environment() is dg.in_process_executor


def test_multiprocess_with_its_limit(monkeypatch):
    monkeypatch.setenv("SACNN_EXECUTOR", "multiprocess")
    assert executor_from_environment() is dg.multiprocess_executor
    monkeypatch.setenv("SACNN_MAX_CONCURRENT", "2")
    executor = executor_from_environment()
    assert executor.name == "multiprocess"
    assert executor.config_schema.resolve_config({}).value["config"]["max_concurrent"] == 2


@pytest.mark.parametrize("limit", ["0", "-1", "two", "1.5"])
def test_a_bad_limit_is_refused(monkeypatch, limit):
    monkeypatch.setenv("SACNN_EXECUTOR", "multiprocess")
    monkeypatch.setenv("SACNN_MAX_CONCURRENT", limit)
    with pytest.raises(ValueError, match="SACNN_MAX_CONCURRENT"):
        executor_from_environment()


def test_celery_reads_the_broker_from_the_environment_when_it_runs(monkeypatch):
    monkeypatch.setenv("SACNN_EXECUTOR", "celery")
    with pytest.raises(ValueError, match=r"\$SACNN_CELERY_BROKER"):
        executor_from_environment()
    monkeypatch.setenv("SACNN_CELERY_BROKER", f"redis://:{SECRET}@127.0.0.1:6379/0")
    executor = executor_from_environment()
    assert executor.name == "celery"
    resolved = executor.config_schema.resolve_config({}).value["config"]
    assert resolved["broker"] == resolved["backend"] == f"redis://:{SECRET}@127.0.0.1:6379/0"
    # the definition holds the variable's name, not its value: read again where the steps are launched
    monkeypatch.setenv("SACNN_CELERY_BROKER", "redis://127.0.0.1:6380/0")
    assert executor.config_schema.resolve_config({}).value["config"]["broker"] == "redis://127.0.0.1:6380/0"
    monkeypatch.setenv("SACNN_CELERY_BACKEND", "redis://127.0.0.1:6379/1")
    assert executor_from_environment().config_schema.resolve_config({}).value["config"]["backend"].endswith("/1")


def test_k8s(monkeypatch):
    monkeypatch.setenv("SACNN_EXECUTOR", "k8s")
    assert executor_from_environment().name == "k8s"
    monkeypatch.setenv("SACNN_MAX_CONCURRENT", "3")
    assert executor_from_environment().config_schema.resolve_config({}).value["config"]["max_concurrent"] == 3


def test_an_unknown_executor_fails_the_load(monkeypatch, small_demo_region):
    monkeypatch.setenv("SACNN_EXECUTOR", "dask")
    with pytest.raises(ValueError) as caught:
        build_definitions(small_demo_region)
    assert "$SACNN_EXECUTOR='dask'" in str(caught.value)
    assert all(name in str(caught.value) for name in EXECUTORS)


def test_the_jobs_take_the_chosen_executor(monkeypatch, small_demo_region, tmp_path):
    monkeypatch.setenv("SACNN_EXECUTOR", "multiprocess")
    defs = build_definitions(small_demo_region, str(tmp_path / "out"))
    assert defs.resolve_job_def(FEATURES_JOB).executor_def.name == "multiprocess"
