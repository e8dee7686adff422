/**
 * The Envoy Gateway v1.9.0 Helm chart, assembled from its Go module's source for tests.
 *
 * Envoy Gateway publishes the chart only as an OCI artifact on Docker Hub
 * (oci://docker.io/envoyproxy/gateway-helm:v1.9.0), which these machines cannot reach, and
 * labs learns that archive's digest on first download (lib/upstream/pins.ts). The Go module
 * proxy does serve github.com/envoyproxy/gateway@v1.9.0, and its zip holds the chart's source
 * (charts/gateway-helm, with the crds subchart under charts/). So tests build the chart the
 * way Envoy Gateway's release job does, from those bytes, pinned by the module's h1: hash:
 *
 * - envoyproxy/gateway@v1.9.0 .github/workflows/release.yaml ("Build and Push EG Release Helm
 *   Chart") runs `make helm-package helm-push` with IMAGE=docker.io/envoyproxy/gateway,
 *   TAG=v1.9.0, CHART_VERSION=v1.9.0 (and again with 1.9.0; the pin's tag is v1.9.0),
 *   IMAGE_PULL_POLICY=IfNotPresent;
 * - tools/make/helm.mk `helm-generate.%` writes values.yaml from values.tmpl.yaml with envsubst
 *   (GatewayImage=${IMAGE}:${TAG}, GatewayImagePullPolicy=${IMAGE_PULL_POLICY}), then runs
 *   `helm dependency update` and `helm lint` (a lint failure stops the release);
 * - `helm-package.%` runs `helm package charts/gateway-helm --app-version ${TAG}
 *   --version ${CHART_VERSION}`.
 *
 * What can differ from the published archive (so tests say "assembled from the module source",
 * never "the published chart"):
 * - the bytes and so the sha256: helm writes the current time into the archive, and the release
 *   packaged with helm v3.21.3 (tools/go.mod@v1.9.0) where tests use the helm at hand (v4 from
 *   test/support/helm-binary.ts); the lab's lock records this build's digest, not Docker Hub's;
 * - anything the release job changed outside these steps, or a tag re-pushed to Docker Hub
 *   after the release: the module zip is the tag's tree (its charts/ folder matches the git tag
 *   file for file), not what the registry serves today.
 * What the product expects of the published chart (gateway.test.ts: the CRDs it splits out, the
 * EnvoyProxy schema, the controller image and pull policy) is checked against this build.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import type { ArtifactRef } from "../../lib/components/component.ts";
import {
  ENVOY_GATEWAY_CHART,
  ENVOY_GATEWAY_VERSION,
} from "../../lib/components/gateway/envoy-gateway-values.ts";
import { ensureArtifacts } from "../../lib/upstream/fetch-artifacts.ts";
import { parseOciUrl } from "../../lib/upstream/oci.ts";
import { helmBinary } from "./helm-binary.ts";

const run = promisify(execFile);

/**
 * The module, pinned by the h1: hash the Go checksum database (sum.golang.org) records for it,
 * as a go.sum line would pin it. A version bump of the chart needs the new module's hash here.
 */
export const ENVOY_GATEWAY_MODULE: ModulePin = {
  path: "github.com/envoyproxy/gateway",
  version: "v1.9.0",
  sum: "h1:PaOpud15v3kDCl3L5yc1TdYzggCMpRm1yRjNKmLkzHA=",
};

export interface ModulePin {
  path: string;
  version: string;
  /** The module zip's h1: hash, as go.sum writes it. */
  sum: string;
}

/** What the release job gives `make helm-package` for the chart the pin names (see above). */
export const RELEASE_PACKAGING = {
  chartDir: "charts/gateway-helm",
  chartVersion: ENVOY_GATEWAY_VERSION,
  appVersion: ENVOY_GATEWAY_VERSION,
  values: {
    GatewayImage: `docker.io/envoyproxy/gateway:${ENVOY_GATEWAY_VERSION}`,
    GatewayImagePullPolicy: "IfNotPresent",
  },
} as const;

export interface ModuleChart {
  /** The pin this archive stands in for (envoy-gateway/chart). */
  ref: ArtifactRef;
  /** gateway-helm-v1.9.0.tgz, inside `mirror`. */
  path: string;
  sha256: string;
  /** A folder laid out as a labs mirror (index.json) holding only this archive, under the pin's URL. */
  mirror: string;
  /** The module's extracted source, as `go mod download` left it. */
  moduleDir: string;
  helmVersion: string;
  /** One line for test output: what this chart is and is not. */
  provenance: string;
}

