import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue } from "../../lib/catalogue.ts";
import { checkLab, collect } from "../../lib/components/resolve.ts";
import { blobPath, writeBlob } from "../../lib/upstream/cache.ts";
import { isRecordedOnFirstDownload, pin } from "../../lib/upstream/pins.ts";
import { envoyGatewayChartFromModule, seedArtifactCache } from "../support/envoy-gateway-chart.ts";
import { helmBinary } from "../support/helm-binary.ts";
import { type LabsRun, runLabs } from "../support/run-labs.ts";
import { ciliumChart, noteSkip, SHARED_UPSTREAM, sharedUpstreamPresent } from "./support/upstream.ts";

/**
 * `labs lint` over the whole catalogue, as a user runs it offline with ../shared/upstream as the
 * mirror. Labs that install a Helm chart also need the chart archive and helm; when either is
 * missing here, those labs are skipped with a message. The Envoy Gateway chart, published only
 * to Docker Hub, is assembled from its Go module's source and put into the cache as a first
 * download would (test/support/envoy-gateway-chart.ts says what may differ from the published one).
 */

const cacheDir = mkdtempSync(join(tmpdir(), "labs-catalogue-"));
const chart = ciliumChart();
if ("path" in chart) writeBlob(cacheDir, readFileSync(chart.path), pin("cilium/chart").sha256);
const helm = helmBinary();
const chartWork = sharedUpstreamPresent ? mkdtempSync(join(tmpdir(), "labs-catalogue-eg-chart-")) : undefined;
const moduleChart = chartWork ? await envoyGatewayChartFromModule(chartWork) : undefined;
const seeded = new Set<string>();
if (moduleChart && "path" in moduleChart) {
  await seedArtifactCache(cacheDir, moduleChart);
  seeded.add(moduleChart.ref.id);
  console.log(`labs lint over the catalogue: ${moduleChart.provenance}`);
}

const entries = await loadCatalogue();
const missingFor = (name: string): string | undefined => {
  const lab = checkLab(entries.find((e) => e.spec.name === name)!.spec).lab!;
  const charts = collect(lab, (s) => s.component.charts?.(s.options, lab));
  if (!charts.length) return undefined;
  if ("unavailable" in helm) return helm.unavailable;
  // A chart whose digest is learnt on first download is in a fresh cache only when seeded above.
  const absent = charts.filter((c) =>
    isRecordedOnFirstDownload(c.chart)
      ? !seeded.has(c.chart.id)
      : !existsSync(blobPath(cacheDir, c.chart.sha256)),
  );
  if (!absent.length) return undefined;
  const assembly =
    moduleChart && "unavailable" in moduleChart
      ? ` (and it cannot be assembled from its Go module: ${moduleChart.unavailable})`
      : "";
  return `chart ${absent.map((c) => c.chart.url).join(", ")} is not at hand${assembly}`;
};
const skipped = new Map(entries.map((e) => [e.spec.name, missingFor(e.spec.name)] as const));
for (const [name, why] of skipped) if (why) noteSkip(`labs lint ${name}`, why);
if (!sharedUpstreamPresent) noteSkip("linting the catalogue", "../shared/upstream is absent");
const runnable = entries.map((e) => e.spec.name).filter((n) => !skipped.get(n));

describe.skipIf(!sharedUpstreamPresent)("labs lint over the catalogue", () => {
  let run: LabsRun;
  afterAll(() => {
    if (chartWork) rmSync(chartWork, { recursive: true, force: true });
  });
  beforeAll(() => {
    run = runLabs(["lint", ...runnable], {
      LABS_CACHE_DIR: cacheDir,
      LABS_MIRROR: SHARED_UPSTREAM,
      LABS_OFFLINE: "1",
      LABS_HELM: "path" in helm ? helm.path : undefined,
    });
  }, 120_000);

  it("includes the CNI labs", () => {
    const names = entries.map((e) => e.spec.name);
    for (const lab of [
      "flannel-iptables",
      "flannel-ipvs",
      "flannel-nftables",
      "calico-iptables",
      "calico-ebpf",
      "calico-nftables",
      "cilium-iptables",
      "cilium-kpr",
    ])
      expect(names).toContain(lab);
  });

  for (const { spec } of entries) {
    it.skipIf(!!skipped.get(spec.name))(`${spec.name} lints with no errors`, () => {
      expect(run.stderr).not.toMatch(/labs: (error|internal error)/);
      const summary = run.stdout
        .split("\n")
        .find((l) => l.startsWith(`${spec.name}: `) && l.includes(" objects, "));
      expect(summary, run.stdout + run.stderr).toMatch(/; 0 errors, \d+ warnings$/);
      expect(run.code).toBe(0);
      // Every error line names its lab; none may name this one.
      expect(run.stdout).not.toMatch(new RegExp(`^${spec.name}: error`, "m"));
    });
  }
});
