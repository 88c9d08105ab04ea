"""Descriptions of the workload kinds (apps/v1, batch/v1, policy/v1) and of
Secret and ServiceAccount, merged into `kubelite.api.descriptions`. Same
keying: model class name, then JSON field name; "" is the model itself."""

from __future__ import annotations

_SPEC = "What the user wants."
_STATUS = "What the controllers last observed; written by them, through the status subresource."
_OBSERVED = "The metadata.generation the controller acted on last; older than the object's means it is behind."
_TEMPLATE = "The pod to run: its labels must match the selector."
_SELECTOR = "Which pods belong to it, by label; may not change once set."
_MIN_READY = "Seconds a new pod must be ready, without a container crashing, before it counts as available."
_HISTORY = "How many old revisions to keep (0 keeps none), so a rollout can be undone."
_CONDITIONS = "The latest observations of its state, one entry per condition type."
_TIME = "RFC 3339 date and time, in UTC."
_INT_OR_PERCENT = "A number of pods, or a percentage of the desired replicas (\"25%\")."


def _condition(what: str, *fields: str) -> dict[str, str]:
    every = {"": f"One aspect of a {what}'s state, and when it last changed.",
            "type": "Which aspect this condition describes.",
            "status": 'Whether the condition holds: "True", "False" or "Unknown".',
            "lastTransitionTime": f"When the status last changed; {_TIME}",
            "lastUpdateTime": f"When the condition was last written; {_TIME}",
            "lastProbeTime": f"When the condition was last checked; {_TIME}",
            "reason": "A CamelCase word saying why it last changed, for machines.",
            "message": "A sentence for people on the details."}
    return {k: v for k, v in every.items() if k in ("", "type", "status", "reason", "message", *fields)}


