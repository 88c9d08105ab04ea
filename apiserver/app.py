"""Wires one API server process: the etcdlite client, the generic store, the
watch-fed caches, authentication, authorization and audit, the bootstrap
objects (system namespaces, bootstrap RBAC policy) and the gRPC server with TLS
and the health service."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from apiserver import encryption
from apiserver.audit_log import AuditLog
from apiserver.authn import Authenticator
from apiserver.authz import Authorizer
from apiserver.caches import NamespaceCache, PodNodeCache, ResourceCache
from apiserver.handlers import Handlers
from apiserver.journeys import JourneyLog
from apiserver.registry import GenericStore
from apiserver.transports.grpc import ApiServicer, malformed
from apiserver.transports.rest.server import RestApi
from apiserver.transports.rest.server import ssl_context as _rest_ssl_context
from apiserver.transports.rest.server import start as start_rest
from etcdlite.client import EtcdClient
from kubelite import api
from kubelite.channels import ACCEPT_KEEPALIVE_OPTIONS
from kubelite.errors import AlreadyExists, Conflict, StatusError
from kubelite.gen.kubelite.v1 import api_pb2
from kubelite.rawgrpc import add_raw_servicer

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
RBAC_KINDS = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")


@dataclass
class ApiServerConfig:
    etcd_servers: list[str]
    bind_address: str = "127.0.0.1"
    port: int = 6443
    tls_cert_file: str | None = None
    tls_private_key_file: str | None = None
    client_ca_file: str | None = None
    token_auth_file: str | None = None
    audit_log_path: str | None = None
    bookmark_interval: float = 60.0
    kubelet_client_certificate: str | None = None
    kubelet_client_key: str | None = None
    kubelet_certificate_authority: str | None = None
    rest_port: int = 0  # the Kubernetes REST API (HTTPS); 0 = not served
    encryption_provider_config: str | None = None  # EncryptionConfiguration: encryption at rest
    service_account_key_files: tuple[str, ...] = ()  # verify service-account tokens


@dataclass
class Services:
    """What the pipeline stages use; one instance per process."""

    store: GenericStore
    authenticator: Authenticator
    authorizer: Authorizer
    audit: AuditLog
    namespaces: NamespaceCache
    pods: PodNodeCache
    rbac: dict[str, ResourceCache]
    bookmark_interval: float = 60.0
    kubelet_credentials: grpc.ChannelCredentials | None = None
    journeys: JourneyLog = field(default_factory=JourneyLog)


async def bootstrap(store: GenericStore) -> None:
    """Create the system namespaces and the bootstrap RBAC policy if missing.
    Several API servers may race here; AlreadyExists is the expected loser."""
    namespaces = api.resource_by_name("namespaces")
    for name in SYSTEM_NAMESPACES:
        await _ensure(store, namespaces, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                                          "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    from apiserver.rbac import bootstrap_policy, reconcile_bootstrap

    for obj in bootstrap_policy():
        info, _ = api.parse_object(obj)
        if not await _ensure(store, info, obj):
            # made by an older version: add what this version's policy grants
            stored = await store.get(info, "", obj["metadata"]["name"])
            updated = reconcile_bootstrap(stored, obj)
            if updated is not None:
                try:
                    await store.update(info, updated, stored["metadata"]["resourceVersion"])
                    log.info("reconciled bootstrap %s %s", obj["kind"], obj["metadata"]["name"])
                except Conflict:
                    pass  # another API server reconciled it first


async def _ensure(store: GenericStore, info: api.ResourceInfo, obj: dict[str, Any]) -> bool:
    """Create `obj` unless it exists; whether this call created it."""
    try:
        await store.create(info, obj)
        return True
    except AlreadyExists:
        return False


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def _credentials(config: ApiServerConfig) -> grpc.ServerCredentials | None:
    if not config.tls_cert_file:
        return None
    if not config.tls_private_key_file:
        raise ValueError("--tls-cert-file needs --tls-private-key-file")
    key, cert, ca = _read(config.tls_private_key_file), _read(config.tls_cert_file), _read(config.client_ca_file)
    # gRPC's Python API can only require client certificates or not ask for
    # them at all, so with a client CA every connection is mutual TLS (and may
    # still carry a bearer token, which then names the user); without one the
    # server is TLS-only and bearer tokens are the way in.
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=ca is not None)


def rest_ssl_context(config: ApiServerConfig) -> ssl.SSLContext:
    assert config.tls_cert_file and config.tls_private_key_file
    try:
        return _rest_ssl_context(config.tls_cert_file, config.tls_private_key_file, config.client_ca_file)
    except (OSError, ssl.SSLError) as err:
        raise ValueError(f"cannot use the TLS certificate or key for the REST API: {err}") from None


def _kubelet_credentials(config: ApiServerConfig) -> grpc.ChannelCredentials | None:
    """How the API server authenticates to node agents' log services."""
    if not (config.kubelet_client_certificate and config.kubelet_client_key):
        return None
    return grpc.ssl_channel_credentials(_read(config.kubelet_certificate_authority),
                                        _read(config.kubelet_client_key), _read(config.kubelet_client_certificate))


