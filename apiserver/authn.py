"""Authenticators: TLS client certificates, static bearer tokens and
service-account tokens (JWTs signed with the service-account key).

The TLS handshake already refuses certificates that are expired or not signed by
--client-ca-file; what reaches us is a verified chain, from which the user is
the subject CN and the groups are the O entries, as in kube-apiserver. A bearer
token is looked up in the --token-auth-file. Both reach us in the
transport-neutral `Credential`, whichever transport (gRPC or REST) the request
came by. Every authenticated user is also in system:authenticated.
"""

from __future__ import annotations

import hmac

from apiserver.context import Credential, UserInfo
from kubelite import satoken
from kubelite.tokens import load_token_file

AUTHENTICATED = "system:authenticated"


class Authenticator:
    def __init__(self, token_file: str | None = None, service_account_key_files: tuple[str, ...] = (),
                 issuer: str = satoken.ISSUER) -> None:
        self._tokens = load_token_file(token_file) if token_file else {}
        self._sa_keys = [satoken.load_public(path) for path in service_account_key_files]
        self._issuer = issuer

    def authenticate(self, credential: Credential) -> UserInfo | None:
        if credential.bearer_token is not None:
            return self._from_token(credential.bearer_token) if credential.bearer_token else None
        if credential.certificate_subject is not None:
            user, groups = credential.certificate_subject
            if not user:
                return None
            return UserInfo(user, "", (*groups, AUTHENTICATED), "x509")
        return None

    def _from_token(self, token: str) -> UserInfo | None:
        if self._sa_keys and satoken.looks_like_jwt(token):
            account = satoken.verify(self._sa_keys, token, self._issuer)
            if account is not None:
                return UserInfo(account.username, account.uid, (*account.groups, AUTHENTICATED), "serviceaccount")
        for known, info in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return UserInfo(info.name, info.uid, (*info.groups, AUTHENTICATED), "token")
        return None
