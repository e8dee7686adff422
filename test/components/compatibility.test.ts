/**
 * #10 defect 2's class rule: the compatibility table, as data, checked at resolve time. Every
 * catalogue lab is inside it; a lab that pairs versions outside it is refused (documented
 * failures) or warned about (untested pairs), naming both versions, the source and the fix.
 */
import { describe, expect, it } from "vitest";
import { loadCatalogue } from "../../lib/catalogue.ts";
import {
  COMPATIBILITY,
  type CompatibilityRow,
  compatibilityFindings,
  inRange,
} from "../../lib/components/compatibility.ts";
import { checkLab, productSources, resolveLab } from "../../lib/components/resolve.ts";
import { DEFAULT_NODE_IMAGE } from "../../lib/model/defaults.ts";
import { parseLabSpec } from "../../lib/model/lab-spec.ts";

describe("the compatibility table", () => {
  it("cites an upstream source and a fix on every row", () => {
    for (const row of COMPATIBILITY) {
      expect(row.source.length, `${row.product}/${row.with}`).toBeGreaterThan(10);
      expect(row.fix.length).toBeGreaterThan(5);
      expect(row.product).not.toBe(row.with);
    }
  });

  it("holds every catalogue lab: no finding from it", async () => {
    for (const { spec } of await loadCatalogue()) {
      const lab = resolveLab(spec);
      expect(compatibilityFindings(productSources(lab)), spec.name).toEqual([]);
    }
  });

  it("knows each lab's versions and where they come from", async () => {
    const [entry] = (await loadCatalogue()).filter((e) => e.spec.name === "kindnet-nftables-gateway");
    expect(productSources(resolveLab(entry!.spec))).toMatchObject({
      kind: { version: "v0.32.0" },
      kubernetes: { version: "v1.36.1", path: "nodeImage" },
      "node-image": { version: DEFAULT_NODE_IMAGE },
      "envoy-gateway": { version: "v1.9.0", path: "northSouth.gateway" },
      "gateway-api": { version: "v1.6.1", path: "northSouth.gateway" },
      "cloud-provider-kind": { version: "v0.11.1", path: "loadBalancer" },
    });
  });

  it("compares dotted versions, with or without a leading v", () => {
    expect(inRange("v1.36.1", { from: "1.33.0", below: "1.37.0" })).toBe(true);
    expect(inRange("1.37.0", { from: "1.33.0", below: "1.37.0" })).toBe(false);
    expect(inRange("v1.6.1", { from: "1.6.0", below: "1.7.0" })).toBe(true);
    expect(inRange("1.19.6", { from: "1.20.0", below: "1.21.0" })).toBe(false);
    expect(inRange("a", { exactly: ["a"] })).toBe(true);
  });

  it("turns a row outside its range into an error or a warning, with both versions and the fix", () => {
    const row: CompatibilityRow = {
      product: "envoy-gateway",
      versions: { from: "1.9.0", below: "1.10.0" },
      with: "gateway-api",
      works: { from: "1.6.0", below: "1.7.0" },
      outside: "error",
      why: "it watches v1.6 APIs",
      source: "matrix.md@v1.9.0",
      fix: "install v1.6.1",
    };
    const sources = {
      "envoy-gateway": { version: "v1.9.0", path: "northSouth.gateway" },
      "gateway-api": { version: "v1.4.0", path: "northSouth.gateway" },
    };
    expect(compatibilityFindings(sources, [row])).toEqual([
      {
        level: "error",
        path: "northSouth.gateway",
        message:
          "Envoy Gateway v1.9.0 does not work with Gateway API v1.4.0 (it works with Gateway API v1.6.x): it watches v1.6 APIs [matrix.md@v1.9.0]",
        fix: "install v1.6.1",
      },
    ]);
    expect(compatibilityFindings(sources, [{ ...row, outside: "warning" }])[0]).toMatchObject({
      level: "warning",
      message: expect.stringMatching(/^Envoy Gateway v1.9.0 is not known to work with Gateway API v1.4.0/),
    });
    // Rows about other versions, or products the lab does not have, stay silent.
    expect(compatibilityFindings(sources, [{ ...row, versions: { from: "1.8.0", below: "1.9.0" } }])).toEqual(
      [],
    );
    expect(compatibilityFindings({ "envoy-gateway": sources["envoy-gateway"] }, [row])).toEqual([]);
  });

  it("warns about a node image kind v0.32.0 was not released with", () => {
    const image = `kindest/node:v1.35.0@sha256:${"0".repeat(64)}`;
    const { findings } = checkLab(parseLabSpec({ name: "old-node", description: "x", nodeImage: image }));
    expect(findings).toEqual([
      expect.objectContaining({
        level: "warning",
        path: "nodeImage",
        message: expect.stringContaining(`kind v0.32.0 is not known to work with node image ${image}`),
        fix: "use an image listed in the kind v0.32.0 release notes (by digest), or leave nodeImage unset",
      }),
    ]);
  });

  it("warns when Calico runs on a Kubernetes it is not tested on", () => {
    const image = `kindest/node:v1.33.4@sha256:${"1".repeat(64)}`;
    const { findings } = checkLab(
      parseLabSpec({
        name: "old-calico",
        description: "x",
        nodeImage: image,
        cni: { name: "calico", options: { dataplane: "Iptables" } },
      }),
    );
    expect(findings.map((f) => `${f.level} ${f.path}: ${f.message.split(" (")[0]}`)).toContain(
      "warning cni: Calico v3.32.1 is not known to work with Kubernetes v1.33.4",
    );
  });
});
