"""What changed: code versions from the source, data versions of ranges, and which months of a source are new or
changed. No Dagster.
"""
