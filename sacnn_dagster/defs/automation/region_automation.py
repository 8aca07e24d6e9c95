"""What every sensor and the schedule of one region's code location are built with."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.automation.input_watch import InputWatch
from sacnn_dagster.defs.automation.settings import CHAIN_INTERVAL_S, default_status, interval, polling_interval
from sacnn_dagster.defs.jobs import RegionJobs


@dataclass(frozen=True)
class RegionAutomation:
    """The region, its partitions, the jobs the automation launches, the watch its sensors share between
    ticks, its default status and its asset keys."""

    region: RegionConfig
    partitions: dg.PartitionsDefinition
    jobs: RegionJobs
    watch: InputWatch
    status: dg.DefaultSensorStatus
    #: The keys of the assets its sensors ask the instance about.
    keys: RegionKeys = RegionKeys()

    @classmethod
    def for_region(
        cls, region: RegionConfig, partitions: dg.PartitionsDefinition, jobs: RegionJobs, keys: RegionKeys
    ) -> RegionAutomation:
        return cls(region, partitions, jobs, InputWatch(partitions), default_status(region.name), keys)

    def watching(self, remote: bool) -> dict:
        """The options of a sensor that looks at an input (`remote`: on EOG, LAADS, HTTP or S3 rather than in
        a local folder): how often it looks, and its default status."""
        return dict(minimum_interval_seconds=polling_interval(remote), default_status=self.status)

    def after_success(self) -> dict:
        """The options of a sensor that follows the runs that succeeded."""
        return dict(
            run_status=dg.DagsterRunStatus.SUCCESS,
            minimum_interval_seconds=interval(CHAIN_INTERVAL_S),
            default_status=self.status,
        )

    @property
    def schedule_status(self) -> dg.DefaultScheduleStatus:
        return dg.DefaultScheduleStatus(self.status.value)
