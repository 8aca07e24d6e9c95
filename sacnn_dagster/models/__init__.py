"""Models of monthly GVIO: the data they learn from, SA-CNN and its rivals, and the grid the estimate is spread over.
No Dagster.
"""
