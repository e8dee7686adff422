/**
 * Break-fix faults over the whole catalogue: what each lab offers (and why not the rest), and
 * every signature checked against the lab's real probe plan: each check once, each claimed check
 * of a layer the fault can reach, each fault with at least one check that must fail.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue } from "../../lib/catalogue.ts";
import type { FaultLayer } from "../../lib/components/fault.ts";
import { type LabFault, type LabFaultList, labFaults } from "../../lib/faults/catalogue.ts";
import { checkPaths, pathContext } from "../../lib/faults/paths.ts";
import { renderFaultsConsole } from "../../lib/faults/render.ts";
import { defaultKubeconfig, labKubectl } from "../../lib/guide/kubectl.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import type { Layer, ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { upstreamReader } from "../probes/support.ts";

interface Lab {
  list: LabFaultList;
  plan: ProbesPlan;
  resolved: ReturnType<typeof sketchLab>["lab"];
}
const labs = new Map<string, Lab>();

beforeAll(async () => {
  const reader = upstreamReader();
  for (const e of await loadCatalogue()) {
    const s = sketchLab(e.spec, reader);
    labs.set(e.spec.name, { list: labFaults(s.lab, s.plan, s.probeLab), plan: s.plan, resolved: s.lab });
  }
}, 120_000);

const lab = (name: string) => labs.get(name)!;
const fault = (name: string, id: string): LabFault => {
  const f = lab(name).list.faults.find((x) => x.id === id);
  if (!f) throw new Error(`${name} has no fault ${id}`);
  return f;
};
const expectOf = (f: LabFault, id: string) => f.signature.find((s) => s.id === id)?.expect;
const claimed = (f: LabFault) => f.signature.filter((s) => s.expect !== "passes");

/** The probe layers a fault of each layer may reach: a fault never claims a check of another. */
const REACHES: Record<FaultLayer, Layer[]> = {
  node: ["node", "pod", "service", "north-south", "policy"],
  pod: ["pod", "service", "north-south", "policy"],
  service: ["service", "north-south", "policy", "dataplane"],
  dns: ["service", "policy"],
  policy: ["service", "north-south", "policy"],
  "north-south": ["north-south"],
  dataplane: ["dataplane"],
};

