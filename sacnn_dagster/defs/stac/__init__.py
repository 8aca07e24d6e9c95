"""The STAC domain: `stac_catalog`, the catalogue of every output (stac/ builds it)."""
