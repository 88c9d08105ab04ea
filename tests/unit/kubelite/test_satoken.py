"""Service-account tokens: what the token controller signs, the API server's
authenticator accepts as system:serviceaccount:<ns>:<name>, and nothing else."""

from __future__ import annotations

import time
from pathlib import Path

from apiserver.authn import Authenticator
from apiserver.context import Credential
from kubelite import satoken


def test_a_signed_token_authenticates_as_its_service_account(tmp_path: Path) -> None:
    key = satoken.new_key()
    satoken.write_keys(tmp_path, key)
    token = satoken.sign(key, "team", "builder", "uid-1")
    authn = Authenticator(None, (str(tmp_path / "sa.pub"),))
    user = authn.authenticate(Credential(bearer_token=token))
    assert user is not None and user.name == "system:serviceaccount:team:builder" and user.uid == "uid-1"
    assert set(user.groups) == {"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"}


def test_forged_expired_and_foreign_tokens_are_refused() -> None:
    key, other = satoken.new_key(), satoken.new_key()
    keys = [key.public_key()]
    assert satoken.verify(keys, satoken.sign(other, "team", "builder", "u")) is None  # another key
    expired = satoken.sign(key, "team", "builder", "u", lifetime=10)
    assert satoken.verify(keys, expired, clock=time.time() + 11) is None
    assert satoken.verify(keys, satoken.sign(key, "team", "builder", "u", issuer="https://elsewhere")) is None
    header, claims, signature = satoken.sign(key, "team", "builder", "u").split(".")
    forged_claims = satoken._b64(satoken._unb64(claims).replace(b'"builder"', b'"admin"'))
    assert satoken.verify(keys, f"{header}.{forged_claims}.{signature}") is None
    for garbage in ("", "a.b.c", "eyJ.eyJ.", "eyJhbGciOiJub25lIn0.e30.", "x" * 300):
        assert satoken.verify(keys, garbage) is None
