"""What every `kubelite` verb shares: the click group with kubectl's global
flags, the connection from kubeconfig, and one place that turns a refusal into
kubectl's one error line and exit code 1 (never a traceback).

Verbs live in their own modules (cli/verbs_*.py) and register on `main`.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from cryptography import x509

from kubelite import api, kubeconfig
from kubelite.client import ApiClient, Credentials
from kubelite.errors import ServerUnreachable, StatusError, Unauthorized

Obj = dict[str, Any]


def namespace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl accepts -n after the verb too."""
    def store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.ensure_object(dict)["namespace"] = value
    return click.option("-n", "--namespace", expose_value=False, callback=store, default=None,
                        help="The namespace scope for this request.")(fn)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


# kubectl's global flags, which it takes before or after the verb
GLOBAL_FLAGS = {"--kubeconfig", "--context", "--namespace", "-n", "--server", "-s", "--token",
                "--certificate-authority", "--as", "--as-group", "--request-timeout"}
GLOBAL_SWITCHES = {"--trace"}
_ROOT_VALUE_OPTIONS = GLOBAL_FLAGS


def usage_message(err: click.UsageError) -> str:
    """kubectl's wording for a command line it cannot parse, and where to look."""
    where = err.ctx.command_path if err.ctx is not None else "kubelite"
    if isinstance(err, click.NoSuchOption):
        what = f"unknown flag: {err.option_name}"
    elif err.message.startswith("No such command"):
        name = err.message.split("'")[1] if "'" in err.message else ""
        what = f'unknown command "{name}" for "{where}"'
    else:
        what = err.format_message().rstrip(".")
    return f"{what} (see '{where} --help')"


class KubectlGroup(click.Group):
    """The root command: a global flag written after the verb (`get pods
    --context dev`, `auth can-i list pods --as jane`) is moved in front of it,
    unless that verb has an option of the same name (config set-credentials --token)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._globals_first(ctx, list(args)))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Usage mistakes read like kubectl's (`error: unknown flag: --x`), on one
        line with exit code 1, instead of click's usage block and exit code 2."""
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "kubelite")  # also when run as `python -m cli`
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as err:
            click.echo(err.format_message())  # `kubelite auth`: the group's help, as kubectl
            sys.exit(0)
        except click.UsageError as err:
            fail(f"error: {usage_message(err)}")
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except click.Abort:
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

    def _globals_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        i, command = 0, None
        group: click.Group = self
        while i < len(args):  # find the verb (and a group's subcommand), skipping root options
            token = args[i]
            if token == "--":
                return args
            if token.startswith("-"):
                i += 2 if command is None and token in _ROOT_VALUE_OPTIONS else 1
                continue
            command = group.get_command(ctx, token)
            i += 1
            if not isinstance(command, click.Group):
                break
            group = command
        if command is None or i >= len(args):
            return args
        own = {name for param in command.params for name in getattr(param, "opts", [])}
        head, tail, moved = args[:i], [], []
        rest = iter(args[i:])
        for token in rest:
            if token == "--":
                tail += [token, *rest]
                break
            name = token.split("=", 1)[0]
            if name in own or name not in GLOBAL_FLAGS | GLOBAL_SWITCHES:
                tail.append(token)
            elif "=" in token or name in GLOBAL_SWITCHES:
                moved.append(token)
            else:
                moved += [token, next(rest, "")]
        return moved + head + tail


