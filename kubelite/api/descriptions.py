"""What each kind and field means, in a sentence or two: the text `kubectl explain`
prints and the OpenAPI documents the API server serves carry.

Kept apart from the models so the types stay short to read. Keyed by model class
name, then field name (its JSON name); the key "" describes the model itself.
A field a class inherits is described under the class that declares it
(apiVersion, kind and metadata under KubeObject). The OpenAPI unit tests fail
when a field of a served model has no entry here.
"""

from __future__ import annotations

from pydantic import BaseModel

MODEL = ""  # the key under which a model's own description is kept

_TIME = "RFC 3339 date and time, in UTC."
_STATUS_VALUE = 'Whether the condition holds: "True", "False" or "Unknown".'
_REASON = "A short CamelCase word saying why the condition last changed, for machines to match on."
_MESSAGE = "A sentence for people on the details of the last change."
_SELECTOR_VALUES = ("The values to compare with. In and NotIn need at least one; Exists and DoesNotExist take "
                    "none; Gt and Lt take one integer.")

DESCRIPTIONS: dict[str, dict[str, str]] = {
    # ---- shared by every object (meta.v1) ----
    "KubeObject": {
        MODEL: "The common part of every stored object: what it is and its metadata.",
        "apiVersion": "The API group and version this object is written in, e.g. \"v1\" or "
                      "\"rbac.authorization.k8s.io/v1\".",
        "kind": "The type of the object, in CamelCase, e.g. \"Pod\".",
        "metadata": "Name, namespace, labels and the other bookkeeping every object carries.",
    },
    "ObjectMeta": {
        MODEL: "Bookkeeping every stored object carries: identity, labels, annotations, ownership and "
               "the version the server last wrote.",
        "name": "The object's name, unique among objects of its kind in its namespace (or in the cluster for "
                "cluster-wide kinds). Cannot be changed once created.",
        "generateName": "When name is empty on create, the server makes one from this prefix plus a random "
                        "suffix.",
        "namespace": "The namespace the object lives in. Empty for cluster-wide kinds; for namespaced ones it "
                     "defaults to the request's namespace (\"default\" if none).",
        "uid": "A unique id the server gives the object at creation; a new object with the same name gets a "
               "new uid. Read-only.",
        "resourceVersion": "An opaque value that changes on every write. Send it back on update to detect that "
                           "someone else changed the object in between. Read-only.",
        "generation": "A counter the server raises whenever the desired state (anything but metadata and "
                      "status) changes. Read-only.",
        "creationTimestamp": "When the server stored the object first. " + _TIME + " Read-only.",
        "deletionTimestamp": "Set when deletion was asked for: the object goes once its finalizers are done "
                             "(and, for a pod, once its containers stopped). " + _TIME + " Read-only.",
        "deletionGracePeriodSeconds": "How many seconds the object was given to stop when its deletion was "
                                      "asked for. Read-only.",
        "labels": "Key/value pairs for grouping and selecting objects (label selectors match on them).",
        "annotations": "Key/value pairs for tools and people to keep extra data on the object; never used to "
                       "select objects.",
        "ownerReferences": "The objects this one belongs to. When every owner is gone, the object may be "
                           "collected.",
        "finalizers": "Names of tasks that must finish before a deleted object is removed; each is taken off "
                      "the list by whoever completes it.",
        "managedFields": "Which field manager set which fields, as recorded by server-side apply (stored as "
                         "given, not checked).",
    },
    "OwnerReference": {
        MODEL: "Points at an object that owns this one, in the same namespace (or cluster-wide).",
        "apiVersion": "API group and version of the owner.",
        "kind": "Kind of the owner.",
        "name": "Name of the owner.",
        "uid": "uid of the owner, so that a new object of the same name is not taken for it.",
        "controller": "True for the single owner that manages this object.",
        "blockOwnerDeletion": "When true, a foreground deletion of the owner waits for this object to go first.",
    },
    "LabelSelector": {
        MODEL: "Chooses objects by their labels. Both parts must match (AND); an empty selector matches "
               "everything, a missing one nothing.",
        "matchLabels": "Labels that must be present with exactly these values.",
        "matchExpressions": "Further conditions on labels, all of which must hold.",
    },
    "LabelSelectorRequirement": {
        MODEL: "One condition on a label: a key, an operator and values.",
        "key": "The label key the condition is about.",
        "operator": "How the label's value is compared: In, NotIn, Exists or DoesNotExist.",
        "values": "The values for In and NotIn (at least one); must be empty for Exists and DoesNotExist.",
    },
    # ---- core/v1 Pod ----
    "Pod": {
        MODEL: "One or more containers that run together on one node, sharing its network and lifetime. "
               "The scheduler picks the node; that node's agent starts and watches the containers.",
        "spec": "What the pod should run and where it may run.",
        "status": "What the pod is doing, as its node agent last reported. Written through the status "
                  "subresource.",
    },
    "PodSpec": {
        MODEL: "The desired state of a pod.",
        "containers": "The containers to run. A pod needs at least one; names must be unique in the pod.",
        "initContainers": "Containers that run one after another, each to completion, before the main "
                          "containers start.",
        "restartPolicy": "What to do when a container exits: Always (the default), OnFailure or Never.",
        "terminationGracePeriodSeconds": "Seconds the containers get to stop after a delete before they are "
                                         "killed. Defaults to 30.",
        "activeDeadlineSeconds": "Seconds the pod may run, counted from its start, before it is failed.",
        "nodeName": "The node the pod runs on. Set by the scheduler through the binding subresource, or by the "
                    "user to skip scheduling.",
        "nodeSelector": "Labels a node must carry for the pod to be placed on it.",
        "affinity": "Rules preferring or requiring some nodes for the pod.",
        "tolerations": "Taints of nodes this pod accepts.",
        "topologySpreadConstraints": "How evenly matching pods should be spread over zones, nodes or other "
                                     "topology domains.",
        "schedulerName": "Which scheduler places this pod. Defaults to \"default-scheduler\".",
        "priority": "The pod's priority as a number; higher is scheduled first. Defaults to 0.",
        "priorityClassName": "Name of the priority class the pod's priority comes from.",
        "serviceAccountName": "The service account the pod runs as. Defaults to \"default\".",
        "serviceAccount": "Old name of serviceAccountName; kept for compatibility.",
        "automountServiceAccountToken": "Whether the service account's token is mounted into the containers.",
        "hostname": "The pod's host name; defaults to the pod's name.",
        "subdomain": "When set, the pod's full host name is <hostname>.<subdomain>.<namespace>.svc.<domain>.",
        "hostNetwork": "Run in the node's network namespace instead of one of the pod's own.",
        "hostPID": "Share the node's process id namespace.",
        "hostIPC": "Share the node's IPC namespace.",
        "dnsPolicy": "How the pod resolves names: ClusterFirst (the default), ClusterFirstWithHostNet, "
                     "Default or None.",
        "dnsConfig": "Extra resolver settings: name servers, search domains, options (stored as given, not "
                     "checked).",
        "enableServiceLinks": "Whether environment variables describing services are put into the containers.",
        "volumes": "Storage the pod's containers can mount, each with a unique name (stored as given, not "
                   "checked).",
        "securityContext": "Security settings for every container of the pod: user and group ids, "
                           "filesystem group, SELinux, seccomp (stored as given, not checked).",
        "imagePullSecrets": "Secrets holding registry credentials for pulling the images (stored as given, not "
                            "checked).",
        "preemptionPolicy": "Whether this pod may evict lower-priority pods to make room: PreemptLowerPriority "
                            "or Never.",
        "runtimeClassName": "Which container runtime configuration to run the pod with.",
        "shareProcessNamespace": "Let the pod's containers see each other's processes.",
        "overhead": "Resources the pod itself costs on top of its containers, counted when scheduling.",
    },
    "Container": {
        MODEL: "One program the pod runs, from an image.",
        "name": "The container's name, unique in the pod (a DNS label).",
        "image": "The image to run, e.g. \"nginx:1.27\".",
        "command": "The program to run with its arguments, replacing the image's entrypoint. Not run in a "
                   "shell.",
        "args": "Arguments to the command, replacing those the image gives.",
        "workingDir": "The directory the command starts in; defaults to the image's.",
        "ports": "Ports the container listens on. Informational: a port not listed can still be reached.",
        "env": "Environment variables to set in the container.",
        "envFrom": "Sources (config maps, secrets) whose every key becomes an environment variable (stored as "
                   "given, not checked).",
        "resources": "How much CPU, memory and other resources the container asks for and may use.",
        "volumeMounts": "Where the pod's volumes appear in the container's filesystem.",
        "livenessProbe": "A check that restarts the container when it fails (stored as given, not checked).",
        "readinessProbe": "A check that decides whether the container is ready for traffic (stored as given, "
                          "not checked).",
        "startupProbe": "A check that must pass before the other probes start (stored as given, not checked).",
        "lifecycle": "Actions to run just after the container starts and just before it stops (stored as "
                     "given, not checked).",
        "terminationMessagePath": "A file whose content, when the container ends, becomes its termination "
                                  "message. Defaults to /dev/termination-log.",
        "terminationMessagePolicy": "File (the default) reads the message from terminationMessagePath; "
                                    "FallbackToLogsOnError uses the end of the log when that file is empty and "
                                    "the container failed.",
        "imagePullPolicy": "When to pull the image: Always, IfNotPresent or Never. Defaults to Always for an "
                           "image tagged :latest or not tagged, IfNotPresent otherwise (and when pinned by digest).",
        "securityContext": "Security settings for this container, over the pod's (stored as given, not "
                           "checked).",
        "stdin": "Keep a standard input open for the container (for attach).",
        "stdinOnce": "Close the standard input after the first client that attached leaves.",
        "tty": "Give the container a terminal; needs stdin.",
        "restartPolicy": "For init containers only: Always makes it a sidecar that keeps running beside the "
                         "main containers.",
    },
    "ContainerPort": {
        MODEL: "A network port a container listens on.",
        "containerPort": "The port number in the container, 1 to 65535.",
        "name": "A name for the port (an IANA service name), unique in the pod, that others can refer to.",
        "protocol": "TCP (the default), UDP or SCTP.",
        "hostPort": "Also expose the port on this port of the node. Rarely needed.",
        "hostIP": "The node address to bind hostPort to.",
    },
    "EnvVar": {
        MODEL: "One environment variable of a container.",
        "name": "The variable's name.",
        "value": "The variable's value. $(OTHER) refers to a variable defined earlier; $$ escapes a dollar sign.",
        "valueFrom": "Take the value from a config map, a secret, a field of the pod or a resource of the "
                     "container instead (stored as given, not checked).",
    },
    "ResourceRequirements": {
        MODEL: "Resources a container asks for and the ceiling it may use.",
        "requests": "The amount of each resource (cpu, memory, ...) the container needs; the scheduler only "
                    "places the pod on a node with that much left. Each must not exceed its limit.",
        "limits": "The most of each resource the container may use. A request left out defaults to its limit.",
        "claims": "Dynamically allocated resources (claims of the pod) this container uses (stored as given, "
                  "not checked).",
    },
    "VolumeMount": {
        MODEL: "Mounts one of the pod's volumes into a container.",
        "name": "The name of the pod volume to mount.",
        "mountPath": "Where in the container the volume appears; must not contain ':'.",
        "readOnly": "Mount read-only. Defaults to false.",
        "subPath": "Mount this path inside the volume instead of its root.",
        "mountPropagation": "Whether mounts made later propagate between node and container: None, "
                            "HostToContainer or Bidirectional.",
        "subPathExpr": "Like subPath, with $(VAR) references to the container's environment expanded.",
    },
    "Affinity": {
        MODEL: "Scheduling preferences and requirements of a pod.",
        "nodeAffinity": "Which nodes the pod should or must run on, by node labels.",
        "podAffinity": "Run near pods that match given labels (stored as given, not checked).",
        "podAntiAffinity": "Keep away from pods that match given labels (stored as given, not checked).",
    },
    "NodeAffinity": {
        MODEL: "Rules about which nodes a pod goes to, by node labels and fields.",
        "requiredDuringSchedulingIgnoredDuringExecution": "Nodes the pod must be placed on. Checked only when "
                                                          "scheduling: a running pod stays if labels change.",
        "preferredDuringSchedulingIgnoredDuringExecution": "Weighted preferences: among the nodes that fit, the "
                                                           "scheduler favours those matching the most weight.",
    },
    "NodeSelector": {
        MODEL: "Chooses nodes: a node matches when any one of the terms matches.",
        "nodeSelectorTerms": "The terms, ORed together.",
    },
    "NodeSelectorTerm": {
        MODEL: "A set of conditions on a node, all of which must hold. An empty term matches no node.",
        "matchExpressions": "Conditions on the node's labels.",
        "matchFields": "Conditions on the node's fields; only metadata.name is supported.",
    },
    "NodeSelectorRequirement": {
        MODEL: "One condition on a node label or field.",
        "key": "The label key (or field name) the condition is about.",
        "operator": "How to compare: In, NotIn, Exists, DoesNotExist, Gt or Lt.",
        "values": _SELECTOR_VALUES,
    },
    "PreferredSchedulingTerm": {
        MODEL: "A node preference with the weight it carries.",
        "weight": "How much this preference counts, 1 to 100.",
        "preference": "The conditions a node must meet to earn the weight.",
    },
    "Toleration": {
        MODEL: "Lets a pod be placed on (or stay on) nodes with a matching taint.",
        "key": "The taint key it tolerates; empty with operator Exists tolerates every taint.",
        "operator": "Equal (the default) also compares the value; Exists tolerates any value.",
        "value": "The taint value to match with operator Equal; empty for Exists.",
        "effect": "The taint effect it tolerates (NoSchedule, PreferNoSchedule, NoExecute); empty means all.",
        "tolerationSeconds": "For NoExecute taints: how many seconds the pod may stay once the taint appears. "
                             "Unset means forever.",
    },
    "TopologySpreadConstraint": {
        MODEL: "Asks the scheduler to spread matching pods evenly over the values of a node label.",
        "maxSkew": "The largest allowed difference in matching pods between two domains; at least 1.",
        "topologyKey": "The node label whose values are the domains, e.g. topology.kubernetes.io/zone.",
        "whenUnsatisfiable": "DoNotSchedule keeps the pod pending when the spread cannot be met; "
                             "ScheduleAnyway only prefers nodes that reduce the skew.",
        "labelSelector": "Which pods are counted.",
        "minDomains": "The least number of domains to spread over; only with DoNotSchedule.",
        "matchLabelKeys": "Label keys of this pod whose values are added to the selector.",
        "nodeAffinityPolicy": "Honor (the default) counts only nodes the pod's node affinity allows; Ignore "
                              "counts all.",
        "nodeTaintsPolicy": "Honor counts only nodes whose taints the pod tolerates; Ignore (the default) "
                            "counts all.",
    },
    "PodStatus": {
        MODEL: "What a pod is doing, as observed. May lag behind reality.",
        "phase": "Where the pod is in its life: Pending, Running, Succeeded, Failed or Unknown.",
        "conditions": "Checkpoints the pod has passed, such as PodScheduled and Ready.",
        "containerStatuses": "The state of each main container.",
        "initContainerStatuses": "The state of each init container.",
        "hostIP": "The address of the node the pod runs on.",
        "hostIPs": "All addresses of the node, IPv4 and IPv6 (stored as given, not checked).",
        "podIP": "The pod's own address.",
        "podIPs": "All addresses of the pod, IPv4 and IPv6 (stored as given, not checked).",
        "startTime": "When the node agent accepted the pod. " + _TIME,
        "reason": "A CamelCase word saying why the pod is in its state, e.g. Evicted.",
        "message": "A sentence on why the pod is in its state.",
        "nominatedNodeName": "The node a preempting pod is expected to land on once victims are gone.",
        "qosClass": "The quality-of-service class from the containers' requests and limits: Guaranteed, "
                    "Burstable or BestEffort.",
    },
    "PodCondition": {
        MODEL: "One checkpoint of a pod's life and whether it holds now.",
        "type": "Which condition: PodScheduled, Initialized, ContainersReady, Ready, ...",
        "status": _STATUS_VALUE,
        "reason": _REASON,
        "message": _MESSAGE,
        "lastTransitionTime": "When status last changed. " + _TIME,
        "lastProbeTime": "When the condition was last checked. " + _TIME,
    },
    "ContainerStatus": {
        MODEL: "The observed state of one container of a pod.",
        "name": "The container's name, as in the pod's spec.",
        "state": "What the container is doing now.",
        "lastState": "How the container's previous run ended, if it was restarted.",
        "ready": "Whether the container is ready for traffic.",
        "restartCount": "How many times the container was restarted.",
        "image": "The image the container runs.",
        "imageID": "The exact image (digest) the container runs.",
        "containerID": "The runtime's id of the container, as <runtime>://<id>.",
        "started": "Whether the container has started (and passed its startup probe, if any).",
    },
    "ContainerState": {
        MODEL: "The state of a container: exactly one of waiting, running or terminated is set.",
        "waiting": "The container has not started yet.",
        "running": "The container is running.",
        "terminated": "The container has finished.",
    },
    "ContainerStateWaiting": {
        MODEL: "Why a container has not started.",
        "reason": "A CamelCase word for why, e.g. ContainerCreating or CrashLoopBackOff.",
        "message": "More detail on why.",
    },
    "ContainerStateRunning": {
        MODEL: "A container that is running.",
        "startedAt": "When the container started. " + _TIME,
    },
    "ContainerStateTerminated": {
        MODEL: "How a container's run ended.",
        "exitCode": "The process's exit code.",
        "signal": "The signal that ended the process, if one did.",
        "reason": "A CamelCase word for why, e.g. Completed or Error.",
        "message": "More detail on why.",
        "startedAt": "When the run started. " + _TIME,
        "finishedAt": "When the run ended. " + _TIME,
        "containerID": "The runtime's id of the container that ran.",
    },
    # ---- core/v1 Node ----
    "Node": {
        MODEL: "A machine pods run on. Its node agent registers it and reports its state.",
        "spec": "How the node should be used.",
        "status": "What the node agent last reported about the node. Written through the status "
                  "subresource.",
    },
    "NodeSpec": {
        MODEL: "How a node should be used.",
        "unschedulable": "When true (kubectl cordon), no new pods are placed on the node.",
        "taints": "Marks that keep pods away unless they tolerate them.",
        "podCIDR": "The address range given to pods on this node.",
        "podCIDRs": "The address ranges given to pods on this node, at most one per IP family.",
        "providerID": "The node's id at its infrastructure provider.",
    },
    "Taint": {
        MODEL: "A mark on a node that repels pods which do not tolerate it.",
        "key": "The taint's key.",
        "value": "The taint's value.",
        "effect": "What happens to pods that do not tolerate it: NoSchedule (not placed there), "
                  "PreferNoSchedule (avoided) or NoExecute (also evicted).",
        "timeAdded": "When a NoExecute taint was added. " + _TIME,
    },
    "NodeStatus": {
        MODEL: "The observed state of a node.",
        "capacity": "The total amount of each resource on the node.",
        "allocatable": "The amount of each resource pods may use; the scheduler places pods against this.",
        "conditions": "Health checks of the node, such as Ready.",
        "addresses": "How to reach the node (InternalIP, ExternalIP, Hostname).",
        "nodeInfo": "Versions and ids of the node's software and hardware.",
        "daemonEndpoints": "Where the node agent listens.",
        "phase": "Old life-cycle phase of a node; no longer set.",
        "images": "Images present on the node (stored as given, not checked).",
    },
    "NodeCondition": {
        MODEL: "One health check of a node and whether it holds now.",
        "type": "Which condition: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.",
        "status": _STATUS_VALUE,
        "lastHeartbeatTime": "When the node agent last confirmed the condition. " + _TIME,
        "lastTransitionTime": "When status last changed. " + _TIME,
        "reason": _REASON,
        "message": _MESSAGE,
    },
    "NodeAddress": {
        MODEL: "One address of a node.",
        "type": "What kind of address: Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.",
        "address": "The address.",
    },
    "NodeSystemInfo": {
        MODEL: "Ids and versions the node agent reports about its machine.",
        "machineID": "The machine id (/etc/machine-id).",
        "systemUUID": "The hardware's UUID.",
        "bootID": "An id that changes with every boot.",
        "kernelVersion": "The kernel version (uname -r).",
        "osImage": "The operating system's name and version.",
        "containerRuntimeVersion": "The container runtime, as <runtime>://<version>.",
        "kubeletVersion": "The version of the node agent.",
        "kubeProxyVersion": "The version of the service proxy; not reported any more.",
        "operatingSystem": "The operating system, e.g. linux.",
        "architecture": "The processor architecture, e.g. amd64.",
    },
    "NodeDaemonEndpoints": {
        MODEL: "Ports that daemons on the node listen on.",
        "kubeletEndpoint": "Where the node agent serves (logs, exec).",
    },
    "DaemonEndpoint": {
        MODEL: "A port a daemon listens on.",
        "Port": "The port number.",
    },
    # ---- core/v1 Namespace, Event, ConfigMap ----
    "Namespace": {
        MODEL: "A scope for names: most objects live in a namespace, and access rules can be given per "
               "namespace.",
        "spec": "How the namespace should be handled.",
        "status": "The observed state of the namespace.",
    },
    "NamespaceSpec": {
        MODEL: "How a namespace should be handled.",
        "finalizers": "Tasks that must finish before the namespace is removed from storage. Defaults to "
                      "[\"kubernetes\"].",
    },
    "NamespaceStatus": {
        MODEL: "The observed state of a namespace.",
        "phase": "Active, or Terminating once deletion started (no new objects may be made in it then).",
        "conditions": "Details of the namespace's state, such as why deletion is stuck (stored as given, not "
                      "checked).",
    },
    "Event": {
        MODEL: "A report that something happened to an object, e.g. a pod was scheduled or a container "
               "failed. Events are kept for a limited time.",
        "involvedObject": "The object the event is about.",
        "reason": "A short CamelCase word for what happened, e.g. Scheduled.",
        "message": "A sentence for people on what happened.",
        "type": "Normal, or Warning for something worth a look.",
        "source": "The component that reported the event.",
        "count": "How many times this event happened.",
        "firstTimestamp": "When the event happened first. " + _TIME,
        "lastTimestamp": "When the event happened last. " + _TIME,
        "eventTime": "When the event happened, with microseconds. " + _TIME,
        "reportingComponent": "The controller that reported the event, e.g. default-scheduler.",
        "reportingInstance": "Which instance of that controller reported it, e.g. its host name.",
        "action": "What the reporter did or failed to do, e.g. Binding.",
        "related": "A second object the event concerns, if any.",
        "series": "Data on a repeating event (stored as given, not checked).",
    },
    "ObjectReference": {
        MODEL: "Points at an object, possibly at a part of it.",
        "kind": "Kind of the object.",
        "namespace": "Namespace of the object.",
        "name": "Name of the object.",
        "uid": "uid of the object.",
        "apiVersion": "API group and version of the object.",
        "resourceVersion": "The resourceVersion of the object this reference was made from.",
        "fieldPath": "A part of the object, e.g. spec.containers{app} for one container of a pod.",
    },
    "EventSource": {
        MODEL: "Who reported an event.",
        "component": "The component that reported it.",
        "host": "The node it was reported from.",
    },
    "ConfigMap": {
        MODEL: "Configuration as key/value pairs, for pods to read as environment variables, command-line "
               "arguments or files.",
        "data": "Text values by key. Keys are letters, digits, '-', '_' or '.'.",
        "binaryData": "Binary values by key, base64 encoded. A key may not also be in data.",
        "immutable": "When true, data and binaryData can no longer be changed (only deleted with the object).",
    },
    # ---- coordination.k8s.io/v1 ----
    "Lease": {
        MODEL: "A lock held for a limited time: node heartbeats and leader election take and renew leases.",
        "spec": "Who holds the lease and until when.",
    },
    "LeaseSpec": {
        MODEL: "Who holds a lease and for how long.",
        "holderIdentity": "The id of the current holder.",
        "leaseDurationSeconds": "How long, counted from renewTime, the holder may keep the lease without "
                                "renewing it.",
        "acquireTime": "When the current holder took the lease. " + _TIME,
        "renewTime": "When the holder last renewed the lease. " + _TIME,
        "leaseTransitions": "How many times the lease changed hands.",
    },
    # ---- rbac.authorization.k8s.io/v1 ----
    "Role": {
        MODEL: "Permissions within one namespace, given to users by a RoleBinding.",
        "rules": "What the role allows. Rules only add permissions; nothing denies.",
    },
    "ClusterRole": {
        MODEL: "Permissions over the whole cluster, or in a namespace when a RoleBinding refers to it.",
        "rules": "What the role allows. Rules only add permissions; nothing denies.",
        "aggregationRule": "When set, the rules are the union of the rules of the cluster roles it selects, "
                           "kept up to date by the server.",
    },
    "PolicyRule": {
        MODEL: "Allows some verbs on some resources, or on some non-resource URLs.",
        "verbs": "The verbs allowed (get, list, watch, create, update, patch, delete, deletecollection, ...); "
                 "\"*\" allows all.",
        "apiGroups": "The API groups of the resources; \"\" is the core group, \"*\" any group.",
        "resources": "The resources allowed, e.g. pods or pods/log; \"*\" allows all.",
        "resourceNames": "Only objects with these names; empty means any name.",
        "nonResourceURLs": "URL paths allowed when not about a resource, e.g. /healthz; a trailing * matches a "
                           "prefix. Only in cluster roles bound cluster-wide.",
    },
    "AggregationRule": {
        MODEL: "How a cluster role collects its rules from other cluster roles.",
        "clusterRoleSelectors": "Cluster roles matching any of these selectors contribute their rules.",
    },
    "RoleBinding": {
        MODEL: "Gives the permissions of a Role or ClusterRole to subjects, within the binding's namespace.",
        "roleRef": "The role granted. Cannot be changed: make a new binding instead.",
        "subjects": "Who gets the role: users, groups or service accounts.",
    },
    "ClusterRoleBinding": {
        MODEL: "Gives the permissions of a ClusterRole to subjects in every namespace.",
        "roleRef": "The cluster role granted. Cannot be changed: make a new binding instead.",
        "subjects": "Who gets the role: users, groups or service accounts.",
    },
    "RoleRef": {
        MODEL: "Names the role a binding grants.",
        "apiGroup": "The role's API group: rbac.authorization.k8s.io.",
        "kind": "Role or ClusterRole.",
        "name": "The role's name.",
    },
    "Subject": {
        MODEL: "A user, group or service account a binding grants a role to.",
        "kind": "User, Group or ServiceAccount.",
        "name": "The user's, group's or service account's name.",
        "namespace": "For a ServiceAccount, its namespace; empty for users and groups.",
        "apiGroup": "rbac.authorization.k8s.io for User and Group; empty for ServiceAccount.",
    },
    # ---- authorization.k8s.io/v1 and authentication.k8s.io/v1 ----
    "SelfSubjectAccessReview": {
        MODEL: "Asks whether the requesting user may do something (kubectl auth can-i). Only created, never "
               "stored: the answer comes back in status.",
        "spec": "The action asked about.",
        "status": "The answer, filled in by the server.",
    },
    "SelfSubjectAccessReviewSpec": {
        MODEL: "The action a review asks about: exactly one of resourceAttributes and nonResourceAttributes.",
        "resourceAttributes": "An action on a resource.",
        "nonResourceAttributes": "An action on a URL path that is not a resource.",
    },
    "ResourceAttributes": {
        MODEL: "An action on a resource, as a request would make it.",
        "namespace": "The namespace of the action; empty for cluster-wide resources or all namespaces.",
        "verb": "The verb, e.g. get, list, create; \"*\" for all.",
        "group": "The API group of the resource; \"*\" for all.",
        "version": "The API version of the resource; \"*\" for all.",
        "resource": "The resource, e.g. pods; \"*\" for all.",
        "subresource": "The subresource, e.g. log; empty for none.",
        "name": "The object's name; empty for any.",
    },
    "NonResourceAttributes": {
        MODEL: "An action on a URL path that is not a resource.",
        "path": "The URL path, e.g. /healthz.",
        "verb": "The HTTP verb in lower case, e.g. get.",
    },
    "SubjectAccessReviewStatus": {
        MODEL: "The answer to an access review.",
        "allowed": "Whether the action is allowed.",
        "denied": "Whether the action is explicitly denied. Both allowed and denied false means no opinion "
                  "(which also refuses).",
        "reason": "Why the action is allowed or not, e.g. which binding allowed it.",
        "evaluationError": "Set when the authorizer had trouble deciding, even if it still answered.",
    },
    "SelfSubjectRulesReview": {
        MODEL: "Asks for everything the requesting user may do in a namespace (kubectl auth can-i --list). Only "
               "created, never stored: the rules come back in status.",
        "spec": "The namespace asked about.",
        "status": "The rules, filled in by the server.",
    },
    "SelfSubjectRulesReviewSpec": {
        MODEL: "What a rules review asks about.",
        "namespace": "The namespace whose rules to list; cluster-wide rules are included too.",
    },
    "ResourceRule": {
        MODEL: "Actions allowed on resources, as one role rule grants them.",
        "verbs": "The allowed verbs; \"*\" for all.",
        "apiGroups": "The API groups of the resources; \"\" is the core group, \"*\" all groups.",
        "resources": "The resources, e.g. pods or pods/log; \"*\" for all.",
        "resourceNames": "Only objects with these names, when given.",
    },
    "NonResourceRule": {
        MODEL: "Actions allowed on URL paths that are not resources (/healthz, /version, ...).",
        "verbs": "The allowed HTTP verbs in lower case, e.g. get; \"*\" for all.",
        "nonResourceURLs": "The paths; a trailing \"*\" matches any path below.",
    },
    "SubjectRulesReviewStatus": {
        MODEL: "The answer to a rules review.",
        "resourceRules": "What the user may do with resources.",
        "nonResourceRules": "What the user may do with other paths.",
        "incomplete": "True when some authorizer cannot list its rules, so the list may be short.",
        "evaluationError": "Why the list is incomplete, when it is.",
    },
    "SelfSubjectReview": {
        MODEL: "Asks who the requesting user is (kubectl auth whoami). Only created, never stored: the answer "
               "comes back in status.",
        "status": "The user the request was authenticated as, filled in by the server.",
    },
    "SelfSubjectReviewStatus": {
        MODEL: "The answer to a self subject review.",
        "userInfo": "The authenticated user.",
    },
    "UserInfo": {
        MODEL: "A user as authentication saw it.",
        "username": "The user's name.",
        "uid": "An id of the user that stays the same across name changes.",
        "groups": "The groups the user belongs to.",
        "extra": "Further facts the authenticator gave, by key.",
    },
    # ---- kinds that only cross the wire (models in apiserver/transports/rest/openapi.py) ----
    "Binding": {
        MODEL: "Assigns a pod to a node: posted to a pod's binding subresource, normally by the scheduler.",
        "target": "The node to run the pod on (kind Node, its name).",
    },
    "Eviction": {
        MODEL: "Asks for a pod to be deleted, politely: posted to a pod's eviction subresource.",
        "deleteOptions": "How to delete the pod.",
    },
    "DeleteOptions": {
        MODEL: "How a delete should be carried out.",
        "apiVersion": "The API version of this document, e.g. v1.",
        "kind": "DeleteOptions.",
        "gracePeriodSeconds": "Seconds the object gets before it is removed; 0 removes it at once. Defaults to "
                              "the kind's own (30 for pods).",
        "preconditions": "Delete only if the object still matches these.",
        "orphanDependents": "Old switch for leaving dependents behind; use propagationPolicy instead.",
        "propagationPolicy": "What happens to objects this one owns: Orphan (kept), Background (deleted "
                             "afterwards) or Foreground (deleted first).",
        "dryRun": "[\"All\"] checks the delete without doing it.",
    },
    "Preconditions": {
        MODEL: "Conditions an object must meet for an operation to go ahead.",
        "uid": "The object must have this uid.",
        "resourceVersion": "The object must be at this resourceVersion.",
    },
    "ListMeta": {
        MODEL: "Bookkeeping of a list answer.",
        "resourceVersion": "The version of the store the list was read at; watch from here to see what "
                           "changed since.",
        "continue": "Set when the list was cut short by limit: send it back as continue to get the next part.",
        "remainingItemCount": "How many items are left after this part, when the server knows.",
        "selfLink": "Unused; always empty.",
    },
    "Status": {
        MODEL: "The result of a call that returns no object: most often an error, with a reason and details.",
        "apiVersion": "The API version of this document: v1.",
        "kind": "Status.",
        "metadata": "List bookkeeping; normally empty.",
        "status": "Success or Failure.",
        "message": "What went wrong, for people.",
        "reason": "A CamelCase word for what went wrong, e.g. NotFound or AlreadyExists.",
        "details": "More about the failure: which object, and each field at fault.",
        "code": "The HTTP status code of the answer.",
    },
    "StatusDetails": {
        MODEL: "Which object a failure is about, and why.",
        "name": "Name of the object.",
        "group": "API group of the object.",
        "kind": "Kind (or resource) of the object.",
        "uid": "uid of the object.",
        "causes": "Each problem found, with the field at fault.",
        "retryAfterSeconds": "How long to wait before retrying, when the server suggests it.",
    },
    "StatusCause": {
        MODEL: "One problem behind a failure.",
        "reason": "A CamelCase word for the problem, e.g. FieldValueRequired.",
        "message": "The problem, for people.",
        "field": "The field at fault, as a path such as spec.containers[0].image.",
    },
    "WatchEvent": {
        MODEL: "One change seen by a watch.",
        "type": "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.",
        "object": "The object as it is after the change (before it, for DELETED), or a Status for ERROR.",
    },
    # ---- schemas that are not models ----
    "Quantity": {
        MODEL: "An amount written as a number with an optional suffix: binary Ki, Mi, Gi, Ti, Pi, Ei; decimal "
               "n, u, m, k, M, G, T, P, E; or an exponent such as 1e3. \"250m\" of cpu is a quarter core, "
               "\"128Mi\" of memory 128 x 2^20 bytes.",
    },
    "Patch": {
        MODEL: "The body of a PATCH request, in the format its Content-Type names: JSON patch, JSON merge "
               "patch, or a server-side apply configuration.",
    },
}

LIST_KIND = "A list of {kind} objects, as a list request returns them."
LIST_FIELDS: dict[str, str] = {
    "apiVersion": "The API group and version of the list.",
    "kind": "The type of the list, e.g. \"PodList\".",
    "metadata": "The version the list was read at, and where to continue if it was cut short.",
    "items": "The objects.",
}


def model_description(model: type[BaseModel] | str) -> str | None:
    """The description of a model (or of the schema-only type named so, e.g. "Quantity"), None if missing."""
    name = model if isinstance(model, str) else model.__name__
    return DESCRIPTIONS.get(name, {}).get(MODEL)


def field_description(model: type[BaseModel], field: str) -> str | None:
    """The description of a field, looked up in the model and then its bases."""
    for cls in model.__mro__:
        text = DESCRIPTIONS.get(cls.__name__, {}).get(field)
        if text is not None:
            return text
    return None


def _merge_workloads() -> None:
    from kubelite.api.workload_descriptions import WORKLOAD_DESCRIPTIONS

    for model, fields in WORKLOAD_DESCRIPTIONS.items():
        DESCRIPTIONS.setdefault(model, {}).update({MODEL if key == "" else key: text for key, text in fields.items()})


_merge_workloads()
