"""kubectl's verbs for workloads: `create deployment|job|cronjob|secret|serviceaccount`,
`scale`, `rollout status|history|undo|restart|pause|resume` and `set image`,
with kubectl's flags, result lines and error wording.

What can be decided without a server is a pure function here (the manifests the
create verbs build, the rollout-status message of a Deployment or DaemonSet, the
history table, which ReplicaSet a rollback goes to, how `set image` changes a pod
spec); the commands around them only fetch, send and print.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cli.base import ApiClient, fail, main, namespace_option, parse_duration, run_api
from cli.output import dump, qualified
from cli.verbs_write import DRY_RUN_SUFFIX, create, write_options
from kubelite import api
from kubelite.client import PATCH_TYPES
from kubelite.errors import Expired, NotFound, StatusError

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
INSTANTIATE = "cronjob.kubernetes.io/instantiate"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# the deployment's own annotations a rollback keeps, and does not take from the ReplicaSet
ROLLBACK_SKIPPED_ANNOTATIONS = frozenset({
    LAST_APPLIED, REVISION, "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"})
DOCKER_HUB = "https://index.docker.io/v1/"
# k8s.io/apimachinery's utilrand alphabet: no vowels, no look-alike characters
RANDOM_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
KEY_MESSAGE = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
               "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
RESOURCE_NAME_FORM = ("there is no need to specify a resource type as a separate argument when passing arguments in "
                      "resource/name form (e.g. 'kubelite get resource/<resource_name>' instead of 'kubelite get "
                      "resource resource/<resource_name>'")


class WorkloadError(Exception):
    """A refusal worded as kubectl words it (without its "error: " prefix)."""


# ------------------------------------------------------------------ manifests
def container_name(image: str, rng: random.Random | None = None) -> str:
    """kubectl create deployment's container name for an image: the last path
    part without tag or digest; "_" and "." become "-" plus a random suffix."""
    name = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    if "_" in name or "." in name:
        suffix = "".join((rng or random).choice(RANDOM_ALPHABET) for _ in range(5))
        name = f"{name.replace('_', '-').replace('.', '-')}-{suffix}"
    return name


def _meta(name: str, namespace: str | None) -> Obj:
    return {"name": name, **({"namespace": namespace} if namespace else {})}


def deployment_manifest(name: str, images: Sequence[str], replicas: int = 1, port: int | None = None,
                        command: Sequence[str] = (), namespace: str | None = None,
                        rng: random.Random | None = None) -> Obj:
    """The Deployment `kubectl create deployment` sends: labels and selector
    app=NAME, a container per image, the command (one image only) and port on the first."""
    if not images:
        raise WorkloadError('required flag(s) "image" not set')
    if len(images) > 1 and command:
        raise WorkloadError("cannot specify multiple --image options and command")
    containers: list[Obj] = []
    for image in images:
        container: Obj = {"name": container_name(image, rng), "image": image}
        if command:
            container["command"] = list(command)
        containers.append(container)
    if port is not None:
        containers[0]["ports"] = [{"containerPort": port}]
    for container in containers:
        container["resources"] = {}
    labels = {"app": name}
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {**_meta(name, namespace), "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
                     "strategy": {}},
            "status": {}}


def _one_container(name: str, image: str, command: Sequence[str]) -> Obj:
    return {"name": name, "image": image, **({"command": list(command)} if command else {}), "resources": {}}


def job_manifest(name: str, image: str, command: Sequence[str] = (), namespace: str | None = None) -> Obj:
    """`kubectl create job NAME --image`: one container named after the job, restartPolicy Never."""
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": _meta(name, namespace),
            "spec": {"template": {"metadata": {}, "spec": {"containers": [_one_container(name, image, command)],
                                                           "restartPolicy": "Never"}}},
            "status": {}}


def job_from_cronjob(name: str, cronjob: Obj, namespace: str | None = None) -> Obj:
    """`kubectl create job NAME --from=cronjob/CJ`: the cronjob's job template,
    marked as started by hand and owned (controlled) by the cronjob."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    meta = _meta(name, namespace)
    if template_meta.get("labels"):
        meta["labels"] = dict(template_meta["labels"])
    meta["annotations"] = {INSTANTIATE: "manual", **(template_meta.get("annotations") or {})}
    cj_meta = cronjob.get("metadata") or {}
    meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj_meta.get("name", ""),
                                "uid": cj_meta.get("uid", ""), "controller": True}]
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {}), "status": {}}


def cronjob_manifest(name: str, image: str, schedule: str, restart: str = "OnFailure", command: Sequence[str] = (),
                     namespace: str | None = None) -> Obj:
    """`kubectl create cronjob`: one container named after the cronjob, in its job template."""
    return {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": _meta(name, namespace),
            "spec": {"schedule": schedule, "jobTemplate": {"metadata": {"name": name}, "spec": {"template": {
                "metadata": {}, "spec": {"containers": [_one_container(name, image, command)],
                                         "restartPolicy": restart or "OnFailure"}}}}},
            "status": {}}


