"""The STAC catalogue of the outputs (`stac/` under the storage root): built by pystac and rio-stac from the
stored files, knowing nothing of Dagster (the asset is defs/stac/)."""
