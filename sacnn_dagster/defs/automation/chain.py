"""The chain: run-status sensors that carry a change downstream once the run before succeeded (features, then
estimates; a retraining, then every estimate again, then the evaluation)."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.months import contiguous_stretches
from sacnn_dagster.defs.automation.instance_queries import (
    UNFINISHED,
    latest_metadata,
    latest_partition_metadata,
    materialized_months,
)
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.automation.run_tags import (
    ESTIMATE,
    ESTIMATE_ALL,
    EVALUATE,
    REASON_TAG,
    ROUND_TAG,
    THEN_TAG,
    range_tags,
    region_runs,
    run_months,
)


def build_estimate_updated_months(automation: RegionAutomation) -> dg.SensorDefinition:
    jobs = automation.jobs

    @dg.run_status_sensor(monitored_jobs=[jobs.features], request_job=jobs.outputs, **automation.after_success())
    def estimate_updated_months(context: dg.RunStatusSensorContext):
        """When a sensor's monthly_features run succeeds, estimates and maps the same months with the model
        in use."""
        run = context.dagster_run
        if run.tags.get(THEN_TAG) != ESTIMATE:
            return dg.SkipReason(f"run {run.run_id} was not launched by a sensor")
        if context.instance.get_latest_materialization_event(automation.keys("gvio_model")) is None:
            return dg.SkipReason("no trained model yet: the statistics sensor trains one, then estimates every month")
        months = run_months(run)
        return dg.RunRequest(
            run_key=f"after {run.run_id}",
            tags={
                **range_tags(months[0], months[-1]),
                REASON_TAG: f"features of {months[0]}..{months[-1]} rebuilt (run {run.run_id[:8]})",
            },
        )

    return estimate_updated_months


def build_estimate_after_retraining(automation: RegionAutomation) -> dg.SensorDefinition:
    jobs, keys = automation.jobs, automation.keys

    @dg.run_status_sensor(monitored_jobs=[jobs.retrain], request_job=jobs.outputs, **automation.after_success())
    def estimate_after_retraining(context: dg.RunStatusSensorContext):
        """When a retraining launched by the statistics sensor succeeds with a new model version, estimates
        and maps again every month with features (one run per contiguous stretch)."""
        run = context.dagster_run
        if run.tags.get(THEN_TAG) != ESTIMATE_ALL:
            return dg.SkipReason(f"run {run.run_id} was not launched by a sensor")
        version = latest_metadata(context.instance, keys("gvio_model"), "version")
        estimated = latest_partition_metadata(context.instance, keys("gvio_estimate"), "model_version")
        redo = [
            m for m in materialized_months(context.instance, keys("factory_patches")) if estimated.get(m) != version
        ]
        if not redo:
            return dg.SkipReason(f"model {version} unchanged: every month is already estimated with it")
        return [
            dg.RunRequest(
                run_key=f"after {run.run_id} {first}..{last}",
                tags={
                    **range_tags(first, last),
                    THEN_TAG: EVALUATE,
                    ROUND_TAG: run.run_id,
                    REASON_TAG: f"model {version} (run {run.run_id[:8]}): estimating {first}..{last} again",
                },
            )
            for first, last in contiguous_stretches(redo)
        ]

    return estimate_after_retraining


def build_evaluate_after_estimates(automation: RegionAutomation) -> dg.SensorDefinition:
    jobs = automation.jobs

    @dg.run_status_sensor(monitored_jobs=[jobs.outputs], request_job=jobs.evaluation, **automation.after_success())
    def evaluate_after_estimates(context: dg.RunStatusSensorContext):
        """When every month has been estimated again after a retraining, scores the models on held-out
        months (model_evaluation)."""
        run = context.dagster_run
        round_id = run.tags.get(ROUND_TAG)
        if run.tags.get(THEN_TAG) != EVALUATE or not round_id:
            return dg.SkipReason(f"run {run.run_id} does not follow a retraining")
        runs = context.instance.get_runs(region_runs(jobs.outputs.name, automation.region.name, {ROUND_TAG: round_id}))
        unfinished = [r.run_id[:8] for r in runs if r.status in UNFINISHED]
        failed = [r.run_id[:8] for r in runs if r.status != dg.DagsterRunStatus.SUCCESS and r.status not in UNFINISHED]
        if unfinished:
            return dg.SkipReason(f"waiting for the estimates of run(s) {', '.join(unfinished)}")
        if failed:
            return dg.SkipReason(f"estimates failed in run(s) {', '.join(failed)}: evaluate after fixing them")
        return dg.RunRequest(
            run_key=f"evaluate {round_id}",
            tags={REASON_TAG: f"every month estimated with the model of run {round_id[:8]}"},
        )

    return evaluate_after_estimates
