"""kubeconfig files, as kubectl reads them: clusters, users, contexts and the
current context; `KUBECONFIG` (first file wins per name) or `--kubeconfig`;
certificate paths relative to the file, or inline `-data` fields."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelite import yamlload
from kubelite.client import Credentials

DEFAULT_PATH = Path.home() / ".kube" / "config"
GRPC_EXTENSION = "kubelite.dev/grpc"


class KubeconfigError(Exception):
    """A kubeconfig that cannot be used, with kubectl's wording where it has one."""


@dataclass(frozen=True)
class Connection:
    server: str
    credentials: Credentials
    namespace: str
    context: str


def paths(explicit: str | None) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [DEFAULT_PATH]


# the fields kubelite reads from cluster, user and context entries (checked on load)
STRING_FIELDS = frozenset({"server", "certificate-authority", "certificate-authority-data", "client-certificate",
                           "client-certificate-data", "client-key", "client-key-data", "token", "cluster", "user",
                           "namespace"})


def _sections(doc: dict[str, Any], path: Path) -> dict[str, list[dict[str, Any]]]:
    """The named entries of one file, each checked for kubectl's shape."""
    out: dict[str, list[dict[str, Any]]] = {}
    for section in ("clusters", "users", "contexts"):
        entries = doc.get(section) or []
        if not isinstance(entries, list):
            raise KubeconfigError(f'error loading config file "{path}": {section}: expected a list')
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise KubeconfigError(f'error loading config file "{path}": {section}[{i}]: expected a mapping '
                                      "with a name")
            body = entry.get(section[:-1]) or {}
            if not isinstance(body, dict):
                raise KubeconfigError(f'error loading config file "{path}": {section}[{i}].{section[:-1]}: '
                                      "expected a mapping")
            for field in STRING_FIELDS & set(body):
                if body[field] is not None and not isinstance(body[field], str):
                    raise KubeconfigError(f'error loading config file "{path}": '
                                          f"{section}[{i}].{section[:-1]}.{field}: expected a string")
        out[section] = entries
    if not isinstance(doc.get("current-context") or "", str):
        raise KubeconfigError(f'error loading config file "{path}": current-context: expected a string')
    return out


