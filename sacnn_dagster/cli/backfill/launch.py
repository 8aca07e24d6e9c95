"""Adding an asset backfill to the instance, the way the UI's "Materialize all" adds one: the GraphQL mutation
`launchPartitionBackfill` ends in the same `PartitionBackfill` + `instance.add_backfill` (Dagster has no
public Python API for it), so the UI's backfills page lists it and a dagster-daemon executes it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import dagster as dg

from sacnn_dagster.defs.dagster_private import (
    AssetGraphSubset,
    AssetKeyPartitionKey,
    PartitionBackfill,
    make_new_backfill_id,
)

#: Tag on every backfill launched here, for the UI's filters.
LAUNCHED_BY_TAG = "sacnn/launched_by"


def target_subset(asset_graph, months: list[str], skip: set[AssetKeyPartitionKey]) -> AssetGraphSubset:
    """Every asset for `months` (the unpartitioned ones once), less the asset partitions in `skip`."""
    by_key = {}
    plain = set()
    for key in asset_graph.materializable_asset_keys:
        partitions_def = asset_graph.get(key).partitions_def
        if partitions_def is None:
            if AssetKeyPartitionKey(key) not in skip:
                plain.add(key)
            continue
        keep = [m for m in months if AssetKeyPartitionKey(key, m) not in skip]
        if keep:
            by_key[key] = partitions_def.subset_with_partition_keys(keep)
    return AssetGraphSubset(partitions_subsets_by_asset_key=by_key, non_partitioned_asset_keys=plain)


def launch_backfill(instance: dg.DagsterInstance, asset_graph, subset: AssetGraphSubset, title: str) -> str:
    """Add an asset backfill of `subset` to the instance; returns its id. A daemon executes it."""
    now = time.time()
    with dg.partition_loading_context(datetime.fromtimestamp(now, tz=UTC), instance):
        backfill = PartitionBackfill.from_asset_graph_subset(
            backfill_id=make_new_backfill_id(),
            backfill_timestamp=now,
            tags={LAUNCHED_BY_TAG: "sacnn-dagster backfill"},
            dynamic_partitions_store=instance,
            asset_graph_subset=subset,
            title=title,
            description=None,
            run_config=None,
        )
    instance.add_backfill(backfill)
    return backfill.backfill_id