export type ModuleChartResult = ModuleChart | { unavailable: string };

/**
 * Downloads the module with `go mod download`, checks it against the pinned h1: hash (Go's
 * reported Sum and the extracted files alike), and packages the chart into `workDir` as the
 * release does. Without Go, the module proxy or helm: `{ unavailable }`, one sentence. A hash
 * that does not match, or a step of the release recipe that fails, throws.
 */
export async function envoyGatewayChartFromModule(
  workDir: string,
  opts: { pin?: ModulePin; env?: NodeJS.ProcessEnv } = {},
): Promise<ModuleChartResult> {
  const pin = opts.pin ?? ENVOY_GATEWAY_MODULE;
  const tag = parseOciUrl(ENVOY_GATEWAY_CHART.url).tag;
  if (tag !== pin.version || RELEASE_PACKAGING.chartVersion !== pin.version)
    throw new Error(
      `the Envoy Gateway chart pin (${ENVOY_GATEWAY_CHART.url}) and the module ${pin.path}@${pin.version} disagree: pin the module of the chart's version (test/support/envoy-gateway-chart.ts)`,
    );
  const helm = helmBinary();
  if ("unavailable" in helm) return { unavailable: helm.unavailable };
  const downloaded = await downloadModule(pin, workDir, opts.env);
  if ("unavailable" in downloaded) return downloaded;
  const dir = downloaded.dir;
  const files = moduleDirHash(dir, `${pin.path}@${pin.version}`);
  if (files !== pin.sum)
    throw new Error(
      `the extracted module ${dir} hashes to ${files}, not the pinned ${pin.sum}: its files were changed after download (go clean -modcache, then try again)`,
    );
  const helmVersion = (await helmRun(helm.path, workDir, ["version", "--template", "{{.Version}}"])).trim();
  const chart = await packageLikeTheRelease(helm.path, dir, workDir);
  const sha256 = createHash("sha256").update(readFileSync(chart.path)).digest("hex");
  writeFileSync(
    join(chart.mirror, "index.json"),
    `${JSON.stringify({ files: [{ path: chart.file, url: ENVOY_GATEWAY_CHART.url, sha256 }] }, null, 2)}\n`,
  );
  return {
    ref: ENVOY_GATEWAY_CHART,
    path: chart.path,
    sha256,
    mirror: chart.mirror,
    moduleDir: dir,
    helmVersion,
    provenance:
      `the Envoy Gateway chart is assembled from the source in Go module ${pin.path}@${pin.version} (${pin.sum}) ` +
      `as its release job packages it (values.yaml from values.tmpl.yaml, helm dependency update, helm lint, helm package ` +
      `--version ${RELEASE_PACKAGING.chartVersion} --app-version ${RELEASE_PACKAGING.appVersion}) with helm ${helmVersion}; ` +
      `it is not the published ${ENVOY_GATEWAY_CHART.url} archive, and its sha256 ${sha256.slice(0, 12)}… is this build's, not the published digest`,
  };
}

/**
 * Puts an archive into an artifact cache through the artifact step itself, from its one-file
 * mirror, as a first download of the pin would (the digest is learnt for the pin's URL); later
 * artifact steps on that cache find it there, offline, like any cached chart.
 */
export async function seedArtifactCache(
  cacheDir: string,
  seed: { ref: ArtifactRef; mirror: string },
): Promise<void> {
  await ensureArtifacts([seed.ref], { cacheDir, offline: true, mirror: seed.mirror });
}

