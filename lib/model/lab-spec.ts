// zod/mini, not the full zod: `labs list` validates every lab on each start, and the full
// library costs ~25 ms to load where mini costs a few (the components' options use the full one;
// both share zod's core, so issues read the same).
import * as z from "zod/mini";
import {
  DEFAULT_HOST_PORTS,
  DEFAULT_LISTEN_ADDRESS,
  DEFAULT_NODE_IMAGE,
  KIND_DEFAULT_SUBNETS,
} from "./defaults.ts";
import { LabError } from "./errors.ts";
import { error, type Finding, formatFinding } from "./findings.ts";
import {
  describeValue,
  flattenIssues,
  issueText,
  knownKeysAt,
  pathText,
  REPORT_INPUT,
} from "./issue-text.ts";
import { DEFAULT_KUBE_PROXY_MODE, KUBE_PROXY_MODES } from "./kube-proxy-mode.ts";
import { checkNetwork } from "./network-rules.ts";

/**
 * The LabSpec: a lab as plain data. Lab files in `labs/` export one through `defineLab`.
 * Parsing fills in kind's defaults and reports every bad field with its path.
 */

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A component chosen by name, with its options (checked later against the component's own schema). */
const componentRef = z.union([
  z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((name: string) => ({ name, options: {} as Record<string, unknown> })),
  ),
  z.strictObject({
    name: z.string().check(z.minLength(1, "name the component")),
    options: z._default(z.record(z.string(), z.unknown()), {}),
  }),
]);

const count = (what: string, min: number) =>
  z
    .int({ error: `${what} must be a whole number` })
    .check(
      z.minimum(min, min === 0 ? `${what} cannot be negative` : `${what} must be at least ${min}`),
      z.maximum(9, `${what} above 9 will not fit on a laptop`),
    );

const hostPort = (what: string) =>
  z
    .int({ error: `${what} must be a port number (a whole number from 1 to 65535)` })
    .check(
      z.minimum(1, `${what} must be between 1 and 65535`),
      z.maximum(65535, `${what} must be between 1 and 65535`),
    );

/**
 * Where the host reaches the lab through Docker port mappings on a node. They bind to
 * `listenAddress`; two mappings of one host port fail `kind create`, so the ports a lab's
 * components really map are checked against each other when the lab is resolved
 * (lib/components/host-port-clashes.ts): a port no component maps cannot clash.
 */
const hostPortsSchema = z.strictObject({
  /** ingress-nginx's hostPort 80 on the ingress node. */
  ingressHttp: z._default(hostPort("ingressHttp"), DEFAULT_HOST_PORTS.ingressHttp),
  /** ingress-nginx's hostPort 443 on the ingress node. */
  ingressHttps: z._default(hostPort("ingressHttps"), DEFAULT_HOST_PORTS.ingressHttps),
  /** echo's fixed HTTP nodePort. */
  nodePort: z._default(hostPort("nodePort"), DEFAULT_HOST_PORTS.nodePort),
  /** The Gateway's HTTP listener, where the implementation exposes it as a NodePort (Envoy Gateway). */
  gatewayHttp: z._default(hostPort("gatewayHttp"), DEFAULT_HOST_PORTS.gatewayHttp),
});

