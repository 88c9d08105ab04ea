"""The workload kinds' definitions: defaults, validation with Kubernetes'
wording and field paths, the scale subresource, eviction against a
PodDisruptionBudget, and printer cells."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kubelite import api
from kubelite.errors import TooManyRequests
from kubelite.kinds import poddisruptionbudget, workload

Obj = dict[str, Any]


def template(labels: dict[str, str] | None = None, restart: str | None = None) -> Obj:
    spec: Obj = {"containers": [{"name": "main", "image": "python:3.11"}]}
    if restart:
        spec["restartPolicy"] = restart
    return {"metadata": {"labels": labels if labels is not None else {"app": "web"}}, "spec": spec}


def deployment(**spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(), **spec}}


def causes(obj: Obj) -> list[str]:
    with pytest.raises(api.InvalidObject) as err:
        api.parse_object(obj)
    return [str(c) for c in err.value.causes]


def defaulted(obj: Obj) -> Obj:
    info, model = api.parse_object(obj)
    api.apply_defaults(info, model)
    return api.to_json_dict(model)


def test_a_deployment_gets_kubernetes_defaults_including_its_pod_template() -> None:
    spec = defaulted(deployment())["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_deployment_validation_names_each_field() -> None:
    assert causes(deployment(template=template({"app": "other"}))) == [
        'spec.template.metadata.labels: Invalid value: "map[app:other]": `selector` does not match template `labels`']
    assert causes(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
    assert causes(deployment(replicas=-1)) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    assert any(c.startswith("spec.strategy.rollingUpdate.maxSurge: Invalid value: \"x%\"")
               for c in causes(deployment(strategy={"rollingUpdate": {"maxSurge": "x%"}})))
    assert causes(deployment(template={"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
        {"name": "main"}]}})) == ["spec.template.spec.containers[0].image: Required value"]


def test_features_the_controllers_do_not_run_are_refused_not_ignored() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"completionMode": "Indexed", "completions": 2, "template": template({}, "Never")}}
    assert causes(job) == ['spec.completionMode: Unsupported value: "Indexed": supported values: "NonIndexed"']
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
          "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(),
                   "updateStrategy": {"rollingUpdate": {"maxSurge": 1}}}}
    assert causes(ds)[0].startswith("spec.updateStrategy.rollingUpdate.maxSurge: Unsupported value: 1")
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"schedule": "*/5 * * * *", "timeZone": "Europe/Paris",
                     "jobTemplate": {"spec": {"template": template({}, "OnFailure")}}}}
    assert causes(cron)[0].startswith('spec.timeZone: Unsupported value: "Europe/Paris"')


def test_a_job_template_needs_a_restart_policy_of_never_or_onfailure_and_a_cron_schedule_must_parse() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": template({})}}
    assert causes(job) == ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"schedule": "every minute", "jobTemplate": {"spec": {"template": template({}, "Never")}}}}
    assert causes(cron) == ["spec.schedule: Invalid value: \"every minute\": unparseable cron expression "
                            "'every minute'"]


def test_a_secret_merges_string_data_into_base64_data_and_refuses_bad_base64() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "YQ=="},
              "stringData": {"b": "secret"}}
    stored = defaulted(secret)
    assert stored["data"] == {"a": "YQ==", "b": base64.b64encode(b"secret").decode()} and "stringData" not in stored
    assert stored["type"] == "Opaque"
    bad = {**secret, "data": {"a": "not base64!"}}
    assert causes(bad) == ["data[a]: Invalid value: \"<secret contents redacted>\": illegal base64 data: the value "
                           "must be base64"]
    tls = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": "kubernetes.io/tls"}
    assert causes(tls) == ["data[tls.crt]: Required value", "data[tls.key]: Required value"]


def test_the_scale_subresource_shows_and_changes_only_replicas() -> None:
    stored = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default",
                                                                          "resourceVersion": "7"},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}}, "status": {"replicas": 2}}
    scale = workload.SCALE.view(stored)  # type: ignore[misc]
    assert scale["kind"] == "Scale" and scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 2, "selector": "app=web"}
    merged = workload.SCALE.merge(stored, {"spec": {"replicas": 5}, "status": {"replicas": 99}})  # type: ignore[misc]
    assert merged["spec"]["replicas"] == 5 and merged["status"] == {"replicas": 2}


def budget(allowed: int, generation: int = 1, observed: int = 1) -> Obj:
    return {"metadata": {"name": "guard", "generation": generation},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": allowed, "currentHealthy": 2, "desiredHealthy": 2,
                       "observedGeneration": observed}}


def test_an_eviction_takes_one_disruption_or_is_answered_429() -> None:
    pod = {"metadata": {"name": "p", "labels": {"app": "web"}}}
    granted = poddisruptionbudget.grant_eviction([budget(1)], pod)
    assert granted is not None and granted["status"]["disruptionsAllowed"] == 0
    assert "p" in granted["status"]["disruptedPods"]
    with pytest.raises(TooManyRequests) as err:
        poddisruptionbudget.grant_eviction([budget(0)], pod)
    assert err.value.causes == [{"reason": "DisruptionBudget", "message": "The disruption budget guard needs 2 "
                                 "healthy pods and has 2 currently"}]
    with pytest.raises(TooManyRequests, match="disruption budget"):
        poddisruptionbudget.grant_eviction([budget(5, generation=2, observed=1)], pod)  # status not caught up
    assert poddisruptionbudget.grant_eviction([budget(0)], {"metadata": {"name": "q", "labels": {"app": "db"}}}) \
        is None
    # a running pod that is not ready disrupts nothing healthy (unhealthyPodEvictionPolicy)
    unready = {**pod, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}}
    assert poddisruptionbudget.grant_eviction([budget(0)], unready) is None
    starving = budget(0)
    starving["status"]["currentHealthy"] = 1
    with pytest.raises(TooManyRequests):
        poddisruptionbudget.grant_eviction([starving], unready)
    starving["spec"]["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    assert poddisruptionbudget.grant_eviction([starving], unready) is None


def test_printer_cells_read_like_kubectl() -> None:
    deploy = {**deployment(replicas=3), "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    cells = api.resource_by_name("deployments").printer.cells(deploy)  # type: ignore[union-attr]
    assert cells[:4] == ["web", "2/3", 3, 2] and cells[5:] == ["main", "python:3.11", "app=web"]
    pdb = {"metadata": {"name": "guard"}, "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 0}}
    assert api.resource_by_name("pdb").printer.cells(pdb)[:4] == ["guard", "2", "N/A", 0]  # type: ignore[union-attr]