WORKLOAD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Secret": {"": "Small pieces of sensitive data (passwords, keys, tokens) for pods; may be encrypted at rest.",
               "data": "The values, base64-encoded, by key.",
               "stringData": "Plain-text values merged into data when written; never stored or read back.",
               "type": "What the secret holds (Opaque, kubernetes.io/tls, kubernetes.io/service-account-token, "
                       "...), which decides the keys it must have. Cannot change.",
               "immutable": "When true, data cannot change any more (only deleting the secret does)."},
    "ServiceAccount": {"": "An identity for the processes of pods, with tokens the API server accepts.",
                       "secrets": "Secrets holding this account's tokens.",
                       "imagePullSecrets": "Registry credentials the pods of this account use to pull images.",
                       "automountServiceAccountToken": "Whether pods get this account's token mounted."},
    "LocalObjectReference": {"": "A reference to an object by name, in the same namespace.",
                             "name": "The object's name."},
    "PodTemplateSpec": {"": "A pod as a workload creates it: its metadata and spec.",
                        "metadata": "Labels and annotations the pods get.", "spec": "The pods' spec."},
    "ReplicaSet": {"": "Keeps a number of identical pods running, replacing those that go away.",
                   "spec": _SPEC, "status": _STATUS},
    "ReplicaSetSpec": {"": "How many pods, which ones, and from what template.",
                       "replicas": "How many pods to keep (default 1).", "minReadySeconds": _MIN_READY,
                       "selector": _SELECTOR, "template": _TEMPLATE},
    "ReplicaSetStatus": {"": "How many pods the replica set has and how many are ready.",
                         "replicas": "Pods it has now.",
                         "fullyLabeledReplicas": "Pods whose labels match the template's.",
                         "readyReplicas": "Pods that are ready.",
                         "availableReplicas": "Pods ready for at least minReadySeconds.",
                         "terminatingReplicas": "Pods being deleted.", "observedGeneration": _OBSERVED,
                         "conditions": _CONDITIONS},
    "Deployment": {"": "Declarative updates of pods: each template change is rolled out through a new "
                       "ReplicaSet, and can be rolled back.", "spec": _SPEC, "status": _STATUS},
    "DeploymentSpec": {"": "The pods wanted and how to move to a new template.",
                       "replicas": "How many pods (default 1).", "selector": _SELECTOR, "template": _TEMPLATE,
                       "strategy": "How old pods are replaced by new ones.", "minReadySeconds": _MIN_READY,
                       "revisionHistoryLimit": _HISTORY + " Default 10.",
                       "paused": "When true, template changes are not rolled out until resumed.",
                       "progressDeadlineSeconds": "Seconds without progress before the rollout is reported "
                                                  "as failed (ProgressDeadlineExceeded). Default 600."},
    "DeploymentStrategy": {"": "How a rollout replaces pods.",
                           "type": "RollingUpdate (gradually, the default) or Recreate (all old pods first).",
                           "rollingUpdate": "The limits of a rolling update."},
    "RollingUpdateDeployment": {"": "How far a rolling update may go above or below the desired replicas.",
                                "maxUnavailable": "How many pods may be unavailable during the update: "
                                                  + _INT_OR_PERCENT + " Rounded down; default 25%.",
                                "maxSurge": "How many pods may exist above the desired number: "
                                            + _INT_OR_PERCENT + " Rounded up; default 25%."},
    "DeploymentStatus": {"": "Where the rollout is.", "observedGeneration": _OBSERVED,
                         "replicas": "Pods of all its replica sets.",
                         "updatedReplicas": "Pods running the current template.",
                         "readyReplicas": "Pods that are ready.",
                         "availableReplicas": "Pods ready for at least minReadySeconds.",
                         "unavailableReplicas": "Desired pods that are not available yet.",
                         "terminatingReplicas": "Pods being deleted.",
                         "conditions": _CONDITIONS + " Available and Progressing, as kubectl rollout status "
                                                     "reads them.",
                         "collisionCount": "How often a new replica set's name collided; part of its hash."},
    "DeploymentCondition": _condition("deployment", "lastTransitionTime", "lastUpdateTime"),
    "DaemonSet": {"": "Runs one pod on every eligible node, including nodes that join later.",
                  "spec": _SPEC, "status": _STATUS},
    "DaemonSetSpec": {"": "The pod to run on each node and how to update it.", "selector": _SELECTOR,
                      "template": _TEMPLATE + " Its node selector and affinity choose the nodes.",
                      "updateStrategy": "How pods are replaced when the template changes.",
                      "minReadySeconds": _MIN_READY, "revisionHistoryLimit": _HISTORY},
    "DaemonSetUpdateStrategy": {"": "How a daemon set replaces its pods.",
                                "type": "RollingUpdate (the default) or OnDelete (only pods deleted by hand).",
                                "rollingUpdate": "The limits of a rolling update."},
    "RollingUpdateDaemonSet": {"": "How many nodes a daemon set update may disturb at once.",
                               "maxUnavailable": "Nodes whose pod may be unavailable at once: a number or a "
                                                 "percentage of the nodes. Default 1.",
                               "maxSurge": "Nodes that may run an old and a new pod at once. Default 0."},
    "DaemonSetStatus": {"": "How many nodes run the pod, and how well.",
                        "currentNumberScheduled": "Nodes that run the pod and should.",
                        "numberMisscheduled": "Nodes that run the pod but should not.",
                        "desiredNumberScheduled": "Nodes that should run the pod.",
                        "numberReady": "Nodes whose pod is ready.", "observedGeneration": _OBSERVED,
                        "updatedNumberScheduled": "Nodes whose pod runs the current template.",
                        "numberAvailable": "Nodes whose pod is available.",
                        "numberUnavailable": "Nodes that should run an available pod and do not.",
                        "collisionCount": "How often a revision's name collided.", "conditions": _CONDITIONS},
    "Job": {"": "Runs pods until a number of them succeed, retrying failures up to a limit.",
            "spec": _SPEC, "status": _STATUS},
    "JobSpec": {"": "What to run, how many completions, and how hard to retry.",
                "parallelism": "How many pods may run at once (default 1).",
                "completions": "How many pods must succeed; unset means the first success ends it.",
                "activeDeadlineSeconds": "Seconds the job may run before it is failed and its pods stopped.",
                "backoffLimit": "How many failed pods before the job fails (default 6); retries wait "
                                "exponentially longer.",
                "selector": "Which pods belong to it; the server sets it from the job's uid unless "
                            "manualSelector is true.",
                "manualSelector": "When true, the selector is the user's own.",
                "template": "The pod to run; its restartPolicy must be OnFailure or Never.",
                "ttlSecondsAfterFinished": "Seconds after finishing before the job (and its pods) is deleted.",
                "completionMode": "NonIndexed (the default) or Indexed.",
                "suspend": "When true, no pods are created and running ones are stopped.",
                "podReplacementPolicy": "When a failed pod is replaced: TerminatingOrFailed or Failed."},
    "JobStatus": {"": "How the job's pods have done.", "conditions": _CONDITIONS + " Complete or Failed at the "
                                                                                    "end.",
                  "startTime": f"When the job started; {_TIME}", "completionTime": f"When it completed; {_TIME}",
                  "active": "Pods running now.", "succeeded": "Pods that succeeded.", "failed": "Pods that failed.",
                  "terminating": "Pods being deleted.", "ready": "Active pods that are ready.",
                  "uncountedTerminatedPods": "Finished pods not counted yet.",
                  "completedIndexes": "The completed indexes of an Indexed job."},
    "JobCondition": _condition("job", "lastTransitionTime", "lastProbeTime"),
    "CronJob": {"": "Creates a Job on a repeating schedule.", "spec": _SPEC, "status": _STATUS},
    "CronJobSpec": {"": "The schedule and the job to create.",
                    "schedule": "A cron expression (\"*/5 * * * *\", \"@hourly\"), in UTC.",
                    "timeZone": "The time zone of the schedule.",
                    "startingDeadlineSeconds": "How late a missed run may still start.",
                    "concurrencyPolicy": "What to do when a run is due while one is active: Allow, Forbid "
                                         "(skip it) or Replace (stop the active one).",
                    "suspend": "When true, no new runs start.", "jobTemplate": "The job each run creates.",
                    "successfulJobsHistoryLimit": "Finished successful jobs to keep (default 3).",
                    "failedJobsHistoryLimit": "Failed jobs to keep (default 1)."},
    "JobTemplateSpec": {"": "A job as a cron job creates it.", "metadata": "Labels and annotations the jobs get.",
                        "spec": "The jobs' spec."},
    "CronJobStatus": {"": "The cron job's runs.", "active": "The jobs running now.",
                      "lastScheduleTime": f"When a job was last scheduled; {_TIME}",
                      "lastSuccessfulTime": f"When a job last completed; {_TIME}"},
    "PodDisruptionBudget": {"": "How many of a set of pods voluntary disruptions (evictions, kubectl drain) may "
                                "take down at once.", "spec": _SPEC, "status": _STATUS},
    "PodDisruptionBudgetSpec": {"": "The pods covered and how many must stay.",
                                "minAvailable": "Pods that must stay available: " + _INT_OR_PERCENT,
                                "maxUnavailable": "Pods that may be unavailable: " + _INT_OR_PERCENT,
                                "selector": "Which pods the budget covers.",
                                "unhealthyPodEvictionPolicy": "Whether pods that are not ready may be evicted "
                                                              "regardless: IfHealthyBudget or AlwaysAllow."},
    "PodDisruptionBudgetStatus": {"": "What the budget allows now.", "observedGeneration": _OBSERVED,
                                  "disruptedPods": "Pods evicted recently whose deletion is not yet observed, "
                                                   "with when.",
                                  "disruptionsAllowed": "How many pods may be evicted now.",
                                  "currentHealthy": "Covered pods that are healthy.",
                                  "desiredHealthy": "Covered pods that must stay healthy.",
                                  "expectedPods": "Covered pods there should be.", "conditions": _CONDITIONS},
}
