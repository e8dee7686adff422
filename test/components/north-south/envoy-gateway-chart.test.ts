/**
 * The Envoy Gateway chart the tests assemble from its Go module (test/support/envoy-gateway-chart.ts),
 * because the published archive lives only on Docker Hub, out of reach here: packaged as the
 * release job packages it, read only from the pinned module, agreeing with what labs pins for
 * Envoy Gateway, and found by the artifact step in a cache it was seeded into. Every test that
 * uses it says that it is not the published archive.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ENVOY_GATEWAY_CHART,
  ENVOY_GATEWAY_IMAGE,
  ENVOY_PROXY_IMAGE,
} from "../../../lib/components/gateway/envoy-gateway-values.ts";
import { ensureArtifacts } from "../../../lib/upstream/fetch-artifacts.ts";
import {
  ENVOY_GATEWAY_MODULE,
  envoyGatewayChartFromModule,
  envsubst,
  moduleDirHash,
  RELEASE_PACKAGING,
  seedArtifactCache,
} from "../../support/envoy-gateway-chart.ts";
import { helmBinary } from "../../support/helm-binary.ts";
import { noteSkip } from "../support/upstream.ts";

describe("values.yaml from values.tmpl.yaml, as the release's envsubst writes it", () => {
  it("fills ${NAME} and $NAME from the release's variables", () => {
    expect(
      envsubst("image: ${GatewayImage}\npolicy: $GatewayImagePullPolicy\n", RELEASE_PACKAGING.values),
    ).toBe("image: docker.io/envoyproxy/gateway:v1.9.0\npolicy: IfNotPresent\n");
  });

  it("refuses a variable the release job's environment would have filled in, rather than guess", () => {
    expect(() => envsubst("tag: ${GatewayImage}\nregistry: ${Registry}\n", RELEASE_PACKAGING.values)).toThrow(
      /refers to Registry/,
    );
  });
});

const work = mkdtempSync(join(tmpdir(), "labs-eg-module-chart-"));
const chart = await envoyGatewayChartFromModule(work);
const unavailable = "unavailable" in chart ? chart.unavailable : undefined;
if (unavailable) {
  noteSkip("assembling the Envoy Gateway chart from its Go module", unavailable);
  rmSync(work, { recursive: true, force: true });
}
const { path: helm } = helmBinary() as { path: string };
const built = chart as Exclude<typeof chart, { unavailable: string }>;

describe.skipIf(!!unavailable)(
  `the Envoy Gateway chart assembled from ${ENVOY_GATEWAY_MODULE.path}@${ENVOY_GATEWAY_MODULE.version}`,
  () => {
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it("is gateway-helm v1.9.0, appVersion v1.9.0, with its crds subchart, as `helm package --version --app-version` made it", () => {
      const meta = parse(execFileSync(helm, ["show", "chart", built.path], { encoding: "utf8" }));
      expect(meta).toMatchObject({ name: "gateway-helm", version: "v1.9.0", appVersion: "v1.9.0" });
      expect(meta.dependencies).toEqual([
        expect.objectContaining({ name: "crds", version: "0.0.0", condition: "crds.enabled" }),
      ]);
      const files = execFileSync("tar", ["-tzf", built.path], { encoding: "utf8" }).split("\n");
      expect(files).toContain("gateway-helm/charts/crds/Chart.yaml");
      expect(files).toContain(
        "gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyproxies.yaml",
      );
      // The template is not packaged (.helmignore: *.tmpl.*); the values generated from it are.
      expect(files).toContain("gateway-helm/values.yaml");
      expect(files.filter((f) => f.includes(".tmpl."))).toEqual([]);
    });

    it("carries values.yaml with the release's controller image and pull policy", () => {
      const values = parse(execFileSync(helm, ["show", "values", built.path], { encoding: "utf8" }));
      expect(values.global.images.envoyGateway).toMatchObject({
        image: "docker.io/envoyproxy/gateway:v1.9.0",
        pullPolicy: "IfNotPresent",
      });
    });

    it("names the images labs pins: the chart's controller image, and the Envoy image v1.9.0 deploys by default", () => {
      expect(ENVOY_GATEWAY_IMAGE).toBe(RELEASE_PACKAGING.values.GatewayImage);
      // api/v1alpha1/shared_types.go: the EnvoyProxy default the controller falls back to.
      const types = readFileSync(join(built.moduleDir, "api/v1alpha1/shared_types.go"), "utf8");
      const defaultImage = /DefaultEnvoyProxyImage\s*=\s*"([^"]+)"/.exec(types)?.[1];
      expect(defaultImage).toBe(ENVOY_PROXY_IMAGE);
    });

    it("reads only the pinned module: its files hash to the pinned h1:, and another pin is refused", async () => {
      const prefix = `${ENVOY_GATEWAY_MODULE.path}@${ENVOY_GATEWAY_MODULE.version}`;
      expect(moduleDirHash(built.moduleDir, prefix)).toBe(ENVOY_GATEWAY_MODULE.sum);
      const other = mkdtempSync(join(tmpdir(), "labs-eg-module-other-"));
      try {
        const wrong = `h1:${"A".repeat(43)}=`;
        await expect(
          envoyGatewayChartFromModule(other, { pin: { ...ENVOY_GATEWAY_MODULE, sum: wrong } }),
        ).rejects.toThrow(`not the pinned ${wrong}`);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it("stands in for the pin in an artifact cache: the artifact step finds it offline and records this build's digest", async () => {
      const cacheDir = join(work, "cache");
      await seedArtifactCache(cacheDir, built);
      const found = await ensureArtifacts([ENVOY_GATEWAY_CHART], { cacheDir, offline: true });
      expect(found.resolved).toEqual([
        expect.objectContaining({ id: "envoy-gateway/chart", source: "cache", sha256: built.sha256 }),
      ]);
      expect(found.recorded).toEqual({ "envoy-gateway/chart": built.sha256 });
    });
  },
);
