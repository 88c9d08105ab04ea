"""v1 ServiceAccount: an identity for pods. Every namespace has a `default`
one (the serviceaccount controller); the token controller signs its tokens
(JWT), which the API server accepts as `system:serviceaccount:<ns>:<name>`."""

from __future__ import annotations

from typing import Any

from kubelite.api import core
from kubelite.api.kind import Kind
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of

Obj = dict[str, Any]


def _cells(sa: Obj) -> list[Any]:
    return [name_of(sa), len(sa.get("secrets") or []), created_age(sa)]


PRINTER = Printer((NAME, Column("Secrets", "integer", "", "How many secrets the account lists."), AGE), _cells)
KIND = Kind("", "v1", "ServiceAccount", "serviceaccounts", True, core.ServiceAccount, short_names=("sa",),
            printer=PRINTER)
