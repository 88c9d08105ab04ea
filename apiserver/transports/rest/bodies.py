"""Request bodies and query parameters of the REST transport, decoded into
what the handlers take: objects from JSON, YAML or Kubernetes protobuf,
DeleteOptions, and typed query values. Every mistake is a 400 (415 for a
media type we do not read) naming what was wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from apiserver.transports.rest import protobuf_body
from kubelite import api, yamlload
from kubelite.api import options
from kubelite.errors import BadRequest, UnsupportedMediaType

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
OBJECT_TYPES = (JSON, YAML, PROTOBUF)


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def decode_object(raw: bytes, content_type: str) -> Any:
    """The object a POST or PUT sent."""
    kind = media_type(content_type) or JSON
    if kind == PROTOBUF:
        return protobuf_body.decode(raw)
    if kind == JSON:
        try:
            return json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest("the request body is not valid UTF-8") from None
        except json.JSONDecodeError as err:
            raise BadRequest(f"couldn't get version/kind; json parse error: {err}") from None
    if kind == YAML:
        try:
            return yamlload.load(raw.decode("utf-8"), "the request body")
        except UnicodeDecodeError:
            raise BadRequest("the request body is not valid UTF-8") from None
        except yaml.YAMLError as err:
            raise BadRequest("error converting YAML to JSON: " + " ".join(str(err).split())) from None
    raise UnsupportedMediaType(f'the body of the request was in an unknown format - accepted media types '
                               f'include: {", ".join(OBJECT_TYPES)}')


def delete_options(raw: bytes, content_type: str, query: Mapping[str, str]) -> dict[str, Any]:
    """A DeleteOptions body (JSON or protobuf) merged with the query's
    gracePeriodSeconds, propagationPolicy, orphanDependents and dryRun."""
    body = options.DeleteOptions()
    if raw.strip():
        decoded = decode_object(raw, content_type)
        try:
            body = options.parse_options(options.DeleteOptions, decoded)
        except api.InvalidObject as err:
            raise BadRequest(f"DeleteOptions is invalid: {err.causes[0]}") from None
        if body.kind not in (None, "DeleteOptions"):
            raise BadRequest(f"the request body must be a DeleteOptions, not a {body.kind}")
    grace = integer(query, "gracePeriodSeconds") if "gracePeriodSeconds" in query else body.gracePeriodSeconds
    policy = query.get("propagationPolicy", body.propagationPolicy or "")
    orphan = boolean(query, "orphanDependents") if "orphanDependents" in query else body.orphanDependents
    if orphan is not None and policy:
        raise BadRequest("orphanDependents and propagationPolicy cannot both be set")
    if orphan:
        policy = "Orphan"
    preconditions = body.preconditions or options.Preconditions()
    return {"grace_period_seconds": grace, "propagation_policy": policy,
            "precondition_uid": preconditions.uid or "",
            "precondition_resource_version": preconditions.resourceVersion or "",
            "dry_run": dry_run(query) or _dry_values(body.dryRun or [])}


def integer(query: Mapping[str, str], name: str) -> int | None:
    if name not in query:
        return None
    try:
        return int(query[name])
    except ValueError:
        raise BadRequest(f'{name}: Invalid value: "{query[name]}": must be an integer') from None


def boolean(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "")
    if value in ("", "false", "False", "0"):
        return False
    if value in ("true", "True", "1"):
        return True
    raise BadRequest(f'{name}: Invalid value: "{value}": must be a boolean')


def optional_boolean(query: Mapping[str, str], name: str) -> bool | None:
    return boolean(query, name) if name in query else None


def _dry_values(values: list[Any]) -> bool:
    for value in values:
        if value != "All":
            raise BadRequest(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def dry_run(query: Mapping[str, str]) -> bool:
    values = query.getall("dryRun", []) if hasattr(query, "getall") else (
        [query["dryRun"]] if "dryRun" in query else [])
    return _dry_values(list(values))
