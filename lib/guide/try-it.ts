/**
 * "See it yourself": the shell command that does by hand what a check does, for handouts. Pod
 * checks run busybox tools (wget, nc, nslookup) in the probe client's prober container (an
 * Alpine image); host checks use curl; node inspections use docker exec. Addresses known only
 * at run time are looked up inline with kubectl, so each line can be pasted as it is.
 */
import type {
  Action,
  AddressRef,
  PlannedCheck,
  PortRef,
  ProbesPlan,
  ServiceRef,
} from "../probes/probes-plan.ts";
import { PROBER_CONTAINER } from "../probes/stage/probe-clients.ts";
import { defaultKubeconfig, labKubectl } from "./kubectl.ts";
import { shellWord } from "./shell-word.ts";

/**
 * A pipeline run by the pod's shell. Double quotes, so the `$(kubectl …)` look-ups in it still
 * run here, before kubectl exec; what must run in the pod is escaped by the caller (`\\$`).
 */
function podShell(script: string, onHost: boolean): string {
  return onHost ? script : `sh -c "${script}"`;
}

/** A URL as one shell word; one holding `$(kubectl …)` look-ups is double-quoted so they still run. */
function urlWord(url: string): string {
  return url.includes("$(") ? `"${url}"` : shellWord(url);
}

export class TryIt {
  /** `kubectl` against the lab's own kubeconfig (kubectl.ts). */
  readonly kubectl: string;

  /** @param kubectl how to call kubectl for this lab; default: its kubeconfig where `labs up` writes it */
  constructor(
    private readonly plan: ProbesPlan,
    kubectl?: string,
  ) {
    this.kubectl = kubectl ?? labKubectl(defaultKubeconfig(plan.lab));
  }

  private jsonpath(resource: string, namespace: string | undefined, path: string): string {
    const ns = namespace ? ` -n ${namespace}` : "";
    return `$(${this.kubectl}${ns} get ${resource} -o jsonpath='${path}')`;
  }

  private svc(ref: ServiceRef, path: string): string {
    return this.jsonpath(`svc ${ref.service}`, ref.namespace, path);
  }

  private nodeOf(client: string | undefined): string | undefined {
    return this.plan.clients.find((c) => c.name === client)?.node;
  }

  address(a: AddressRef, client?: string): string {
    if ("ip" in a) return a.ip;
    if ("dnsName" in a) return a.dnsName;
    if ("clusterIp" in a) return this.svc(a.clusterIp, "{.spec.clusterIP}");
    if ("loadBalancerIp" in a) return this.svc(a.loadBalancerIp, "{.status.loadBalancer.ingress[0].ip}");
    if ("ingressIp" in a)
      return this.jsonpath(
        `ingress ${a.ingressIp.name}`,
        a.ingressIp.namespace,
        "{.status.loadBalancer.ingress[0].ip}",
      );
    if ("gatewayIp" in a)
      return this.jsonpath(
        `gateway ${a.gatewayIp.name}`,
        a.gatewayIp.namespace,
        "{.status.addresses[0].value}",
      );
    if ("podIp" in a) {
      const p = a.podIp;
      if (p.name) return this.jsonpath(`pod ${p.name}`, p.namespace, "{.status.podIP}");
      const selector = Object.entries(p.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      return this.jsonpath(`pods -l ${selector}`, p.namespace, "{.items[0].status.podIP}");
    }
    const node = a.node ?? this.nodeOf(client) ?? "NODE";
    return this.jsonpath(`node ${node}`, undefined, `{.status.addresses[?(@.type=="InternalIP")].address}`);
  }

  port(p: PortRef): string {
    if (typeof p === "number") return String(p);
    const { nodePort } = p;
    const which =
      typeof nodePort.port === "number" ? `@.port==${nodePort.port}` : `@.name=="${nodePort.port}"`;
    return this.svc(nodePort, `{.spec.ports[?(${which})].nodePort}`);
  }

  /** The command a person runs where the check runs: in the client pod, on this machine, or on a node. */
  command(check: PlannedCheck): string {
    const from = check.from;
    if ("node" in from) {
      const action = check.action;
      const words = action.kind === "inspect" ? action.command : [];
      return `docker exec ${from.node} ${words.map(shellWord).join(" ")}`;
    }
    const onHost = "host" in from;
    const client = "client" in from ? from.client : undefined;
    const inner = this.action(check.action, onHost, client);
    if (onHost) return inner;
    return `${this.kubectl} -n labs-probes exec ${client} -c ${PROBER_CONTAINER} -- ${inner}`;
  }

  private url(a: Extract<Action, { kind: "http" | "coverage" }>, client?: string): string {
    const scheme = a.kind === "http" ? (a.scheme ?? "http") : "http";
    const host = this.address(a.to.address, client);
    const port = this.port(a.to.port);
    const defaultPort = (scheme === "http" && port === "80") || (scheme === "https" && port === "443");
    return `${scheme}://${host}${defaultPort ? "" : `:${port}`}${a.path}`;
  }

  private action(a: Action, onHost: boolean, client?: string): string {
    switch (a.kind) {
      case "tcp":
        return onHost
          ? `nc -z -w 2 ${this.address(a.to.address, client)} ${this.port(a.to.port)} && echo open`
          : `nc -z -w 2 ${this.address(a.to.address, client)} ${this.port(a.to.port)}`;
      case "udp":
        return podShell(
          `echo ${a.payload} | nc -u -w 2 ${this.address(a.to.address, client)} ${this.port(a.to.port)}`,
          onHost,
        );
      case "dns":
        return `nslookup ${a.type === "AAAA" ? "-type=AAAA " : ""}${a.name}`;
      case "http": {
        const url = this.url(a, client);
        if (onHost)
          return `curl -s --max-time 3${a.host ? ` -H ${shellWord(`Host: ${a.host}`)}` : ""}${a.insecureSkipVerify ? " -k" : ""}${
            a.headers
              ? Object.entries(a.headers)
                  .map(([k, v]) => ` -H ${shellWord(`${k}: ${v}`)}`)
                  .join("")
              : ""
          } ${urlWord(url)}`;
        return `wget -qO- -T 3${a.host ? ` --header ${shellWord(`Host: ${a.host}`)}` : ""}${a.insecureSkipVerify ? " --no-check-certificate" : ""}${
          a.headers
            ? Object.entries(a.headers)
                .map(([k, v]) => ` --header ${shellWord(`${k}: ${v}`)}`)
                .join("")
            : ""
        } ${urlWord(url)}`;
      }
      case "coverage": {
        const url = this.url(a, client);
        const get = onHost ? `curl -s --max-time 3 ${url}` : `wget -qO- -T 3 ${url}`;
        const n = a.sample ?? 20;
        return podShell(
          `for i in ${onHost ? "$" : "\\$"}(seq ${n}); do ${get}; echo; done | sort | uniq -c`,
          onHost,
        );
      }
      case "inspect":
        return a.command.map(shellWord).join(" ");
    }
  }
}
