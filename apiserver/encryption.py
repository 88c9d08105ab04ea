"""Encryption at rest, as kube-apiserver's `--encryption-provider-config`: an
EncryptionConfiguration (apiserver.config.k8s.io/v1) names, per resource, an
ordered list of providers. The first one encrypts every write; all of them
are tried on reads, so keys can be rotated. Supported providers: `aesgcm`
(AES-GCM with a random 12-byte nonce per write, the `cryptography` package)
and `identity` (plain). Stored values read like Kubernetes':
`k8s:enc:aesgcm:v1:<key name>:<nonce><ciphertext+tag>`, so `etcdctl get` on
a Secret's key shows ciphertext."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kubelite.yamlload import load_all

PREFIX = b"k8s:enc:"
SUPPORTED = ("aesgcm", "identity")


class EncryptionConfigError(ValueError):
    """The configuration file is unusable: one line saying what and where."""


@dataclass(frozen=True)
class AesGcmKey:
    name: str
    aead: AESGCM

    @property
    def prefix(self) -> bytes:
        return PREFIX + b"aesgcm:v1:" + self.name.encode() + b":"


@dataclass(frozen=True)
class ResourceProviders:
    """The providers of one set of resources, in order; None = identity."""

    providers: tuple[AesGcmKey | None, ...]

    def encrypt(self, data: bytes, context: bytes) -> bytes:
        first = self.providers[0]
        if first is None:
            return data
        nonce = os.urandom(12)
        return first.prefix + nonce + first.aead.encrypt(nonce, data, context)

    def decrypt(self, data: bytes, context: bytes) -> bytes:
        if not data.startswith(PREFIX):
            if None in self.providers:
                return data
            raise ValueError("the stored value is not encrypted, and identity is not a configured provider")
        for key in self.providers:
            if key is not None and data.startswith(key.prefix):
                rest = data[len(key.prefix):]
                return key.aead.decrypt(rest[:12], rest[12:], context)
        raise ValueError("no configured key can decrypt the stored value")


class Transformer:
    """Values in and out of the store, per resource ("secrets", "configmaps.")."""

    def __init__(self, by_resource: dict[str, ResourceProviders] | None = None) -> None:
        self._by_resource = by_resource or {}

    def __bool__(self) -> bool:
        return bool(self._by_resource)

    def encrypts(self, resource: str) -> bool:
        providers = self._by_resource.get(resource)
        return providers is not None and providers.providers[0] is not None

    def to_storage(self, resource: str, key: bytes, data: bytes) -> bytes:
        providers = self._by_resource.get(resource)
        return data if providers is None else providers.encrypt(data, key)

    def from_storage(self, resource: str, key: bytes, data: bytes) -> bytes:
        providers = self._by_resource.get(resource)
        if providers is None:
            if data.startswith(PREFIX):
                raise ValueError(f"{resource} value is encrypted, and no provider is configured for {resource}")
            return data
        return providers.decrypt(data, key)


def _key(entry: Any, where: str) -> AesGcmKey:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry.get("name"):
        raise EncryptionConfigError(f"{where}.name: Required value")
    secret = entry.get("secret")
    try:
        raw = base64.b64decode(str(secret), validate=True)
    except (binascii.Error, ValueError):
        raise EncryptionConfigError(f"{where}.secret: Invalid value: must be base64") from None
    if len(raw) not in (16, 24, 32):
        raise EncryptionConfigError(f"{where}.secret: Invalid value: an aesgcm key must be 16, 24 or 32 bytes, "
                                    f"got {len(raw)}")
    return AesGcmKey(entry["name"], AESGCM(raw))


def parse(document: Any) -> Transformer:
    if not isinstance(document, dict) or document.get("kind") != "EncryptionConfiguration":
        raise EncryptionConfigError("kind: must be EncryptionConfiguration (apiVersion apiserver.config.k8s.io/v1)")
    resources = document.get("resources")
    if not isinstance(resources, list) or not resources:
        raise EncryptionConfigError("resources: Required value")
    out: dict[str, ResourceProviders] = {}
    for i, entry in enumerate(resources):
        where = f"resources[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("resources"), list) or not entry["resources"]:
            raise EncryptionConfigError(f"{where}.resources: Required value")
        providers: list[AesGcmKey | None] = []
        for j, provider in enumerate(entry.get("providers") or []):
            path = f"{where}.providers[{j}]"
            if not isinstance(provider, dict) or len(provider) != 1:
                raise EncryptionConfigError(f"{path}: Invalid value: exactly one provider type per entry")
            (kind, body), = provider.items()
            if kind == "identity":
                providers.append(None)
            elif kind == "aesgcm":
                keys = (body or {}).get("keys") if isinstance(body, dict) else None
                if not isinstance(keys, list) or not keys:
                    raise EncryptionConfigError(f"{path}.aesgcm.keys: Required value")
                providers += [_key(k, f"{path}.aesgcm.keys[{n}]") for n, k in enumerate(keys)]
            else:
                raise EncryptionConfigError(f'{path}: Unsupported value: "{kind}": supported values: '
                                            + ", ".join(f'"{s}"' for s in SUPPORTED))
        if not providers:
            raise EncryptionConfigError(f"{where}.providers: Required value")
        for resource in entry["resources"]:
            name = str(resource).removesuffix(".")  # "secrets" or "secrets." (the core group)
            out[name] = ResourceProviders(tuple(providers))
    return Transformer(out)


def load(path: str) -> Transformer:
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise EncryptionConfigError(f"{path}: {err.strerror}") from None
    try:
        documents = [d for d in load_all(text, path) if d is not None]
    except Exception as err:
        raise EncryptionConfigError(f"{path}: not valid YAML: {err}") from None
    if len(documents) != 1:
        raise EncryptionConfigError(f"{path}: expected one EncryptionConfiguration document")
    try:
        return parse(documents[0])
    except EncryptionConfigError as err:
        raise EncryptionConfigError(f"{path}: {err}") from None
