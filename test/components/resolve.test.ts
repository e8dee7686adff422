import { describe, expect, it } from "vitest";
import { NORTH_SOUTH_CAPABILITY } from "../../lib/components/component.ts";
import { registry } from "../../lib/components/registry.ts";
import { checkLab, resolveLab } from "../../lib/components/resolve.ts";
import { parseLabSpec } from "../../lib/model/index.ts";

// An older node image; only its tag matters here (the digest is a placeholder of the right shape).
const V1_30 = "kindest/node:v1.30.13@sha256:397209b3d947d154f6641f2d0ce8d473732bd91c87d9575ade99049aa33cd648";

const lab = (extra: object) => parseLabSpec({ name: "demo", description: "a lab", ...extra });
const errorsOf = (extra: object) =>
  checkLab(lab(extra))
    .findings.filter((f) => f.level === "error")
    .map((f) => `${f.path}: ${f.message}${f.fix ? ` (${f.fix})` : ""}`);

describe("resolving a lab against the component registry", () => {
  it("merges capabilities and says which component set each and why", () => {
    const resolved = resolveLab(lab({ kubeProxyMode: "nftables" }));
    expect(resolved.capabilities).toMatchObject({ networkPolicy: true, serviceProxy: "kube-proxy nftables" });
    expect(resolved.claims.networkPolicy).toMatchObject({
      by: "kindnet",
      reason: expect.stringMatching(/kind v0.24/),
    });
    expect(resolved.clusterName).toBe("labs-demo");
    expect(resolved.selected).toMatchObject({ cni: "kindnet", proxy: "nftables", apps: ["echo"] });
  });

  it("gives a north-south component's kind its capability, with how it serves it as the reason", () => {
    const resolved = resolveLab(lab({ northSouth: { ingress: "ingress-nginx" }, apps: ["echo", "echo-v2"] }));
    expect(resolved.capabilities).toMatchObject({ ingress: true, gatewayApi: false });
    expect(resolved.claims.ingress).toEqual({
      value: true,
      by: "ingress-nginx",
      reason: expect.stringMatching(/^ingress-nginx serves Ingresses of class nginx on hostPorts 80\/443/),
    });
  });

  it("has every ingress, gateway and load balancer say how it serves, and none claim it twice", () => {
    for (const [kind, capability] of Object.entries(NORTH_SOUTH_CAPABILITY)) {
      for (const c of registry[kind as keyof typeof NORTH_SOUTH_CAPABILITY]) {
        expect(c.serves, `${kind} ${c.name}`).toBeTypeOf("function");
        expect(c.capabilities?.({}, {} as never) ?? {}, `${kind} ${c.name}`).not.toHaveProperty(capability);
      }
    }
  });

  it("suggests the closest CNI for an unknown one", () => {
    expect(errorsOf({ cni: "kindnt" })).toEqual(['cni.name: unknown CNI "kindnt": did you mean "kindnet"?']);
  });

  it("names the known proxy modes for an unknown mode, when the lab is parsed", () => {
    expect(() => lab({ kubeProxyMode: "userspace" })).toThrow(
      /^demo: kubeProxyMode: must be a kube-proxy mode kind runs: iptables, ipvs, nftables, none, got the string "userspace"/,
    );
  });

  it("rejects an unknown north-south component", () => {
    expect(errorsOf({ northSouth: { ingress: "no-such-ingress" } })[0]).toMatch(
      /^northSouth.ingress.name: unknown ingress "no-such-ingress"/,
    );
  });

  it("refuses kubeProxyMode none with a CNI that does not replace kube-proxy", () => {
    expect(errorsOf({ kubeProxyMode: "none" })).toEqual([
      expect.stringMatching(
        /^kubeProxyMode: kubeProxyMode "none" leaves Services unprogrammed: kindnet does not replace kube-proxy/,
      ),
    ]);
  });

  it("requires Kubernetes 1.31 for nftables", () => {
    expect(errorsOf({ kubeProxyMode: "nftables", nodeImage: V1_30 })).toEqual([
      expect.stringMatching(/nftables mode needs Kubernetes 1.31 or newer; the node image is v1.30.13/),
    ]);
    expect(errorsOf({ kubeProxyMode: "nftables" })).toEqual([]);
  });

  it("warns, not fails, for ipvs on Kubernetes 1.35 and later", () => {
    const { lab: resolved, findings } = checkLab(lab({ kubeProxyMode: "ipvs" }));
    expect(resolved).toBeDefined();
    expect(findings).toEqual([
      expect.objectContaining({
        level: "warning",
        message: expect.stringMatching(/deprecated since Kubernetes 1.35/),
      }),
    ]);
    // (A 1.30 image is not one kind v0.32.0 was released with: the compatibility table warns on nodeImage.)
    expect(
      checkLab(lab({ kubeProxyMode: "ipvs", nodeImage: V1_30 })).findings.filter(
        (f) => f.path !== "nodeImage",
      ),
    ).toEqual([]);
  });

  it("rejects an unknown option of a component and lists the known ones", () => {
    expect(errorsOf({ apps: [{ name: "echo", options: { replica: 2 } }] })).toEqual([
      'apps[0].options: unknown option "replica" for echo (known options: replicas, namespace)',
    ]);
    expect(errorsOf({ cni: { name: "kindnet", options: { mtu: 1400 } } })).toEqual([
      'cni.options: unknown option "mtu" for kindnet (kindnet takes no options)',
    ]);
  });

  it("rejects an app listed twice", () => {
    expect(errorsOf({ apps: ["echo", "echo"] })).toEqual(['apps[1]: app "echo" is listed twice']);
  });

  it("throws one line per error from resolveLab", () => {
    expect(() => resolveLab(lab({ cni: "nope", northSouth: { ingress: "nope" } }))).toThrow(
      /demo: cni.name: unknown CNI "nope".*\ndemo: northSouth.ingress.name: unknown ingress "nope"/s,
    );
  });
});
