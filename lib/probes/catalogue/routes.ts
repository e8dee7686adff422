/**
 * Shared by the Ingress and Gateway probes: where the host enters a route (host port, the
 * Gateway's Envoy Service, or a status address), how the backend's declared answers give the path
 * that proves where a request went, and how to name a route's path in a check id.
 */
import { type HttpAnswers, pathThroughRoute, SAYS_WORDS, type Says } from "../../components/apps/answers.ts";
import { missing } from "../expectations.ts";
import { byKind, hostPortFor, type Loose, type ProbeLab } from "../probe-lab.ts";
import type { AddressRef, PortRef } from "../probes-plan.ts";

/** A path as a check-id segment: `/` → `root`, `/v2/api` → `v2-api`. */
export function pathSlug(path: string): string {
  const slug = path.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return slug || "root";
}

/** A Host header for a route hostname; a wildcard is filled in so the request matches it. */
export function concreteHost(hostname: string | undefined): string | undefined {
  return hostname?.replace(/^\*\./, "labs.");
}

/**
 * Where the host reaches a north-south entry point listening on `port`: through a host port
 * mapped to that port on a node (ingress-nginx's hostPort), else at the address its status
 * reports (a LoadBalancer IP), which needs a load balancer.
 */
export function entryPoint(
  pl: ProbeLab,
  port: number,
  statusAddress: AddressRef,
): { address: AddressRef; port: PortRef; via: string } | { skip: string } {
  const mapping = hostPortFor(pl, port);
  if (mapping) {
    const ip = mapping.listenAddress === "0.0.0.0" ? "127.0.0.1" : mapping.listenAddress;
    return {
      address: { ip },
      port: mapping.hostPort,
      via: `${ip}:${mapping.hostPort} (mapped to ${mapping.node}:${port})`,
    };
  }
  const absent = missing(pl.lab, "loadBalancer");
  if (absent)
    return {
      skip: `no host port is mapped to port ${port} and the address would come from a load balancer: ${absent}`,
    };
  return { address: statusAddress, port, via: `its status address, port ${port}` };
}

export type Entry = { address: AddressRef; port: PortRef; via: string };

/**
 * A Gateway listener's entry point from the host. Envoy Gateway runs Envoy behind a Service it
 * makes itself from the EnvoyProxy its GatewayClass points at (parametersRef); when that Service
 * is a NodePort whose port is mapped to the host, the listener is reached there: listener port →
 * the Envoy Service's nodePort → the kind host port mapping. (Its status then lists node IPs,
 * where nothing listens on the listener port.) Otherwise as any entry point.
 */
export function gatewayEntryPoint(
  pl: ProbeLab,
  gateway: { namespace: string; name: string },
  port: number,
): Entry | { skip: string } {
  const envoy = envoyServiceNodePort(pl, gateway, port);
  if (envoy) {
    const mapping = hostPortFor(pl, envoy.nodePort);
    if (!mapping)
      return {
        skip: `the Envoy Service ${envoy.service} of gateway ${gateway.name} is a NodePort (${envoy.nodePort}), but no host port is mapped to it`,
      };
    const ip = mapping.listenAddress === "0.0.0.0" ? "127.0.0.1" : mapping.listenAddress;
    return {
      address: { ip },
      port: mapping.hostPort,
      via: `${ip}:${mapping.hostPort} (→ nodePort ${envoy.nodePort} of Envoy Service ${envoy.service} → listener :${port})`,
    };
  }
  return entryPoint(pl, port, { gatewayIp: gateway });
}

/** The nodePort of the Envoy Service serving `port` of a Gateway, from its class's EnvoyProxy. */
function envoyServiceNodePort(
  pl: ProbeLab,
  ref: { namespace: string; name: string },
  port: number,
): { service: string; nodePort: number } | undefined {
  const gateway = byKind(pl, "Gateway", "gateway.networking.k8s.io/").find(
    (g) => (g.metadata?.namespace ?? "default") === ref.namespace && g.metadata?.name === ref.name,
  );
  const className = gateway?.spec?.gatewayClassName as string | undefined;
  const gatewayClass = byKind(pl, "GatewayClass", "gateway.networking.k8s.io/").find(
    (c) => c.metadata?.name === className,
  );
  const params = gatewayClass?.spec?.parametersRef as Loose | undefined;
  if (params?.group !== "gateway.envoyproxy.io" || params.kind !== "EnvoyProxy") return undefined;
  const envoyProxy = byKind(pl, "EnvoyProxy", "gateway.envoyproxy.io/").find(
    (e) => e.metadata?.name === params.name && e.metadata?.namespace === params.namespace,
  );
  const service = envoyProxy?.spec?.provider?.kubernetes?.envoyService as Loose | undefined;
  if (service?.type !== "NodePort") return undefined;
  const ports = (service.patch?.value?.spec?.ports ?? []) as { port: number; nodePort?: number }[];
  const nodePort = ports.find((p) => p.port === port)?.nodePort;
  return nodePort === undefined ? undefined : { service: service.name ?? "(generated)", nodePort };
}

/**
 * The path that makes every backend of a route say `says`, the same path for all (one request
 * must work whichever backend gets it), or the reason there is none.
 */
export function routePath(
  backends: { service: string; answers?: HttpAnswers }[],
  says: Says,
  route: { prefix: string; exact?: boolean; rewritesToRoot?: boolean },
): { path: string } | { reason: string } {
  const paths = backends.map((b) => (b.answers ? pathThroughRoute(b.answers, says, route) : undefined));
  const without = backends.filter((_, i) => paths[i] === undefined).map((b) => b.service);
  const where =
    route.prefix === "/" ? "" : ` under ${route.prefix}${route.rewritesToRoot ? " (stripped)" : ""}`;
  if (without.length)
    return {
      reason: `${without.join(" and ")} declare${without.length === 1 ? "s" : ""} no path${where} that answers with ${SAYS_WORDS[says]} (labs.dev/http-answers), so a request sent to the wrong backend could not be told apart`,
    };
  if (new Set(paths).size > 1)
    return {
      reason: `the backends answer with ${SAYS_WORDS[says]} on different paths (${paths.join(", ")})`,
    };
  return { path: paths[0]! };
}
