"""`kubelite-healthcheck ADDRESS`: asks a component's gRPC health service
(grpc.health.v1) whether it is SERVING; exit 0 if so, 1 otherwise, one line
either way. Container healthchecks and scripts use it; plain or TLS (with a
client certificate for the API server's mTLS port)."""

from __future__ import annotations

import sys

import click
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("address")
@click.option("--ca", type=click.Path(exists=True, dir_okay=False), help="CA of the server's certificate (TLS).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (mTLS).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Client key (mTLS).")
@click.option("--timeout", default=3.0, show_default=True, type=click.FloatRange(0.1, 60))
def main(address: str, ca: str | None, cert: str | None, key: str | None, timeout: float) -> None:
    """Check the gRPC health service at ADDRESS (host:port)."""
    # files read here rather than through kubelite.client.Credentials: this
    # runs every 2 s in every lab container and must not import the API models
    def read(path: str | None) -> bytes | None:
        if path is None:
            return None
        with open(path, "rb") as f:
            return f.read()
    if ca:
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(read(ca), read(key), read(cert)))
    else:
        channel = grpc.insecure_channel(address)
    try:
        with channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except grpc.RpcError as err:
        click.echo(f"{address}: unhealthy ({err.code().name})")  # type: ignore[attr-defined]
        sys.exit(1)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    click.echo(f"{address}: {status}")
    sys.exit(0 if answer.status == health_pb2.HealthCheckResponse.SERVING else 1)


if __name__ == "__main__":
    main()
