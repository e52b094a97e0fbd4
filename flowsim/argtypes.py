"""Argparse types for the command lines (`cli`, `cli_decisions`): one way to read a number from a
flag, so every flag says what it takes in the same words."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def number(parse: Callable[[str], Any], unit: str, ok: Callable[[Any], bool], rule: str,
           subject: str = "") -> Callable[[str], Any]:
    """The text parsed by `parse` ("'x' is not `unit`"), then held to `ok` ("`subject` must be
    `rule` (got x)")."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {unit}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{subject + ' ' if subject else ''}must be {rule} (got {text})")
        return value

    return convert


def whole(most: int) -> Callable[[str], int]:
    """A whole number from 1 to `most`."""
    return number(int, "a whole number", lambda v: 1 <= v <= most, f"from 1 to {most:,}")


positive = number(float, "a number", lambda v: 0 < v < float("inf"), "a positive, finite number")
"""A positive, finite number."""
