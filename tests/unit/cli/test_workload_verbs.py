"""The pure parts of kubectl's workload verbs: the manifests `create
deployment|job|cronjob|secret|serviceaccount` build, the messages of `rollout
status`, the table of `rollout history`, which ReplicaSet `rollout undo` goes
back to, how `set image` changes a pod spec, and the argument forms. Expected
texts are what kubectl 1.37 prints for the same input."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli import verbs_workloads as w
from cli.main import main
from cli.verbs_read import expand_categories
from cli.verbs_write import cascade_policy

Obj = dict[str, Any]


# ------------------------------------------------------------------ manifests
@pytest.mark.parametrize(("image", "name"), [
    ("nginx", "nginx"), ("nginx:1.25", "nginx"), ("registry.io:5000/team/app:v2", "app"),
    ("reg.io/a/b@sha256:abc", "b"), ("python:3.11-slim", "python"),
])
def test_container_names_come_from_the_image(image: str, name: str) -> None:
    assert w.container_name(image) == name


def test_container_names_with_dots_or_underscores_get_a_random_suffix() -> None:
    name = w.container_name("reg.io/a/b_c.d@sha256:abc", random.Random(7))
    assert name.startswith("b-c-d-") and len(name) == len("b-c-d-") + 5
    assert all(ch in w.RANDOM_ALPHABET for ch in name[-5:])


def test_deployment_manifest_is_kubectls() -> None:
    deploy = w.deployment_manifest("web", ["nginx:1.25", "redis"], replicas=3, port=80)
    assert deploy == {
        "kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                     {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "resources": {}},
                     {"name": "redis", "image": "redis", "resources": {}}]}},
                 "strategy": {}},
        "status": {}}
    with_command = w.deployment_manifest("web", ["nginx"], command=["sleep", "60"], namespace="team")
    assert with_command["metadata"]["namespace"] == "team"
    assert with_command["spec"]["template"]["spec"]["containers"][0]["command"] == ["sleep", "60"]


@pytest.mark.parametrize(("images", "command", "message"), [
    ([], [], 'required flag(s) "image" not set'),
    (["a", "b"], ["sleep"], "cannot specify multiple --image options and command"),
])
def test_deployment_manifest_refusals(images: list[str], command: list[str], message: str) -> None:
    with pytest.raises(w.WorkloadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        w.deployment_manifest("web", images, command=command)


def test_job_and_cronjob_manifests_name_the_container_after_the_object() -> None:
    job = w.job_manifest("once", "busybox", ["echo", "hi"])
    pod = job["spec"]["template"]["spec"]
    assert pod == {"containers": [{"name": "once", "image": "busybox", "command": ["echo", "hi"], "resources": {}}],
                   "restartPolicy": "Never"}
    cronjob = w.cronjob_manifest("tick", "busybox", "*/1 * * * *")
    assert cronjob["spec"]["schedule"] == "*/1 * * * *"
    assert cronjob["spec"]["jobTemplate"]["metadata"] == {"name": "tick"}
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert template["restartPolicy"] == "OnFailure" and template["containers"][0]["name"] == "tick"
    assert w.cronjob_manifest("t", "b", "@hourly", "Never")["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "restartPolicy"] == "Never"


def test_job_from_cronjob_copies_the_template_and_is_owned_by_it() -> None:
    cronjob = {"metadata": {"name": "tick", "uid": "u-1"},
               "spec": {"jobTemplate": {"metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
                                        "spec": {"backoffLimit": 2, "template": {"spec": {"containers": []}}}}}}
    job = w.job_from_cronjob("manual-1", cronjob)
    assert job["metadata"] == {
        "name": "manual-1", "labels": {"team": "a"},
        "annotations": {"cronjob.kubernetes.io/instantiate": "manual", "note": "x"},
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "tick", "uid": "u-1",
                             "controller": True}]}
    assert job["spec"] == {"backoffLimit": 2, "template": {"spec": {"containers": []}}}
    job["spec"]["backoffLimit"] = 9
    assert cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 2  # a copy, not the cronjob's own


def test_serviceaccount_manifest() -> None:
    assert w.serviceaccount_manifest("bot", "team") == {"kind": "ServiceAccount", "apiVersion": "v1",
                                                        "metadata": {"name": "bot", "namespace": "team"}}


# -------------------------------------------------------------------- secrets
def test_secret_manifest_base64_sorted_and_type_only_when_given() -> None:
    secret = w.secret_manifest("s", {"b": b"2", "a": b"1"})
    assert secret == {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"},
                      "data": {"a": "MQ==", "b": "Mg=="}}
    assert list(secret["data"]) == ["a", "b"]
    assert w.secret_manifest("s", {}, "foo") == {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"},
                                                 "type": "foo"}


def test_literal_sources() -> None:
    assert w.parse_literal("k=v=w") == ("k", "v=w")
    assert w.parse_literal("q='quoted'") == ("q", "'quoted'")  # kubectl 1.37 keeps quotes
    for bad in ("k", "=v"):
        with pytest.raises(w.WorkloadError, match=f"invalid literal source {bad}, expected key=value"):
            w.parse_literal(bad)


@pytest.mark.parametrize(("source", "expected"), [
    ("dir/a.txt", ("a.txt", "dir/a.txt")), ("key=dir/b", ("key", "dir/b")),
    ("=sd/b", "key name for file path sd/b missing"), ("k=", "file path for key name k missing"),
    ("a=b=c", "key names or file paths cannot contain '='"),
])
def test_file_sources(source: str, expected: tuple[str, str] | str) -> None:
    if isinstance(expected, tuple):
        assert w.parse_file_source(source) == expected
    else:
        with pytest.raises(w.WorkloadError) as err:
            w.parse_file_source(source)
        assert str(err.value) == expected


def test_keys_are_checked_and_never_added_twice() -> None:
    data: dict[str, bytes] = {}
    w.add_key(data, "a.b_c-D", b"1")
    with pytest.raises(w.WorkloadError, match=r"cannot add key a\.b_c-D, another key by that name already exists"):
        w.add_key(data, "a.b_c-D", b"2")
    with pytest.raises(w.WorkloadError) as err:
        w.add_key(data, "a b", b"")
    assert str(err.value) == f'"a b" is not valid key name for a Secret {w.KEY_MESSAGE}'
    for key, why in ((".", "must not be '.'"), ("..x", "must not start with '..'"), ("k" * 254, "no more than 253")):
        with pytest.raises(w.WorkloadError, match=why):
            w.add_key(data, key, b"")


def test_file_sources_read_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "one").write_bytes(b"1")
    (tmp_path / "d" / "sub").mkdir()  # not a regular file: left out
    (tmp_path / "f.txt").write_bytes(b"f")
    data: dict[str, bytes] = {}
    w.read_file_sources(data, [str(tmp_path / "d"), f"renamed={tmp_path / 'f.txt'}"])
    assert data == {"one": b"1", "renamed": b"f"}
    with pytest.raises(w.WorkloadError, match="cannot give a key name for a directory path"):
        w.read_file_sources({}, [f"k={tmp_path / 'd'}"])
    with pytest.raises(w.WorkloadError) as err:
        w.read_file_sources({}, ["/does/not/exist"])
    assert str(err.value) == "error reading /does/not/exist: no such file or directory"


def test_docker_config_json_is_gos_compact_json() -> None:
    assert w.docker_config_json("r.io", "u", "p", "e@x") == (
        b'{"auths":{"r.io":{"username":"u","password":"p","email":"e@x","auth":"dTpw"}}}')
    assert json.loads(w.docker_config_json(w.DOCKER_HUB, "u", "p")) == {
        "auths": {"https://index.docker.io/v1/": {"username": "u", "password": "p", "auth": "dTpw"}}}


def _pair() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_tls_key_pairs_are_checked_as_go_checks_them() -> None:
    cert, key = _pair()
    w.check_key_pair(cert, key)
    _, other_key = _pair()
    cases = [((cert, other_key), "tls: private key does not match public key"),
             ((key, key), "tls: failed to find certificate PEM data in certificate input, but did find a private "
                          "key; PEM inputs may have been switched"),
             ((cert, cert), "tls: found a certificate rather than a key in the PEM for the private key"),
             ((b"junk", key), "tls: failed to find any PEM data in certificate input"),
             ((cert, b"junk"), "tls: failed to find any PEM data in key input")]
    for (c, k), message in cases:
        with pytest.raises(w.WorkloadError) as err:
            w.check_key_pair(c, k)
        assert str(err.value) == message


# ------------------------------------------------------------ rollout status
def deploy(replicas: int = 3, generation: int = 2, observed: int = 2, updated: int = 3, current: int = 3,
           available: int = 3, reason: str = "NewReplicaSetAvailable", revision: str = "2") -> Obj:
    return {"metadata": {"name": "web", "generation": generation, "annotations": {w.REVISION: revision}},
            "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": current,
                       "availableReplicas": available,
                       "conditions": [{"type": "Progressing", "status": "True", "reason": reason}]}}


@pytest.mark.parametrize(("obj", "line", "done"), [
    (deploy(generation=3), "Waiting for deployment spec update to be observed...", False),
    (deploy(updated=1, current=4),
     'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', False),
    (deploy(current=4), 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
     False),
    (deploy(available=2), 'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
     False),
    (deploy(), 'deployment "web" successfully rolled out', True),
    (deploy(replicas=0, updated=0, current=0, available=0), 'deployment "web" successfully rolled out', True),
])
def test_deployment_status_messages(obj: Obj, line: str, done: bool) -> None:
    assert w.deployment_status(obj) == (line, done)


def test_deployment_status_refusals() -> None:
    with pytest.raises(w.WorkloadError, match=r'^deployment "web" exceeded its progress deadline$'):
        w.deployment_status(deploy(updated=1, reason="ProgressDeadlineExceeded"))
    # an unobserved spec wins over an old deadline condition, as in kubectl
    assert not w.deployment_status(deploy(generation=3, reason="ProgressDeadlineExceeded"))[1]
    with pytest.raises(w.WorkloadError, match=r"^desired revision \(3\) is different from the running revision "
                                              r"\(2\)$"):
        w.deployment_status(deploy(), revision=3)
    assert w.deployment_status(deploy(), revision=2)[1]


def daemonset(desired: int = 3, updated: int = 3, available: int = 3, generation: int = 1,
              strategy: str = "RollingUpdate") -> Obj:
    return {"metadata": {"name": "agent", "generation": generation},
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": desired, "updatedNumberScheduled": updated,
                       "numberAvailable": available}}


def test_daemonset_status_messages() -> None:
    assert w.daemonset_status(daemonset(generation=2)) == (
        "Waiting for daemon set spec update to be observed...", False)
    assert w.daemonset_status(daemonset(updated=1)) == (
        'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...', False)
    assert w.daemonset_status(daemonset(available=1)) == (
        'Waiting for daemon set "agent" rollout to finish: 1 of 3 updated pods are available...', False)
    assert w.daemonset_status(daemonset()) == ('daemon set "agent" successfully rolled out', True)
    with pytest.raises(w.WorkloadError, match="only available for RollingUpdate strategy type"):
        w.daemonset_status(daemonset(strategy="OnDelete"))


# ------------------------------------------------------------ history / undo
def rs(revision: str | None, image: str, cause: str = "", owner: str = "d-1", hash_: str = "abc") -> Obj:
    annotations = {**({w.REVISION: revision} if revision is not None else {}),
                   **({w.CHANGE_CAUSE: cause} if cause else {}), "deployment.kubernetes.io/desired-replicas": "3"}
    return {"metadata": {"name": f"web-{hash_}", "annotations": annotations,
                         "ownerReferences": [{"uid": owner, "controller": True, "kind": "Deployment"}]},
            "spec": {"template": {"metadata": {"labels": {"app": "web", w.HASH_LABEL: hash_}},
                                  "spec": {"containers": [{"name": "main", "image": image}]}}}}


def test_history_table_is_kubectls() -> None:
    sets = [rs("2", "b", "kubectl set image deployment/web main=b"), rs("1", "a"), rs("x", "c"), rs(None, "d")]
    assert sorted(w.revisions(sets)) == [1, 2]
    assert w.history_table(w.revisions(sets)) == ("REVISION  CHANGE-CAUSE\n"
                                                  "1         <none>\n"
                                                  "2         kubectl set image deployment/web main=b\n")
    assert w.history_table({}) == "REVISION  CHANGE-CAUSE\n"
    assert w.tabbed([["A", "B", "C"], ["long-cell", "x", "y"]]) == "A          B  C\nlong-cell  x  y\n"


def test_only_the_deployments_own_replica_sets() -> None:
    mine = {"metadata": {"uid": "d-1"}}
    assert w.owned_by(rs("1", "a"), mine) and not w.owned_by(rs("1", "a", owner="d-2"), mine)
    loose = rs("1", "a")
    loose["metadata"]["ownerReferences"][0]["controller"] = False
    assert not w.owned_by(loose, mine)


def test_rollback_target_previous_or_named_revision() -> None:
    d = {"metadata": {"name": "web"}}
    sets = [rs("1", "a", hash_="h1"), rs("3", "c", hash_="h3"), rs("2", "b", hash_="h2")]
    assert w.rollback_target(d, sets)["metadata"]["name"] == "web-h2"
    assert w.rollback_target(d, sets, 1)["metadata"]["name"] == "web-h1"
    for revision in (7, -1):
        with pytest.raises(w.WorkloadError) as err:
            w.rollback_target(d, sets, revision)
        assert str(err.value) == f"unable to find specified revision {revision} in history"
    with pytest.raises(w.WorkloadError, match=r'^no rollout history found for deployment "web"$'):
        w.rollback_target(d, sets[:1])


def test_rollback_restores_the_template_without_its_hash_and_the_annotations() -> None:
    target = rs("1", "a", "first", hash_="h1")
    template = w.template_without_hash(target["spec"]["template"])
    assert template["metadata"]["labels"] == {"app": "web"}
    assert w.HASH_LABEL in target["spec"]["template"]["metadata"]["labels"]  # the ReplicaSet's copy is untouched
    current = {"metadata": {"annotations": {w.REVISION: "3", "note": "mine", w.LAST_APPLIED: "{}"}}}
    assert w.rollback_annotations(current, target) == {w.REVISION: "3", w.LAST_APPLIED: "{}",
                                                      w.CHANGE_CAUSE: "first"}


def test_pod_template_described_as_kubectl_does() -> None:
    template = {"metadata": {"labels": {"app": "web", w.HASH_LABEL: "h1"}},
                "spec": {"containers": [{"name": "main", "image": "python:3.11", "command": ["sleep", "60"],
                                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                         "env": [{"name": "A", "value": "1"}]}]}}
    assert w.describe_pod_template(template) == (
        "Pod Template:\n"
        "  Labels:\tapp=web\n"
        "\tpod-template-hash=h1\n"
        "  Containers:\n"
        "   main:\n"
        "    Image:\tpython:3.11\n"
        "    Port:\t80/TCP\n"
        "    Host Port:\t0/TCP\n"
        "    Command:\n"
        "      sleep\n"
        "      60\n"
        "    Environment:\n"
        "      A:\t1\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "  Node-Selectors:\t<none>\n"
        "  Tolerations:\t<none>\n")


# ----------------------------------------------------------------- set image
def test_set_images_by_name_wildcard_and_missing() -> None:
    spec = {"initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "main", "image": "a"}, {"name": "side", "image": "b"}]}
    changed, missing = w.set_images(spec, {"main": "a2", "nope": "x"})
    assert changed == {"containers": [{"name": "main", "image": "a2"}]} and missing == ["nope"]
    assert spec["containers"][0]["image"] == "a2"
    assert w.set_images(spec, {"main": "a2"}) == ({}, [])  # no change: nothing to send
    changed, _ = w.set_images(spec, {"*": "z"})
    assert changed == {"initContainers": [{"name": "init", "image": "z"}],
                       "containers": [{"name": "main", "image": "z"}, {"name": "side", "image": "z"}]}


def test_where_the_pod_spec_is() -> None:
    assert w.pod_spec_path("pods") == ("spec",)
    assert w.pod_spec_path("deployments") == w.pod_spec_path("jobs") == ("spec", "template", "spec")
    assert w.pod_spec_path("cronjobs") == ("spec", "jobTemplate", "spec", "template", "spec")
    assert w.pod_spec_path("configmaps") is None
    assert w.nested_patch(("spec", "template", "spec"), {"containers": []}) == {
        "spec": {"template": {"spec": {"containers": []}}}}


@pytest.mark.parametrize(("args", "result"), [
    (["deployment/web", "main=nginx:1.27"], (["deployment/web"], {"main": "nginx:1.27"})),
    (["deployment", "web", "*=x"], (["deployment", "web"], {"*": "x"})),
    (["main=x"], "You must provide one or more resources by argument or filename."),
    (["deployment/web"], "at least one image update is required"),
    (["deployment/web", "*=x", "main=y"], "all containers are already specified by *, but saw more than one "
                                          "container_name=container_image pairs"),
    (["deployment/web", "=x"], "invalid image: '=x'"),
])
def test_image_pairs(args: list[str], result: tuple[list[str], dict[str, str]] | str) -> None:
    if isinstance(result, tuple):
        assert w.parse_image_pairs(args) == result
    else:
        with pytest.raises(w.WorkloadError) as err:
            w.parse_image_pairs(args)
        assert str(err.value) == result


# ------------------------------------------------------------- the arguments
def test_target_forms() -> None:
    assert w.parse_targets(["deployment/a", "ds/b"]) == [("deployment", "a"), ("ds", "b")]
    assert w.parse_targets(["deployment", "a", "b"]) == [("deployment", "a"), ("deployment", "b")]
    assert w.parse_targets(["deployment"]) == [("deployment", "")]
    assert w.parse_targets([]) == []
    with pytest.raises(w.WorkloadError, match="no need to specify a resource type as a separate argument"):
        w.parse_targets(["deployment", "x/y"])
    with pytest.raises(w.WorkloadError, match="must have a single resource and name"):
        w.parse_targets(["deployment/"])


def test_restarted_at_is_gos_rfc3339() -> None:
    assert w.rfc3339(dt.datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)) == "2025-01-02T03:04:05Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert w.rfc3339(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=plus_two)) == "2025-01-02T03:04:05+02:00"


@pytest.mark.parametrize(("value", "policy", "warned"), [
    ("background", "Background", False), ("foreground", "Foreground", False), ("orphan", "Orphan", False),
    ("true", "Background", True), ("false", "Orphan", True), ("T", "Background", True), ("0", "Orphan", True),
])
def test_cascade_values(value: str, policy: str, warned: bool) -> None:
    got, warning = cascade_policy(value)
    assert got == policy and bool(warning) == warned
    if warned:
        assert warning == (f"warning: --cascade={value} is deprecated (boolean value) and can be replaced with "
                           f"--cascade={'background' if policy == 'Background' else 'orphan'}.")


def test_bad_cascade_value() -> None:
    with pytest.raises(ValueError, match=r'invalid cascade value \(yes\). Must be "background", "foreground", or '
                                         r'"orphan"'):
        cascade_policy("yes")


def test_get_all_expands_to_the_workload_kinds_in_kubectls_order() -> None:
    assert expand_categories("all") == ("pods,daemonsets.apps,deployments.apps,replicasets.apps,cronjobs.batch,"
                                        "jobs.batch")
    assert expand_categories("all,configmaps").endswith(",configmaps")
    assert expand_categories("pods,pods") == "pods,pods"  # only "all" is expanded


def test_go_bools() -> None:
    assert [w.parse_go_bool(v) for v in ("true", "1", "F", "false", "yes")] == [True, True, False, False, None]


# -------------------------------------------- the commands, without a server
def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--server", "127.0.0.1:1", *args])
    return result.exit_code, result.stdout, result.stderr


def test_create_deployment_client_dry_run_prints_kubectls_yaml() -> None:
    code, out, _ = invoke("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--dry-run=client",
                          "-o", "yaml")
    assert code == 0
    assert out == ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: web\n  name: web\nspec:\n"
                   "  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  strategy: {}\n  template:\n"
                   "    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n"
                   "      - image: nginx:1.25\n        name: nginx\n        resources: {}\nstatus: {}\n")
    assert invoke("create", "deploy", "web", "--image=nginx", "--dry-run=client")[1] == (
        "deployment.apps/web created (dry run)\n")


@pytest.mark.parametrize(("args", "line"), [
    (("create", "deployment", "web", "--dry-run=client"), 'error: required flag(s) "image" not set'),
    (("create", "cronjob", "cj", "--dry-run=client"), 'error: required flag(s) "image", "schedule" not set'),
    (("create", "job", "j", "--dry-run=client"), "error: either --image or --from must be specified"),
    (("create", "job", "j", "--from=cronjob/x", "--", "echo"), "error: cannot specify --from and command"),
    (("create", "secret", "generic", "s", "--from-literal=k"), "error: invalid literal source k, expected key=value"),
    (("create", "secret", "tls", "t", "--cert=c"), "error: key and cert must be specified"),
    (("scale", "deployment/web"), 'error: required flag(s) "replicas" not set'),
    (("scale", "deployment", "--replicas=1"), "error: resource(s) were provided, but no name was specified"),
    (("rollout", "status"), "error: required resource not specified"),
    (("rollout", "status", "deployment/web", "--watch=maybe"),
     'error: invalid argument "maybe" for "-w, --watch" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
    (("set", "image", "deployment/web"), "error: at least one image update is required"),
    (("delete", "deployment", "web", "--cascade=yes"),
     'error: invalid cascade value (yes). Must be "background", "foreground", or "orphan"'),
    (("get", "all", "-w"), "error: watch is only supported on individual resources and resource collections, but 6 "
                           "resources were found"),
])
def test_mistakes_are_one_line_before_any_request(args: tuple[str, ...], line: str) -> None:
    code, _, err = invoke(*args)
    assert (code, err) == (1, line + "\n")


def test_secret_from_literal_dry_run_is_base64() -> None:
    code, out, _ = invoke("create", "secret", "generic", "s", "--from-literal=user=admin", "--dry-run=client",
                          "-o", "json")
    assert code == 0 and base64.b64decode(json.loads(out)["data"]["user"]) == b"admin"
