"""Settings: region.yaml read through its schema, and the calendar months everything is keyed by. Imports nothing else
of the package.
"""