def serviceaccount_manifest(name: str, namespace: str | None = None) -> Obj:
    return {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": _meta(name, namespace)}


def secret_manifest(name: str, data: dict[str, bytes], secret_type: str = "", namespace: str | None = None) -> Obj:
    """A Secret with its values base64-encoded, keys sorted (as Go's JSON prints a map)."""
    secret: Obj = {"kind": "Secret", "apiVersion": "v1", "metadata": _meta(name, namespace)}
    if data:
        secret["data"] = {k: base64.b64encode(data[k]).decode() for k in sorted(data)}
    if secret_type:
        secret["type"] = secret_type
    return secret


def parse_literal(source: str) -> tuple[str, str]:
    """--from-literal=key=value (the value may hold "=")."""
    key, sep, value = source.partition("=")
    if not sep or not key:
        raise WorkloadError(f"invalid literal source {source}, expected key=value")
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """--from-file=[key=]path: the key, by default the file's base name, and the path."""
    separators = source.count("=")
    if separators == 0:
        return Path(source).name or source, source
    if separators > 1:
        raise WorkloadError("key names or file paths cannot contain '='")
    key, _, path = source.partition("=")
    if not key:
        raise WorkloadError(f"key name for file path {path} missing")
    if not path:
        raise WorkloadError(f"file path for key name {key} missing")
    return key, path


def key_problem(key: str) -> str:
    """Why `key` may not name a Secret or ConfigMap entry ("" if it may)."""
    if len(key) > 253:
        return "must be no more than 253 characters"
    if not key or not all(ch.isascii() and (ch.isalnum() or ch in "-._") for ch in key):
        return KEY_MESSAGE
    if key == ".":
        return "must not be '.'"
    if key == "..":
        return "must not be '..'"
    if key.startswith(".."):
        return "must not start with '..'"
    return ""


def add_key(data: dict[str, bytes], key: str, value: bytes) -> None:
    why = key_problem(key)
    if why:
        raise WorkloadError(f'"{key}" is not valid key name for a Secret {why}')
    if key in data:
        raise WorkloadError(f"cannot add key {key}, another key by that name already exists")
    data[key] = value


def _go_error(err: OSError) -> str:
    """An OS error as Go words it ("no such file or directory")."""
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


def read_file_sources(data: dict[str, bytes], sources: Sequence[str]) -> None:
    """--from-file: a file under its key, or every regular file of a directory under its name."""
    for source in sources:
        key, path_text = parse_file_source(source)
        path = Path(path_text)
        try:
            is_dir = path.is_dir()
            if not is_dir:
                path.stat()
        except OSError as err:
            raise WorkloadError(f"error reading {path_text}: {_go_error(err)}") from None
        if is_dir:
            if "=" in source:
                raise WorkloadError("cannot give a key name for a directory path")
            for item in sorted(path.iterdir()):
                if item.is_file():
                    add_key(data, item.name, _read(item))
        else:
            add_key(data, key, _read(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise WorkloadError(f"error reading {path}: {_go_error(err)}") from None


def docker_config_json(server: str, username: str, password: str, email: str = "") -> bytes:
    """The .dockerconfigjson `kubectl create secret docker-registry` writes (Go's compact JSON)."""
    entry = {"username": username, "password": password, "email": email,
             "auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    return json.dumps({"auths": {server: {k: v for k, v in entry.items() if v}}}, separators=(",", ":")).encode()


def check_key_pair(cert_pem: bytes, key_pem: bytes) -> None:
    """What Go's tls.X509KeyPair refuses, in its words: no PEM, swapped inputs, a key that is not the cert's."""
    if b"-----BEGIN" not in cert_pem:
        raise WorkloadError("tls: failed to find any PEM data in certificate input")
    if b"CERTIFICATE-----" not in cert_pem:
        raise WorkloadError("tls: failed to find certificate PEM data in certificate input, but did find a private "
                            "key; PEM inputs may have been switched")
    if b"-----BEGIN" not in key_pem:
        raise WorkloadError("tls: failed to find any PEM data in key input")
    if b"PRIVATE KEY-----" not in key_pem:
        raise WorkloadError("tls: found a certificate rather than a key in the PEM for the private key")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as err:
        raise WorkloadError(f"x509: malformed certificate: {err}") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise WorkloadError("tls: failed to parse private key") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (cert.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise WorkloadError("tls: private key does not match public key")


# ------------------------------------------------------------ rollout status
def deployment_status(deploy: Obj, revision: int = 0) -> tuple[str, bool]:
    """kubectl's DeploymentStatusViewer: the line to print and whether the
    rollout is done; WorkloadError when it cannot finish (deadline exceeded)."""
    meta, spec, status = deploy.get("metadata") or {}, deploy.get("spec") or {}, deploy.get("status") or {}
    name = meta.get("name", "")
    if revision > 0:
        running = _int((meta.get("annotations") or {}).get(REVISION))
        if running is None:
            raise WorkloadError(f'cannot get the revision of deployment "{name}"')
        if running != revision:
            raise WorkloadError(f"desired revision ({revision}) is different from the running revision ({running})")
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return "Waiting for deployment spec update to be observed...", False
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            raise WorkloadError(f'deployment "{name}" exceeded its progress deadline')
    replicas = spec.get("replicas")
    updated = int(status.get("updatedReplicas") or 0)
    current = int(status.get("replicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if replicas is not None and updated < int(replicas):
        return f"{waiting}{updated} out of {replicas} new replicas have been updated...", False
    if current > updated:
        return f"{waiting}{current - updated} old replicas are pending termination...", False
    if available < updated:
        return f"{waiting}{available} of {updated} updated replicas are available...", False
    return f'deployment "{name}" successfully rolled out', True


def daemonset_status(ds: Obj, revision: int = 0) -> tuple[str, bool]:
    """kubectl's DaemonSetStatusViewer (`revision` is not used, as in kubectl)."""
    meta, spec, status = ds.get("metadata") or {}, ds.get("spec") or {}, ds.get("status") or {}
    name = meta.get("name", "")
    if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
        raise WorkloadError("rollout status is only available for RollingUpdate strategy type")
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return "Waiting for daemon set spec update to be observed...", False
    desired = int(status.get("desiredNumberScheduled") or 0)
    updated = int(status.get("updatedNumberScheduled") or 0)
    available = int(status.get("numberAvailable") or 0)
    waiting = f'Waiting for daemon set "{name}" rollout to finish: '
    if updated < desired:
        return f"{waiting}{updated} out of {desired} new pods have been updated...", False
    if available < desired:
        return f"{waiting}{available} of {desired} updated pods are available...", False
    return f'daemon set "{name}" successfully rolled out', True


STATUS_VIEWERS: dict[str, Callable[[Obj, int], tuple[str, bool]]] = {
    "deployments": deployment_status, "daemonsets": daemonset_status}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------ history / undo
def revision_of(rs: Obj) -> int | None:
    """A ReplicaSet's revision (deployment.kubernetes.io/revision), None without one."""
    return _int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION))


def owned_by(obj: Obj, owner: Obj) -> bool:
    """Whether `owner` is the controller of `obj` (by uid)."""
    uid = (owner.get("metadata") or {}).get("uid")
    return any(ref.get("controller") and ref.get("uid") == uid
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def revisions(replica_sets: Sequence[Obj]) -> dict[int, Obj]:
    """The ReplicaSets by revision (those without a readable revision are left out, as kubectl does)."""
    found: dict[int, Obj] = {}
    for rs in replica_sets:
        number = revision_of(rs)
        if number is not None:
            found[number] = rs
    return found


def tabbed(rows: Sequence[Sequence[str]]) -> str:
    """Columns as Go's tabwriter with kubectl's padding of 2 (what `rollout history` prints)."""
    widths = [max(len(row[i]) for row in rows if i < len(row) - 1) for i in range(max(map(len, rows)) - 1)]
    return "".join("".join(cell.ljust(widths[i] + 2) if i < len(row) - 1 else cell for i, cell in enumerate(row))
                   + "\n" for row in rows)


def history_table(by_revision: dict[int, Obj]) -> str:
    """REVISION and CHANGE-CAUSE of each revision, oldest first; `<none>` without a cause."""
    rows = [["REVISION", "CHANGE-CAUSE"]]
    for number in sorted(by_revision):
        annotations = (by_revision[number].get("metadata") or {}).get("annotations") or {}
        rows.append([str(number), annotations.get(CHANGE_CAUSE) or "<none>"])
    return tabbed(rows)


def rollback_target(deploy: Obj, replica_sets: Sequence[Obj], to_revision: int = 0) -> Obj:
    """The ReplicaSet `rollout undo` restores: the one of `to_revision`, or by
    default the newest but one (kubectl's deploymentRevision)."""
    if to_revision < 0:
        raise WorkloadError(f"unable to find specified revision {to_revision} in history")
    by_revision = revisions(replica_sets)
    if to_revision > 0:
        if to_revision not in by_revision:
            raise WorkloadError(f"unable to find specified revision {to_revision} in history")
        return by_revision[to_revision]
    ordered = sorted(by_revision)
    if len(ordered) < 2:
        raise WorkloadError(f'no rollout history found for deployment "{deploy["metadata"]["name"]}"')
    return by_revision[ordered[-2]]


def template_without_hash(template: Obj) -> Obj:
    """A pod template without the pod-template-hash label the ReplicaSet's copy carries."""
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return template


def rollback_annotations(deploy: Obj, rs: Obj) -> dict[str, str]:
    """The deployment's annotations after a rollback: its own bookkeeping ones, then the ReplicaSet's others."""
    own = (deploy.get("metadata") or {}).get("annotations") or {}
    theirs = (rs.get("metadata") or {}).get("annotations") or {}
    kept = {k: v for k, v in own.items() if k in ROLLBACK_SKIPPED_ANNOTATIONS}
    return {**kept, **{k: v for k, v in theirs.items() if k not in ROLLBACK_SKIPPED_ANNOTATIONS}}


# ------------------------------------------------------- describing templates
def _multiline(title: str, values: dict[str, str] | None, limit: int = 0) -> list[str]:
    if not values:
        return [f"{title}:\t<none>"]
    lines = []
    for i, key in enumerate(sorted(values)):
        text = f"{key}={values[key]}"
        if limit and len(text) > limit:
            text = text[:limit] + "..."
        lines.append(f"{title}:\t{text}" if i == 0 else f"\t{text}")
    return lines


def _probe(probe: Obj) -> str:
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
             f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
             f"#failure={probe.get('failureThreshold', 3)}")
    if "exec" in probe:
        return f"exec [{' '.join((probe['exec'] or {}).get('command') or [])}] {attrs}"
    if "httpGet" in probe:
        get = probe["httpGet"] or {}
        host, port = get.get("host", ""), str(get.get("port", ""))
        where = f"{host}:{port}" if port else host
        return f"http-get {str(get.get('scheme', 'HTTP')).lower()}://{where}{get.get('path', '')} {attrs}"
    if "tcpSocket" in probe:
        sock = probe["tcpSocket"] or {}
        return f"tcp-socket {sock.get('host', '')}:{sock.get('port', '')} {attrs}"
    return f"unknown {attrs}"


def _containers(label: str, containers: list[Obj]) -> list[str]:
    lines = [f"  {label}:" + ("" if containers else " <none>")]
    for c in containers:
        lines.append(f"   {c.get('name', '')}:")
        lines.append(f"    Image:\t{c.get('image', '')}")
        ports = c.get("ports") or []
        container_ports = ", ".join(f"{p.get('containerPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        host_ports = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        lines.append(f"    Ports:\t{container_ports}" if "," in container_ports
                     else f"    Port:\t{container_ports or '<none>'}")
        lines.append(f"    Host Ports:\t{host_ports}" if "," in host_ports
                     else f"    Host Port:\t{host_ports or '<none>'}")
        for field, title in (("command", "Command"), ("args", "Args")):
            if c.get(field):
                lines.append(f"    {title}:")
                lines += [f"      {part}" for item in c[field] for part in str(item).split("\n")]
        resources = c.get("resources") or {}
        for section in ("limits", "requests"):
            if resources.get(section):
                lines.append(f"    {section.capitalize()}:")
                lines += [f"      {k}:\t{v}" for k, v in sorted(resources[section].items())]
        for field, title in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"),
                             ("startupProbe", "Startup")):
            if c.get(field):
                lines.append(f"    {title}:\t{_probe(c[field])}")
        env = c.get("env") or []
        lines.append("    Environment:" + ("" if env else "\t<none>"))
        for e in env:
            if "valueFrom" in e:
                lines.append(f"      {e.get('name', '')}:\t<set to a reference>")
                continue
            for i, part in enumerate(str(e.get("value", "")).split("\n")):
                lines.append(f"      {e.get('name', '')}:\t{part}" if i == 0 else f"      \t{part}")
        mounts = c.get("volumeMounts") or []
        lines.append("    Mounts:" + ("" if mounts else "\t<none>"))
        lines += [f"      {m.get('mountPath', '')} from {m.get('name', '')} ({'ro' if m.get('readOnly') else 'rw'})"
                  for m in mounts]
    return lines


def _toleration(t: Obj) -> str:
    text = t.get("key", "") + (f"={t['value']}" if t.get("value") else "") + (
        f":{t['effect']}" if t.get("effect") else "")
    if t.get("operator") == "Exists" and not t.get("value"):
        text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text


def describe_pod_template(template: Obj | None) -> str:
    """A pod template as kubectl's DescribePodTemplate writes it (what `rollout
    history --revision` and `rollout undo --dry-run` show), tabs and all."""
    lines = ["Pod Template:"]
    if template is None:
        return "Pod Template:\n  <unset>"
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    lines += _multiline("  Labels", meta.get("labels"))
    if meta.get("annotations"):
        lines += _multiline("  Annotations", meta["annotations"], limit=140)
    if spec.get("serviceAccountName"):
        lines.append(f"  Service Account:\t{spec['serviceAccountName']}")
    if spec.get("initContainers"):
        lines += _containers("Init Containers", spec["initContainers"])
    lines += _containers("Containers", spec.get("containers") or [])
    volumes = spec.get("volumes") or []
    if not volumes:
        lines.append("  Volumes:\t<none>")
    else:
        lines.append("  Volumes:")
        for volume in volumes:
            lines.append(f"   {volume.get('name', '')}:")
            kind = next((k for k in volume if k != "name"), "")
            lines.append(f"    Type:\t{kind}")
    if spec.get("priorityClassName"):
        lines.append(f"  Priority Class Name:\t{spec['priorityClassName']}")
    lines += _multiline("  Node-Selectors", spec.get("nodeSelector"))
    tolerations = [_toleration(t) for t in spec.get("tolerations") or []]
    lines += [f"  Tolerations:\t{tolerations[0]}", *(f"\t{t}" for t in tolerations[1:])] if tolerations else [
        "  Tolerations:\t<none>"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- set image
def pod_spec_path(resource: str) -> tuple[str, ...] | None:
    """Where a kind keeps the pod spec `set image` changes (None: it has none)."""
    return {"pods": ("spec",), "cronjobs": ("spec", "jobTemplate", "spec", "template", "spec")}.get(
        resource, ("spec", "template", "spec") if resource in (
            "deployments", "replicasets", "daemonsets", "jobs", "statefulsets", "replicationcontrollers") else None)


def parse_image_pairs(args: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """`set image`'s arguments: the resources, then CONTAINER=IMAGE pairs (`*` is every container)."""
    resources = [a for a in args if "=" not in a]
    pairs: dict[str, str] = {}
    for arg in args:
        if "=" in arg:
            name, _, image = arg.partition("=")
            if not name or not image:
                raise WorkloadError(f"invalid image: '{arg}'")
            pairs[name] = image
    if not resources:
        raise WorkloadError("You must provide one or more resources by argument or filename.")
    if not pairs:
        raise WorkloadError("at least one image update is required")
    if len(pairs) > 1 and "*" in pairs:
        raise WorkloadError("all containers are already specified by *, but saw more than one "
                            "container_name=container_image pairs")
    return resources, pairs


def set_images(pod_spec: Obj, images: dict[str, str]) -> tuple[dict[str, list[Obj]], list[str]]:
    """The containers whose image changes, by list (containers, initContainers),
    as strategic-merge-patch entries, and the names that match no container."""
    changed: dict[str, list[Obj]] = {}
    missing = []
    for name, image in images.items():
        found = False
        for field in ("initContainers", "containers"):
            for container in pod_spec.get(field) or []:
                if name in ("*", container.get("name")):
                    found = True
                    if container.get("image") != image:
                        container["image"] = image
                        changed.setdefault(field, []).append({"name": container["name"], "image": image})
        if not found:
            missing.append(name)
    return changed, missing


def nested_patch(path: Sequence[str], leaf: Obj) -> Obj:
    """{"spec": {"template": {"spec": leaf}}} for path ("spec", "template", "spec")."""
    patch: Obj = leaf
    for key in reversed(path):
        patch = {key: patch}
    return patch


def _dig(obj: Obj, path: Sequence[str]) -> Obj:
    for key in path:
        obj = obj.get(key) or {}
    return obj


# ---------------------------------------------------------- shared plumbing
def parse_targets(args: Sequence[str]) -> list[tuple[str, str]]:
    """kubectl's `TYPE NAME...` or `TYPE/NAME...` as (type, name) pairs; a lone TYPE is (type, "")."""
    if not args:
        return []
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise WorkloadError(RESOURCE_NAME_FORM)
        pairs = []
        for arg in args:
            kind, _, name = arg.partition("/")
            if not kind or not name or "/" in name:
                raise WorkloadError("arguments in resource/name form must have a single resource and name")
            pairs.append((kind, name))
        return pairs
    kind, *names = args
    return [(kind, name) for name in names] or [(kind, "")]


def rfc3339(now: datetime | None = None) -> str:
    """Go's time.RFC3339 of the local time: 2006-01-02T15:04:05+07:00, or ...Z in UTC."""
    text = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def resource_string(info: api.ResourceInfo) -> str:
    """"deployments.apps", as kubectl names a resource in the errors of rollout's verbs."""
    return f"{info.resource}.{info.group}" if info.group else info.resource


def group_kind(info: api.ResourceInfo) -> str:
    return f"{info.kind}.{info.group}" if info.group else info.kind


def _sorted_keys(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _sorted_keys(doc[k]) for k in sorted(doc)}
    if isinstance(doc, list):
        return [_sorted_keys(item) for item in doc]
    return doc


def report(info: api.ResourceInfo, obj: Obj, outcome: str, dry_run: str, output: str | None) -> None:
    """kubectl's result line (`deployment.apps/web scaled`), or the object; -o yaml sorts keys, as kubectl's does."""
    name = (obj.get("metadata") or {}).get("name", "")
    if output == "name":
        click.echo(f"{qualified(info)}/{name}")
    elif output == "yaml":
        click.echo(dump(_sorted_keys(obj), "yaml"))
    elif output == "json":
        click.echo(dump(obj, "json"))
    else:
        click.echo(f"{qualified(info)}/{name} {outcome}{DRY_RUN_SUFFIX[dry_run]}")


def _or_fail(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except WorkloadError as err:
        fail(f"error: {err}")


def _namespace_flag(ctx: click.Context) -> str | None:
    """The namespace written into a built object: only when -n was given (kubectl's EnforceNamespace)."""
    return ctx.obj.get("namespace") or None


def _create_built(ctx: click.Context, obj: Obj, dry_run: str, output: str | None) -> None:
    info = api.resource_for_kind(obj["apiVersion"], obj["kind"])
    assert info is not None
    if dry_run == "client":
        report(info, obj, "created", dry_run, output)
        return

    async def body(client: ApiClient, namespace: str) -> None:
        created = await client.create(info.resource, obj, obj["metadata"].get("namespace") or namespace,
                                      dry_run=dry_run == "server")
        report(info, created, "created", dry_run, output)
    run_api(ctx, body)


async def _objects(client: ApiClient, namespace: str, targets: Sequence[tuple[str, str]], selector: str,
                   missing: list[str]) -> list[tuple[api.ResourceInfo, Obj]]:
    """The objects named, or every object of a type given without names
    (matching the selector). As kubectl, a name not found does not stop the
    others: its error line goes to `missing`, for the verb to end with."""
    found = []
    for kind, name in targets:
        info = api.resource_by_name(kind)
        if name:
            try:
                found.append((info, await client.get(info.resource, name, namespace)))
            except NotFound as err:
                missing.append(f"Error from server (NotFound): {err.message}")
        else:
            found += [(info, o) for o in (await client.list(info.resource, namespace,
                                                            label_selector=selector))["items"]]
    if not found and not missing:
        click.echo(f"No resources found in {namespace} namespace.", err=True)
    return found


def _finish(errors: Sequence[str]) -> None:
    """End with the refusals gathered on the way (a line each), exit code 1; nothing if none."""
    if errors:
        fail("\n".join(errors))


def _targets_or_fail(resources: Sequence[str], names_required: bool, selector: str = "",
                     all_: bool = False) -> list[tuple[str, str]]:
    targets = _or_fail(lambda: parse_targets(resources))
    if not targets:
        fail("error: required resource not specified")
    if names_required and any(not name for _, name in targets) and not (selector or all_):
        fail("error: resource(s) were provided, but no name was specified")
    return targets


def _aggregate(errors: list[str]) -> str:
    """Several refusals on one line, as kubectl's aggregate error prints them."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


# ------------------------------------------------------------- create verbs
@create.command("deployment")
@click.argument("name")
@click.argument("command", nargs=-1)
@click.option("--image", "images", multiple=True, help="Image names to run; repeatable (a container each).")
@click.option("-r", "--replicas", type=int, default=1, show_default=True, help="Number of replicas to create.")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="The port the first container exposes.")
@write_options
@namespace_option
@click.pass_context
def create_deployment(ctx: click.Context, name: str, command: tuple[str, ...], images: tuple[str, ...],
                      replicas: int, port: int | None, dry_run: str, output: str | None) -> None:
    """Create a deployment with the specified name: create deployment web --image=nginx -- COMMAND."""
    obj = _or_fail(lambda: deployment_manifest(name, images, replicas, port, command, _namespace_flag(ctx)))
    _create_built(ctx, obj, dry_run, output)


create.add_command(create_deployment, "deploy")


@create.command("job")
@click.argument("name")
@click.argument("command", nargs=-1)
@click.option("--image", default="", help="Image name to run.")
@click.option("--from", "from_", default="", help="The cronjob to create the job from: --from=cronjob/NAME.")
@write_options
@namespace_option
@click.pass_context
def create_job(ctx: click.Context, name: str, command: tuple[str, ...], image: str, from_: str, dry_run: str,
               output: str | None) -> None:
    """Create a job with the specified name, from an image or from a cronjob's template."""
    if bool(image) == bool(from_):
        fail("error: either --image or --from must be specified")
    if command and from_:
        fail("error: cannot specify --from and command")
    if image:
        _create_built(ctx, job_manifest(name, image, command, _namespace_flag(ctx)), dry_run, output)
        return
    kind, _, source = from_.partition("/")

    async def body(client: ApiClient, namespace: str) -> None:
        if not source:
            fail("error: from must be an existing cronjob")
        source_info = api.resource_by_name(kind)
        cronjob = await client.get(source_info.resource, source, namespace)
        if source_info.resource != "cronjobs":
            fail(f"error: unknown object type *{source_info.version}.{source_info.kind}")
        job = job_from_cronjob(name, cronjob, _namespace_flag(ctx))
        info = api.resource_by_name("jobs")
        if dry_run == "client":
            report(info, job, "created", dry_run, output)
            return
        created = await client.create("jobs", job, namespace, dry_run=dry_run == "server")
        report(info, created, "created", dry_run, output)
    run_api(ctx, body)


@create.command("cronjob")
@click.argument("name")
@click.argument("command", nargs=-1)
@click.option("--image", default="", help="Image name to run.")
@click.option("--schedule", default="", help='A schedule in the Cron format: --schedule="*/1 * * * *".')
@click.option("--restart", default="", help="The job's restart policy: OnFailure (the default) or Never.")
@write_options
@namespace_option
@click.pass_context
def create_cronjob(ctx: click.Context, name: str, command: tuple[str, ...], image: str, schedule: str, restart: str,
                   dry_run: str, output: str | None) -> None:
    """Create a cronjob with the specified name."""
    missing = [flag for flag, value in (("image", image), ("schedule", schedule)) if not value]
    if missing:
        fail("error: required flag(s) " + ", ".join(f'"{m}"' for m in missing) + " not set")
    _create_built(ctx, cronjob_manifest(name, image, schedule, restart, command, _namespace_flag(ctx)), dry_run,
                  output)


create.add_command(create_cronjob, "cj")


@create.group("secret")
def create_secret() -> None:
    """Create a secret: generic (from literals or files), tls or docker-registry."""


@create_secret.command("generic")
@click.argument("name")
@click.option("--from-literal", "literals", multiple=True, help="key=value; repeatable.")
@click.option("--from-file", "files", multiple=True, help="[key=]path of a file, or a directory; repeatable.")
@click.option("--type", "secret_type", default="", help="The type of secret to create (default Opaque).")
@write_options
@namespace_option
@click.pass_context
def create_secret_generic(ctx: click.Context, name: str, literals: tuple[str, ...], files: tuple[str, ...],
                          secret_type: str, dry_run: str, output: str | None) -> None:
    """Create a secret from files, directories or literal values."""
    def build() -> Obj:
        data: dict[str, bytes] = {}
        read_file_sources(data, files)
        for literal in literals:
            key, value = parse_literal(literal)
            add_key(data, key, value.encode())
        return secret_manifest(name, data, secret_type, _namespace_flag(ctx))
    _create_built(ctx, _or_fail(build), dry_run, output)


@create_secret.command("tls")
@click.argument("name")
@click.option("--cert", default="", help="Path to the PEM certificate.")
@click.option("--key", default="", help="Path to the PEM private key.")
@write_options
@namespace_option
@click.pass_context
def create_secret_tls(ctx: click.Context, name: str, cert: str, key: str, dry_run: str,
                      output: str | None) -> None:
    """Create a TLS secret from a certificate and its private key."""
    if not cert or not key:
        fail("error: key and cert must be specified")

    def read(path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as err:
            raise WorkloadError(f"Cannot read file {path}, open {path}: {_go_error(err)}") from None

    def build() -> Obj:
        cert_pem, key_pem = read(cert), read(key)
        check_key_pair(cert_pem, key_pem)
        return secret_manifest(name, {"tls.crt": cert_pem, "tls.key": key_pem}, "kubernetes.io/tls",
                               _namespace_flag(ctx))
    _create_built(ctx, _or_fail(build), dry_run, output)


@create_secret.command("docker-registry")
@click.argument("name")
@click.option("--docker-server", default=DOCKER_HUB, show_default=True, help="Server location for the registry.")
@click.option("--docker-username", default="", help="Username for the registry.")
@click.option("--docker-password", default="", help="Password for the registry.")
@click.option("--docker-email", default="", help="Email for the registry.")
@click.option("--from-file", "files", multiple=True, help="[key=]path of a docker config file; repeatable.")
@write_options
@namespace_option
@click.pass_context
def create_secret_docker_registry(ctx: click.Context, name: str, docker_server: str, docker_username: str,
                                  docker_password: str, docker_email: str, files: tuple[str, ...], dry_run: str,
                                  output: str | None) -> None:
    """Create a secret holding a .dockerconfigjson for pulling images from a registry."""
    if not files and not (docker_username and docker_password):
        fail("error: either --from-file or the combination of --docker-username, --docker-password and "
             "--docker-server is required")

    def build() -> Obj:
        data: dict[str, bytes] = {}
        if files:
            read_file_sources(data, files)
        else:
            data[".dockerconfigjson"] = docker_config_json(docker_server, docker_username, docker_password,
                                                           docker_email)
        return secret_manifest(name, data, "kubernetes.io/dockerconfigjson", _namespace_flag(ctx))
    _create_built(ctx, _or_fail(build), dry_run, output)


@create.command("serviceaccount")
@click.argument("name")
@write_options
@namespace_option
@click.pass_context
def create_serviceaccount(ctx: click.Context, name: str, dry_run: str, output: str | None) -> None:
    """Create a service account with the specified name."""
    _create_built(ctx, serviceaccount_manifest(name, _namespace_flag(ctx)), dry_run, output)


create.add_command(create_serviceaccount, "sa")


# ---------------------------------------------------------------------- scale
@main.command()
@click.argument("resources", nargs=-1)
@click.option("--replicas", type=int, default=None, help="The new desired number of replicas.")
@click.option("--current-replicas", type=int, default=-1,
              help="Precondition: the current size must be this (-1: no precondition).")
@click.option("--resource-version", default="", help="Precondition: the resource version must be this.")
@click.option("-l", "--selector", default="", help="Scale the objects matching this label selector.")
@click.option("--all", "all_", is_flag=True, help="Scale every object of the resource type in the namespace.")
@write_options
@namespace_option
@click.pass_context
def scale(ctx: click.Context, resources: tuple[str, ...], replicas: int | None, current_replicas: int,
          resource_version: str, selector: str, all_: bool, dry_run: str, output: str | None) -> None:
    """Set a new size for a deployment or replica set: scale deployment/web --replicas=3."""
    if not resources:
        fail("error: You must provide one or more resources by argument or filename.")
    if replicas is None:
        fail('error: required flag(s) "replicas" not set')
    if replicas < 0:
        fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    if current_replicas < -1:
        fail("error: The --current-replicas must specify an integer of -1 or greater")
    targets = _targets_or_fail(resources, True, selector, all_)

    async def body(client: ApiClient, namespace: str) -> None:
        errors: list[str] = []
        missing: list[str] = []
        for info, obj in await _objects(client, namespace, targets, selector, missing):
            name = obj["metadata"]["name"]
            subresource = f"{info.resource}/scale"
            if current_replicas >= 0 or resource_version:  # kubectl: read, check, then update the Scale
                current = await client.get(subresource, name, namespace)
                why = scale_precondition_failure(current, current_replicas, resource_version)
                if why:
                    errors.append(why)
                    continue
                current.setdefault("spec", {})["replicas"] = replicas
                if dry_run != "client":
                    await client.update(subresource, current, namespace, dry_run=dry_run == "server")
            elif dry_run != "client":  # without preconditions kubectl patches the Scale
                await client.patch(subresource, name, {"spec": {"replicas": replicas}}, namespace,
                                   dry_run=dry_run == "server")
            shown = await client.get(info.resource, name, namespace) if output in ("json", "yaml") else obj
            report(info, shown, "scaled", dry_run, output)
        _finish(([f"error: {_aggregate(errors)}"] if errors else []) + missing)
    run_api(ctx, body)


def scale_precondition_failure(scale_obj: Obj, current_replicas: int, resource_version: str) -> str:
    """Why a Scale fails `scale`'s --current-replicas / --resource-version preconditions ("" if it passes)."""
    size = int((scale_obj.get("spec") or {}).get("replicas", 0))
    if current_replicas >= 0 and size != current_replicas:
        return f"Expected replicas to be {current_replicas}, was {size}"
    version = (scale_obj.get("metadata") or {}).get("resourceVersion", "")
    if resource_version and version != resource_version:
        return f"Expected resource version to be {resource_version}, was {version}"
    return ""


# -------------------------------------------------------------------- rollout
class _GoBoolFlags(click.Command):
    """cobra's boolean flags: a bare `--watch` is true and `--watch=false`
    turns it off; a word after the flag is never its value."""

    bool_flags = {"--watch": ("--watch", "--no-watch"), "-w": ("--watch", "--no-watch")}

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten = []
        for arg in args:
            flag, eq, value = arg.partition("=")
            if eq and flag in self.bool_flags:
                parsed = parse_go_bool(value)
                if parsed is None:
                    fail(f'error: invalid argument "{value}" for "-w, --watch" flag: strconv.ParseBool: parsing '
                         f'"{value}": invalid syntax')
                arg = self.bool_flags[flag][0 if parsed else 1]
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


def parse_go_bool(text: str) -> bool | None:
    """Go's strconv.ParseBool (None for anything else)."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    return None


@main.group()
def rollout() -> None:
    """Manage the rollout of deployments (and daemon sets): status, history, undo, restart, pause, resume."""


@rollout.command("status", cls=_GoBoolFlags)
@click.argument("resources", nargs=-1)
@click.option("-w", "--watch/--no-watch", default=True, show_default=True,
              help="Watch until the rollout is done (--watch=false: print the status once).")
@click.option("--revision", type=int, default=0, help="Pin to a specific revision (0: the latest).")
@click.option("--timeout", default="0s", help="How long to wait before giving up (0s: forever).")
@click.option("-l", "--selector", default="", help="The objects matching this label selector.")
@namespace_option
@click.pass_context
def rollout_status(ctx: click.Context, resources: tuple[str, ...], watch: bool, revision: int, timeout: str,
                   selector: str) -> None:
    """Show the status of the rollout, watching it until it is done."""
    targets = _targets_or_fail(resources, False)
    limit = parse_duration(timeout)

    async def body(client: ApiClient, namespace: str) -> None:
        missing: list[str] = []
        for info, obj in await _objects(client, namespace, targets, selector, missing):
            if info.resource not in STATUS_VIEWERS:
                fail(f"error: no status viewer has been implemented for {group_kind(info)}")
            follow = follow_rollout(client, info, obj, namespace, revision, watch)
            try:
                await (asyncio.wait_for(follow, limit) if limit else follow)
            except TimeoutError:
                fail("error: timed out waiting for the condition")
            except WorkloadError as err:
                fail(f"error: {err}")
        _finish(missing)
    run_api(ctx, body)


async def follow_rollout(client: ApiClient, info: api.ResourceInfo, obj: Obj, namespace: str, revision: int,
                         watch: bool) -> None:
    """Print the rollout's status on every change of the object (a watch, not
    polling) until it is done; once only without `watch`."""
    viewer = STATUS_VIEWERS[info.resource]
    name = obj["metadata"]["name"]
    uid = obj["metadata"].get("uid")
    current: Obj | None = obj
    while True:
        if current is None:  # the watch ended or was too old: start again from a fresh read
            try:
                current = await client.get(info.resource, name, namespace)
            except NotFound:
                raise WorkloadError("object has been deleted") from None
            if current["metadata"].get("uid") != uid:
                raise WorkloadError("object has been deleted")
        line, done = viewer(current, revision)
        click.echo(line)
        if done or not watch:
            return
        version = current["metadata"].get("resourceVersion", "")
        current = None
        try:
            async for kind, event in client.watch(info.resource, namespace, field_selector=f"metadata.name={name}",
                                                  resource_version=version):
                if kind == "DELETED":
                    raise WorkloadError("object has been deleted")
                if kind not in ("ADDED", "MODIFIED"):
                    continue
                line, done = viewer(event, revision)
                click.echo(line)
                if done:
                    return
        except Expired:
            pass


def _deployments_only(info: api.ResourceInfo, message: str) -> None:
    if info.resource != "deployments":
        fail(message)


async def _replica_sets_of(client: ApiClient, deploy: Obj) -> list[Obj]:
    namespace = deploy["metadata"].get("namespace", "")
    return [rs for rs in (await client.list("replicasets", namespace))["items"] if owned_by(rs, deploy)]


@rollout.command("history")
@click.argument("resources", nargs=-1)
@click.option("--revision", type=int, default=0, help="Show the pod template of this revision.")
@click.option("-l", "--selector", default="", help="The objects matching this label selector.")
@namespace_option
@click.pass_context
def rollout_history(ctx: click.Context, resources: tuple[str, ...], revision: int, selector: str) -> None:
    """View the revisions of a deployment (from its ReplicaSets), or one revision's pod template."""
    targets = _targets_or_fail(resources, False)

    async def body(client: ApiClient, namespace: str) -> None:
        missing: list[str] = []
        for info, deploy in await _objects(client, namespace, targets, selector, missing):
            _deployments_only(info, f'error: no history viewer has been implemented for "{group_kind(info)}"')
            by_revision = revisions(await _replica_sets_of(client, deploy))
            label = f"{qualified(info)}/{deploy['metadata']['name']}"
            if revision > 0:
                if revision not in by_revision:
                    fail("error: unable to find the specified revision")
                text = describe_pod_template((by_revision[revision].get("spec") or {}).get("template"))
                click.echo(f"{label} with revision #{revision}\n{text}")
            else:
                click.echo(f"{label} \n{history_table(by_revision)}")
        _finish(missing)
    run_api(ctx, body)


@rollout.command("undo")
@click.argument("resources", nargs=-1)
@click.option("--to-revision", type=int, default=0, help="The revision to roll back to (0: the previous one).")
@click.option("-l", "--selector", default="", help="The objects matching this label selector.")
@write_options
@namespace_option
@click.pass_context
def rollout_undo(ctx: click.Context, resources: tuple[str, ...], to_revision: int, selector: str, dry_run: str,
                 output: str | None) -> None:
    """Roll back to a previous rollout: the template of that revision's ReplicaSet, back in the deployment."""
    targets = _targets_or_fail(resources, False)

    async def body(client: ApiClient, namespace: str) -> None:
        missing: list[str] = []
        for info, deploy in await _objects(client, namespace, targets, selector, missing):
            _deployments_only(info, f'error: no rollbacker has been implemented for "{group_kind(info)}"')
            name = deploy["metadata"]["name"]
            try:
                target = rollback_target(deploy, await _replica_sets_of(client, deploy), to_revision)
            except WorkloadError as err:
                fail(f"error: {err}")
            template = (target.get("spec") or {}).get("template") or {}
            number = revision_of(target)
            if dry_run == "client":
                click.echo(f"{qualified(info)}/{name} {describe_pod_template(template)} (dry run)")
                continue
            if (deploy.get("spec") or {}).get("paused"):
                fail("error: you cannot rollback a paused deployment; resume it first with 'kubelite rollout "
                     "resume' and try again")
            restored = template_without_hash(template)
            if restored == template_without_hash((deploy.get("spec") or {}).get("template") or {}):
                report(info, deploy, f"skipped rollback (current template already matches revision {number})",
                       "none", output)
                continue
            patch = [{"op": "replace", "path": "/spec/template", "value": restored},
                     {"op": "add", "path": "/metadata/annotations", "value": rollback_annotations(deploy, target)}]
            try:
                saved = await client.patch(info.resource, name, patch, namespace, dry_run=dry_run == "server",
                                           patch_type=PATCH_TYPES["json"])
            except StatusError as err:
                fail(f"error: failed restoring revision {number}: {err.message}")
            report(info, saved, "rolled back", dry_run, output)
        _finish(missing)
    run_api(ctx, body)


def _template_change(verb: str) -> Callable[[api.ResourceInfo, Obj], Obj]:
    """What pause, resume and restart change in an object, as a merge patch; WorkloadError when they may not."""
    def change(info: api.ResourceInfo, obj: Obj) -> Obj:
        spec = obj.get("spec") or {}
        if verb in ("pause", "resume"):
            if info.resource != "deployments":
                raise WorkloadError(f"{'pausing' if verb == 'pause' else 'resuming'} is not supported")
            if verb == "pause" and spec.get("paused"):
                raise WorkloadError("is already paused")
            if verb == "resume" and not spec.get("paused"):
                raise WorkloadError("is not paused")
            return {"spec": {"paused": True if verb == "pause" else None}}
        if info.resource not in ("deployments", "daemonsets"):
            raise WorkloadError("restarting is not supported")
        if spec.get("paused"):
            raise WorkloadError("can't restart paused deployment (run rollout resume first)")
        return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: rfc3339()}}}}}
    return change


def _patch_verb(verb: str, outcome: str, doc: str) -> None:
    change = _template_change(verb)

    @rollout.command(verb, help=doc)
    @click.argument("resources", nargs=-1)
    @click.option("-l", "--selector", default="", help="The objects matching this label selector.")
    @write_options
    @namespace_option
    @click.pass_context
    def command(ctx: click.Context, resources: tuple[str, ...], selector: str, dry_run: str,
                output: str | None) -> None:
        targets = _targets_or_fail(resources, False)

        async def body(client: ApiClient, namespace: str) -> None:
            errors: list[str] = []
            missing: list[str] = []
            for info, obj in await _objects(client, namespace, targets, selector, missing):
                name = obj["metadata"]["name"]
                try:
                    patch = change(info, obj)
                except WorkloadError as err:
                    errors.append(f'error: {resource_string(info)} "{name}" {err}')
                    continue
                annotations = (_dig(obj, ("spec", "template", "metadata")).get("annotations") or {})
                if verb == "restart" and annotations.get(RESTARTED_AT) == _dig(
                        patch, ("spec", "template", "metadata", "annotations"))[RESTARTED_AT]:
                    errors.append(f"failed to create patch for {name}: if restart has already been triggered "
                                  "within the past second, please wait before attempting to trigger another")
                    continue
                saved = obj if dry_run == "client" else await client.patch(
                    info.resource, name, patch, namespace, dry_run=dry_run == "server")
                report(info, saved, outcome, dry_run, output)
            joined = _aggregate(errors) if errors else ""
            _finish(([joined if joined.startswith("error: ") else f"error: {joined}"] if errors else []) + missing)
        run_api(ctx, body)


_patch_verb("pause", "paused", "Mark a deployment as paused: changes to its template start no rollout.")
_patch_verb("resume", "resumed", "Resume a paused deployment: its template changes roll out again.")
_patch_verb("restart", "restarted", "Restart a deployment or daemon set: a new rollout of the same template.")


# ------------------------------------------------------------------ set image
@main.group("set")
def set_() -> None:
    """Set specific features on objects (image)."""


@set_.command("image")
@click.argument("args", nargs=-1)
@click.option("-l", "--selector", default="", help="The objects matching this label selector.")
@click.option("--all", "all_", is_flag=True, help="Every object of the resource type in the namespace.")
@write_options
@namespace_option
@click.pass_context
def set_image(ctx: click.Context, args: tuple[str, ...], selector: str, all_: bool, dry_run: str,
              output: str | None) -> None:
    """Update the image of containers: set image deployment/web nginx=nginx:1.27 (or *=IMAGE for all)."""
    resources, images = _or_fail(lambda: parse_image_pairs(args))
    targets = _targets_or_fail(resources, True, selector, all_)

    async def body(client: ApiClient, namespace: str) -> None:
        errors: list[str] = []
        missing: list[str] = []
        found = await _objects(client, namespace, targets, selector, missing)
        _finish(missing)  # unlike rollout's verbs, kubectl changes nothing when one is not found
        for info, obj in found:
            path = pod_spec_path(info.resource)
            if path is None:
                errors.append(f"error: {resource_string(info)}/{obj['metadata']['name']} the object is not a pod "
                              "or does not have a pod template")
                continue
            changed, unknown = set_images(_dig(obj, path), images)
            errors += [f'error: unable to find container named "{name}"' for name in unknown]
            if not changed:
                continue  # nothing to change: kubectl prints nothing for it
            try:
                saved = obj if dry_run == "client" else await client.patch(
                    info.resource, obj["metadata"]["name"], nested_patch(path, changed), namespace,
                    dry_run=dry_run == "server", patch_type=PATCH_TYPES["strategic"])
            except StatusError as err:
                errors.append(f"error: failed to patch image update to pod template: {err.message}")
                continue
            report(info, saved, "image updated", dry_run, output)
        _finish([_aggregate(errors)] if errors else [])
    run_api(ctx, body)
