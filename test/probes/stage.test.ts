import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { findLabs } from "../../lib/catalogue.ts";
import { PROBER_IMAGE, PROBER_IMAGE_DIGEST } from "../../lib/probes/stage/probe-clients.ts";
import { readProberBundle } from "../../lib/probes/stage/prober-bundle.ts";
import { synthLab } from "../../lib/synth/synth.ts";

const out = await synthLab((await findLabs(["kindnet-iptables"]))[0]!.spec);
const objects = parseAllDocuments(out.files.get("0004-probes.k8s.yaml")!).map((d) => d.toJSON());
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe("the probes stage", () => {
  it("runs one client per node plus a peer on the first node, pinned to its node", () => {
    const clients = objects.filter((o) => o.kind === "Pod" && o.metadata.namespace === "labs-probes");
    expect(clients.map((p) => [p.metadata.name, p.spec.nodeName])).toEqual([
      ["probe-control-plane", "labs-kindnet-iptables-control-plane"],
      ["probe-worker", "labs-kindnet-iptables-worker"],
      ["probe-worker2", "labs-kindnet-iptables-worker2"],
      ["probe-peer", "labs-kindnet-iptables-control-plane"],
      ["probe-egress", "labs-kindnet-iptables-control-plane"],
    ]);
    for (const pod of clients) {
      expect(pod.spec.tolerations).toContainEqual({
        key: "node-role.kubernetes.io/control-plane",
        operator: "Exists",
        effect: "NoSchedule",
      });
      const [prober, target] = pod.spec.containers;
      expect(prober).toMatchObject({
        image: PROBER_IMAGE,
        imagePullPolicy: "IfNotPresent",
        command: ["node", "-e", expect.stringContaining("setInterval")],
      });
      expect(prober.env.map((e: { name: string }) => e.name)).toEqual([
        "POD_NAME",
        "POD_NAMESPACE",
        "NODE_NAME",
        "POD_IP",
      ]);
      expect(prober.resources.requests).toEqual({ cpu: "10m", memory: "32Mi" });
      expect(target.args[0]).toBe("netexec");
    }
    expect(find("Pod", "probe-peer").metadata.labels["labs.dev/netpol-client"]).toBe("allowed");
    expect(find("Pod", "probe-egress").metadata.labels["labs.dev/netpol-egress"]).toBe("dns-only");
  });

  it("ships the prober bundle and the plan in a ConfigMap", () => {
    const cm = find("ConfigMap", "prober");
    expect(cm.data["prober.js"]).toBe(readProberBundle());
    expect(JSON.parse(cm.data["probes.plan.json"])).toEqual(JSON.parse(out.files.get("probes.plan.json")!));
  });

  it("holds the NetworkPolicy fixtures apart from the lab's apps", () => {
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    expect(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      "labs-netpol/default-deny-ingress",
      "labs-netpol/allow-labelled-client",
      "labs-probes/egress-dns-only",
    ]);
    const egress = policies[2];
    expect(egress.spec.podSelector).toEqual({ matchLabels: { "labs.dev/netpol-egress": "dns-only" } });
    expect(egress.spec.egress[0].ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    expect(
      objects
        .filter((o) => o.kind === "Pod" && o.metadata.namespace === "labs-netpol")
        .map((p) => p.metadata.name),
    ).toEqual(["netpol-open", "netpol-deny", "netpol-allow"]);
  });

  it("waits for every probe pod, and pins the node image by digest in the lock", () => {
    const lab = JSON.parse(out.files.get("lab.json")!);
    const stage = lab.stages.find((s: { name: string }) => s.name === "probes");
    expect(stage.gates.map((g: { resource: string }) => g.resource)).toEqual(
      expect.arrayContaining(["pod/probe-control-plane", "pod/probe-egress", "pod/netpol-deny"]),
    );
    const lock = JSON.parse(out.files.get("lab.lock.json")!);
    expect(lock.images).toContainEqual({ image: PROBER_IMAGE, digest: PROBER_IMAGE_DIGEST });
    expect(lock.files["probes.plan.json"]).toMatch(/^[0-9a-f]{64}$/);
    expect(out.issues.filter((i) => i.level === "error")).toEqual([]);
  });
});
