"""v1 Namespace. Deleting one marks it Terminating; the namespace controller
removes what is in it, then its `kubernetes` finalizer (the finalize
subresource), and only then is it gone, as in Kubernetes."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import core
from kubelite.api.defaults import default_namespace
from kubelite.api.kind import Kind, Strategy, Subresource, status_subresource
from kubelite.api.names import dns1123_label
from kubelite.api.printers import NAMESPACE_PRINTER

Obj = dict[str, Any]


class NamespaceStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Active"}

    def pending_finalizers(self, obj: Obj) -> list[str]:
        return [*super().pending_finalizers(obj), *((obj.get("spec") or {}).get("finalizers") or [])]

    def mark_deleting(self, obj: Obj) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"


def _finalize(current: Obj, written: Obj) -> Obj:
    """namespaces/finalize: only spec.finalizers is taken from the request."""
    new = copy.deepcopy(current)
    finalizers = (written.get("spec") or {}).get("finalizers")
    new.setdefault("spec", {})["finalizers"] = list(finalizers or [])
    return new


STRATEGY = NamespaceStrategy(has_status=True, fields=frozenset({"status.phase"}))
KIND = Kind("", "v1", "Namespace", "namespaces", False, core.Namespace, short_names=("ns",), strategy=STRATEGY,
            defaults=default_namespace, name_rule=dns1123_label, printer=NAMESPACE_PRINTER,
            subresources=(status_subresource(STRATEGY), Subresource("finalize", "Namespace", ("update",),
                                                                     merge=_finalize)))
