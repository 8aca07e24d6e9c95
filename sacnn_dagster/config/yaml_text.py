"""A settings file read as YAML, or a `BadInput` naming the file, the line and the column of the fault and
what is wrong there in YAML's own words (without PyYAML's multi-line excerpt of the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sacnn_dagster.config.bad_input import BadInput, utf8_text


def read_yaml(path: Path) -> Any:
    """The document in `path` (None for an empty file)."""
    text = utf8_text(path.read_bytes(), path)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = "; ".join(part for part in (exc.context, exc.problem) if part) or "cannot be read"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise BadInput(f"not valid YAML: {words}", path, line, column) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL, a control character)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        raise BadInput(
            f"not valid YAML: character U+{ord(char[:1] or ' '):04X} is not allowed", path, line, column
        ) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"not valid YAML: {' '.join(str(exc).split())}", path) from None
    except RecursionError:
        raise BadInput("not valid YAML: nested too deeply", path) from None
