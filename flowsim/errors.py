"""Errors in what a user gave, said in the library's terms: which field, what value, why.

A library error names the field as the library's API calls it: an argument (`replications`,
`workers`, `store`) or a scenario path (`capacity_scale.icu_beds`), never a command-line flag.
A front end that calls a field something else says it its own way with `InputError.named`:
the CLI names the flag the user typed, from one table (`cli.FLAGS`). Other fields a message
mentions (a remedy: "add `resume=True`") are quoted in backticks, so they are renamed too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Self

from pydantic_core import PydanticCustomError

_NO_VALUE = object()
_MENTION = re.compile(r"`([^`\s]+)`")


class InputError(ValueError):
    """Bad input, one line: `field value: reason` (`field: reason` without a value).

    Raised with `at`, it keeps `field`, `value` and `reason` apart for a front end; raised with a
    message alone (`field` None), it is the message as written."""

    field: str | None = None
    value: str | None = None
    reason: str = ""
    code: str | None = None
    """What kind of error, for a front end that says it in another language (`i18n.error_words`):
    pydantic's error type for a field that failed validation (`greater_than_equal`, `missing`, ...)."""
    params: dict[str, object] | None = None
    """The numbers and names the coded reason is made of (pydantic's `ctx`)."""

    @classmethod
    def at(cls, field: str, reason: str, value: object = _NO_VALUE) -> Self:
        """The error about `field` (given `value`, if any): `reason` says what is wrong and what to do."""
        shown = None if value is _NO_VALUE else str(value)
        exc = cls(f"{field}{'' if shown is None else ' ' + shown}: {reason}")
        exc.field, exc.value, exc.reason = field, shown, reason
        return exc

    @classmethod
    def coded(cls, field: str, reason: str, code: str, params: Mapping[str, object] | None = None) -> Self:
        """`at(field, reason)`, with the reason's `code` and `params` kept for a translation."""
        exc = cls.at(field, reason)
        exc.code, exc.params = code, dict(params or {})
        return exc

    @classmethod
    def said(cls, field: str | None, code: str, reason: str, given: object = _NO_VALUE,
             **params: str | int | float) -> Self:
        """`coded`, with `reason` a template of `params` ("unknown district '{name}'"): the English
        line here, and `error.<code>` in a locale the same template in another language. `given`:
        the value the field was given, as in `at`; `field` None: the reason is the whole message."""
        if field is None:
            exc = cls(reason.format(**params))
            exc.reason = str(exc)
        else:
            exc = cls.at(field, reason.format(**params), given)
        exc.code, exc.params = code, dict(params)
        return exc

    def named(self, names: Mapping[str, str]) -> str:
        """The message with every field called as `names` calls it (a field not in it as it is)."""
        if self.field is None:
            return rename(str(self), names)
        head = names.get(self.field, self.field) + ("" if self.value is None else " " + self.value)
        return f"{head}: {rename(self.reason, names)}"


class ConfigError(InputError):
    """A bad scenario or argument: one line, `field.path: reason` or `field value: reason`."""


def rename(text: str, names: Mapping[str, str]) -> str:
    """`text` with each field it quotes (`field`) called as `names` calls it; other quotes kept."""
    return _MENTION.sub(lambda m: names.get(m[1], m[0]), text)


def invalid(code: str, reason: str, **params: str | int | float) -> PydanticCustomError:
    """A model validator's error with a code and the values it names (pydantic's error type and
    context), which `config._format` keeps as `ConfigError.code` and `.params` for a translation."""
    return PydanticCustomError(code, reason, params)
