import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ArtifactRef } from "../../lib/model/artifact-ref.ts";
import { LabError } from "../../lib/model/errors.ts";
import { blobPath, writeBlob } from "../../lib/upstream/cache.ts";
import { sha256Hex } from "../../lib/upstream/digest.ts";
import { type ArtifactEvent, ensureArtifacts, readerFromCache } from "../../lib/upstream/fetch-artifacts.ts";
import { PINS, pin, RECORDED_ON_FIRST_DOWNLOAD } from "../../lib/upstream/pins.ts";
import { SHARED_UPSTREAM } from "../components/support/upstream.ts";
import { bytes, selfSignedCert, startServer, type TestServer } from "../support/http-server.ts";
import { CHART, CHART_SHA, startFakeRegistry } from "./fake-registry.ts";

const SHARED = SHARED_UPSTREAM;
const haveShared = existsSync(join(SHARED, "index.json"));
if (!haveShared) console.log(`skipping mirror tests over real upstream files: ${SHARED} is absent`);

const MANIFEST = Buffer.from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-upstream\n");
const OTHER = Buffer.from("apiVersion: v1\nkind: Secret\n");
const DL = { allowHttp: true, retries: 0, timeoutMs: 2000 };

let server: TestServer;
let work: string;
let cacheDir: string;

beforeAll(async () => {
  server = await startServer({ "/manifest.yaml": bytes(MANIFEST), "/other.yaml": bytes(OTHER) });
});
afterAll(() => server.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "labs-fetch-"));
  cacheDir = join(work, "cache");
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function ref(path: string, body: Buffer, id = `test${path}`): ArtifactRef {
  return { id, url: `${server.origin}${path}`, sha256: sha256Hex(body), type: "manifest" };
}

async function labError(p: Promise<unknown>): Promise<LabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  return err as LabError;
}

describe("ensureArtifacts from the network", () => {
  it("downloads, stores by digest, and serves the bytes to synth from the cache", async () => {
    const r = ref("/manifest.yaml", MANIFEST);
    const events: ArtifactEvent[] = [];
    const got = await ensureArtifacts([r], { cacheDir, download: DL, onProgress: (e) => events.push(e) });
    expect(got(r).equals(MANIFEST)).toBe(true);
    expect(got.resolved).toEqual([
      expect.objectContaining({
        id: r.id,
        sha256: r.sha256,
        source: "network",
        path: blobPath(cacheDir, r.sha256),
      }),
    ]);
    expect(events.map((e) => e.kind)).toEqual(["download", "stored"]);
    expect(readerFromCache(cacheDir)(r).equals(MANIFEST)).toBe(true);
  });

  it("uses a verified cache hit without touching the network", async () => {
    const r = ref("/other.yaml", OTHER);
    await ensureArtifacts([r], { cacheDir, download: DL });
    const hits = server.hits["/other.yaml"];
    const again = await ensureArtifacts([r], { cacheDir, download: DL });
    expect(again.resolved[0]?.source).toBe("cache");
    expect(server.hits["/other.yaml"]).toBe(hits);
  });

  it("detects a corrupted cache file, never serves it, and fetches the file again", async () => {
    const r = ref("/manifest.yaml", MANIFEST);
    await ensureArtifacts([r], { cacheDir, download: DL });
    const path = blobPath(cacheDir, r.sha256);
    chmodSync(path, 0o644);
    writeFileSync(path, "kind: Evil\n");
    expect(() => readerFromCache(cacheDir)(r)).toThrow(/was corrupted/);
    const hits = server.hits["/manifest.yaml"]!;
    const events: ArtifactEvent[] = [];
    const got = await ensureArtifacts([r], { cacheDir, download: DL, onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.kind)).toEqual(["download", "stored"]);
    expect(server.hits["/manifest.yaml"]).toBe(hits + 1);
    expect(got(r).equals(MANIFEST)).toBe(true);
  });

  it("reports a corrupted file it finds on the way", async () => {
    const r = ref("/manifest.yaml", MANIFEST);
    await ensureArtifacts([r], { cacheDir, download: DL });
    chmodSync(blobPath(cacheDir, r.sha256), 0o644);
    writeFileSync(blobPath(cacheDir, r.sha256), "x");
    const events: ArtifactEvent[] = [];
    await ensureArtifacts([r], { cacheDir, download: DL, onProgress: (e) => events.push(e) });
    expect(events[0]).toEqual({ kind: "corrupt", id: r.id, path: blobPath(cacheDir, r.sha256) });
  });

  it("stores nothing when the upstream bytes do not match the pin", async () => {
    const r = { ...ref("/manifest.yaml", MANIFEST), sha256: sha256Hex(OTHER) };
    const err = await labError(ensureArtifacts([r], { cacheDir, download: DL }));
    expect(err.message).toContain("checksum mismatch");
    expect(existsSync(join(cacheDir, "sha256"))).toBe(false);
  });

  it("refuses one id declared with two different digests", async () => {
    const a = ref("/manifest.yaml", MANIFEST, "same");
    const b = { ...a, sha256: sha256Hex(OTHER) };
    expect((await labError(ensureArtifacts([a, b], { cacheDir, download: DL }))).message).toContain('"same"');
  });
});

