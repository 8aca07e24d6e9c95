"""The executor of every job, chosen by configuration: `$SACNN_EXECUTOR`, read when the code location loads.

- unset or `in_process` (the default, one machine): the run's steps one after the other in the run's process.
- `multiprocess`: a process per step on the run's machine, at most `$SACNN_MAX_CONCURRENT` at a time (default:
  one per CPU).
- `celery`: each step a Celery task, executed by whichever worker takes it (`celery -A dagster_celery.app worker`,
  README "Beyond one machine: executors"); the broker from `$SACNN_CELERY_BROKER` (e.g.
  `redis://:PASSWORD@redis-host:6379/0`), the results backend from `$SACNN_CELERY_BACKEND` (default: the broker).
- `k8s`: each step a Kubernetes job (dagster-k8s), at most `$SACNN_MAX_CONCURRENT` at a time when set.

The broker's URL (which may hold a password) is never written into the executor's config: the config names the
variable (Dagster's `{"env": ...}`), which is read in the process that runs the steps, so no run config, event or
log of the instance holds it. The executor does not move data: every step reads its inputs and writes its outputs
through the output storage (defs/resources/storage.py), so a step may run on any machine that reaches the storage,
the region's inputs and the instance. `sacnn-dagster run` executes its jobs in process whatever this says
(`execute_in_process`); the executor applies to runs launched through the instance (the daemon's sensors,
schedules and backfills, the UI, `dagster job execute`).
"""

from __future__ import annotations

import os

import dagster as dg

EXECUTOR_ENV = "SACNN_EXECUTOR"
MAX_CONCURRENT_ENV = "SACNN_MAX_CONCURRENT"
BROKER_ENV = "SACNN_CELERY_BROKER"
BACKEND_ENV = "SACNN_CELERY_BACKEND"

IN_PROCESS = "in_process"
MULTIPROCESS = "multiprocess"
CELERY = "celery"
K8S = "k8s"
EXECUTORS = (IN_PROCESS, MULTIPROCESS, CELERY, K8S)


def executor_from_environment() -> dg.ExecutorDefinition:
    """The executor `$SACNN_EXECUTOR` names; a ValueError naming the variable and the allowed values otherwise
    (raised when the code location loads, not in the first run)."""
    name = os.environ.get(EXECUTOR_ENV, "").strip().lower() or IN_PROCESS
    if name == IN_PROCESS:
        # Steps one after the other in the run's process: the multiprocess default starts a process per
        # step, which imports the whole stack again, and the monthly chain is sequential anyway (a backfill
        # of the small demo spent 206 s of its runs outside their steps with it, 5 s without; README).
        return dg.in_process_executor
    if name == MULTIPROCESS:
        limit = _max_concurrent()  # None: Dagster's default, one step per CPU
        if limit is None:
            return dg.multiprocess_executor
        return dg.multiprocess_executor.configured({"max_concurrent": limit})
    if name == CELERY:
        return _celery_executor()
    if name == K8S:
        from dagster_k8s import k8s_job_executor  # only here: the Kubernetes client is slow to import

        limit = _max_concurrent()
        return k8s_job_executor if limit is None else k8s_job_executor.configured({"max_concurrent": limit})
    raise ValueError(
        f"${EXECUTOR_ENV}={os.environ[EXECUTOR_ENV]!r} is not an executor: use one of {', '.join(EXECUTORS)}"
        f" (unset means {IN_PROCESS})"
    )


def _max_concurrent() -> int | None:
    value = os.environ.get(MAX_CONCURRENT_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"${MAX_CONCURRENT_ENV}={value!r}: a whole number of steps at a time, 1 or more")
    return int(value)


def _celery_executor() -> dg.ExecutorDefinition:
    from dagster_celery import celery_executor  # only here: Celery and its transports load on demand

    if not os.environ.get(BROKER_ENV, "").strip():
        raise ValueError(
            f"${EXECUTOR_ENV}={CELERY} needs ${BROKER_ENV}, the broker's URL (e.g. redis://127.0.0.1:6379/0), "
            "the same as the workers'"
        )
    backend = BACKEND_ENV if os.environ.get(BACKEND_ENV, "").strip() else BROKER_ENV
    # the variables' names, not their values: the URL (and its password) stays out of every run's config
    return celery_executor.configured({"broker": {"env": BROKER_ENV}, "backend": {"env": backend}})
