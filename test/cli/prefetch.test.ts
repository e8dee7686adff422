import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { placeholder } from "../../lib/components/host-paths.ts";
import { writeBlob } from "../../lib/upstream/cache.ts";
import { pin } from "../../lib/upstream/pins.ts";
import {
  ciliumChart,
  noteSkip,
  SHARED_UPSTREAM,
  sharedUpstreamPresent,
} from "../components/support/upstream.ts";
import { runLabs } from "../support/run-labs.ts";

/**
 * `labs prefetch` and the artifact step in front of `labs synth`, run as the real executable
 * against a temporary cache. The only upstream source here is ../shared/upstream used as a
 * mirror (these machines cannot reach the pinned URLs), so these runs are offline.
 */

const freshCache = () => mkdtempSync(join(tmpdir(), "labs-prefetch-"));
/** The environment of a user with nothing configured but the cache folder. */
const env = (cacheDir: string, extra: Record<string, string | undefined> = {}) => ({
  LABS_CACHE_DIR: cacheDir,
  LABS_MIRROR: undefined,
  LABS_OFFLINE: undefined,
  LABS_HELM: undefined,
  ...extra,
});

if (!sharedUpstreamPresent) noteSkip("prefetch tests", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("labs prefetch", () => {
  it("fills the cache from a mirror, and finds it there the second time", () => {
    const cache = freshCache();
    const first = runLabs(
      ["prefetch", "calico-iptables", "--mirror", SHARED_UPSTREAM, "--offline"],
      env(cache),
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^calico-iptables: 2 artifacts ready \(2 from the mirror\)$/m);
    expect(first.stdout).toContain(`cache: ${cache}`);
    for (const id of ["calico/operator-crds.yaml", "calico/tigera-operator.yaml"])
      expect(existsSync(join(cache, "sha256", pin(id).sha256)), id).toBe(true);
    // Offline without a mirror now works: everything is in the cache.
    const second = runLabs(["prefetch", "calico-iptables"], env(cache, { LABS_OFFLINE: "1" }));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^calico-iptables: 2 artifacts ready \(2 already cached\)$/m);
  });

  it("reads LABS_MIRROR like --mirror", () => {
    const r = runLabs(
      ["prefetch", "flannel-iptables", "--arch", "amd64"],
      env(freshCache(), { LABS_MIRROR: SHARED_UPSTREAM, LABS_OFFLINE: "1" }),
    );
    // kube-flannel.yml comes from the mirror; the plugins tarball is in no mirror here.
    expect(r.stderr).toContain("flannel/kube-flannel.yml: from the mirror");
    expect(r.code).toBe(3);
  });

  it("names the missing artifact of the chosen architecture and the command that fetches it", () => {
    const r = runLabs(
      ["prefetch", "flannel-iptables", "--offline", "--mirror", SHARED_UPSTREAM, "--arch", "arm64"],
      env(freshCache()),
    );
    expect(r.code).toBe(3);
    const [problem, fix] = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("labs: error") || l.startsWith("labs: fix"));
    expect(problem).toMatch(
      /^labs: error: offline and artifact is not in the cache: cni-plugins\/linux-arm64 \(https:\/\/github.com\/containernetworking\/plugins\/releases\/download\/v1.9.1\/cni-plugins-linux-arm64-v1.9.1.tgz\)$/,
    );
    expect(fix).toBe("labs: fix: run `labs prefetch flannel-iptables` while online, or pass --mirror DIR");
    const all = runLabs(["prefetch", "flannel-iptables", "--offline", "--arch", "all"], env(freshCache()));
    expect(all.stderr).toMatch(
      /5 artifacts are not in the cache: flannel\/kube-flannel.yml .*cni-plugins\/linux-amd64 .*cni-plugins\/linux-arm64 .*metallb\/metallb-native.yaml .*ingress-nginx\/kind-deploy.yaml/,
    );
  });

  it("checks a mirror's bytes against the pin", () => {
    const mirror = mkdtempSync(join(tmpdir(), "labs-bad-mirror-"));
    const url = pin("flannel/kube-flannel.yml").url;
    mkdirSync(join(mirror, "flannel"));
    writeFileSync(join(mirror, "flannel", "kube-flannel.yml"), "kind: Namespace\n");
    writeFileSync(
      join(mirror, "index.json"),
      JSON.stringify({ files: [{ path: "flannel/kube-flannel.yml", url, sha256: "0".repeat(64) }] }),
    );
    const r = runLabs(
      ["synth", "flannel-iptables", "--offline", "--mirror", mirror, "--out", freshCache()],
      env(freshCache()),
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /mirror file .*kube-flannel.yml does not match flannel\/kube-flannel.yml: expected sha256 e875824b/,
    );
  });

  it("needs helm only for labs that install a chart, and says so", () => {
    const cache = freshCache();
    // The chart archive is fetched before helm is looked for, so without it that is the problem named.
    const noChart = runLabs(["prefetch", "cilium-kpr", "--offline"], env(cache, { PATH: "" }));
    expect(noChart.code).toBe(3);
    expect(noChart.stderr).toMatch(/cilium\/chart \(https:\/\/helm.cilium.io\/cilium-1.20.0.tgz\)/);
    const found = ciliumChart();
    const chart = "path" in found ? found.path : undefined;
    if (chart && existsSync(chart)) {
      writeBlob(cache, readFileSync(chart), pin("cilium/chart").sha256);
      // cilium-iptables needs the chart and nothing else.
      const noHelm = runLabs(["prefetch", "cilium-iptables", "--offline"], env(cache, { PATH: "" }));
      expect(noHelm.code).toBe(3);
      expect(noHelm.stderr).toContain(
        "labs: error: cilium-iptables: helm is not installed: this lab renders a Helm chart",
      );
      expect(noHelm.stderr).toMatch(/labs: fix: install helm .*or set LABS_HELM/);
    } else {
      noteSkip(
        "the no-helm message with the chart in the cache",
        "unavailable" in found ? found.unavailable : "",
      );
    }
    // A lab without charts never looks for helm.
    const calico = runLabs(
      ["prefetch", "calico-ebpf", "--offline", "--mirror", SHARED_UPSTREAM],
      env(cache, { PATH: "" }),
    );
    expect(calico.code, calico.stderr).toBe(0);
  });

  it("fetches what it can for --all and reports every lab that failed", () => {
    const r = runLabs(
      ["prefetch", "--all", "--offline", "--mirror", SHARED_UPSTREAM, "--arch", "amd64"],
      env(freshCache(), { PATH: "" }),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^kindnet-iptables: nothing to fetch/m);
    expect(r.stdout).toMatch(/^calico-nftables: 2 artifacts ready/m);
    expect(r.stderr).toMatch(
      /labs: error: flannel-[a-z]+: offline and artifact is not in the cache: cni-plugins\/linux-amd64/,
    );
    expect(r.stderr).toMatch(/cilium\/chart/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("refuses to guess which labs", () => {
    const r = runLabs(["prefetch"], env(freshCache()));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^labs: error: name at least one lab, or pass --all/);
  });
});

describe.skipIf(!sharedUpstreamPresent)("labs synth and the artifact step", () => {
  it("offline with an empty cache: names the artifact and how to get it", () => {
    const r = runLabs(["synth", "calico-ebpf", "--offline", "--out", freshCache()], env(freshCache()));
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(
      /^labs: error: offline and 2 artifacts are not in the cache: calico\/operator-crds.yaml \(https:\/\/raw.githubusercontent.com\/projectcalico\/calico\/v3.32.1\/manifests\/operator-crds.yaml\)/,
    );
    expect(lines[1]).toBe("labs: fix: run `labs prefetch calico-ebpf` while online, or pass --mirror DIR");
  });

  it("synthesizes from the mirror without fetching the tarball synth does not read", () => {
    const out = freshCache();
    const cache = freshCache();
    const r = runLabs(
      ["synth", "flannel-ipvs", "--out", out],
      env(cache, { LABS_MIRROR: SHARED_UPSTREAM, LABS_OFFLINE: "1" }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, "flannel-ipvs", "kind.yaml"), "utf8")).toContain(
      `${placeholder("LABS_CNI_PLUGINS")}/bridge`,
    );
    expect(existsSync(join(cache, "sha256", pin("cni-plugins/linux-amd64").sha256))).toBe(false);
  });

  it("writes byte-identical output from two different caches", () => {
    const synth = () => {
      const out = freshCache();
      const cache = freshCache();
      const r = runLabs(
        [
          "synth",
          "flannel-nftables",
          "calico-nftables",
          "--out",
          out,
          "--offline",
          "--mirror",
          SHARED_UPSTREAM,
        ],
        env(cache),
      );
      expect(r.code, r.stderr).toBe(0);
      const files = ["kind.yaml", "lab.json", "lab.lock.json", "0001-cni.k8s.yaml"].flatMap((f) =>
        ["flannel-nftables", "calico-nftables"].map((lab) => readFileSync(join(out, lab, f), "utf8")),
      );
      // Nothing of this machine leaks in: the cache folder is only ever named by its variable.
      for (const text of files) expect(text).not.toContain(cache);
      return files;
    };
    expect(synth()).toEqual(synth());
  });
});
