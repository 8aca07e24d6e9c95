"""What the models learn from: cleaned radiance, factory points from POI snapshots, factory patches and zone
statistics, and the published statistics. No Dagster.
"""
