"""Moving bytes: trusted downloads and their cache, input folders (local, HTTP, S3), credentials, atomic writes, and
the outputs layout. No Dagster.
"""
