"""The asset keys of one region. A code location of one region keeps the bare names (`gvio_grid`): a one-region
user sees no change. In a catalogue's code location every region's keys start with its name
(`shanghai/gvio_grid`), because the regions share one Dagster instance, which keeps materializations, check
results and partitions by asset key: with bare names two regions would mix their months (README "Many regions")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class RegionKeys:
    prefix: tuple[str, ...] = ()

    @classmethod
    def of_catalogue_region(cls, region_name: str) -> RegionKeys:
        return cls((region_name,))

    def __call__(self, name: str) -> dg.AssetKey:
        """The key of the region's asset `name` (`gvio_grid`)."""
        return dg.AssetKey([*self.prefix, name])

    def check(self, asset: str, check: str) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(self(asset), check)

    def owns(self, key: dg.AssetKey) -> bool:
        return key.path[: len(self.prefix)] == list(self.prefix)

    @staticmethod
    def name(key: dg.AssetKey) -> str:
        """The asset's name without the region (`gvio_grid`): what messages and the pure core speak of."""
        return key.path[-1]

    def apply(self, domains: dg.Definitions) -> dg.Definitions:
        """`domains` (built with bare names) with every asset key, dependency and check target prefixed; the
        jobs, sensors and schedules are built with this object already, and pass through."""
        if not self.prefix:
            return domains
        assets = list(domains.assets or [])
        checks = list(domains.asset_checks or [])
        replacements = {key: self(key.to_user_string()) for key in _keys(assets + checks)}

        def prefixed(definition):
            if isinstance(definition, dg.AssetSpec):
                return definition.replace_attributes(
                    key=replacements[definition.key],
                    deps=[replacements.get(d.asset_key, d.asset_key) for d in definition.deps],
                )
            return definition.with_attributes(asset_key_replacements=replacements)

        return dg.Definitions(
            assets=[prefixed(a) for a in assets],
            asset_checks=[prefixed(c) for c in checks],
            jobs=domains.jobs,
            sensors=domains.sensors,
            schedules=domains.schedules,
            resources=domains.resources,
        )


def _keys(definitions: Iterable) -> set[dg.AssetKey]:
    keys: set[dg.AssetKey] = set()
    for definition in definitions:
        if isinstance(definition, dg.AssetSpec):
            keys |= {definition.key, *(d.asset_key for d in definition.deps)}
        else:
            keys |= set(definition.keys) | set(definition.dependency_keys)
            keys |= {check.asset_key for check in definition.check_keys}
    return keys
