/**
 * The expectation table of every catalogue lab, as `labs probes <lab>` prints it, kept as a
 * reviewed snapshot (test/probes/__snapshots__/plans/<lab>.txt): the words are the product. The
 * assertions below check the meaning independently of the snapshot.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { resolveLab } from "../../lib/components/resolve.ts";
import { checkPlan } from "../../lib/probes/prober/plan.ts";
import { renderPlanConsole } from "../../lib/probes/verdicts/outputs/console.ts";
import { cataloguePlans, SHARED_UPSTREAM } from "./support.ts";

const plans = await cataloguePlans();

describe("expectation table of every catalogue lab", () => {
  it("reaches kindnet-nftables-gateway's Gateway at 127.0.0.1:8080: listener → Envoy Service nodePort → host port", () => {
    const { plan } = plans.find((p) => p.name === "kindnet-nftables-gateway")!;
    const gateway = plan.checks.filter((c) => c.probe.startsWith("gateway-"));
    expect(gateway.length).toBeGreaterThan(0);
    for (const c of gateway) {
      expect("to" in c.action && c.action.to).toEqual({ address: { ip: "127.0.0.1" }, port: 8080 });
      expect(c.describes).toContain("nodePort 30180 of Envoy Service labs-gateway-envoy");
    }
  });

  it("names who rewrites pod traffic to a ClusterIP: Cilium even next to kube-proxy, else kube-proxy", () => {
    const reasonOf = (lab: string) =>
      plans.find((p) => p.name === lab)!.plan.checks.find((c) => c.probe === "pod-to-cluster-ip")!.expect
        .reason;
    expect(reasonOf("cilium-iptables")).toMatch(/^Cilium rewrites only the destination/);
    expect(reasonOf("kindnet-iptables")).toMatch(/^kube-proxy iptables rewrites only the destination/);
    expect(reasonOf("cilium-kpr")).toMatch(/^cilium ebpf rewrites only the destination/);
  });

  it("covers the whole catalogue", () => {
    expect(plans.length).toBeGreaterThanOrEqual(11);
    console.info(`probe plans of ${plans.length} labs; upstream files from ${SHARED_UPSTREAM}`);
  });

  it.each(plans.map((p) => [p.name, p] as const))("%s matches its reviewed snapshot", async (name, p) => {
    // The plan depends only on objects labs writes itself, so it is the same with or without the
    // upstream files (checked below where they are at hand).
    const text = `${renderPlanConsole(p.plan, { color: false })}\n`;
    await expect(text).toMatchFileSnapshot(`__snapshots__/plans/${name}.txt`);
  });

  it.skipIf(!existsSync(SHARED_UPSTREAM))("builds every component from the pinned upstream files", () => {
    expect(plans.flatMap((p) => p.incomplete.map((i) => `${p.name}: ${i.component}: ${i.why}`))).toEqual([]);
  });

  it.each(plans.map((p) => [p.name, p] as const))(
    "%s: expectations follow the lab's capabilities",
    async (name, p) => {
      const [entry] = await findLabs([name]);
      const lab = resolveLab(entry!.spec);
      const { plan } = p;
      const ids = plan.checks.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);

      // NetworkPolicy: blocked where enforced; reachable, with the reason, where not.
      const deny = plan.checks.filter((c) => c.probe === "netpol-ingress" && c.id.endsWith("/netpol-deny"));
      expect(deny.length).toBe(plan.clients.filter((c) => c.name !== "probe-egress").length);
      for (const c of deny) {
        if (lab.capabilities.networkPolicy) expect(c.expect.outcome).toBe("blocked");
        else {
          expect(c.expect.outcome).toBe("reachable");
          expect(c.expect.reason).toContain(`not enforced by ${lab.claims.networkPolicy.by} — expected`);
        }
        expect(c.expect.because).toEqual({ capability: "networkPolicy", by: lab.claims.networkPolicy.by });
        // A block passes only on what this CNI does with a denied packet (kindnet, Calico, Cilium: drop).
        if (lab.capabilities.networkPolicy) expect(c.expect.denial).toBe(lab.capabilities.policyDenial);
      }
      // The labelled client is allowed everywhere; the open target is reachable from every client.
      expect(plan.checks.find((c) => c.id === "netpol-ingress/probe-peer/netpol-allow")!.expect.outcome).toBe(
        "reachable",
      );
      for (const c of plan.checks.filter(
        (x) => x.id.endsWith("/netpol-open") && x.probe === "netpol-ingress",
      ))
        expect(c.expect.outcome).toBe("reachable");
      // DNS works under the egress policy whatever the CNI.
      expect(plan.checks.find((c) => c.probe === "dns-under-egress-deny")!.expect.outcome).toBe("reachable");

      // Load balancer probes run only with a load balancer, and say why they do not.
      for (const id of ["host-loadbalancer", "source-ip"]) {
        const skipped = plan.skipped.find((s) => s.probe === id);
        if (!lab.capabilities.loadBalancer) expect(skipped?.reason).toBe(lab.claims.loadBalancer.reason);
      }
      for (const id of ["ingress-paths", "ingress-host-rule"]) {
        if (!lab.capabilities.ingress)
          expect(plan.skipped.find((s) => s.probe === id)?.reason).toBe(lab.claims.ingress.reason);
      }
      for (const id of ["gateway-routes", "gateway-split", "gateway-filter-header"]) {
        if (!lab.capabilities.gatewayApi)
          expect(plan.skipped.find((s) => s.probe === id)?.reason).toBe(lab.claims.gatewayApi.reason);
      }

      // The proxy-mode proof runs on every node and must name the mode.
      const mode = lab.spec.kubeProxyMode;
      const proof = plan.checks.filter((c) => c.id.startsWith("dataplane-inspection/kube-proxy-mode/"));
      if (mode === "none") expect(proof).toEqual([]);
      else {
        expect(proof.map((c) => ("node" in c.from ? c.from.node : ""))).toEqual(
          plan.clients
            .filter((c) => c.name.startsWith("probe-") && !["probe-peer", "probe-egress"].includes(c.name))
            .map((c) => c.node),
        );
        for (const c of proof) expect(c.expect.contains).toBe(mode);
      }

      // No check asks a backend for an answer it does not declare (echo-v2 answers every path with
      // its pod name: no header, no client address).
      for (const c of plan.checks.filter((x) => x.action.kind === "http" || x.action.kind === "coverage")) {
        const path = "path" in c.action ? c.action.path : "";
        if (c.expect.body !== undefined) expect(path).toMatch(/\/header\?key=/);
        if (c.expect.backendIn?.selector["app"] === "echo-v2") expect(c.expect.clientIp).toBeUndefined();
      }
      // Route checks prove which backend answered: each names the pods that may answer.
      for (const c of plan.checks.filter((x) => ["gateway-routes", "ingress-paths"].includes(x.probe)))
        if (c.expect.outcome === "reachable") expect(c.expect.backendIn).toBeDefined();
      // The source address a LoadBalancer backend sees follows the load balancer and the proxy.
      for (const c of plan.checks.filter((x) => x.probe === "source-ip")) {
        const local = c.describes.includes("externalTrafficPolicy Local");
        const arrives = lab.capabilities.loadBalancerSource === "proxy" ? "proxy" : "kept";
        if (local) expect(c.expect.clientIp).toBe(arrives);
        else if (lab.capabilities.externalSourceNat === "remote-backend") {
          expect(c.expect.clientIp).toEqual({ snatIfRemote: arrives });
          expect(c.action.kind === "http" && c.action.backendPath).toBe("/hostname");
        } else expect(c.expect.clientIp).toBe("snat");
      }

      // Every check id is a valid engine probe id (results come back under it).
      const asEngine = {
        version: 1,
        probes: ids.map((id) => ({ id, kind: "tcp", host: "127.0.0.1", port: 1 })),
      };
      expect(checkPlan(asEngine)).toEqual([]);
    },
  );
});