describe("ensureArtifacts offline", () => {
  it("works from a filled cache", async () => {
    const r = ref("/manifest.yaml", MANIFEST);
    writeBlob(cacheDir, MANIFEST, r.sha256);
    const got = await ensureArtifacts([r], { cacheDir, offline: true });
    expect(got(r).equals(MANIFEST)).toBe(true);
  });

  it("names every missing artifact with its URL and the command that fills the cache", async () => {
    const a = ref("/manifest.yaml", MANIFEST);
    const b = ref("/other.yaml", OTHER);
    const hits = server.hits["/manifest.yaml"];
    const err = await labError(ensureArtifacts([a, b], { cacheDir, offline: true, lab: "flannel-iptables" }));
    expect(err.message).toContain(`${a.id} (${a.url})`);
    expect(err.message).toContain(`${b.id} (${b.url})`);
    expect(err.fix).toContain("labs prefetch flannel-iptables");
    expect(server.hits["/manifest.yaml"]).toBe(hits);
  });
});

describe.skipIf(!haveShared)("ensureArtifacts from a mirror", () => {
  const flannel = pin("flannel/kube-flannel.yml");
  const tigera = pin("calico/tigera-operator.yaml");

  /** A temp mirror holding a copy of a few shared/upstream files, with its own index.json. */
  function tempMirror(paths: string[]): string {
    const dir = join(work, "mirror");
    const index = JSON.parse(readFileSync(join(SHARED, "index.json"), "utf8")) as {
      files: { path: string }[];
    };
    const files = index.files.filter((f) => paths.includes(f.path));
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      copyFileSync(join(SHARED, f.path), join(dir, f.path));
    }
    writeFileSync(join(dir, "index.json"), JSON.stringify({ files }));
    return dir;
  }

  it("takes pinned files from the mirror before the network, even offline", async () => {
    const mirror = tempMirror(["flannel/v0.28.9/kube-flannel.yml", "calico/v3.32.1/tigera-operator.yaml"]);
    const events: ArtifactEvent[] = [];
    const got = await ensureArtifacts([flannel, tigera], {
      cacheDir,
      mirror,
      offline: true,
      onProgress: (e) => events.push(e),
    });
    expect(got.resolved.map((r) => r.source)).toEqual(["mirror", "mirror"]);
    expect(got(flannel).toString("utf8")).toContain("kind: DaemonSet");
    expect(events.filter((e) => e.kind === "mirror").map((e) => (e as { file: string }).file)).toEqual([
      join(mirror, "flannel/v0.28.9/kube-flannel.yml"),
      join(mirror, "calico/v3.32.1/tigera-operator.yaml"),
    ]);
    const again = await ensureArtifacts([flannel], { cacheDir, mirror, offline: true });
    expect(again.resolved[0]?.source).toBe("cache");
  });

  it("treats a mirror file that does not match the pin as an error naming the file", async () => {
    const mirror = tempMirror(["flannel/v0.28.9/kube-flannel.yml"]);
    const file = join(mirror, "flannel/v0.28.9/kube-flannel.yml");
    writeFileSync(file, `${readFileSync(file, "utf8")}\n# edited\n`);
    const err = await labError(ensureArtifacts([flannel], { cacheDir, mirror, offline: true }));
    expect(err.message).toContain(`mirror file ${file}`);
    expect(err.message).toContain(`expected sha256 ${flannel.sha256}`);
    expect(existsSync(blobPath(cacheDir, flannel.sha256))).toBe(false);
  });

  it("falls through to the offline error for files the mirror lacks", async () => {
    const mirror = tempMirror(["flannel/v0.28.9/kube-flannel.yml"]);
    const err = await labError(ensureArtifacts([flannel, tigera], { cacheDir, mirror, offline: true }));
    expect(err.message).toContain(tigera.id);
    expect(err.message).not.toContain(flannel.id);
  });

  it("serves every manifest pin from the real shared/upstream folder, read-only", async () => {
    const manifests = PINS.filter((p) => p.type === "manifest");
    const got = await ensureArtifacts(manifests, { cacheDir, mirror: SHARED, offline: true });
    expect(got.resolved).toHaveLength(manifests.length);
    for (const p of manifests) expect(sha256Hex(got(p))).toBe(p.sha256);
    expect(got(pin("calico/operator-crds.yaml")).length).toBe(
      statSync(join(SHARED, "calico/v3.32.1/operator-crds.yaml")).size,
    );
  });
});

