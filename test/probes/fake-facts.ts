/** Cluster facts as the runtime would read them, for a three-node kindnet lab, made up. */
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import type { ClusterFacts } from "../../lib/probes/verdicts/resolver.ts";

type Pod = ClusterFacts["pods"][number];

export function fakeFacts(
  plan: ProbesPlan,
  over: { ip?: (name: string, i: number) => string } = {},
): ClusterFacts {
  const c = plan.clusterName;
  const nodes = [`${c}-control-plane`, `${c}-worker`, `${c}-worker2`].map((name, i) => ({
    name,
    internalIp: `172.18.0.${i + 2}`,
  }));
  const ip = over.ip ?? ((_: string, i: number) => `10.244.${i % 3}.${10 + i}`);
  let i = 0;
  const pod = (p: Omit<Pod, "ip" | "ready"> & Partial<Pod>): Pod => ({
    ready: true,
    ip: ip(p.name, i++),
    ...p,
  });
  const pods: Pod[] = [
    ...plan.clients.map((cl) =>
      pod({ name: cl.name, namespace: cl.namespace, labels: cl.labels, node: cl.node }),
    ),
    pod({ name: "echo-7d9-a", namespace: "demo", labels: { app: "echo" }, node: nodes[1]!.name }),
    pod({ name: "echo-7d9-b", namespace: "demo", labels: { app: "echo" }, node: nodes[2]!.name }),
    ...["open", "deny", "allow"].map((t) =>
      pod({
        name: `netpol-${t}`,
        namespace: "labs-netpol",
        labels: { app: "netpol-target", "labs.dev/netpol-target": t },
        node: nodes[1]!.name,
      }),
    ),
  ];
  const svc = (
    name: string,
    namespace: string,
    clusterIp: string,
    ports: ClusterFacts["services"][number]["ports"],
  ) => ({
    name,
    namespace,
    clusterIp,
    ports,
  });
  return {
    nodes,
    pods,
    podSubnet: "10.244.0.0/16",
    services: [
      svc("kubernetes", "default", "10.96.0.1", [{ name: "https", port: 443 }]),
      svc("echo", "demo", "10.96.10.10", [
        { name: "http", port: 80 },
        { name: "udp", port: 8081, protocol: "UDP" },
      ]),
      svc("echo-headless", "demo", "None", [{ name: "http", port: 80 }]),
      svc("echo-nodeport", "demo", "10.96.10.11", [{ name: "http", port: 80, nodePort: 30080 }]),
      svc("hairpin", "labs-probes", "10.96.20.1", [{ name: "http", port: 8080 }]),
      svc("probe-peers", "labs-probes", "10.96.20.2", [{ name: "http", port: 8080 }]),
    ],
  };
}