def load(explicit: str | None = None) -> dict[str, Any]:
    """The merged configuration; each entry remembers the file it came from."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": [], "current-context": ""}
    for path in paths(explicit):
        if not path.exists():
            if explicit:
                raise KubeconfigError(f"stat {path}: no such file or directory")
            continue
        try:
            doc = yamlload.load(path.read_text(), str(path)) or {}
        except yaml.YAMLError as err:
            raise KubeconfigError(f"error loading config file \"{path}\": {err}") from None
        except (OSError, UnicodeDecodeError) as err:
            why = err.strerror if isinstance(err, OSError) else "not a text file"
            raise KubeconfigError(f"error loading config file \"{path}\": {why}") from None
        if not isinstance(doc, dict):
            raise KubeconfigError(f"error loading config file \"{path}\": not a kubeconfig mapping")
        for section, entries in _sections(doc, path).items():
            names = {e["name"] for e in merged[section]}
            merged[section] += [{**e, "_file": str(path)} for e in entries if e["name"] not in names]
        if not merged["current-context"]:
            merged["current-context"] = doc.get("current-context") or ""
    return merged


def _entry(config: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    for entry in config.get(section) or []:
        if entry.get("name") == name:
            return dict(entry)
    kind = section[:-1]
    raise KubeconfigError(f'{kind} "{name}" not found in the kubeconfig' if kind != "context"
                          else f'context "{name}" does not exist')


def _material(body: dict[str, Any], key: str, origin: str) -> bytes | None:
    if body.get(f"{key}-data"):
        try:
            return base64.b64decode(str(body[f"{key}-data"]), validate=True)
        except ValueError:
            raise KubeconfigError(f"{key}-data in {origin} is not valid base64") from None
    if body.get(key):
        path = Path(str(body[key]))
        if not path.is_absolute():
            path = Path(origin).parent / path
        try:
            return path.read_bytes()
        except OSError as err:
            raise KubeconfigError(f"unable to read {key} {path}: {err.strerror}") from None
    return None


def resolve(config: dict[str, Any], context: str | None = None) -> Connection:
    name = context or config.get("current-context") or ""
    if not name:
        raise KubeconfigError("no context is set: use --context or `kubelite config use-context`")
    ctx = _entry(config, "contexts", name)
    ctx_body = ctx.get("context") or {}
    cluster = _entry(config, "clusters", str(ctx_body.get("cluster") or ""))
    user = _entry(config, "users", str(ctx_body.get("user") or ""))
    c_body, u_body = cluster.get("cluster") or {}, user.get("user") or {}
    server = grpc_server(c_body) or str(c_body.get("server") or "")
    credentials = Credentials(
        ca_cert=_material(c_body, "certificate-authority", cluster["_file"]),
        client_cert=_material(u_body, "client-certificate", user["_file"]),
        client_key=_material(u_body, "client-key", user["_file"]),
        token=str(u_body["token"]) if u_body.get("token") else None,
    )
    return Connection(server, credentials, str(ctx_body.get("namespace") or "default"), name)


def grpc_server(cluster: dict[str, Any]) -> str:
    """The kubelite gRPC endpoint a cluster entry names in its extension
    (`server:` is the REST URL real kubectl uses); "" if it names none."""
    for extension in cluster.get("extensions") or []:
        if isinstance(extension, dict) and extension.get("name") == GRPC_EXTENSION:
            body = extension.get("extension")
            if isinstance(body, dict) and isinstance(body.get("grpc-server"), str):
                return str(body["grpc-server"])
    return ""


def write(path: Path, server: str, ca: Path, cert: Path, key: Path, cluster: str = "kubelite",
          user: str = "kubelite-admin", context: str = "kubelite", grpc: str = "") -> None:
    """A kubeconfig for one cluster and one user, paths relative to the file.
    `server` is the REST URL (real kubectl's); `grpc` the gRPC endpoint(s)
    kubelite's own CLI uses, kept in a cluster extension kubectl ignores."""
    def rel(p: Path) -> str:
        return os.path.relpath(p, path.parent)
    cluster_body: dict[str, Any] = {"server": server, "certificate-authority": rel(ca)}
    if grpc:
        cluster_body["extensions"] = [{"name": GRPC_EXTENSION, "extension": {"grpc-server": grpc}}]
    doc = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": cluster, "cluster": cluster_body}],
        "users": [{"name": user, "user": {"client-certificate": rel(cert), "client-key": rel(key)}}],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": user, "namespace": "default"}}],
        "current-context": context,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def set_current_context(path: Path, name: str) -> None:
    doc = yamlload.load(path.read_text(), str(path)) or {}
    doc["current-context"] = name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def file_to_modify(explicit: str | None) -> Path:
    """Where `config set-*` writes, as kubectl: --kubeconfig, else the first
    KUBECONFIG file, else ~/.kube/config."""
    return paths(explicit)[0]


def set_entry(path: Path, section: str, name: str, fields: dict[str, str]) -> bool:
    """Create or update `name` in `section` ("users" or "contexts") of the
    file at `path`, setting only the given fields. Returns True if it existed."""
    doc = (yamlload.load(path.read_text(), str(path)) if path.exists() else None) or {
        "apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [], "current-context": ""}
    inner = {"users": "user", "contexts": "context", "clusters": "cluster"}[section]
    entries = doc.setdefault(section, []) or []
    doc[section] = entries
    entry = next((e for e in entries if isinstance(e, dict) and e.get("name") == name), None)
    existed = entry is not None
    if entry is None:
        entry = {"name": name, inner: {}}
        entries.append(entry)
    body = entry.setdefault(inner, {}) or {}
    entry[inner] = body
    body.update({k: v for k, v in fields.items() if v})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return existed
