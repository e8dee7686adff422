/**
 * Which of a lab's readiness gates mean something on this control plane, and what a pass proves.
 *
 * - `checked`: decided by the real API server or a real built-in controller from the lab's own
 *   objects (a CRD's Established condition comes from the API server itself).
 * - `scheduled`: a workload or pod of the lab's own manifests. The runtime's gate runs and must
 *   pass, which needs the real controllers to make the pods and the real kube-scheduler to place
 *   every one of them (node selectors, tolerations, host ports, anti-affinity). Readiness itself
 *   comes from kwok, which reports pods Ready without running a container: what that readiness
 *   would prove on kind (the agent started, the probe answered) is not checkable here, and the
 *   output says so next to the gate.
 * - `not-checkable`: the object is made at run time by something that does not run here (an
 *   operator such as tigera-operator, kind's own kindnet, kubeadm's add-ons), the condition is
 *   set by a component's controller (tigerastatus Available, GatewayClass Accepted, Gateway
 *   Programmed), or the answer is kwok's (nodes-ready: a kwok node is Ready without any CNI).
 *   These gates are not run; the output lists them as "not checkable without a cluster".
 */
import type { Gate } from "../../lib/components/component.ts";
import type { K8sObject } from "./manifests.ts";

export type GateCheck =
  | { mode: "checked" | "scheduled"; gate: Gate }
  | { mode: "not-checkable"; gate: Gate; reason: string };

/** Kinds whose readiness the built-in controllers compute from their pods. */
const WORKLOAD_OF: Partial<Record<Gate["kind"], string>> = {
  "daemonset-rolled-out": "DaemonSet",
  "deployment-available": "Deployment",
  "statefulset-ready": "StatefulSet",
};

/** Short resource names as kubectl takes them, to the kind they name. */
const RESOURCE_KIND: Record<string, string> = {
  pod: "Pod",
  pods: "Pod",
  po: "Pod",
  deployment: "Deployment",
  deployments: "Deployment",
  deploy: "Deployment",
  daemonset: "DaemonSet",
  daemonsets: "DaemonSet",
  ds: "DaemonSet",
  statefulset: "StatefulSet",
  statefulsets: "StatefulSet",
  sts: "StatefulSet",
  customresourcedefinition: "CustomResourceDefinition",
  customresourcedefinitions: "CustomResourceDefinition",
  crd: "CustomResourceDefinition",
};

export function classifyGate(gate: Gate, labObjects: K8sObject[]): GateCheck {
  const has = (kind: string, name: string, namespace?: string) =>
    labObjects.some(
      (o) =>
        o.kind === kind &&
        o.metadata?.name === name &&
        (namespace === undefined || (o.metadata?.namespace ?? "default") === namespace),
    );
  switch (gate.kind) {
    case "crds-established": {
      const foreign = gate.names.filter((n) => !has("CustomResourceDefinition", n));
      if (foreign.length)
        return notCheckable(
          gate,
          `CRDs ${foreign.join(", ")} are not in the lab's manifests (made at run time)`,
        );
      return { mode: "checked", gate };
    }
    case "nodes-ready":
      return notCheckable(
        gate,
        "node readiness comes from the kubelet once the CNI has written its config; kwok reports every node Ready without a pod network",
      );
    case "condition": {
      const [resource = "", name = ""] = gate.resource.split("/");
      const kind = RESOURCE_KIND[resource.toLowerCase()];
      if (!kind || !name)
        return notCheckable(
          gate,
          `condition ${gate.condition} of ${gate.resource} is set by its component's controller, which does not run here`,
        );
      if (!has(kind, name, kind === "CustomResourceDefinition" ? undefined : (gate.namespace ?? "default")))
        return notCheckable(gate, `${gate.resource} is not in the lab's manifests (made at run time)`);
      if (kind === "CustomResourceDefinition") return { mode: "checked", gate };
      return { mode: "scheduled", gate };
    }
    default: {
      const kind = WORKLOAD_OF[gate.kind];
      if (!kind) return notCheckable(gate, `gate kind ${gate.kind} is unknown to the harness`);
      if (!has(kind, gate.name, gate.namespace))
        return notCheckable(
          gate,
          `${kind} ${gate.namespace}/${gate.name} is not in the lab's manifests: it is made at run time (by an operator, or by kind/kubeadm on the node image)`,
        );
      return { mode: "scheduled", gate };
    }
  }
}

function notCheckable(gate: Gate, reason: string): GateCheck {
  return { mode: "not-checkable", gate, reason };
}
