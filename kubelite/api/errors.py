"""Field errors and invalid-object errors, worded as kube-apiserver words them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem at one field path, e.g. `spec.containers[0].image: Required value`."""

    field: str
    type: str  # FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def required(field: str) -> FieldError:
    return FieldError(field, "FieldValueRequired", "Required value")


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError(field, "FieldValueInvalid", f"Invalid value: {_show(value)}: {detail}")


def not_supported(field: str, value: object, supported: list[str]) -> FieldError:
    options = ", ".join(f'"{s}"' for s in supported)
    message = f"Unsupported value: {_show(value)}: supported values: {options}"
    return FieldError(field, "FieldValueNotSupported", message)


def duplicate(field: str, value: object) -> FieldError:
    return FieldError(field, "FieldValueDuplicate", f"Duplicate value: {_show(value)}")


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(field, "FieldValueForbidden", f"Forbidden: {detail}")


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class InvalidObject(Exception):
    """The object failed validation: `Pod "x" is invalid: <causes>`."""

    def __init__(self, kind: str, name: str, causes: list[FieldError]) -> None:
        self.kind = kind
        self.name = name
        self.causes = causes
        shown = [str(c) for c in causes]
        body = shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"
        super().__init__(f'{kind} "{name}" is invalid: {body}')


class UnknownKind(Exception):
    """apiVersion/kind names no type the server knows."""

    def __init__(self, api_version: str, kind: str) -> None:
        if not kind:
            message = "Object 'Kind' is missing in the object"
        elif not api_version:
            message = "Object 'apiVersion' is missing in the object"
        else:
            message = f'no matches for kind "{kind}" in version "{api_version}"'
        super().__init__(message)
        self.api_version = api_version
        self.kind = kind


class UnknownResource(LookupError):
    """A resource name (as typed to kubectl) that names no kind we serve."""

    def __init__(self, name: str) -> None:
        super().__init__(f'the server doesn\'t have a resource type "{name}"')
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])
