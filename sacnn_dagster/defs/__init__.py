"""The Dagster layer: assets, checks, sensors, resources and partitions wired over the pure packages. The only package
(with cli/) that imports Dagster.
"""