export const labSpecSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.maxLength(40, "name is longer than 40 characters (kind node names must stay under 63)"),
      z.regex(
        NAME,
        "name must be lowercase letters, digits and '-', starting and ending with a letter or digit",
      ),
    ),
  description: z.string().check(z.minLength(1, "describe what the lab shows in a sentence")),
  nodes: z._default(
    z.strictObject({
      controlPlanes: z._default(count("controlPlanes", 1), 1),
      workers: z._default(count("workers", 0), 2),
    }),
    { controlPlanes: 1, workers: 2 },
  ),
  nodeImage: z._default(
    z
      .string()
      .check(
        z.regex(
          /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/,
          "nodeImage must be pinned by tag and digest (image:tag@sha256:…)",
        ),
      ),
    DEFAULT_NODE_IMAGE,
  ),
  ipFamily: z._default(z.enum(["ipv4", "ipv6", "dual"]), "ipv4"),
  podSubnet: z.optional(z.string()),
  serviceSubnet: z.optional(z.string()),
  cni: z._default(componentRef, { name: "kindnet", options: {} }),
  kubeProxyMode: z._default(
    z.enum(KUBE_PROXY_MODES, {
      error: (issue) =>
        typeof issue.input === "string"
          ? `must be a kube-proxy mode kind runs: ${KUBE_PROXY_MODES.join(", ")}`
          : "expected a string",
    }),
    DEFAULT_KUBE_PROXY_MODE,
  ),
  northSouth: z._default(
    z.strictObject({
      ingress: z.optional(componentRef),
      gateway: z.optional(componentRef),
    }),
    {},
  ),
  loadBalancer: z.optional(componentRef),
  apps: z._default(z.array(componentRef), [{ name: "echo", options: {} }]),
  probes: z._default(
    z.strictObject({
      include: z.optional(z.array(z.string())),
      exclude: z._default(z.array(z.string()), []),
    }),
    { exclude: [] },
  ),
  /** Address host ports bind to. kind binds 0.0.0.0; labs keeps labs off the LAN unless asked. */
  listenAddress: z._default(z.string(), DEFAULT_LISTEN_ADDRESS),
  /** Host ports the lab maps into the cluster (only those its components use are mapped). */
  hostPorts: z._default(hostPortsSchema, DEFAULT_HOST_PORTS),
});

/** What a lab file writes (defaults optional). */
export type LabInput = z.input<typeof labSpecSchema>;
export type ComponentRef = { name: string; options: Record<string, unknown> };

/** A parsed lab with every default filled in. */
export interface LabSpec extends Omit<z.output<typeof labSpecSchema>, "podSubnet" | "serviceSubnet"> {
  podSubnet: string;
  serviceSubnet: string;
}

/** Validates a lab without throwing: the spec when valid, and every finding. */
export function checkLabSpec(input: unknown): { spec?: LabSpec; findings: Finding[] } {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      findings: [
        error(
          "",
          `a lab must be an object, got ${describeValue(input)}`,
          "export default defineLab({ name, description, … })",
        ),
      ],
    };
  }
  const parsed = labSpecSchema.safeParse(input, REPORT_INPUT);
  if (!parsed.success) {
    const findings = flattenIssues(parsed.error.issues).map(
      (i): Finding => ({
        level: "error",
        path: pathText(i.path),
        message: issueText(i, i.code === "unrecognized_keys" ? knownKeysAt(labSpecSchema, i.path) : []),
      }),
    );
    return { findings };
  }
  const raw = parsed.data;
  const defaults = KIND_DEFAULT_SUBNETS[raw.ipFamily];
  const spec: LabSpec = {
    ...raw,
    podSubnet: raw.podSubnet ?? defaults.podSubnet,
    serviceSubnet: raw.serviceSubnet ?? defaults.serviceSubnet,
  };
  const findings = checkNetwork(spec);
  return findings.some((f) => f.level === "error") ? { findings } : { spec, findings };
}

/** The lab's name for messages: its own when it has a readable one, else where it came from. */
function nameForMessages(input: unknown, source?: string): string | undefined {
  try {
    const name = typeof input === "object" && input ? (input as { name?: unknown }).name : undefined;
    return typeof name === "string" && name.length <= 80 ? name : source;
  } catch {
    return source;
  }
}

/** Parses a lab or throws a LabError listing every bad field. */
export function parseLabSpec(input: unknown, source?: string): LabSpec {
  const { spec, findings } = checkLabSpec(input);
  if (spec) return spec;
  const name = nameForMessages(input, source);
  const lines = findings.filter((f) => f.level === "error").map((f) => formatFinding(f, name));
  throw new LabError(lines.join("\n"));
}
