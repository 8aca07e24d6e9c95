"""Models of monthly GVIO: the data they learn from, SA-CNN and its rivals."""
