"""The kinds kubelite serves, one module each: identity, model, defaults,
validation, strategy, subresources and printer columns of the kind (see
`kubelite/api/kind.py`). `kubelite.api.registry` collects them; adding a kind
is adding a module here and naming it in `KIND_MODULES`."""

KIND_MODULES = (
    "namespace", "pod", "node", "event", "configmap", "secret", "serviceaccount", "lease", "rbac", "reviews",
    "replicaset", "deployment", "daemonset", "job", "cronjob", "poddisruptionbudget",
)
