"""Authenticators: TLS client certificates and static bearer tokens.

The TLS handshake already refuses certificates that are expired or not signed by
--client-ca-file; what reaches us is a verified chain, from which the user is
the subject CN and the groups are the O entries, as in kube-apiserver. A bearer
token (`authorization: Bearer <token>` metadata) is looked up in the
--token-auth-file. Every authenticated user is also in system:authenticated.
"""

from __future__ import annotations

import hmac

from apiserver.context import UserInfo
from kubelite.pki import identity_from_cert
from kubelite.tokens import load_token_file

AUTHENTICATED = "system:authenticated"


class Authenticator:
    def __init__(self, token_file: str | None = None) -> None:
        self._tokens = load_token_file(token_file) if token_file else {}

    def authenticate(self, metadata: dict[str, str], auth_context: dict[str, list[bytes]]) -> UserInfo | None:
        header = metadata.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            return self._from_token(token.strip())
        pems = auth_context.get("x509_pem_cert") or []
        if pems:
            user, groups = identity_from_cert(pems[0])
            if not user:
                return None
            return UserInfo(user, "", (*groups, AUTHENTICATED), "x509")
        return None

    def _from_token(self, token: str) -> UserInfo | None:
        for known, info in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return UserInfo(info.name, info.uid, (*info.groups, AUTHENTICATED), "token")
        return None
