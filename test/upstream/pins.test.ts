import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LabError } from "../../lib/model/errors.ts";
import { isSha256Hex } from "../../lib/upstream/digest.ts";
import { isRecordedOnFirstDownload, PINS, pin, pinsFor } from "../../lib/upstream/pins.ts";

import { SHARED_UPSTREAM } from "../components/support/upstream.ts";

// ../shared beside the checkout, as in CI; a user's clone has none and skips.
const SHARED_INDEX = join(SHARED_UPSTREAM, "index.json");
const shared = existsSync(SHARED_INDEX);
if (!shared) console.log(`skipping the shared/upstream cross-check: ${SHARED_INDEX} is absent`);

describe("pins", () => {
  it("gives every pin a unique id, a sha256 (or a first-download marker) and an https or oci URL", () => {
    expect(new Set(PINS.map((p) => p.id)).size).toBe(PINS.length);
    for (const p of PINS) {
      expect(isSha256Hex(p.sha256) || isRecordedOnFirstDownload(p), p.id).toBe(true);
      expect(p.url, p.id).toMatch(/^(https|oci):\/\//);
      expect(p.url, p.id).not.toContain("latest");
    }
  });

  // shared/upstream may hold more than one version of a file (Cilium 1.19.6 and 1.20.0): every
  // pin that names one of its files must carry that file's sha256, and most pins name one.
  it.skipIf(!shared)("pins the files of shared/upstream it names with their sha256", () => {
    const index = JSON.parse(readFileSync(SHARED_INDEX, "utf8")) as {
      files: { url: string; sha256: string }[];
    };
    const named = PINS.filter((p) => index.files.some((f) => f.url === p.url));
    for (const p of named) {
      expect(p.sha256, p.url).toBe(index.files.find((f) => f.url === p.url)!.sha256);
    }
    expect(named.length).toBeGreaterThan(index.files.length / 2);
  });

  it("pins the CNI plugins tarballs and the Cilium chart by digest", () => {
    expect(pin("cni-plugins/linux-amd64")).toMatchObject({ type: "tarball", version: "v1.9.1" });
    expect(pin("cni-plugins/linux-arm64").sha256).toBe(
      "56171987d3947707c3563db2f4001bccaf50fd63468611b9f3cbecb1375ee7ec",
    );
    expect(pin("cilium/chart")).toMatchObject({
      type: "chart",
      version: "1.20.0",
      url: "https://helm.cilium.io/cilium-1.20.0.tgz",
      sha256: "c5f013912360d1a334f44ef25f36da59ba3414cdb48f466ee12d0c4fdff27883",
    });
    // Kept for comparison; the compatibility table refuses it next to Gateway API v1.6.1.
    expect(pin("cilium/chart-1.19.6")).toMatchObject({
      type: "chart",
      url: "https://helm.cilium.io/cilium-1.19.6.tgz",
      sha256: "21c43cf53841f9ab0375047d95aa4c64051ea52bbd2c679416e6408f5f1c9179",
    });
  });

  it("records the Envoy Gateway OCI chart's digest on first download", () => {
    const eg = pin("envoy-gateway/chart");
    expect(eg.url).toBe("oci://docker.io/envoyproxy/gateway-helm:v1.9.0");
    expect(isRecordedOnFirstDownload(eg)).toBe(true);
  });

  it("looks pins up by component", () => {
    const crds = pinsFor("gateway-api");
    expect(crds.length).toBe(11);
    expect(crds.every((p) => p.component === "gateway-api" && p.version === "v1.6.1")).toBe(true);
    expect(pinsFor("calico").map((p) => p.id)).toContain("calico/operator-crds.yaml");
  });

  it("names the known ids when asked for an unknown one", () => {
    const err = (() => {
      try {
        pin("flannel/kube-flanel.yml");
      } catch (e) {
        return e as LabError;
      }
    })();
    expect(err).toBeInstanceOf(LabError);
    expect(err?.message).toBe('unknown upstream artifact id "flannel/kube-flanel.yml"');
    expect(err?.fix).toContain("flannel/kube-flannel.yml");
    expect(() => pinsFor("weave")).toThrow(/no upstream artifacts pinned for "weave"/);
  });
});
