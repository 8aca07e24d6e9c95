"""The catalogue domain: one code location for every region of a catalogue (location.py), the catalogue as read
(region_catalogue.py) and the regions side by side (gvio_regions.py)."""
