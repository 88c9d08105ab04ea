"""The cluster's PKI, with the `cryptography` library: a CA, the API server's
serving certificate (with SANs) and client certificates whose subject carries
the identity (CN = user, O = groups), as Kubernetes client certificates do.

    python -m kubelite.pki init --dir pki [--san 10.0.0.5] [--node node-1 ...]
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_SANS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def _name(cn: str, groups: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "kubelite-ca", days: int = 3650) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def issue(ca: Issued, cn: str, groups: tuple[str, ...] = (), sans: tuple[str, ...] = (), server: bool = False,
          days: int = 365, not_before: dt.datetime | None = None) -> Issued:
    """A certificate signed by `ca`. `not_before` in the past with a short
    `days` makes an already-expired certificate (for tests)."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (x509.CertificateBuilder().subject_name(_name(cn, groups)).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if sans:
        entries: list[x509.GeneralName] = []
        for san in sans:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                entries.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


@functools.lru_cache(maxsize=4096)
def identity_from_cert(pem: bytes | str) -> tuple[str, tuple[str, ...]]:
    """(user, groups) from a client certificate: subject CN and O entries.
    Cached: a client presents the same certificate on every request."""
    cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    groups = tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    return (str(cns[0].value) if cns else ""), groups


def write(directory: Path, stem: str, issued: Issued) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.crt").write_bytes(issued.cert_pem())
    key_path = directory / f"{stem}.key"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(issued.key_pem())


def load(directory: Path, stem: str) -> Issued:
    cert = x509.load_pem_x509_certificate((directory / f"{stem}.crt").read_bytes())
    key = serialization.load_pem_private_key((directory / f"{stem}.key").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Issued(cert, key)


# Component identities and the groups RBAC's bootstrap bindings expect.
CLIENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("kubelite-admin", ("system:masters",)),
    "scheduler": ("system:kube-scheduler", ()),
    "controller-manager": ("system:kube-controller-manager", ()),
    # what the API server presents to node agents when it proxies pods/log
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", ("system:masters",)),
}
KUBELET_CLIENT_CN = "kube-apiserver-kubelet-client"


def init_pki(directory: Path, sans: tuple[str, ...] = DEFAULT_SANS, nodes: tuple[str, ...] = (),
             days: int = 365) -> list[str]:
    """Create what is missing under `directory`; returns the files it created.
    Existing files are kept, so a second run changes nothing."""
    created: list[str] = []
    if (directory / "ca.crt").exists():
        ca = load(directory, "ca")
    else:
        ca = make_ca()
        write(directory, "ca", ca)
        created.append("ca")
    wanted: dict[str, tuple[str, tuple[str, ...], bool]] = {
        "apiserver": ("kubelite-apiserver", (), True),
        **{stem: (cn, groups, False) for stem, (cn, groups) in CLIENTS.items()},
        **{f"node-{n}": (f"system:node:{n}", ("system:nodes",), False)
           for n in nodes},
        **{f"node-{n}-serving": (f"system:node:{n}", ("system:nodes",), True) for n in nodes},
    }
    for stem, (cn, groups, server) in wanted.items():
        if (directory / f"{stem}.crt").exists():
            continue
        write(directory, stem, issue(ca, cn, groups, sans if server else (), server=server, days=days))
        created.append(stem)
    if not (directory / "sa.key").exists():
        from kubelite import satoken

        satoken.write_keys(directory, satoken.new_key())  # signs service-account tokens
        created.append("sa")
    return created


def main() -> None:
    import click

    @click.group()
    def cli() -> None:
        """kubelite's PKI."""

    @cli.command()
    @click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
    @click.option("--san", "sans", multiple=True, help="Extra API server SAN (IP or DNS name); repeatable.")
    @click.option("--node", "nodes", multiple=True, help="Node name to issue a client certificate for.")
    @click.option("--days", default=365, show_default=True, type=click.IntRange(1, 36500))
    def init(directory: str, sans: tuple[str, ...], nodes: tuple[str, ...], days: int) -> None:
        """Create the CA, the API server certificate and the client certificates."""
        created = init_pki(Path(directory), (*DEFAULT_SANS, *sans), nodes, days)
        for stem in created:
            click.echo(f"created {Path(directory) / stem}.crt")
        if not created:
            click.echo(f"PKI in {directory} is complete; nothing to do")

    @cli.command()
    @click.option("--dir", "directory", required=True, type=click.Path(file_okay=False),
                  help="The PKI directory holding ca.crt and ca.key.")
    @click.option("--name", required=True, help="The user name (the certificate's CN).")
    @click.option("--group", "groups", multiple=True, help="A group (the certificate's O); repeatable.")
    @click.option("--days", default=365, show_default=True, type=click.IntRange(1, 36500))
    def user(directory: str, name: str, groups: tuple[str, ...], days: int) -> None:
        """Issue a client certificate for a new user, signed by the cluster CA
        (as `kubeadm kubeconfig user --client-name` does)."""
        if not (Path(directory) / "ca.key").exists():
            raise click.ClickException(f"no CA in {directory} (ca.crt and ca.key)")
        stem = f"user-{name.replace(':', '-')}"
        write(Path(directory), stem, issue(load(Path(directory), "ca"), name, groups, days=days))
        click.echo(f"created {Path(directory) / stem}.crt and .key for user {name!r}"
                   + (f" in groups {', '.join(groups)}" if groups else ""))

    @cli.command("kubeconfig")
    @click.option("--dir", "directory", required=True, type=click.Path(file_okay=False),
                  help="The PKI directory holding ca.crt and the user's certificate.")
    @click.option("--user", "stem", default="admin", show_default=True,
                  help="Whose certificate: admin, or a user made by `kubelite-pki user` (their name).")
    @click.option("--server", required=True, help="The API server's REST URL, e.g. https://127.0.0.1:6444.")
    @click.option("--grpc-server", default="", help="Its gRPC endpoint(s), for kubelite's own CLI.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="The kubeconfig file to write.")
    def kubeconfig_command(directory: str, stem: str, server: str, grpc_server: str, out: str) -> None:
        """Write a kubeconfig that real kubectl uses unchanged (and kubelite's CLI too)."""
        from kubelite import kubeconfig

        pki = Path(directory)
        name = stem if stem == "admin" else f"user-{stem.replace(':', '-')}"
        for part in ("ca.crt", f"{name}.crt", f"{name}.key"):
            if not (pki / part).exists():
                raise click.ClickException(f"no {part} in {directory}")
        if not server.startswith("https://"):
            raise click.ClickException(f"--server must be an https:// URL (kubectl sends no credentials over http): "
                                       f"{server}")
        user = "kubelite-admin" if stem == "admin" else stem
        kubeconfig.write(Path(out), server, pki / "ca.crt", pki / f"{name}.crt", pki / f"{name}.key",
                         user=user, context=f"{user}@kubelite", grpc=grpc_server)
        click.echo(f"wrote {out} (user {user!r}, server {server})")

    cli()


if __name__ == "__main__":
    main()
