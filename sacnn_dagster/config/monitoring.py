"""region.yaml's `monitoring:` block: by when each month is due, and where the alerts link to; the defaults,
and why.

The deadlines are counted in days after the month ends (a month's deadline is the first day of the next month
plus that many days, 00:00 UTC). They are deliberately conservative: a month late by these counts is worth a
message, a month late by a few days is not (see ../shared/reference/data-sources.md).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sacnn_dagster.config.schema import SettingsModel, allowed

_Days = Annotated[int, Field(strict=True, ge=0, le=3660, json_schema_extra=allowed("a whole number of days, 0..3660"))]


class MonitoringSettings(SettingsModel):
    """By when a month's composite, statistics and outputs are due, and the UI address alerts link to."""

    nightlights_due_days: _Days = 45
    """Days after a month ends by which its night-light composite is due. EOG publishes no calendar: monthly
    composites appear some weeks after the month (and are sometimes reprocessed later); NASA's VNP46A3 monthly
    tiles follow the month's daily products likewise. Six weeks and a bit covers the usual delay with a margin,
    so that a message means that a source has stopped, not that it is a few days slow."""

    statistics_due_days: _Days = 25
    """Days after a month ends by which its published industrial output is due. The national bureau releases
    the monthly industrial production report around the 15th-18th of the following month and the cities
    follow within days (Shanghai's November 2020 table: 18 December). January has no release of its own: it
    is due with February (the combined January-February figure, published in March)."""

    outputs_due_days: _Days = 2
    """Days after a month's composite is due by which its estimate and grid are due: the sensors build a month
    within the hour of its composite appearing; two days leave room for a retried run or a sensor switched
    off over a weekend before anyone is told."""

    ui_url: Annotated[str, Field(pattern=r"^https?://", json_schema_extra=allowed("an http(s):// URL"))] = (
        "http://127.0.0.1:3000"
    )
    """The address of the Dagster UI as the people receiving alerts open it (`dagster dev` serves
    http://127.0.0.1:3000); every alert links to the run or the asset under it."""
