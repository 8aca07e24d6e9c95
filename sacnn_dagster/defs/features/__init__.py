"""The features domain: the cleaned night light, the factory points and the factory patches, their checks and
the sensor that watches the POI snapshots."""
