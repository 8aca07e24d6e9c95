"""What every block of region.yaml shares: the base of its schema models, how a field says in words what it
accepts, and how an optional block left empty reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

#: The key of a field's `json_schema_extra` holding what the field accepts, in the words of an error message:
#: "r2_floor must be <allowed>, not 1.5". Fields without one are described by pydantic's own message.
ALLOWED = "allowed"


def allowed(words: str) -> dict[str, str]:
    """`json_schema_extra` for a field whose constraints read better in words than in pydantic's message."""
    return {ALLOWED: words}


def _empty_is_default(value: Any) -> Any:
    return {} if value is None else value


#: For a block such as `checks:`: written with every line under it commented out, YAML reads it as null, which
#: means the block's defaults (as it always has), not an error.
OPTIONAL_BLOCK = BeforeValidator(_empty_is_default)


class SettingsModel(BaseModel):
    """A block of region.yaml: immutable and hashable once read, every key known (a typo is an error, not a
    silently ignored setting), each field documented by the docstring under it (pydantic makes it the field's
    description)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        # YAML reads `1703` or `name: 2020` as numbers: where text is expected they are that text, as before.
        coerce_numbers_to_str=True,
    )
