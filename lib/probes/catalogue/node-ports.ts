import type { ClientPod } from "../clients.ts";
import { noLocalEndpointDenial, throughServiceProxy } from "../expectations.ts";
import {
  hostPortFor,
  httpPortOf,
  namePath,
  type ProbeLab,
  podsOf,
  type ServiceInfo,
  servicesNamingPods,
} from "../probe-lab.ts";
import type { AddressRef, Expectation, PortRef } from "../probes-plan.ts";
import { check, defineProbe, fromClient, HOST, httpGet, orSkip } from "./probe.ts";

/** NodePort Services of the lab's apps whose pods answer HTTP with their pod name. */
const nodePortServices = (pl: ProbeLab) => servicesNamingPods(pl, "NodePort");

function nodePortOf(s: ServiceInfo): PortRef {
  const port = httpPortOf(s)!;
  return (
    port.nodePort ?? {
      nodePort: { namespace: s.namespace, service: s.service, port: port.name ?? port.port },
    }
  );
}

function expectation(pl: ProbeLab, s: ServiceInfo, what: string, node?: string): Expectation {
  const pods = podsOf(s)!;
  if (s.externalTrafficPolicy === "Local") {
    return throughServiceProxy(
      pl.lab,
      `${what}; externalTrafficPolicy Local: the node answers only if one of the Service's pods runs on it`,
      {
        backendIn: pods,
        localEndpointsOnly: node ? { ...pods, node } : pods,
        ...(noLocalEndpointDenial(pl.lab) ? { noLocalEndpoint: noLocalEndpointDenial(pl.lab)! } : {}),
      },
    );
  }
  return throughServiceProxy(
    pl.lab,
    `${what}; every node forwards its node port to a ready pod, wherever it runs`,
    {
      backendIn: pods,
    },
  );
}

const NONE = "no NodePort Service in this lab's apps whose pods answer with their pod name";

/** The first client pod asks every NodePort Service at its node port on `node` (reached at `address`). */
function fromFirstClient(
  probe: { id: string },
  pl: ProbeLab,
  first: ClientPod,
  address: AddressRef,
  node: string,
  also: string,
) {
  const checks = nodePortServices(pl).map((s) =>
    check(
      probe,
      [s.namespace, s.service],
      fromClient(first),
      httpGet({ address, port: nodePortOf(s) }, namePath(pl, s)!),
      expectation(pl, s, `the node port of ${s.service} is open on ${node}${also}`),
      `${first.name} → ${node}:nodePort of ${s.service}.${s.namespace}`,
    ),
  );
  return orSkip(checks, NONE);
}

export const nodePortOwnNode = defineProbe({
  id: "nodeport-own-node",
  layer: "service",
  title: "Pod to a NodePort on its own node",
  teaches:
    "A NodePort opens the same port on every node's IP; the service proxy on that node translates it to a pod, just like a ClusterIP.",
  plan(pl, { first }) {
    return fromFirstClient(this, pl, first, { nodeIp: "same" }, first.node, "");
  },
});

export const nodePortOtherNode = defineProbe({
  id: "nodeport-other-node",
  layer: "service",
  title: "Pod to a NodePort on another node",
  teaches:
    "The node port answers on a node the client does not run on: the packet crosses the node network, then that node's proxy picks a backend (possibly on a third node).",
  plan(pl, { first }) {
    const other = pl.nodes.find((n) => n.name !== first.node);
    if (!other) return { skip: "the lab has a single node: there is no other node to enter through" };
    return fromFirstClient(this, pl, first, { nodeIp: "other", node: other.name }, other.name, " too");
  },
});

export const hostNodePort = defineProbe({
  id: "host-nodeport",
  layer: "north-south",
  title: "Host to a NodePort through its mapped host port",
  teaches:
    "kind nodes are containers: a node port is reachable from the host only through a port mapping of the node container (extraPortMappings), which also works on macOS and Windows.",
  plan(pl) {
    const services = nodePortServices(pl);
    if (!services.length) return { skip: NONE };
    const checks = services.flatMap((s) => {
      const nodePort = httpPortOf(s)!.nodePort;
      const mapping = nodePort === undefined ? undefined : hostPortFor(pl, nodePort);
      if (!mapping) return [];
      const ip = mapping.listenAddress === "0.0.0.0" ? "127.0.0.1" : mapping.listenAddress;
      return [
        check(
          this,
          [s.namespace, s.service],
          HOST,
          httpGet({ address: { ip }, port: mapping.hostPort }, namePath(pl, s)!),
          expectation(
            pl,
            s,
            `host port ${mapping.hostPort} is mapped to node port ${nodePort} of ${mapping.node}`,
            mapping.node,
          ),
          `host → ${ip}:${mapping.hostPort} → ${mapping.node}:${nodePort} (${s.service}.${s.namespace})`,
        ),
      ];
    });
    return orSkip(checks, "no NodePort of this lab's apps is mapped to a host port (extraPortMappings)");
  },
});
