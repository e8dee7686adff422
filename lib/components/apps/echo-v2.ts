import { Deployment, LabelSelector, Service, ServiceType } from "cdk8s-plus-34";
import { z } from "zod";
import { defineComponent } from "../component.ts";
import { ensureNamespace } from "../namespace.ts";
import { answersAnnotation, netexecAnswers } from "./answers.ts";
import { APPS_NAMESPACE, ECHO_HTTP_PORT, ECHO_UDP_PORT, ECHO_V2, VERSION_LABEL } from "./names.ts";
import { appLabels, appReadyGate, netexecContainer, netexecServicePorts } from "./workload.ts";

const options = z.strictObject({
  replicas: z.number().int().min(1).max(10).default(2),
  /** Must be echo's namespace: routes send traffic to both without cross-namespace grants. */
  namespace: z.string().default(APPS_NAMESPACE),
});
export type EchoV2Options = z.output<typeof options>;

/**
 * A second version of echo: the same agnhost netexec, but every HTTP path answers as /hostname
 * (`--http-override`), so whatever path a route forwards (`/v2`, `/v2/anything`) the reply names
 * an `echo-v2-…` pod. Header routing and the 80/20 split are proven by counting those names.
 */
export const echoV2 = defineComponent({
  kind: "app",
  name: "echo-v2",
  title: "echo v2 (agnhost netexec, every path answers its pod name)",
  summary:
    "A second version of echo behind its own Service, the target of header routing and traffic splits.",
  options,
  gates: (o) => [
    appReadyGate(
      "deployment-available",
      o.namespace,
      ECHO_V2.deployment,
      "every echo-v2 replica is Available",
    ),
  ],
  build: (ctx, o) => {
    const chart = ctx.stage("apps");
    ensureNamespace(chart, o.namespace);
    const labels = appLabels(ECHO_V2.app);
    const args = [
      "netexec",
      `--http-port=${ECHO_HTTP_PORT}`,
      `--udp-port=${ECHO_UDP_PORT}`,
      "--http-override=/hostname",
    ];
    const deployment = new Deployment(chart, "echo-v2", {
      metadata: { name: ECHO_V2.deployment, namespace: o.namespace, labels },
      replicas: o.replicas,
      select: false,
      podMetadata: {
        labels: { ...labels, [VERSION_LABEL]: ECHO_V2.version },
        // Every path answers the pod name, so it can prove a route reached it, but it cannot
        // echo a header or the client address: the planner sends it no such check.
        annotations: answersAnnotation(netexecAnswers(args)),
      },
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: false },
      containers: [netexecContainer(args)],
    });
    deployment.select(LabelSelector.of({ labels: { app: ECHO_V2.app } }));
    const service = new Service(chart, "echo-v2-service", {
      metadata: { name: ECHO_V2.service, namespace: o.namespace, labels },
      type: ServiceType.CLUSTER_IP,
      ports: netexecServicePorts(),
    });
    service.selectLabel("app", ECHO_V2.app);
  },
});
