"""Service-account tokens: JWTs (ES256) signed with the cluster's
service-account key, as Kubernetes' token controller and TokenRequest issue
them, and verified by the API server's authenticator, which then knows the
caller as `system:serviceaccount:<namespace>:<name>` in the groups
`system:serviceaccounts` and `system:serviceaccounts:<namespace>`.

Claims as Kubernetes writes them: iss, sub, aud, iat, nbf, exp (absent for
the long-lived tokens of kubernetes.io/service-account-token Secrets), and
`kubernetes.io` with the namespace and the service account's name and uid.
The signature is ECDSA P-256 over SHA-256 in JWS form (r || s), by the
`cryptography` package."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ISSUER = "https://kubernetes.default.svc.cluster.local"
GROUP = "system:serviceaccounts"
PREFIX = "system:serviceaccount:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def write_keys(directory: Path, key: ec.EllipticCurvePrivateKey) -> None:
    (directory / "sa.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / "sa.key").chmod(0o600)
    (directory / "sa.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def load_private(path: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a PEM private key ({err})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: the service-account key must be an EC (P-256) key")
    return key


def load_public(path: str) -> ec.EllipticCurvePublicKey:
    data = Path(path).read_bytes()
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except ValueError as err:
            raise ValueError(f"{path}: not a PEM public or private key ({err})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError(f"{path}: the service-account key must be an EC (P-256) key")
    return key


def sign(key: ec.EllipticCurvePrivateKey, namespace: str, name: str, uid: str, lifetime: float | None = None,
         audiences: tuple[str, ...] = (ISSUER,), issuer: str = ISSUER, secret: str = "") -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer, "sub": f"{PREFIX}{namespace}:{name}", "aud": list(audiences),
                              "iat": now, "nbf": now,
                              "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}}
    if lifetime is not None:
        claims["exp"] = now + int(lifetime)
    if secret:
        claims["kubernetes.io"]["secret"] = {"name": secret}
    header = {"alg": "ES256", "typ": "JWT"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass(frozen=True)
class ServiceAccountIdentity:
    namespace: str
    name: str
    uid: str

    @property
    def username(self) -> str:
        return f"{PREFIX}{self.namespace}:{self.name}"

    @property
    def groups(self) -> tuple[str, ...]:
        return (GROUP, f"{GROUP}:{self.namespace}")


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def verify(keys: list[ec.EllipticCurvePublicKey], token: str, issuer: str = ISSUER,
           clock: float | None = None) -> ServiceAccountIdentity | None:
    """The service account a valid token names; None for anything else
    (bad signature, another issuer, expired, not yet valid, malformed)."""
    try:
        header_text, claims_text, signature_text = token.split(".")
        header = json.loads(_unb64(header_text))
        claims = json.loads(_unb64(claims_text))
        signature = _unb64(signature_text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or header.get("alg") != "ES256" or not isinstance(claims, dict):
        return None
    if len(signature) != 64:
        return None
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    signing_input = f"{header_text}.{claims_text}".encode()
    for key in keys:
        try:
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            break
        except InvalidSignature:
            continue
    else:
        return None
    now = clock if clock is not None else time.time()
    if claims.get("iss") != issuer:
        return None
    if isinstance(claims.get("exp"), int | float) and now >= claims["exp"]:
        return None
    if isinstance(claims.get("nbf"), int | float) and now + 60 < claims["nbf"]:
        return None
    k8s = claims.get("kubernetes.io")
    sub = claims.get("sub")
    if not isinstance(k8s, dict) or not isinstance(sub, str) or not sub.startswith(PREFIX):
        return None
    account = k8s.get("serviceaccount") if isinstance(k8s.get("serviceaccount"), dict) else {}
    namespace, name = str(k8s.get("namespace") or ""), str(account.get("name") or "")
    if not namespace or not name or sub != f"{PREFIX}{namespace}:{name}":
        return None
    return ServiceAccountIdentity(namespace, name, str(account.get("uid") or ""))
