"""The evaluation domain: the models scored on held-out labels and the grids against the truth, with the
held-out R² check."""
