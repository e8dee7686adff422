import { Size } from "cdk8s";
import {
  type ContainerProps,
  type ContainerSecurityContextProps,
  Cpu,
  ImagePullPolicy,
  Protocol,
  type ServicePort,
} from "cdk8s-plus-34";
import type { Gate } from "../component.ts";
import {
  AGNHOST_IMAGE,
  ECHO_HTTP_PORT,
  ECHO_UDP_PORT,
  HTTP_PORT_NAME,
  SERVICE_HTTP_PORT,
  UDP_PORT_NAME,
} from "./names.ts";

/**
 * Settings every lab workload states explicitly. cdk8s-plus defaults (runAsNonRoot,
 * readOnlyRootFilesystem, 1 CPU requests) break stock images and laptops.
 */
export const LAB_CONTAINER_SECURITY: ContainerSecurityContextProps = {
  ensureNonRoot: false,
  readOnlyRootFilesystem: false,
  allowPrivilegeEscalation: false,
  privileged: false,
};

/** Small requests: a lab of several apps runs on a laptop next to a few kind nodes. */
export function smallResources(
  cpuMillis = 10,
  memoryMiB = 16,
  memoryLimitMiB = 64,
): NonNullable<ContainerProps["resources"]> {
  return {
    cpu: { request: Cpu.millis(cpuMillis) },
    memory: { request: Size.mebibytes(memoryMiB), limit: Size.mebibytes(memoryLimitMiB) },
  };
}

/** Labels probes select on: `app` names the workload, `labs.dev/role` says what it is for. */
export function appLabels(app: string, role = "backend"): Record<string, string> {
  return { app, "labs.dev/role": role, "app.kubernetes.io/part-of": "labs" };
}

/** agnhost netexec answering HTTP and UDP on the echo ports: the container of echo and echo-v2. */
export function netexecContainer(args: string[]): ContainerProps {
  return {
    name: "netexec",
    image: AGNHOST_IMAGE,
    imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
    args,
    ports: [
      { name: HTTP_PORT_NAME, number: ECHO_HTTP_PORT, protocol: Protocol.TCP },
      { name: UDP_PORT_NAME, number: ECHO_UDP_PORT, protocol: Protocol.UDP },
    ],
    securityContext: LAB_CONTAINER_SECURITY,
    resources: smallResources(),
  };
}

/** The ports of every Service in front of netexec: HTTP on the usual Service port, UDP as is. */
export function netexecServicePorts(): ServicePort[] {
  return [
    { name: HTTP_PORT_NAME, port: SERVICE_HTTP_PORT, targetPort: ECHO_HTTP_PORT, protocol: Protocol.TCP },
    { name: UDP_PORT_NAME, port: ECHO_UDP_PORT, targetPort: ECHO_UDP_PORT, protocol: Protocol.UDP },
  ];
}

/**
 * The apps stage is done when every replica of a sample workload is ready: probes need all of
 * them (same-node and cross-node paths). 180 s leaves room for a first image pull on a laptop.
 */
export function appReadyGate(
  kind: "deployment-available" | "statefulset-ready",
  namespace: string,
  name: string,
  description: string,
): Gate {
  return { stage: "apps", kind, namespace, name, timeoutSeconds: 180, description };
}
