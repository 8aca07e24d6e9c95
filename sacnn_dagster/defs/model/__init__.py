"""The model domain: the trained models, and what reads them and their training data from storage."""
