"""Kubernetes resource quantities ("250m", "128Mi", "1e3", "2"): parsing to
exact decimals and the helpers the scheduler and node agent use."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
REGEX_TEXT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}


def parse_quantity(text: str | int | float) -> Decimal:
    """The exact value of a quantity; raises ValueError for malformed input."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a quantity")
    if isinstance(text, int | float):
        text = str(text)
    match = QUANTITY_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"quantities must match the regular expression '{REGEX_TEXT}'")
    number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"quantities must match the regular expression '{REGEX_TEXT}'") from None
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    if suffix[:1] in ("e", "E"):
        try:
            return value * (Decimal(10) ** int(suffix[1:]))
        except ValueError:
            pass
    raise ValueError("unable to parse quantity's suffix")


def cpu_millis(text: str | int | float) -> int:
    """CPU in millicores, rounded up (Kubernetes' MilliValue)."""
    return math.ceil(parse_quantity(text) * 1000)


def bytes_value(text: str | int | float) -> int:
    """Memory (or any count) as an integer, rounded up."""
    return math.ceil(parse_quantity(text))


def format_millis(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_bytes(value: int) -> str:
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        if value and value % _BINARY[suffix] == 0:
            return f"{value // _BINARY[suffix]}{suffix}"
    return str(value)
