"""The `kubelite-apiserver` command: one API server process (kube-apiserver's
flag names where they exist)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click

from apiserver.app import ApiServerConfig, serve


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--etcd-servers", required=True, help="Comma-separated etcdlite endpoints (host:port or http://...).")
@click.option("--bind-address", default="127.0.0.1", show_default=True)
@click.option("--secure-port", "port", default=6443, show_default=True, type=click.IntRange(1, 65535))
@click.option("--rest-port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Serve the Kubernetes REST API (what real kubectl speaks) over HTTPS on this port; 0 = off.")
@click.option("--tls-cert-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--tls-private-key-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--client-ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CA that signs client certificates (CN = user, O = groups).")
@click.option("--token-auth-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help='CSV of static bearer tokens: token,user,uid,"group1,group2".')
@click.option("--audit-log-path", type=click.Path(dir_okay=False), default=None,
              help="Append one JSON line per request to this file.")
@click.option("--watch-bookmark-interval", default=60.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between BOOKMARK events on watches that allow them.")
@click.option("--kubelet-client-certificate", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Certificate presented to node agents when proxying pods/log.")
@click.option("--kubelet-client-key", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--kubelet-certificate-authority", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CA that signs the node agents' serving certificates.")
@click.option("--encryption-provider-config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="An EncryptionConfiguration (apiserver.config.k8s.io/v1): which resources are encrypted at rest "
                   "(aesgcm), and with which keys.")
@click.option("--service-account-key-file", "service_account_key_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="PEM key (public or private) that verifies service-account tokens; may repeat.")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warn", "error"]))
def main(etcd_servers: str, bind_address: str, port: int, rest_port: int, tls_cert_file: str | None,
         tls_private_key_file: str | None, client_ca_file: str | None, token_auth_file: str | None,
         audit_log_path: str | None, watch_bookmark_interval: float, kubelet_client_certificate: str | None,
         kubelet_client_key: str | None, kubelet_certificate_authority: str | None,
         encryption_provider_config: str | None, service_account_key_files: tuple[str, ...],
         log_level: str) -> None:
    """Run the kubelite API server."""
    logging.basicConfig(level=log_level.upper().replace("WARN", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    servers = [s.split("://", 1)[-1].rstrip("/") for s in etcd_servers.split(",") if s.strip()]
    if tls_cert_file and not tls_private_key_file:
        raise click.BadParameter("--tls-cert-file needs --tls-private-key-file", param_hint="--tls-cert-file")
    config = ApiServerConfig(servers, bind_address, port, tls_cert_file, tls_private_key_file, client_ca_file,
                             token_auth_file, audit_log_path, watch_bookmark_interval, kubelet_client_certificate,
                             kubelet_client_key, kubelet_certificate_authority, rest_port,
                             encryption_provider_config, service_account_key_files)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop)

    try:
        asyncio.run(run())
    except ValueError as err:  # a token file or certificate the user pointed at is malformed
        raise click.ClickException(str(err)) from None


if __name__ == "__main__":
    main()
