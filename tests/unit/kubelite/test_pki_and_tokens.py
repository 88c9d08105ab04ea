"""PKI bootstrap and static token files."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509

from kubelite.pki import identity_from_cert, init_pki, issue, load, make_ca
from kubelite.tokens import load_token_file


def test_init_creates_ca_server_and_client_certs_once(tmp_path: Path) -> None:
    created = init_pki(tmp_path, nodes=("n1",))
    assert set(created) == {"ca", "apiserver", "admin", "scheduler", "controller-manager",
                            "apiserver-kubelet-client", "node-n1", "node-n1-serving", "sa"}
    assert init_pki(tmp_path, nodes=("n1",)) == []
    assert stat.S_IMODE((tmp_path / "admin.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "sa.key").stat().st_mode) == 0o600  # the service-account signing key
    server = load(tmp_path, "apiserver").cert
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    ca = load(tmp_path, "ca").cert
    server.verify_directly_issued_by(ca)  # raises if the CA did not sign it


def test_client_identity_is_cn_and_organizations(tmp_path: Path) -> None:
    init_pki(tmp_path, nodes=("n1",))
    assert identity_from_cert((tmp_path / "admin.crt").read_bytes()) == ("kubelite-admin", ("system:masters",))
    assert identity_from_cert((tmp_path / "node-n1.crt").read_bytes()) == ("system:node:n1", ("system:nodes",))


def test_expired_certificates_can_be_made_for_tests() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    cert = issue(make_ca(), "old", days=1, not_before=past).cert
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)


def test_token_file_parses_users_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text('abc,alice,1000,"devs,ops"\nxyz,bob,1001\n\n')
    tokens = load_token_file(str(path))
    assert tokens["abc"].name == "alice" and tokens["abc"].groups == ("devs", "ops")
    assert tokens["xyz"].groups == ()


@pytest.mark.parametrize(("content", "message"), [
    ("abc,alice\n", "tokens.csv:1: want token,user,uid"),
    ("abc,alice,1\nabc,bob,2\n", "tokens.csv:2: duplicate token"),
    (",alice,1\n", "tokens.csv:1: token and user must not be empty"),
], ids=["too-few-fields", "duplicate", "empty-token"])
def test_malformed_token_files_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_token_file(str(path))


def test_missing_token_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read token file"):
        load_token_file(str(tmp_path / "nope.csv"))
