/**
 * #10 defect 8: nothing waited for CoreDNS, or for kube-proxy (an ipvs lab on a host without
 * ip_vs crash-loops kube-proxy and showed only as failed probes). Every lab now waits for
 * CoreDNS after its CNI, and for kube-proxy's DaemonSet before its CNI whenever kube-proxy runs.
 */
import { describe, expect, it } from "vitest";
import { loadCatalogue } from "../../lib/catalogue.ts";
import type { Gate } from "../../lib/components/component.ts";
import { gatesOf, resolveLab } from "../../lib/components/resolve.ts";
import { engineIsLocal } from "../../lib/runtime/doctor/facts.ts";

const describeGate = (g: Gate) =>
  `${g.stage} ${g.kind}${"name" in g ? ` ${g.namespace}/${g.name}` : ""}${g.kind === "crds-established" ? ` ${g.names.length} CRDs` : ""}`;

describe("gates every lab has", () => {
  it("waits for kube-proxy before the CNI when it runs, and for CoreDNS after the CNI, in every catalogue lab", async () => {
    for (const { spec } of await loadCatalogue()) {
      const gates = gatesOf(resolveLab(spec)).map(describeGate);
      const kubeProxy = gates.filter((g) => g === "crds daemonset-rolled-out kube-system/kube-proxy");
      expect(kubeProxy, spec.name).toHaveLength(spec.kubeProxyMode === "none" ? 0 : 1);
      const cni = gates.filter((g) => g.startsWith("cni "));
      expect(cni.at(-1), spec.name).toBe("cni deployment-available kube-system/coredns");
      expect(
        cni.filter((g) => g === "cni nodes-ready"),
        spec.name,
      ).toHaveLength(1);
      // No gate twice (the cloud-provider-kind lab used to wait for the Gateway API CRDs twice).
      expect(new Set(gates).size, spec.name).toBe(gates.length);
    }
  });

  it("orders kindnet-ipvs: kube-proxy first, then kindnet, nodes Ready, CoreDNS", async () => {
    const [entry] = (await loadCatalogue()).filter((e) => e.spec.name === "kindnet-ipvs");
    const beforeApps = gatesOf(resolveLab(entry!.spec)).filter(
      (g) => g.stage === "crds" || g.stage === "cni",
    );
    expect(beforeApps.map(describeGate)).toEqual([
      "crds daemonset-rolled-out kube-system/kube-proxy",
      "cni daemonset-rolled-out kube-system/kindnet",
      "cni nodes-ready",
      "cni deployment-available kube-system/coredns",
    ]);
  });

  it("waits for the Gateway API CRDs once in kindnet-cloud-provider-kind", async () => {
    const [entry] = (await loadCatalogue()).filter((e) => e.spec.name === "kindnet-cloud-provider-kind");
    const crds = gatesOf(resolveLab(entry!.spec)).filter((g) => g.kind === "crds-established");
    expect(crds).toHaveLength(1);
  });
});

describe("where the doctor reads the host", () => {
  it("reads this machine only when the Docker engine is local", () => {
    expect(engineIsLocal({})).toBe(true);
    expect(engineIsLocal({ DOCKER_HOST: "unix:///var/run/docker.sock" })).toBe(true);
    expect(engineIsLocal({ DOCKER_HOST: "ssh://me@build-box" })).toBe(false);
    expect(engineIsLocal({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toBe(false);
  });
});
