"""v1 ConfigMap: configuration data for pods, optionally immutable."""

from kubelite.api import core
from kubelite.api.kind import Kind
from kubelite.api.printers import CONFIGMAP_PRINTER
from kubelite.api.validation import configmap_update, validate_configmap

KIND = Kind("", "v1", "ConfigMap", "configmaps", True, core.ConfigMap, short_names=("cm",),
            validate=validate_configmap, validate_update=configmap_update, printer=CONFIGMAP_PRINTER)
