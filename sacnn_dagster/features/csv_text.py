"""The text of a CSV file as published: POI exports and statistics come as UTF-8 or GBK."""

from __future__ import annotations

from sacnn_dagster.config.bad_input import BadInput


def decode_csv_bytes(raw: bytes, where: str) -> tuple[str, str]:
    """Amap exports are UTF-8 (with or without BOM) or GBK; GB18030 is GBK's superset, so it is the fallback."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), ("gbk" if encoding == "gb18030" else "utf-8")
        except UnicodeDecodeError:
            continue
    raise BadInput("neither UTF-8 nor GBK text", where)