@click.group(cls=KubectlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--kubeconfig", "kubeconfig_path", envvar=None, default=None, help="Path to the kubeconfig file.")
@click.option("--context", default=None, help="The kubeconfig context to use.")
@click.option("-n", "--namespace", default=None, help="The namespace scope for this request.")
@click.option("--server", "-s", default=None, help="The address of the API server.")
@click.option("--token", default=None, help="Bearer token for authentication.")
@click.option("--certificate-authority", default=None, help="Path to a cert file for the certificate authority.")
@click.option("--as", "as_user", default=None, help="Username to impersonate for the operation.")
@click.option("--as-group", "as_groups", multiple=True, help="Group to impersonate for the operation (repeatable).")
@click.option("--trace", is_flag=True, help="Show each request's journey through the API server (and, for a "
                                            "new pod, the scheduler and node agent).")
@click.option("--request-timeout", default="15s", show_default=True,
              help="How long to wait for a single server request (30s, 1m).")
@click.pass_context
def main(ctx: click.Context, kubeconfig_path: str | None, context: str | None, namespace: str | None,
         server: str | None, token: str | None, certificate_authority: str | None, as_user: str | None,
         as_groups: tuple[str, ...], trace: bool, request_timeout: str) -> None:
    """kubelite controls a kubelite cluster (kubectl's verbs), and runs one locally (up/down/status)."""
    ctx.obj = {"kubeconfig": kubeconfig_path, "context": context, "namespace": namespace, "server": server,
               "token": token, "ca": certificate_authority, "as": as_user or "", "as_groups": as_groups, "trace": trace,
               "request_timeout": request_timeout}


def parse_duration(text: str) -> float:
    """kubectl's durations: "30s", "2m", "1h", "1m30s", or bare seconds."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        fail(f'error: invalid duration "{text}": use a number with s, m or h (30s, 2m)')
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


def connect(ctx: click.Context) -> tuple[Callable[[], ApiClient], str]:
    """A client factory (a gRPC channel must be made inside the running loop)
    and the namespace to use."""
    opts = ctx.obj
    try:
        conn = kubeconfig.resolve(kubeconfig.load(opts["kubeconfig"]), opts["context"])
        server, creds, namespace = conn.server, conn.credentials, conn.namespace
    except kubeconfig.KubeconfigError as err:
        if not opts["server"]:
            fail(f"error: {err}")
        server, creds, namespace = opts["server"], Credentials(), "default"
    if opts["server"]:
        server = opts["server"]
    if opts["token"] or opts["ca"]:
        ca = creds.ca_cert
        if opts["ca"]:
            try:
                ca = Path(opts["ca"]).read_bytes()
            except OSError as err:
                fail(f"error: unable to read certificate-authority {opts['ca']}: {err.strerror}")
        creds = Credentials(ca, None if opts["token"] else creds.client_cert,
                            None if opts["token"] else creds.client_key, opts["token"] or creds.token)
    ctx.obj["server_address"] = server
    _refuse_expired(creds.client_cert)
    endpoint, timeout = server, parse_duration(opts["request_timeout"]) or 86400.0
    if opts["as_groups"] and not opts["as"]:
        fail("error: requesting groups without impersonating a user: --as-group needs --as")
    impersonate = (opts["as"], tuple(opts["as_groups"]))
    return (lambda: ApiClient(endpoint, creds, timeout=timeout, impersonate=impersonate,
                              record_journeys=bool(opts["trace"]))), opts["namespace"] or namespace


def _refuse_expired(cert_pem: bytes | None) -> None:
    """An expired client certificate would only show as a refused TLS
    handshake: say what is wrong instead, as kubectl does."""
    if not cert_pem:
        return
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        fail("error: the client certificate in the kubeconfig is not a PEM certificate")
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        side, bound = (("after", cert.not_valid_after_utc) if now > cert.not_valid_after_utc
                       else ("before", cert.not_valid_before_utc))
        fail(f"Unable to connect to the server: x509: certificate has expired or is not yet valid: current time "
             f"{now:%Y-%m-%dT%H:%M:%SZ} is {side} {bound:%Y-%m-%dT%H:%M:%SZ}")


def unreachable_line(server: str, details: str) -> str:
    """kubectl's line for a server that did not answer: refused, or a TLS
    handshake that failed (wrong CA, or not a TLS server at that address)."""
    where = ",".join(s.split("://", 1)[-1] for s in server.split(","))  # host:port, as kubectl names it
    if "CERTIFICATE_VERIFY_FAILED" in details or "BAD_SIGNATURE" in details:
        # no CA we trust signed it (a CA of the same name, but another key, ends in BAD_SIGNATURE)
        return "Unable to connect to the server: x509: certificate signed by unknown authority"
    if "WRONG_VERSION_NUMBER" in details:
        return f"Unable to connect to the server: tls: first record does not look like a TLS handshake ({where})"
    if "handshake failed" in details.lower():
        why = details.rsplit("OPENSSL_internal:", 1)[-1].strip().removesuffix(": OK")
        return f"Unable to connect to the server: tls: {why.lower().replace('_', ' ')} ({where})"
    return f"The connection to the server {where} was refused - did you specify the right host or port?"


def run_api(ctx: click.Context, body: Callable[[ApiClient, str], Awaitable[None]]) -> None:
    make_client, namespace = connect(ctx)

    async def go() -> None:
        async with make_client() as client:
            try:
                await body(client, namespace)
            finally:
                # --trace on any verb: the journeys the verb did not show itself,
                # also when the request failed (which stage refused it, and why)
                for what, spans in client.journeys:
                    _print_spans(what, spans)
                client.journeys.clear()
    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        sys.exit(130)
    except ServerUnreachable as err:
        fail(unreachable_line(str(ctx.obj.get("server_address", "")), err.message))
    except Unauthorized:
        fail("error: You must be logged in to the server (Unauthorized)")
    except StatusError as err:
        if err.reason == "Invalid" and not err.kind:
            fail(f"The request is invalid: {err.message}")  # kubectl's line for an Invalid naming no object
        fail(f"Error from server ({err.reason}): {err.message}")
    except api.UnknownResource as err:
        fail(f"error: {err}")


async def named_or_selected(client: ApiClient, info: api.ResourceInfo, names: list[str] | tuple[str, ...],
                            namespace: str, selector: str = "") -> list[dict[str, Any]]:
    """The objects named, or else those the label selector matches (every one when it is empty)."""
    if names:
        return [await client.get(info.resource, n, namespace) for n in names]
    return list((await client.list(info.resource, namespace, label_selector=selector))["items"])


def print_journey(client: ApiClient, what: str) -> None:
    """The last request's spans, as a timeline (the seed's picture, live),
    right after the verb's own output. A verb that shows its journey chooses
    it: the lookups before it (apply's get) are not shown as well."""
    client.journeys.clear()
    _print_spans(what, client.last_trace)


def _print_spans(what: str, spans: list[dict[str, Any]]) -> None:
    click.echo(f"  journey of {what}:", err=True)
    for span in spans:
        detail = f"  {span['detail']}" if span.get("detail") else ""
        click.echo(f"    {span['stage']:<17} {span['outcome']:<15} {span['durationMs']:>8.3f} ms{detail}", err=True)


async def follow_pod(client: ApiClient, namespace: str, name: str, since: str = "", timeout: float = 30.0) -> None:
    """After a pod is created: when the scheduler bound it (and why there) and
    when the node agent started it, from the pod's events as they arrive.
    `since` is the create's resourceVersion, so events written before the
    watch opened are not missed; events are written concurrently, so the
    story ends once both the binding and the start (or a failure) are in."""
    start = time.monotonic()
    seen: set[str] = set()
    reasons: set[str] = set()

    async def watch() -> None:
        async for _kind, event in client.watch("events", namespace, resource_version=since,
                                               field_selector=f"involvedObject.name={name}"):
            uid = event["metadata"].get("uid", "")
            if uid in seen:
                continue
            seen.add(uid)
            reasons.add(str(event.get("reason", "")))
            source = (event.get("source") or {}).get("component", "")
            click.echo(f"    +{time.monotonic() - start:6.2f}s {source:<18} {event.get('reason', '')}: "
                       f"{event.get('message', '')}", err=True)
            if {"Scheduled", "Started"} <= reasons or reasons & {"Failed", "FailedScheduling"}:
                return
    try:
        await asyncio.wait_for(watch(), timeout)
    except TimeoutError:
        click.echo(f"    (nothing more within {timeout:.0f}s)", err=True)
