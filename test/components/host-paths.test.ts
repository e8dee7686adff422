import { describe, expect, it } from "vitest";
import type { ArtifactRef, HostPathVariable } from "../../lib/components/component.ts";
import {
  artifactsForArch,
  extractedTarballVariable,
  nodeArchOf,
  placeholder,
  substituteHostPaths,
} from "../../lib/components/host-paths.ts";

const ref = (id: string, hex: string, type: ArtifactRef["type"] = "tarball"): ArtifactRef => ({
  id,
  url: `https://example.test/${id}.tgz`,
  sha256: hex.repeat(64),
  type,
});
const amd = ref("plugins/amd64", "a");
const arm = ref("plugins/arm64", "b");
const manifest = ref("thing/manifest.yaml", "c", "manifest");
const variable: HostPathVariable = extractedTarballVariable("LABS_PLUGINS", "test plugins", {
  amd64: amd,
  arm64: arm,
});

describe("host path variables", () => {
  it("keep the cache folder and the architecture out of kind.yaml", () => {
    expect(variable.byArch.amd64).toEqual({
      artifact: "plugins/amd64",
      sha256: amd.sha256,
      path: `\${LABS_CACHE_DIR}/extracted/${amd.sha256}`,
    });
    expect(variable.byArch.arm64.path).toContain(arm.sha256);
  });

  it("resolve to this machine's cache and the engine's architecture", () => {
    const kindYaml = `hostPath: ${placeholder("LABS_PLUGINS")}/bridge\nother: ${placeholder("LABS_CACHE_DIR")}/x\n`;
    expect(substituteHostPaths(kindYaml, [variable], { cacheDir: "/c", arch: "arm64" })).toBe(
      `hostPath: /c/extracted/${arm.sha256}/bridge\nother: /c/x\n`,
    );
    expect(substituteHostPaths(kindYaml, [variable], { cacheDir: "/c", arch: "amd64" })).toContain(
      `/c/extracted/${amd.sha256}/bridge`,
    );
  });

  it("never give kind a relative host path, whatever the cache dir looks like (#10)", () => {
    const kindYaml = `hostPath: ${placeholder("LABS_PLUGINS")}/bridge\n`;
    expect(substituteHostPaths(kindYaml, [variable], { cacheDir: "rel/cache", arch: "amd64" })).toBe(
      `hostPath: ${process.cwd()}/rel/cache/extracted/${amd.sha256}/bridge\n`,
    );
  });

  it("refuse to leave a variable nobody defined", () => {
    expect(() =>
      substituteHostPaths(`hostPath: ${placeholder("LABS_UNKNOWN")}/x`, [variable], {
        cacheDir: "/c",
        arch: "amd64",
      }),
    ).toThrow(/still names \$\{LABS_UNKNOWN\}/);
  });

  it("map what docker and node call architectures", () => {
    expect(["x86_64", "amd64", "x64"].map(nodeArchOf)).toEqual(["amd64", "amd64", "amd64"]);
    expect(["aarch64", "arm64"].map(nodeArchOf)).toEqual(["arm64", "arm64"]);
    expect(() => nodeArchOf("s390x")).toThrow(/s390x Docker engine are not supported/);
  });

  it("leave the other architecture's tarball out of a machine's downloads", () => {
    const refs = [manifest, amd, arm];
    expect(artifactsForArch(refs, [variable], "arm64").map((r) => r.id)).toEqual([
      "thing/manifest.yaml",
      "plugins/arm64",
    ]);
    expect(artifactsForArch(refs, [variable], "amd64").map((r) => r.id)).toEqual([
      "thing/manifest.yaml",
      "plugins/amd64",
    ]);
    expect(artifactsForArch(refs, [variable], "all")).toEqual(refs);
    expect(artifactsForArch(refs, [], "arm64")).toEqual(refs);
  });
});