async function downloadModule(
  pin: ModulePin,
  workDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ dir: string } | { unavailable: string }> {
  const what = `${pin.path}@${pin.version}`;
  let stdout: string;
  try {
    // Outside any module (workDir has no go.mod), so nothing but this module is resolved.
    ({ stdout } = await run("go", ["mod", "download", "-json", what], {
      cwd: workDir,
      env: { ...env, GOFLAGS: "", GOWORK: "off", GO111MODULE: "on" },
      timeout: 5 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT")
      return {
        unavailable: `go is not installed (the Envoy Gateway chart is assembled from Go module ${what})`,
      };
    const said = goError(err.stdout) ?? err.stderr?.trim().split("\n").at(-1) ?? err.message;
    if (/checksum mismatch|SECURITY ERROR/.test(said)) throw new Error(`go mod download ${what}: ${said}`);
    return { unavailable: `go mod download ${what} failed: ${said}` };
  }
  const info = JSON.parse(stdout) as { Dir?: string; Sum?: string; Error?: string };
  if (info.Error || !info.Dir) return { unavailable: `go mod download ${what} failed: ${info.Error}` };
  if (info.Sum !== pin.sum)
    throw new Error(`go mod download ${what} gave ${info.Sum}, not the pinned ${pin.sum}`);
  return { dir: info.Dir };
}

function goError(stdout: string | undefined): string | undefined {
  try {
    return (JSON.parse(stdout ?? "") as { Error?: string }).Error;
  } catch {
    return undefined;
  }
}

/**
 * Go's dirhash Hash1 of an extracted module (golang.org/x/mod/sumdb/dirhash): the sha256 of
 * the lines `<sha256 hex>  <module@version/path>` of every file, sorted by path, in base64.
 * The same value as the zip's h1: when the files are the zip's, so a match proves the bytes read
 * below are the pinned ones.
 */
export function moduleDirHash(dir: string, prefix: string): string {
  const names = filesUnder(dir).map((rel) => `${prefix}/${rel.split(sep).join("/")}`);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const summary = createHash("sha256");
  for (const name of names) {
    const file = join(dir, name.slice(prefix.length + 1));
    summary.update(`${createHash("sha256").update(readFileSync(file)).digest("hex")}  ${name}\n`);
  }
  return `h1:${summary.digest("base64")}`;
}

function filesUnder(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path, root);
    return e.isFile() ? [relative(root, path)] : [];
  });
}

/**
 * GNU envsubst as the release's make recipe runs it: every `$NAME` / `${NAME}` is replaced by
 * that variable of the environment. Only the variables given are known here, so a template that
 * refers to any other (which the release's environment would have filled in) is an error.
 */
export function envsubst(template: string, vars: Readonly<Record<string, string>>): string {
  const unknown = new Set<string>();
  const out = template.replace(/\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g, (ref, braced, bare) => {
    const name = (braced ?? bare) as string;
    if (!(name in vars)) {
      unknown.add(name);
      return ref;
    }
    return vars[name]!;
  });
  if (unknown.size)
    throw new Error(
      `values.tmpl.yaml refers to ${[...unknown].join(", ")}, which the release job's environment would fill in: add them to RELEASE_PACKAGING`,
    );
  return out;
}

/** tools/make/helm.mk's helm-generate and helm-package for charts/gateway-helm, into workDir. */
async function packageLikeTheRelease(
  helm: string,
  moduleDir: string,
  workDir: string,
): Promise<{ path: string; file: string; mirror: string }> {
  const chartDir = join(workDir, "src", "gateway-helm");
  cpSync(join(moduleDir, RELEASE_PACKAGING.chartDir), chartDir, { recursive: true });
  makeWritable(chartDir); // the module cache's files are read-only; helm writes Chart.lock and charts/
  const template = readFileSync(join(chartDir, "values.tmpl.yaml"), "utf8");
  writeFileSync(join(chartDir, "values.yaml"), envsubst(template, RELEASE_PACKAGING.values));
  await helmRun(helm, workDir, ["dependency", "update", chartDir]);
  await helmRun(helm, workDir, ["lint", chartDir]);
  const mirror = join(workDir, "mirror");
  mkdirSync(mirror, { recursive: true });
  await helmRun(helm, workDir, [
    "package",
    chartDir,
    "--app-version",
    RELEASE_PACKAGING.appVersion,
    "--version",
    RELEASE_PACKAGING.chartVersion,
    "--destination",
    mirror,
  ]);
  const file = `gateway-helm-${RELEASE_PACKAGING.chartVersion}.tgz`;
  return { path: join(mirror, file), file, mirror };
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) makeWritable(path);
    else chmodSync(path, statSync(path).mode | 0o600);
  }
}

/** helm with its config, cache and data in workDir: nothing of the user's helm setup is read or written. */
async function helmRun(helm: string, workDir: string, args: string[]): Promise<string> {
  const home = join(workDir, "helm-home");
  try {
    const { stdout } = await run(helm, args, {
      cwd: workDir,
      env: {
        ...process.env,
        HELM_CONFIG_HOME: join(home, "config"),
        HELM_CACHE_HOME: join(home, "cache"),
        HELM_DATA_HOME: join(home, "data"),
      },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `helm ${args.join(" ")} failed while assembling the Envoy Gateway chart: ${(err.stderr || err.stdout || err.message).trim()}`,
    );
  }
}