const hasTar = (() => {
  try {
    execFileSync("tar", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasTar)("tarball artifacts", () => {
  it("are extracted once and their folder is handed back (what Flannel labs mount at /opt/cni/bin)", async () => {
    const src = join(work, "plugins");
    mkdirSync(src);
    writeFileSync(join(src, "bridge"), "#!/bin/sh\n", { mode: 0o755 });
    execFileSync("tar", ["-czf", join(work, "plugins.tgz"), "-C", src, "."]);
    const tgz = readFileSync(join(work, "plugins.tgz"));
    const tserver = await startServer({ "/cni-plugins.tgz": bytes(tgz) });
    try {
      const r: ArtifactRef = {
        id: "cni-plugins/test",
        url: `${tserver.origin}/cni-plugins.tgz`,
        sha256: sha256Hex(tgz),
        type: "tarball",
      };
      const got = await ensureArtifacts([r], { cacheDir, download: DL });
      const dir = got.extractedDirOf(r);
      expect(statSync(join(dir, "bridge")).mode & 0o111).not.toBe(0);
      expect(got.resolved[0]?.extractedDir).toBe(dir);
    } finally {
      await tserver.close();
    }
  });
});

const cert = selfSignedCert();
const noTls = "unavailable" in cert ? cert.unavailable : undefined;
if (noTls) console.log(`skipping first-download digest tests (they need an HTTPS registry): ${noTls}`);

describe.skipIf(noTls !== undefined)("a chart whose digest is recorded on first download", () => {
  const tls = cert as { key: string; cert: string };
  let fake: Awaited<ReturnType<typeof startFakeRegistry>>;
  beforeAll(async () => {
    fake = await startFakeRegistry(tls);
  });
  afterAll(() => fake?.close());

  const chartRef = (): ArtifactRef => ({
    id: "envoy-gateway/chart",
    url: fake.url,
    sha256: RECORDED_ON_FIRST_DOWNLOAD,
    type: "chart",
  });

  it("learns the digest from the registry, verifies the bytes and reports it for the lock", async () => {
    const events: ArtifactEvent[] = [];
    const got = await ensureArtifacts([chartRef()], {
      cacheDir,
      download: { ca: tls.cert, retries: 0 },
      onProgress: (e) => events.push(e),
    });
    expect(got.recorded).toEqual({ "envoy-gateway/chart": CHART_SHA });
    expect(got.resolved[0]).toMatchObject({
      recordedOnFirstDownload: true,
      sha256: CHART_SHA,
      source: "network",
    });
    expect(events).toContainEqual({ kind: "recorded", id: "envoy-gateway/chart", sha256: CHART_SHA });
    expect(got(chartRef()).equals(CHART)).toBe(true);
  });

  it("is found in the cache afterwards, offline, with or without the lock's digest", async () => {
    await ensureArtifacts([chartRef()], { cacheDir, download: { ca: tls.cert, retries: 0 } });
    const offline = await ensureArtifacts([chartRef()], { cacheDir, offline: true });
    expect(offline.resolved[0]?.source).toBe("cache");
    expect(readerFromCache(cacheDir, { "envoy-gateway/chart": CHART_SHA })(chartRef()).equals(CHART)).toBe(
      true,
    );
  });

  it("checks later downloads against the digest the lock recorded", async () => {
    const locked = sha256Hex("the chart as it was when the lock was written");
    const err = await labError(
      ensureArtifacts([chartRef()], {
        cacheDir,
        recorded: { "envoy-gateway/chart": locked },
        download: { ca: tls.cert, retries: 0 },
      }),
    );
    expect(err.message).toContain(`no longer serves the chart sha256 ${locked} recorded in lab.lock.json`);
    expect(() => readerFromCache(cacheDir, { "envoy-gateway/chart": locked })(chartRef())).toThrow(
      /not in the cache/,
    );
  });
});
