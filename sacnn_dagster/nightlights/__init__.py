"""Night-light sources: EOG (folders or HTTPS) and NASA Black Marble, and the reader of a month's composite over an
area. No Dagster.
"""
