import { k8s } from "cdk8s-plus-34";
import { z } from "zod";
import { defineComponent } from "../component.ts";
import { ensureNamespace } from "../namespace.ts";
import { answersAnnotation, netexecAnswers } from "./answers.ts";
import {
  AGNHOST_IMAGE,
  APPS_NAMESPACE,
  ECHO_HTTP_PORT,
  ECHO_UDP_PORT,
  HTTP_PORT_NAME,
  SERVICE_HTTP_PORT,
  UDP_PORT_NAME,
  WEB,
} from "./names.ts";
import { appLabels, appReadyGate } from "./workload.ts";

const WEB_ARGS = ["netexec", `--http-port=${ECHO_HTTP_PORT}`, `--udp-port=${ECHO_UDP_PORT}`];

const options = z.strictObject({
  replicas: z.number().int().min(1).max(5).default(2),
  namespace: z.string().default(APPS_NAMESPACE),
});
export type WebOptions = z.output<typeof options>;

/**
 * A StatefulSet behind a headless Service of the same name: each pod keeps its ordinal name and
 * gets its own DNS record, `web-0.web.<ns>.svc.cluster.local`, pointing at its current pod IP.
 */
export const web = defineComponent({
  kind: "app",
  name: "web",
  title: "web (StatefulSet + headless Service)",
  summary: "Pods with stable names and per-pod DNS records (web-0.web.<ns>.svc.cluster.local).",
  options,
  gates: (o) => [appReadyGate("statefulset-ready", o.namespace, WEB.statefulSet, "every web pod is Ready")],
  build: (ctx, o) => {
    const chart = ctx.stage("apps");
    ensureNamespace(chart, o.namespace);
    const labels = appLabels(WEB.app);
    const selector = { app: WEB.app };
    new k8s.KubeService(chart, "web-service", {
      metadata: { name: WEB.service, namespace: o.namespace, labels },
      spec: {
        // Headless: no virtual IP; DNS holds one A record per ready pod, plus the per-pod names.
        clusterIp: "None",
        selector,
        ports: [
          {
            name: HTTP_PORT_NAME,
            port: SERVICE_HTTP_PORT,
            targetPort: k8s.IntOrString.fromNumber(ECHO_HTTP_PORT),
            protocol: "TCP",
          },
        ],
      },
    });
    new k8s.KubeStatefulSet(chart, "web", {
      metadata: { name: WEB.statefulSet, namespace: o.namespace, labels },
      spec: {
        serviceName: WEB.service,
        replicas: o.replicas,
        // Pods start together: ordinal order teaches nothing here and slows `labs up`.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: answersAnnotation(netexecAnswers(WEB_ARGS)) },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: "netexec",
                image: AGNHOST_IMAGE,
                imagePullPolicy: "IfNotPresent",
                // netexec's /healthz turns 200 only once its UDP server runs: keep UDP on.
                args: WEB_ARGS,
                ports: [
                  { name: HTTP_PORT_NAME, containerPort: ECHO_HTTP_PORT, protocol: "TCP" },
                  { name: UDP_PORT_NAME, containerPort: ECHO_UDP_PORT, protocol: "UDP" },
                ],
                readinessProbe: {
                  httpGet: { path: "/healthz", port: k8s.IntOrString.fromNumber(ECHO_HTTP_PORT) },
                  periodSeconds: 2,
                },
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("10m"), memory: k8s.Quantity.fromString("16Mi") },
                  limits: { memory: k8s.Quantity.fromString("64Mi") },
                },
                securityContext: { allowPrivilegeEscalation: false, privileged: false },
              },
            ],
          },
        },
      },
    });
  },
});
