"""What the region.yaml tests share: a small boundary, and a region folder written around a region.yaml."""

import json
from pathlib import Path

BOX = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[72.8, 19.0], [73.0, 19.0], [73.0, 19.2], [72.8, 19.2], [72.8, 19.0]]],
            },
        }
    ],
}


def write_region(root: Path, text: str) -> Path:
    (root / "boundary.geojson").write_text(json.dumps(BOX))
    (root / "region.yaml").write_text(text, encoding="utf-8")
    return root
