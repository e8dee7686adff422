import { warning } from "../../model/findings.ts";
import type { K8sObject } from "../../model/k8s-object.ts";
import { pin, pinnedVersion } from "../../upstream/pins.ts";
import { routeBackendFindings } from "../apps/route-backends.ts";
import { defineComponent } from "../component.ts";
import { scaledToZero } from "../fault.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { addAppIngress } from "./app-ingress.ts";

export const INGRESS_NGINX_VERSION = pinnedVersion("ingress-nginx");
export const INGRESS_NGINX_MANIFEST = pin("ingress-nginx/kind-deploy.yaml");
export const INGRESS_NGINX_NAMESPACE = "ingress-nginx";
export const INGRESS_NGINX_CONTROLLER = "ingress-nginx-controller";
/** The IngressClass the upstream kind manifest creates. */
export const INGRESS_NGINX_CLASS = "nginx";
/** The node label kind's ingress guide uses to pin the controller to the node with the port mappings. */
export const INGRESS_READY_LABEL = { "ingress-ready": "true" } as const;

/**
 * The one change labs makes to upstream's kind manifest: the controller's hostPorts 80/443 are
 * only reachable from the host on the node that has the port mappings, so the controller must
 * run there. Upstream's manifest tolerates the control-plane taint but no longer selects a node.
 */
export function pinControllerToIngressNode(o: K8sObject): K8sObject {
  if (o.kind !== "Deployment" || o.metadata?.name !== INGRESS_NGINX_CONTROLLER) return o;
  const pod = o.spec.template.spec;
  pod.nodeSelector = { ...(pod.nodeSelector ?? {}), ...INGRESS_READY_LABEL };
  return o;
}

/** ingress-nginx from its kind manifest: the classic Ingress controller, retired upstream. */
export const ingressNginx = defineComponent({
  kind: "ingress",
  name: "ingress-nginx",
  title: "ingress-nginx",
  version: INGRESS_NGINX_VERSION,
  summary:
    "NGINX answers on hostPorts 80/443 of the node with the port mappings and routes Ingress rules to Services.",
  serves: () =>
    "ingress-nginx serves Ingresses of class nginx on hostPorts 80/443 of the ingress node, mapped to the host",
  rules: (_o, lab) => [
    warning(
      "northSouth.ingress",
      "ingress-nginx is retired upstream (its last release is controller-v1.15.1): kept to teach the classic Ingress",
      'for new work use Gateway API (northSouth.gateway "envoy-gateway", or "cilium" on Cilium) or cloud-provider-kind\'s Ingress (northSouth.ingress "cloud-provider-kind")',
    ),
    ...routeBackendFindings(lab, "northSouth.ingress", "ingress-nginx"),
  ],
  artifacts: () => [INGRESS_NGINX_MANIFEST],
  kindConfig: (_o, lab) => ({
    extraPortMappings: [
      { containerPort: 80, hostPort: lab.spec.hostPorts.ingressHttp },
      { containerPort: 443, hostPort: lab.spec.hostPorts.ingressHttps },
    ],
    ingressNodeLabels: { ...INGRESS_READY_LABEL },
  }),
  gates: () => [
    {
      stage: "platform",
      kind: "deployment-available",
      namespace: INGRESS_NGINX_NAMESPACE,
      name: INGRESS_NGINX_CONTROLLER,
      timeoutSeconds: 240,
      description: "the ingress-nginx controller (and its admission webhook) is Available",
    },
  ],
  inspections: () => [
    {
      id: "ingress-nginx-hostport",
      title: "The controller's hostPorts on the ingress node",
      on: "control-plane",
      command: ["sh", "-c", "iptables-save -t nat | grep -E 'HOSTPORT.*dport (80|443)' || true"],
      explains:
        "hostPort 80/443 is not a listening socket on the node: the portmap CNI plugin writes DNAT rules to the controller pod (a CNI replacing kube-proxy does it in eBPF, and this list stays empty).",
    },
  ],
  build: (ctx) => {
    const objects = parseManifest(ctx.readArtifact(INGRESS_NGINX_MANIFEST).toString("utf8"));
    includeUpstream(ctx.stage("platform"), "ingress-nginx", objects, pinControllerToIngressNode);
    addAppIngress(ctx, INGRESS_NGINX_CLASS);
  },
  faults: () => {
    const scale = scaledToZero([
      {
        namespace: INGRESS_NGINX_NAMESPACE,
        name: INGRESS_NGINX_CONTROLLER,
        variable: "REPLICAS",
        what: "the ingress-nginx controller",
      },
    ]);
    return {
      faults: [
        {
          id: "ingress-controller-stopped",
          layer: "north-south",
          title: "the ingress-nginx controller scaled to zero",
          does: "scales the ingress-nginx controller to zero: nothing answers on the ingress node's hostPorts 80/443 any more",
          undo: "scales the controller back to the replicas it had and waits until it is available",
          effect: { kind: "north-south-down", serves: "ingress" },
          observe:
            "Every Ingress check fails, its 404 for an unknown path too (that 404 came from the controller); the same Services inside the cluster, and their NodePorts, still answer.",
          look: [
            {
              run: {
                kubectl: [
                  "--namespace",
                  INGRESS_NGINX_NAMESPACE,
                  "get",
                  "deployment",
                  INGRESS_NGINX_CONTROLLER,
                ],
              },
              shows: "0/0 ready",
            },
            {
              run: { kubectl: ["get", "ingress", "--all-namespaces"] },
              shows: "the Ingresses, unchanged: nothing serves them",
            },
          ],
          ...scale,
        },
      ],
    };
  },
});
