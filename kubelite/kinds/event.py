"""v1 Event: what happened to an object, as components report it."""

from kubelite.api import core
from kubelite.api.kind import Kind, Strategy
from kubelite.api.printers import EVENT_PRINTER

KIND = Kind("", "v1", "Event", "events", True, core.Event, short_names=("ev",), printer=EVENT_PRINTER,
            strategy=Strategy(fields=frozenset({
                "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "type", "source", "reportingComponent"})))
