/**
 * kwok's stages for the harness: what a kubelet would report, without running anything. kwok v0.8
 * plays `Stage` objects (kwok.x-k8s.io/v1alpha1) read from its --config file: a selector over the
 * object and a status template rendered with Go templates and kwok's functions (Now, NodeIPsWith,
 * PodIPsWith). See sigs.k8s.io/kwok@v0.8.0 pkg/apis/v1alpha1/stage_types.go.
 *
 * - nodes turn Ready (the kubelet's KubeletReady), whatever the pod network: a kwok node is Ready
 *   even before a CNI is installed, which is why the harness never counts a nodes-ready gate as
 *   proof (see gate-checks.ts);
 * - a pod bound to a node becomes Running and Ready with its containers started (init containers
 *   completed, sidecars running), with a pod IP from the node's podCIDR or, on the host network,
 *   the node's address;
 * - a Job's pod completes; a pod being deleted goes at once (no kubelet to wait for).
 */
import { stringify } from "yaml";

const stage = (name: string, kind: "Node" | "Pod", selector: unknown[], next: Record<string, unknown>) => ({
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name },
  spec: { resourceRef: { apiGroup: "v1", kind }, selector: { matchExpressions: selector }, next },
});

const notDeleted = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
const readyIsNot = (value: string) => ({
  key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
  operator: "NotIn",
  values: [value],
});

const NODE_READY = `{{ $now := Now }}
conditions:
- type: Ready
  status: "True"
  reason: KubeletReady
  message: "kwok stands in for the kubelet"
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ range (list "MemoryPressure:KubeletHasSufficientMemory" "DiskPressure:KubeletHasNoDiskPressure" "PIDPressure:KubeletHasSufficientPID") }}
- type: {{ (split ":" .)._0 }}
  status: "False"
  reason: {{ (split ":" .)._1 }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
`;

const POD_RUNNING = `{{ $now := Now }}
phase: Running
startTime: {{ $now | Quote }}
conditions:
{{ range (list "Initialized" "ContainersReady" "Ready" "PodReadyToStartContainers") }}
- type: {{ . }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
{{ range .spec.readinessGates }}
- type: {{ .conditionType | Quote }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  restartCount: 0
{{ if eq .restartPolicy "Always" }}
  ready: true
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ else }}
  ready: true
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
{{ end }}
{{ with NodeIPsWith .spec.nodeName }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
`;

const POD_SUCCEEDED = `{{ $now := Now }}
phase: Succeeded
conditions:
- type: Ready
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
`;

export function kwokStages(): string {
  const stages = [
    stage("labs-node-ready", "Node", [readyIsNot("True")], { statusTemplate: NODE_READY }),
    stage(
      "labs-pod-running",
      "Pod",
      [notDeleted, { key: ".status.phase", operator: "In", values: ["Pending"] }, readyIsNot("True")],
      { statusTemplate: POD_RUNNING },
    ),
    stage(
      "labs-job-pod-complete",
      "Pod",
      [
        notDeleted,
        { key: ".status.phase", operator: "In", values: ["Running"] },
        { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
      ],
      { statusTemplate: POD_SUCCEEDED },
    ),
    stage("labs-pod-delete", "Pod", [{ key: ".metadata.deletionTimestamp", operator: "Exists" }], {
      delete: true,
    }),
  ];
  return stages.map((s) => stringify(s, { lineWidth: 0 })).join("---\n");
}
