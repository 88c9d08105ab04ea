"""The core (v1) kinds: Namespace, Pod, Node, Event, ConfigMap."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from kubelite.api.meta import KubeObject, LabelSelector, Model, ObjectMeta, Opaque


def _quantity_text(value: Any) -> Any:
    # YAML gives `cpu: 1` as a number; Kubernetes treats it as the quantity "1"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Quantity = Annotated[str, BeforeValidator(_quantity_text)]
ResourceList = dict[str, Quantity]


class EnvVar(Model):
    name: str
    value: str | None = None
    valueFrom: Opaque | None = None


class ContainerPort(Model):
    containerPort: int
    name: str | None = None
    protocol: str | None = None
    hostPort: int | None = None
    hostIP: str | None = None


class ResourceRequirements(Model):
    requests: ResourceList | None = None
    limits: ResourceList | None = None
    claims: list[Opaque] | None = None


class VolumeMount(Model):
    name: str
    mountPath: str
    readOnly: bool | None = None
    subPath: str | None = None
    mountPropagation: str | None = None
    subPathExpr: str | None = None


class Container(Model):
    name: str
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    workingDir: str | None = None
    ports: list[ContainerPort] | None = None
    env: list[EnvVar] | None = None
    envFrom: list[Opaque] | None = None
    resources: ResourceRequirements | None = None
    volumeMounts: list[VolumeMount] | None = None
    livenessProbe: Opaque | None = None
    readinessProbe: Opaque | None = None
    startupProbe: Opaque | None = None
    lifecycle: Opaque | None = None
    terminationMessagePath: str | None = None
    terminationMessagePolicy: str | None = None
    imagePullPolicy: str | None = None
    securityContext: Opaque | None = None
    stdin: bool | None = None
    stdinOnce: bool | None = None
    tty: bool | None = None
    restartPolicy: str | None = None


class NodeSelectorRequirement(Model):
    key: str
    operator: str
    values: list[str] | None = None


class NodeSelectorTerm(Model):
    matchExpressions: list[NodeSelectorRequirement] | None = None
    matchFields: list[NodeSelectorRequirement] | None = None


class NodeSelector(Model):
    nodeSelectorTerms: list[NodeSelectorTerm]


class PreferredSchedulingTerm(Model):
    weight: int
    preference: NodeSelectorTerm


class NodeAffinity(Model):
    requiredDuringSchedulingIgnoredDuringExecution: NodeSelector | None = None
    preferredDuringSchedulingIgnoredDuringExecution: list[PreferredSchedulingTerm] | None = None


class Affinity(Model):
    nodeAffinity: NodeAffinity | None = None
    podAffinity: Opaque | None = None
    podAntiAffinity: Opaque | None = None


class Toleration(Model):
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None
    tolerationSeconds: int | None = None


class TopologySpreadConstraint(Model):
    maxSkew: int
    topologyKey: str
    whenUnsatisfiable: str
    labelSelector: LabelSelector | None = None
    minDomains: int | None = None
    matchLabelKeys: list[str] | None = None
    nodeAffinityPolicy: str | None = None
    nodeTaintsPolicy: str | None = None


class PodSpec(Model):
    containers: list[Container] = Field(default_factory=list)
    initContainers: list[Container] | None = None
    restartPolicy: str | None = None
    terminationGracePeriodSeconds: int | None = None
    activeDeadlineSeconds: int | None = None
    nodeName: str | None = None
    nodeSelector: dict[str, str] | None = None
    affinity: Affinity | None = None
    tolerations: list[Toleration] | None = None
    topologySpreadConstraints: list[TopologySpreadConstraint] | None = None
    schedulerName: str | None = None
    priority: int | None = None
    priorityClassName: str | None = None
    serviceAccountName: str | None = None
    serviceAccount: str | None = None
    automountServiceAccountToken: bool | None = None
    hostname: str | None = None
    subdomain: str | None = None
    hostNetwork: bool | None = None
    hostPID: bool | None = None
    hostIPC: bool | None = None
    dnsPolicy: str | None = None
    dnsConfig: Opaque | None = None
    enableServiceLinks: bool | None = None
    volumes: list[Opaque] | None = None
    securityContext: Opaque | None = None
    imagePullSecrets: list[Opaque] | None = None
    preemptionPolicy: str | None = None
    runtimeClassName: str | None = None
    shareProcessNamespace: bool | None = None
    overhead: ResourceList | None = None


class ContainerStateWaiting(Model):
    reason: str | None = None
    message: str | None = None


class ContainerStateRunning(Model):
    startedAt: str | None = None


class ContainerStateTerminated(Model):
    exitCode: int
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    startedAt: str | None = None
    finishedAt: str | None = None
    containerID: str | None = None


class ContainerState(Model):
    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(Model):
    name: str
    state: ContainerState | None = None
    lastState: ContainerState | None = None
    ready: bool = False
    restartCount: int = 0
    image: str = ""
    imageID: str = ""
    containerID: str | None = None
    started: bool | None = None


class PodCondition(Model):
    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    lastTransitionTime: str | None = None
    lastProbeTime: str | None = None


class PodStatus(Model):
    phase: str | None = None
    conditions: list[PodCondition] | None = None
    containerStatuses: list[ContainerStatus] | None = None
    initContainerStatuses: list[ContainerStatus] | None = None
    hostIP: str | None = None
    hostIPs: list[Opaque] | None = None
    podIP: str | None = None
    podIPs: list[Opaque] | None = None
    startTime: str | None = None
    reason: str | None = None
    message: str | None = None
    nominatedNodeName: str | None = None
    qosClass: str | None = None


class Pod(KubeObject):
    spec: PodSpec = Field(default_factory=PodSpec)
    status: PodStatus | None = None


class Taint(Model):
    key: str
    value: str | None = None
    effect: str
    timeAdded: str | None = None


class NodeSpec(Model):
    unschedulable: bool | None = None
    taints: list[Taint] | None = None
    podCIDR: str | None = None
    podCIDRs: list[str] | None = None
    providerID: str | None = None


class NodeCondition(Model):
    type: str
    status: str
    lastHeartbeatTime: str | None = None
    lastTransitionTime: str | None = None
    reason: str | None = None
    message: str | None = None


class NodeAddress(Model):
    type: str
    address: str


class NodeSystemInfo(Model):
    machineID: str = ""
    systemUUID: str = ""
    bootID: str = ""
    kernelVersion: str = ""
    osImage: str = ""
    containerRuntimeVersion: str = ""
    kubeletVersion: str = ""
    kubeProxyVersion: str = ""
    operatingSystem: str = ""
    architecture: str = ""


class DaemonEndpoint(Model):
    Port: int


class NodeDaemonEndpoints(Model):
    kubeletEndpoint: DaemonEndpoint | None = None


class NodeStatus(Model):
    capacity: ResourceList | None = None
    allocatable: ResourceList | None = None
    conditions: list[NodeCondition] | None = None
    addresses: list[NodeAddress] | None = None
    nodeInfo: NodeSystemInfo | None = None
    daemonEndpoints: NodeDaemonEndpoints | None = None
    phase: str | None = None
    images: list[Opaque] | None = None


class Node(KubeObject):
    spec: NodeSpec = Field(default_factory=NodeSpec)
    status: NodeStatus | None = None


class NamespaceSpec(Model):
    finalizers: list[str] | None = None


class NamespaceStatus(Model):
    phase: str | None = None
    conditions: list[Opaque] | None = None


class Namespace(KubeObject):
    spec: NamespaceSpec | None = None
    status: NamespaceStatus | None = None


class ObjectReference(Model):
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    apiVersion: str | None = None
    resourceVersion: str | None = None
    fieldPath: str | None = None


class EventSource(Model):
    component: str | None = None
    host: str | None = None


class Event(KubeObject):
    involvedObject: ObjectReference
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    source: EventSource | None = None
    count: int | None = None
    firstTimestamp: str | None = None
    lastTimestamp: str | None = None
    eventTime: str | None = None
    reportingComponent: str | None = None
    reportingInstance: str | None = None
    action: str | None = None
    related: ObjectReference | None = None
    series: Opaque | None = None


class ConfigMap(KubeObject):
    data: dict[str, str] | None = None
    binaryData: dict[str, str] | None = None
    immutable: bool | None = None


class Secret(KubeObject):
    data: dict[str, str] | None = None        # base64 values
    stringData: dict[str, str] | None = None  # write-only: merged into data on write
    type: str | None = None
    immutable: bool | None = None


class LocalObjectReference(Model):
    name: str | None = None


class ServiceAccount(KubeObject):
    secrets: list[ObjectReference] | None = None
    imagePullSecrets: list[LocalObjectReference] | None = None
    automountServiceAccountToken: bool | None = None


class PodTemplateSpec(Model):
    metadata: ObjectMeta | None = None
    spec: PodSpec = Field(default_factory=PodSpec)
