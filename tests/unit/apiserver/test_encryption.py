"""Encryption at rest: an EncryptionConfiguration's providers encrypt writes
with the first key and read with any; mistakes in the file are one line."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from apiserver.encryption import PREFIX, EncryptionConfigError, Transformer, parse

KEY1 = base64.b64encode(b"k" * 32).decode()
KEY2 = base64.b64encode(b"j" * 32).decode()


def config(*providers: dict) -> dict:
    return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
            "resources": [{"resources": ["secrets"], "providers": list(providers)}]}


def test_secrets_are_encrypted_and_other_resources_are_not() -> None:
    transformer = parse(config({"aesgcm": {"keys": [{"name": "key1", "secret": KEY1}]}}, {"identity": {}}))
    stored = transformer.to_storage("secrets", b"/registry/secrets/default/db", b'{"data":{"p":"c2VjcmV0"}}')
    assert stored.startswith(PREFIX + b"aesgcm:v1:key1:") and b"c2VjcmV0" not in stored
    assert transformer.from_storage("secrets", b"/registry/secrets/default/db", stored) == b'{"data":{"p":"c2VjcmV0"}}'
    assert transformer.to_storage("configmaps", b"k", b"plain") == b"plain"
    # identity among the providers: values written before encryption was turned on still read
    assert transformer.from_storage("secrets", b"k", b"{}") == b"{}"
    # the key is bound to the etcd key: a value copied to another key does not decrypt
    with pytest.raises(InvalidTag):
        transformer.from_storage("secrets", b"/registry/secrets/default/other", stored)


def test_keys_rotate_old_values_read_with_the_second_key() -> None:
    old = parse(config({"aesgcm": {"keys": [{"name": "old", "secret": KEY2}]}}))
    stored = old.to_storage("secrets", b"k", b"v")
    rotated = parse(config({"aesgcm": {"keys": [{"name": "new", "secret": KEY1}, {"name": "old", "secret": KEY2}]}}))
    assert rotated.from_storage("secrets", b"k", stored) == b"v"
    assert rotated.to_storage("secrets", b"k", b"v").startswith(PREFIX + b"aesgcm:v1:new:")
    with pytest.raises(ValueError, match="not encrypted"):
        rotated.from_storage("secrets", b"k", b"{}")  # no identity provider: plain values are refused
    with pytest.raises(ValueError, match="encrypted"):
        Transformer().from_storage("secrets", b"k", stored)


@pytest.mark.parametrize(("document", "message"), [
    ({"kind": "Other"}, "kind: must be EncryptionConfiguration"),
    ({"kind": "EncryptionConfiguration"}, "resources: Required value"),
    (config({"aesgcm": {"keys": [{"name": "k", "secret": "not base64!"}]}}),
     "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: must be base64"),
    (config({"aesgcm": {"keys": [{"name": "k", "secret": base64.b64encode(b"short").decode()}]}}),
     "must be 16, 24 or 32 bytes, got 5"),
    (config({"secretbox": {"keys": []}}), 'Unsupported value: "secretbox"'),
    (config(), "resources[0].providers: Required value"),
])
def test_a_bad_configuration_is_one_line_with_its_field_path(document: dict, message: str) -> None:
    with pytest.raises(EncryptionConfigError) as err:
        parse(document)
    assert message in str(err.value) and "\n" not in str(err.value)