async def serve(config: ApiServerConfig, stop: asyncio.Event) -> None:
    # read every file the flags name first: a bad one is the user's error, now
    authenticator = Authenticator(config.token_auth_file, config.service_account_key_files)
    audit = AuditLog(config.audit_log_path)
    credentials = _credentials(config)
    kubelet_credentials = _kubelet_credentials(config)
    transformer = encryption.load(config.encryption_provider_config) if config.encryption_provider_config else None
    etcd = EtcdClient(config.etcd_servers)
    store = GenericStore(etcd, transformer)
    await _retry_bootstrap(store)
    namespaces = NamespaceCache(store, api.resource_by_name("namespaces"))
    pods = PodNodeCache(store, api.resource_by_name("pods"))
    authorizer = Authorizer(pods, store)
    rbac = {kind: ResourceCache(store, api.resource_by_name(kind), on_change=authorizer.rbac_changed)
            for kind in RBAC_KINDS}
    authorizer.attach_rbac(rbac)
    caches: list[ResourceCache] = [namespaces, pods, *rbac.values()]
    for cache in caches:
        cache.start()
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in caches)), 60)
    services = Services(store, authenticator, authorizer, audit,
                        namespaces, pods, rbac, config.bookmark_interval, kubelet_credentials)

    handlers = Handlers(services)
    # big enough that an oversized object reaches the handlers, which answer
    # 413 RequestEntityTooLarge as the REST transport does
    server = grpc.aio.server(options=[*ACCEPT_KEEPALIVE_OPTIONS, ("grpc.max_receive_message_length", 16 << 20),
                                      ("grpc.max_send_message_length", 64 << 20)])
    add_raw_servicer(server, api_pb2.DESCRIPTOR.services_by_name["Api"], ApiServicer(handlers), malformed)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{config.bind_address}:{config.port}"
    if credentials is None:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, credentials)
    await server.start()
    rest_runner = None
    if config.rest_port:
        rest_address = f"{config.bind_address}:{config.rest_port}"
        rest_api = RestApi(handlers, services.journeys, rest_address)
        context = rest_ssl_context(config) if config.tls_cert_file else None
        rest_runner = await start_rest(rest_api, config.bind_address, config.rest_port, context)
        log.info("kubelite-apiserver serving the Kubernetes REST API on %s://%s",
                 "https" if context else "http", rest_address)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    log.info("kubelite-apiserver serving on %s (%s), etcd %s", address, "TLS" if credentials else "insecure",
             ",".join(config.etcd_servers))
    await stop.wait()
    if rest_runner is not None:
        await rest_runner.cleanup()
    await health_servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    await server.stop(grace=2)
    for cache in caches:
        await cache.stop()
    services.audit.close()
    await etcd.close()


async def _retry_bootstrap(store: GenericStore) -> None:
    for attempt in range(60):
        try:
            await bootstrap(store)
            return
        except StatusError as err:
            log.warning("bootstrap failed (%s), retrying", err.message)
            await asyncio.sleep(min(2.0, 0.2 * (attempt + 1)))
    raise SystemExit("kubelite-apiserver: could not reach etcdlite to bootstrap")
