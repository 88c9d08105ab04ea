"""v1 Secret: like a ConfigMap, for credentials. `data` values are base64;
`stringData` is write-only, merged into `data` on every write (it is never
stored). Its data is never shown in audit lines or traces, and may be
encrypted at rest (--encryption-provider-config)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kubelite.api import core
from kubelite.api.errors import FieldError, invalid, required
from kubelite.api.kind import Kind, Strategy
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of
from kubelite.api.validation import configmap_update

Obj = dict[str, Any]
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"
MAX_BYTES = 1024 * 1024
KEY_MESSAGE = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
               "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
REQUIRED_KEYS = {"kubernetes.io/basic-auth": (), "kubernetes.io/ssh-auth": ("ssh-privatekey",),
                 "kubernetes.io/tls": ("tls.crt", "tls.key"), "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
                 "kubernetes.io/dockercfg": (".dockercfg",)}


def _defaults(secret: core.Secret) -> None:
    if secret.type is None:
        secret.type = "Opaque"
    if secret.stringData:
        data = dict(secret.data or {})
        for key, value in secret.stringData.items():
            data[key] = base64.b64encode(value.encode()).decode()
        secret.data = data
        secret.stringData = None


def _validate(secret: core.Secret) -> list[FieldError]:
    causes: list[FieldError] = []
    total = 0
    for key in {**(secret.data or {}), **(secret.stringData or {})}:
        if not key or len(key) > 253 or not all(ch.isalnum() or ch in "-._" for ch in key):
            causes.append(invalid("data", key, KEY_MESSAGE))
    for key, value in (secret.data or {}).items():
        try:
            total += len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            causes.append(invalid(f"data[{key}]", "<secret contents redacted>",
                                  "illegal base64 data: the value must be base64"))
    if total > MAX_BYTES:
        causes.append(FieldError("data", "FieldValueTooLong", f"Too long: must have at most {MAX_BYTES} bytes"))
    for key in REQUIRED_KEYS.get(secret.type or "", ()):
        if key not in (secret.data or {}) and key not in (secret.stringData or {}):
            causes.append(required(f"data[{key}]"))
    if secret.type == SERVICE_ACCOUNT_TOKEN:
        name = (secret.metadata.annotations or {}).get("kubernetes.io/service-account.name")
        if not name:
            causes.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    return causes


def _validate_update(old: core.Secret, new: core.Secret) -> list[FieldError]:
    causes = configmap_update(old, new)  # type: ignore[arg-type]
    if old.type != new.type:
        causes.append(invalid("type", new.type, "field is immutable"))
    return causes


def _cells(secret: Obj) -> list[Any]:
    return [name_of(secret), secret.get("type") or "Opaque", len(secret.get("data") or {}), created_age(secret)]


PRINTER = Printer((NAME, Column("Type", "string", "", "The secret's type."),
                   Column("Data", "string", "", "How many keys the secret holds."), AGE), _cells)
KIND = Kind("", "v1", "Secret", "secrets", True, core.Secret, defaults=_defaults, validate=_validate,
            validate_update=_validate_update, printer=PRINTER, strategy=Strategy(fields=frozenset({"type"})))
