"""Bad input, told where it is: the error every reader of a region's files raises for content that cannot be
right (a file that does not parse, a value out of range, a row that cannot be used).

It is a ValueError, so that every place that already treats a ValueError as the user's input to fix (the CLI's
exit 2, the steps' "never retried") treats it so too; its own class lets a caller or a test tell bad input from
a bug. Its message always starts with the file, then the line (and column) where one is known:

    /data/pearl/region.yaml, line 3, column 9: mapping values are not allowed here
"""

from __future__ import annotations

from os import PathLike


class BadInput(ValueError):
    """A region's input that cannot be used, named by file (and line and column where known)."""

    def __init__(self, message: str, file: str | PathLike, line: int | None = None, column: int | None = None):
        self.file = str(file)
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(f"{where(file, line, column)}: {message}")


def where(file: str | PathLike, line: int | None = None, column: int | None = None) -> str:
    """'file', 'file, line 3' or 'file, line 3, column 9': the place a message is about."""
    text = str(file)
    if line is not None:
        text += f", line {line}"
        if column is not None:
            text += f", column {column}"
    return text


def utf8_text(raw: bytes, file: str | PathLike, what: str = "") -> str:
    """`raw` decoded as UTF-8 (a byte-order mark dropped), or BadInput at the line and column of the first
    byte that is not; `what` says which text, e.g. " (GeoJSON is UTF-8)"."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(f"not UTF-8 text{what}", file, line, column) from None
