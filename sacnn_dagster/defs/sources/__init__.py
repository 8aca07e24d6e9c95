"""The sources domain: the month's night-light composite and the published statistics, their checks and the
sensors that watch them."""