describe("labs faults", () => {
  it("offers at least 8 faults over at least 5 layers in kindnet-iptables", () => {
    const { list } = lab("kindnet-iptables");
    expect(list.faults.length).toBeGreaterThanOrEqual(8);
    expect(new Set(list.faults.map((f) => f.layer)).size).toBeGreaterThanOrEqual(5);
    expect(list.faults.map((f) => f.id)).toEqual(
      expect.arrayContaining([
        "node-link-down",
        "kubelet-stopped",
        "pod-route-blackholed",
        "kube-proxy-rules-flushed",
        "service-selector-mismatch",
        "coredns-scaled-to-zero",
        "coredns-upstream-broken",
        "stray-default-deny",
      ]),
    );
    const text = renderFaultsConsole(list, labKubectl(defaultKubeconfig("kindnet-iptables")));
    expect(text).toMatch(/^kindnet-iptables: \d+ faults over 5 layers/);
    expect(
      renderFaultsConsole(lab("flannel-iptables").list, labKubectl(defaultKubeconfig("flannel-iptables"))),
    ).toContain("Not in this lab");
  });

  it("differs by dataplane: Flannel has its overlay fault, cilium-kpr has no kube-proxy fault", () => {
    const ids = (name: string) => lab(name).list.faults.map((f) => f.id);
    expect(ids("flannel-iptables")).toContain("vxlan-port-dropped");
    expect(fault("flannel-iptables", "vxlan-port-dropped").does).toContain("8472");
    expect(ids("kindnet-iptables")).not.toContain("vxlan-port-dropped");
    expect(ids("calico-iptables")).toContain("vxlan-port-dropped");
    expect(fault("calico-iptables", "vxlan-port-dropped").does).toContain("4789");
    expect(ids("cilium-kpr")).not.toContain("kube-proxy-rules-flushed");
    const why = lab("cilium-kpr").list.unavailable.find((u) => u.id === "kube-proxy-rules-flushed");
    expect(why?.unavailable).toMatch(/no kube-proxy in this lab/);
    // The kube-proxy fault names each mode's own rules.
    expect(fault("kindnet-iptables", "kube-proxy-rules-flushed").does).toContain("KUBE-SERVICES");
    expect(fault("kindnet-ipvs", "kube-proxy-rules-flushed").does).toContain("kube-ipvs0");
    expect(fault("kindnet-nftables", "kube-proxy-rules-flushed").does).toContain("ip kube-proxy");
  });

  it("leaves out what cannot exist in a lab, each with its reason", () => {
    const reason = (name: string, id: string) =>
      lab(name).list.unavailable.find((u) => u.id === id)?.unavailable;
    // Flannel enforces no NetworkPolicy: a stray deny would change nothing a probe sees.
    expect(reason("flannel-iptables", "stray-default-deny")).toMatch(/nothing enforces them/);
    // A pool exists only where MetalLB is the load balancer.
    expect(lab("flannel-iptables").list.faults.map((f) => f.id)).toContain("lb-pool-exhausted");
    expect(reason("kindnet-cloud-provider-kind", "lb-pool-exhausted")).toMatch(/no address pool/);
    // One node: nothing to cut from the others.
    expect(reason("kindnet-cloud-provider-kind", "node-link-down")).toMatch(/one node/);
    expect(reason("calico-ebpf", "pod-route-blackholed")).toMatch(/eBPF/);
  });

  it("breaks CoreDNS's upstream in every lab: the node name forwarded to Docker's DNS fails, cluster names resolve", () => {
    for (const [name, { list }] of labs) {
      const f = list.faults.find((x) => x.id === "coredns-upstream-broken");
      expect(
        f,
        `${name}: ${list.unavailable.find((u) => u.id === "coredns-upstream-broken")?.unavailable}`,
      ).toBeDefined();
      expect(
        claimed(f!)
          .filter((s) => s.expect === "fails")
          .map((s) => s.id),
        name,
      ).toEqual(["dns-upstream/control-plane"]);
    }
    const f = fault("kindnet-iptables", "coredns-upstream-broken");
    // Asked straight of CoreDNS, a name in cluster.local never leaves it.
    expect(expectOf(f, "headless-service/demo/echo-headless")).toBe("passes");
    // Found by the second search domain, before any the node inherited from the host.
    expect(expectOf(f, "service-namespaced-name/demo/echo")).toBe("passes");
    // The host's search domains come before the full name itself (4 dots, ndots 5): forwarded.
    expect(expectOf(f, "service-fqdn/demo/echo")).toBe("may-fail");
    expect(expectOf(f, "pod-to-cluster-ip/demo/echo/probe-worker")).toBe("passes");
    expect(lab("kindnet-iptables").list.crossings["dns-upstream/control-plane"]).toContain("dns-upstream");
    // Its steps edit the Corefile read before the break, byte for byte, and restart CoreDNS.
    expect(f.lookups.map((l) => [l.name, l.verbatim, l.edit?.with])).toEqual([
      ["COREFILE", true, undefined],
      ["BROKEN_COREFILE", true, "forward . 192.0.2.53"],
    ]);
    expect(f.revert[0]!.run).toMatchObject({
      kubectl: expect.arrayContaining(["configmap", "coredns", '{"data":{"Corefile":${COREFILE:json}}}']),
    });
    expect(f.revert.map((s) => ("kubectl" in s.run ? s.run.kubectl.slice(2, 4).join(" ") : ""))).toEqual([
      "patch configmap",
      "rollout restart",
      "rollout status",
    ]);
  });

  it("derives every signature from the plan: each check once, nothing outside the plan, at least one check that must fail", () => {
    for (const [name, { list, plan }] of labs) {
      const ids = plan.checks.map((c) => c.id);
      for (const f of list.faults) {
        expect(
          f.signature.map((s) => s.id),
          `${name} ${f.id}`,
        ).toEqual(ids);
        expect(
          f.signature.some((s) => s.expect === "fails" || s.expect === "cannot-run"),
          `${name} ${f.id}`,
        ).toBe(true);
        for (const s of claimed(f)) expect(s.why, `${name} ${f.id} ${s.id}`).toBeTruthy();
      }
    }
  });

  it("never claims a check of an unrelated layer", () => {
    for (const [name, { list, plan }] of labs) {
      const layerOf = new Map(
        plan.checks.map((c) => [c.id, plan.probes.find((p) => p.id === c.probe)!.layer]),
      );
      for (const f of list.faults)
        for (const s of claimed(f))
          expect(REACHES[f.layer], `${name}: ${f.id} claims ${s.id} (${layerOf.get(s.id)})`).toContain(
            layerOf.get(s.id),
          );
    }
  });

  it("claims under a DNS fault only checks that resolve a name, under a Service fault only that Service's paths", () => {
    for (const [name, { list, plan }] of labs) {
      const byId = new Map(plan.checks.map((c) => [c.id, c]));
      const resolves = (id: string) => {
        const a = byId.get(id)!.action;
        return a.kind === "dns" || ("to" in a && "dnsName" in a.to.address);
      };
      const dns = list.faults.find((f) => f.id === "coredns-scaled-to-zero")!;
      for (const c of claimed(dns)) expect(resolves(c.id), `${name} ${c.id}`).toBe(true);
      const selector = list.faults.find((f) => f.id === "service-selector-mismatch");
      for (const c of selector ? claimed(selector) : [])
        expect(c.why, `${name} ${c.id}`).toMatch(/echo\.demo/);
    }
  });

  it("follows each dataplane: kube-proxy flushed breaks Services and names, not pods by IP; Cilium keeps pod ClusterIPs next to kube-proxy", () => {
    const kp = fault("kindnet-iptables", "kube-proxy-rules-flushed");
    expect(expectOf(kp, "pod-to-pod-same-node")).toBe("passes");
    expect(expectOf(kp, "pod-to-pod-cross-node/probe-worker")).toBe("passes");
    expect(expectOf(kp, "pod-to-node/worker")).toBe("passes");
    expect(expectOf(kp, "pod-to-cluster-ip/demo/echo/probe-worker")).toBe("fails");
    expect(expectOf(kp, "service-fqdn/demo/echo")).toBe("fails");
    expect(expectOf(kp, "nodeport-own-node/demo/echo-nodeport")).toBe("fails");
    expect(expectOf(kp, "dataplane-inspection/kube-proxy-mode/worker")).toBe("fails");
    expect(expectOf(kp, "netpol-ingress/probe-worker/netpol-deny")).toBe("passes");
    // ipvs leaves its virtual servers: node ports may still answer.
    expect(
      expectOf(fault("kindnet-ipvs", "kube-proxy-rules-flushed"), "nodeport-own-node/demo/echo-nodeport"),
    ).toBe("may-fail");
    // cilium/cilium#16197: Cilium's bpf_lxc translates pod ClusterIPs even with kube-proxy there.
    const ck = fault("cilium-iptables", "kube-proxy-rules-flushed");
    expect(expectOf(ck, "pod-to-cluster-ip/demo/echo/probe-worker")).toBe("passes");
    expect(expectOf(ck, "service-fqdn/demo/echo")).toBe("passes");
    expect(expectOf(ck, "nodeport-own-node/demo/echo-nodeport")).toBe("fails");
  });

  it("points pod-network faults at one pair of nodes, node faults at one node", () => {
    const vx = fault("flannel-iptables", "vxlan-port-dropped");
    expect(expectOf(vx, "pod-to-pod-cross-node/probe-worker")).toBe("fails");
    expect(expectOf(vx, "pod-to-pod-cross-node/probe-worker2")).toBe("passes");
    expect(expectOf(vx, "pod-to-pod-same-node")).toBe("passes");
    expect(expectOf(vx, "pod-to-node/worker")).toBe("passes");
    const route = fault("kindnet-iptables", "pod-route-blackholed");
    expect(expectOf(route, "pod-to-pod-cross-node/probe-worker")).toBe("fails");
    expect(expectOf(route, "pod-to-pod-cross-node/probe-worker2")).toBe("passes");
    const kubelet = fault("kindnet-iptables", "kubelet-stopped");
    expect(expectOf(kubelet, "pod-to-node/worker")).toBe("fails");
    expect(expectOf(kubelet, "pod-to-cluster-ip/demo/echo/probe-worker")).toBe("cannot-run");
    expect(expectOf(kubelet, "pod-to-cluster-ip/demo/echo/probe-control-plane")).toBe("passes");
    const link = fault("kindnet-iptables", "node-link-down");
    expect(expectOf(link, "nodeport-other-node/demo/echo-nodeport")).toBe("fails");
    expect(expectOf(link, "pod-to-node/worker2")).toBe("passes");
  });

  it("keeps north-south faults to their own paths", () => {
    const ingress = fault("flannel-iptables", "ingress-controller-stopped");
    const failing = claimed(ingress).map((s) => s.id);
    expect(failing.length).toBeGreaterThan(0);
    for (const id of failing) expect(id).toMatch(/^ingress-/);
    const pool = fault("flannel-iptables", "lb-pool-exhausted");
    expect(
      claimed(pool)
        .map((s) => `${s.id}:${s.expect}`)
        .every((x) => /^(host-loadbalancer|source-ip)\/.*:cannot-run$/.test(x)),
    ).toBe(true);
    const gw = fault("kindnet-nftables-gateway", "gateway-stopped");
    for (const s of claimed(gw)) expect(s.id).toMatch(/^gateway-/);
  });

  it("keeps commands as data: every step targets a node of the lab or kubectl, never the user's kubeconfig", () => {
    for (const [name, { list }] of labs) {
      const nodes = new Set(pathContext(lab(name).resolved, lab(name).plan).nodes);
      for (const f of list.faults) {
        expect(f.apply.length, `${name} ${f.id}`).toBeGreaterThan(0);
        expect(f.revert.length, `${name} ${f.id}`).toBeGreaterThan(0);
        for (const step of [...f.apply, ...f.revert, ...f.lookups, ...f.look]) {
          const run = step.run;
          if ("kubectl" in run) expect(run.kubectl.join(" ")).not.toMatch(/--kubeconfig|--context/);
          else expect(nodes.has(run.node), `${name} ${f.id} ${run.node}`).toBe(true);
        }
        const unresolved = JSON.stringify([f.apply, f.revert]).match(/\$\{[A-Z0-9_]+(?::json)?\}/g) ?? [];
        const names = new Set(f.lookups.map((l) => l.name));
        for (const u of unresolved)
          expect(names.has(u.slice(2, -1).replace(/:json$/, "")), `${name} ${f.id} ${u}`).toBe(true);
      }
    }
  });

  it("names every check's path by what it crosses, for labs verify to point with", () => {
    const { list, plan } = lab("kindnet-iptables");
    const paths = checkPaths(pathContext(lab("kindnet-iptables").resolved, plan));
    expect(Object.keys(list.crossings)).toEqual(paths.map((p) => p.id));
    expect(list.crossings["service-fqdn/demo/echo"]).toEqual(
      expect.arrayContaining(["dns", "service-proxy", "service:demo/echo"]),
    );
    expect(list.crossings["pod-to-pod-cross-node/probe-worker"]).toContain(
      "pods:labs-kindnet-iptables-control-plane|labs-kindnet-iptables-worker",
    );
  });
});
