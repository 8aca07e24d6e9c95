"""What every block of region.yaml shares: the base of its schema models, how a field says in words what it
accepts, and how an optional block left empty reads."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

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
        # `buffer_m: .inf` or `1e400` is no setting anyone means; a bound that must be off is written as null.
        allow_inf_nan=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _true_is_not_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads `buffer_m: yes` as 1.0; YAML's true/false where a number is expected is a mistake. As
        # text, the value fails the number's own validation, whose message names the key and what it accepts.
        if isinstance(value, bool) and info.field_name is not None:
            kinds = _types_in(cls.model_fields[info.field_name].annotation)
            if kinds & {int, float} and not kinds & {bool, str}:
                return str(value).lower()
        return value


def _types_in(annotation: Any) -> set[Any]:
    """Every type named in an annotation, through unions, Annotated and containers."""
    found = {annotation}
    for arg in get_args(annotation):
        found |= _types_in(arg)
    return found
