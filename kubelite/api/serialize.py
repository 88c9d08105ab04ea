"""Typed object -> the Kubernetes JSON it stands for."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def to_json_dict(model: BaseModel) -> dict[str, Any]:
    """Fields the document had or defaulting set; no nulls the user did not write."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
