"""The text of each alert: region, asset, months, reason and a link into the Dagster UI, one short paragraph a
chat channel shows whole. Slack, Teams and Mattermost render the `<url|label>`-free plain links they get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

#: Longest reason quoted in a message: a stack trace belongs in the UI, behind the link.
MAX_REASON = 400


def run_link(ui_url: str, run_id: str) -> str:
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


def checks_link(ui_url: str, asset: str) -> str:
    return f"{ui_url.rstrip('/')}/assets/{quote(asset)}?view=checks"


def months_text(months: Sequence[str]) -> str:
    months = sorted(months)
    if not months:
        return "no month"
    if len(months) <= 4:
        return ", ".join(months)
    return f"{len(months)} months, {months[0]} .. {months[-1]}"


def short(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class LateAsset:
    asset: str
    due_since: str


def run_failed(region: str, job: str, assets: Sequence[str], months: Sequence[str], reason: str, link: str) -> str:
    what = ", ".join(assets) if assets else job
    return (
        f"[sacnn {region}] Run failed: {job} ({what}) for {months_text(months)}. "
        f"Reason: {short(reason) or 'see the run'}. {link}"
    )


def check_failed(region: str, asset: str, check: str, months: Sequence[str], reason: str, link: str) -> str:
    where = f" for {months_text(months)}" if months else ""
    return f"[sacnn {region}] Check {check} failed on {asset}{where}. Reason: {short(reason)}. {link}"


def month_late(region: str, month: str, late: Sequence[LateAsset], link: str) -> str:
    assets = "; ".join(f"{a.asset} (due since {a.due_since})" for a in late)
    return f"[sacnn {region}] Late: {month} is missing for {assets}. {link}"


def resolved(region: str, title: str) -> str:
    return f"[sacnn {region}] Resolved: {title}."
