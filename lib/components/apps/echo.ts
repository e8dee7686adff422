import { ApiObject, JsonPatch } from "cdk8s";
import { Deployment, k8s, LabelSelector, Service, ServiceType } from "cdk8s-plus-34";
import type { Construct } from "constructs";
import { z } from "zod";
import { defineComponent } from "../component.ts";
import { ensureNamespace } from "../namespace.ts";
import { answersAnnotation, netexecAnswers } from "./answers.ts";
import {
  AGNHOST_IMAGE,
  APPS_NAMESPACE,
  ECHO,
  ECHO_HTTP_PORT,
  ECHO_NODE_PORT_HTTP,
  ECHO_NODE_PORT_UDP,
  ECHO_UDP_PORT,
  HTTP_PORT_NAME,
  SERVICE_HTTP_PORT,
  UDP_PORT_NAME,
  VERSION_LABEL,
} from "./names.ts";
import { appLabels, appReadyGate, netexecContainer, netexecServicePorts } from "./workload.ts";

export { AGNHOST_IMAGE, APPS_NAMESPACE, ECHO_HTTP_PORT, ECHO_UDP_PORT };

const options = z.strictObject({
  /** Pods behind the Services; spread over nodes so cross-node paths exist. */
  replicas: z.number().int().min(1).max(10).default(3),
  /** Namespace of the app. */
  namespace: z.string().default(APPS_NAMESPACE),
});
export type EchoOptions = z.output<typeof options>;

/** HTTP and UDP ports of every echo Service, with fixed nodePorts where the type allocates them. */
function echoPorts(nodePorts: boolean): k8s.ServicePort[] {
  return [
    {
      name: HTTP_PORT_NAME,
      port: SERVICE_HTTP_PORT,
      targetPort: k8s.IntOrString.fromNumber(ECHO_HTTP_PORT),
      protocol: "TCP",
      ...(nodePorts ? { nodePort: ECHO_NODE_PORT_HTTP } : {}),
    },
    {
      name: UDP_PORT_NAME,
      port: ECHO_UDP_PORT,
      targetPort: k8s.IntOrString.fromNumber(ECHO_UDP_PORT),
      protocol: "UDP",
      ...(nodePorts ? { nodePort: ECHO_NODE_PORT_UDP } : {}),
    },
  ];
}

/**
 * The Services that reach echo from outside the cluster: a NodePort with fixed ports, and two
 * LoadBalancers that differ only in externalTrafficPolicy, so probes can compare source NAT
 * (Cluster) with the client address kept (Local). Without a load balancer in the lab the two
 * LoadBalancer Services stay <pending>; the probes read that from the lab's capabilities.
 */
function externalServices(scope: Construct, namespace: string, labels: Record<string, string>): void {
  const selector = { app: ECHO.app };
  const metadata = (name: string) => ({ name, namespace, labels });
  new k8s.KubeService(scope, "echo-nodeport", {
    metadata: metadata(ECHO.services.nodePort),
    spec: { type: "NodePort", selector, ports: echoPorts(true) },
  });
  new k8s.KubeService(scope, "echo-lb", {
    metadata: metadata(ECHO.services.loadBalancer),
    spec: { type: "LoadBalancer", externalTrafficPolicy: "Cluster", selector, ports: echoPorts(false) },
  });
  new k8s.KubeService(scope, "echo-lb-local", {
    metadata: metadata(ECHO.services.loadBalancerLocal),
    spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", selector, ports: echoPorts(false) },
  });
}

/** The echo backend: agnhost netexec behind ClusterIP, headless, NodePort and LoadBalancer Services. */
export const echo = defineComponent({
  kind: "app",
  name: "echo",
  title: "echo (agnhost netexec)",
  summary:
    "HTTP and UDP echo backend that tells who answered (/hostname) and whom it saw (/clientip), behind every Service type.",
  options,
  // The NodePort is mapped to a host port so the host reaches it even where the node IPs are
  // not routable from the host (Docker Desktop on macOS and Windows).
  kindConfig: (_o, lab) => ({
    extraPortMappings: [{ containerPort: ECHO_NODE_PORT_HTTP, hostPort: lab.spec.hostPorts.nodePort }],
  }),
  gates: (o) => [
    appReadyGate("deployment-available", o.namespace, ECHO.deployment, "every echo replica is Available"),
  ],
  build: (ctx, o) => {
    const chart = ctx.stage("apps");
    ensureNamespace(chart, o.namespace);
    const labels = appLabels(ECHO.app);
    const podLabels = { ...labels, [VERSION_LABEL]: "v1" };
    const args = ["netexec", `--http-port=${ECHO_HTTP_PORT}`, `--udp-port=${ECHO_UDP_PORT}`];
    const deployment = new Deployment(chart, "echo", {
      metadata: { name: ECHO.deployment, namespace: o.namespace, labels },
      replicas: o.replicas,
      select: false,
      podMetadata: { labels: podLabels, annotations: answersAnnotation(netexecAnswers(args)) },
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: false },
      containers: [netexecContainer(args)],
    });
    deployment.select(LabelSelector.of({ labels: { app: ECHO.app } }));
    // One pod per node where possible: same-node and cross-node paths both exist.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add("/spec/template/spec/topologySpreadConstraints", [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { app: ECHO.app } },
        },
      ]),
    );
    const ports = netexecServicePorts();
    const clusterIp = new Service(chart, "echo-service", {
      metadata: { name: ECHO.services.clusterIP, namespace: o.namespace, labels },
      type: ServiceType.CLUSTER_IP,
      ports,
    });
    clusterIp.selectLabel("app", ECHO.app);
    // Headless: DNS answers with every ready pod IP instead of one virtual IP.
    const headless = new Service(chart, "echo-headless", {
      metadata: { name: ECHO.services.headless, namespace: o.namespace, labels },
      clusterIP: "None",
      ports,
    });
    headless.selectLabel("app", ECHO.app);
    externalServices(chart, o.namespace, labels);
  },
});
