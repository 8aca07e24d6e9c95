"""The Dagster layer: one folder per domain (sources, features, model, outputs, evaluation), each with its
assets, checks and sensors; automation (the chain of run-status sensors and the monthly schedule); resources
(region inputs, output storage local or S3, credentials); the jobs and partitions; code_location.py, which
builds the Definitions of a region from all of them. The only package (with cli/) that imports Dagster.
"""
