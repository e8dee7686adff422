import { DEFAULT_NODE_IMAGE, KIND_VERSION } from "../model/defaults.ts";
import { error, type Finding, warning } from "../model/findings.ts";
import { formatVersion } from "../model/kubernetes-version.ts";

/**
 * Which versions of what labs pins are known to work together, as data. Each row says, for one
 * product at some versions, which versions of another product work with it, where upstream says
 * so, and how to put a lab right. Resolve checks every row whose two products are in the lab:
 * outside the known-good range is an error where upstream documents a failure, and a warning
 * where the pair is only untested.
 *
 * Adding a pin or bumping one: add or change the row here, with its source.
 */

/** What a row can be about. */
export type Product =
  | "kind"
  | "node-image"
  | "kubernetes"
  | "cilium"
  | "calico"
  | "gateway-api"
  | "envoy-gateway"
  | "cloud-provider-kind";

/** Versions of each product in a lab. */
export type ProductVersions = Partial<Record<Product, string>>;

/** `[from, below)` on dotted numbers, a leading `v` ignored; or an exact list (node images). */
export type VersionRange = { from: string; below: string } | { exactly: readonly string[] };

export interface CompatibilityRow {
  product: Product;
  /** The row applies to these versions of `product`. */
  versions: VersionRange;
  with: Product;
  /** Versions of `with` known to work with `product` at `versions`. */
  works: VersionRange;
  /** Outside `works`: error where upstream documents the failure, warning where it is untested. */
  outside: "error" | "warning";
  /** What goes wrong outside `works`, in one sentence (the finding's reason). */
  why: string;
  /** Where upstream says so: repo/path@tag, an issue, a documentation page. */
  source: string;
  fix: string;
}

const KIND_IMAGE_SOURCE = `kubernetes-sigs/kind pkg/apis/config/defaults/image.go@${KIND_VERSION}`;

export const COMPATIBILITY: readonly CompatibilityRow[] = [
  {
    product: "cilium",
    versions: { from: "1.20.0", below: "1.21.0" },
    with: "gateway-api",
    works: { from: "1.6.0", below: "1.7.0" },
    outside: "warning",
    why: "Cilium 1.20 is built and conformance-tested against Gateway API v1.6.1 and documents those CRDs as its prerequisite",
    source:
      "cilium/cilium go.mod@v1.20.0 (sigs.k8s.io/gateway-api v1.6.1); Documentation/conf.py@v1.20.0 (gateway_api_version = 'v1.6.1')",
    fix: "install the Gateway API v1.6.1 standard CRDs (lib/upstream/pins.ts)",
  },
  {
    product: "cilium",
    versions: { from: "1.19.0", below: "1.20.0" },
    with: "gateway-api",
    works: { from: "1.4.0", below: "1.5.0" },
    outside: "error",
    why: 'from Gateway API v1.5.0 the TLSRoute CRD serves only v1, and Cilium 1.19 registers a TLSRoute v1alpha2 indexer: cilium-operator exits with no matches for kind "TLSRoute" in version gateway.networking.k8s.io/v1alpha2',
    source:
      "cilium/cilium#45139, cilium/cilium#44920 (fixed by #45251 in 1.20 only); go.mod@v1.19.6: gateway-api v1.4.0-rc.2",
    fix: 'use Cilium 1.20.0 (cni options { version: "1.20.0" }), which is built for Gateway API v1.6.1',
  },
  {
    product: "cilium",
    versions: { from: "1.20.0", below: "1.21.0" },
    with: "kubernetes",
    works: { from: "1.33.0", below: "1.37.0" },
    outside: "warning",
    why: "Cilium 1.20 is e2e-tested on Kubernetes 1.33 to 1.36",
    source: "cilium/cilium Documentation/network/kubernetes/compatibility.rst@v1.20.0",
    fix: "use a node image of Kubernetes 1.33 to 1.36",
  },
  {
    product: "cilium",
    versions: { from: "1.19.0", below: "1.20.0" },
    with: "kubernetes",
    works: { from: "1.32.0", below: "1.36.0" },
    outside: "warning",
    why: "Cilium 1.19 is e2e-tested on Kubernetes 1.32 to 1.35",
    source: "cilium/cilium Documentation/network/kubernetes/compatibility.rst@v1.19.6",
    fix: 'use Cilium 1.20.0 (cni options { version: "1.20.0" }), tested up to Kubernetes 1.36',
  },
  {
    product: "calico",
    versions: { from: "3.32.0", below: "3.33.0" },
    with: "kubernetes",
    works: { from: "1.34.0", below: "1.37.0" },
    outside: "warning",
    why: "Calico 3.32 is tested against Kubernetes 1.34, 1.35 and 1.36",
    source: "https://docs.tigera.io/calico/3.32/getting-started/kubernetes/requirements (Supported versions)",
    fix: "use a node image of Kubernetes 1.34 to 1.36",
  },
  {
    product: "envoy-gateway",
    versions: { from: "1.9.0", below: "1.10.0" },
    with: "gateway-api",
    works: { from: "1.6.0", below: "1.7.0" },
    outside: "error",
    why: "Envoy Gateway 1.9 is compiled against Gateway API v1.6.1 and watches the APIs of that bundle",
    source: "envoyproxy/gateway site/content/en/news/releases/matrix.md@v1.9.0; go.mod@v1.9.0",
    fix: "install the Gateway API v1.6.1 standard CRDs (lib/upstream/pins.ts)",
  },
  {
    product: "envoy-gateway",
    versions: { from: "1.9.0", below: "1.10.0" },
    with: "kubernetes",
    works: { from: "1.33.0", below: "1.37.0" },
    outside: "warning",
    why: "Envoy Gateway 1.9 supports Kubernetes 1.33 to 1.36",
    source: "envoyproxy/gateway site/content/en/news/releases/matrix.md@v1.9.0",
    fix: "use a node image of Kubernetes 1.33 to 1.36",
  },
  {
    product: "cloud-provider-kind",
    versions: { from: "0.11.0", below: "0.12.0" },
    with: "gateway-api",
    works: { from: "1.5.0", below: "1.7.0" },
    outside: "warning",
    why: "cloud-provider-kind 0.11 embeds the Gateway API v1.5.0 CRDs (creating only those that are missing) and reads GatewayClass, Gateway, HTTPRoute, GRPCRoute and ReferenceGrant at v1 only, which v1.5 and v1.6 serve",
    source:
      "kubernetes-sigs/cloud-provider-kind pkg/gateway/crd_manager.go, pkg/gateway/crds/standard@v0.11.1; go.mod@v0.11.1 (gateway-api v1.5.1)",
    fix: "install Gateway API v1.5 or v1.6 standard CRDs",
  },
  {
    product: "kind",
    versions: { from: "0.32.0", below: "0.33.0" },
    with: "node-image",
    works: { exactly: [DEFAULT_NODE_IMAGE] },
    outside: "warning",
    why: `node images are built for each kind release and kind ${KIND_VERSION} defaults to ${DEFAULT_NODE_IMAGE}`,
    source: `${KIND_IMAGE_SOURCE}; release notes of kind ${KIND_VERSION} (use the images built for the release, by digest)`,
    fix: `use an image listed in the kind ${KIND_VERSION} release notes (by digest), or leave nodeImage unset`,
  },
];

const TITLES: Record<Product, string> = {
  kind: "kind",
  "node-image": "node image",
  kubernetes: "Kubernetes",
  cilium: "Cilium",
  calico: "Calico",
  "gateway-api": "Gateway API",
  "envoy-gateway": "Envoy Gateway",
  "cloud-provider-kind": "cloud-provider-kind",
};

/** Dotted numbers of a version (`v1.36.1` → [1, 36, 1]); undefined when it has none. */
function numbers(version: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(version);
  return m ? m[1]!.split(".").map(Number) : undefined;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export function inRange(version: string, range: VersionRange): boolean {
  if ("exactly" in range) return range.exactly.includes(version);
  const v = numbers(version);
  const from = numbers(range.from);
  const below = numbers(range.below);
  if (!v || !from || !below) return false;
  return compare(v, from) >= 0 && compare(v, below) < 0;
}

function describeRange(product: Product, range: VersionRange): string {
  if ("exactly" in range) return range.exactly.join(", ");
  const [fromMajor, fromMinor] = numbers(range.from)!;
  const [belowMajor, belowMinor] = numbers(range.below)!;
  const v = product === "gateway-api" || product === "cloud-provider-kind" ? "v" : "";
  if (fromMajor === belowMajor && belowMinor === fromMinor! + 1) return `${v}${fromMajor}.${fromMinor}.x`;
  return `${v}${fromMajor}.${fromMinor} to ${v}${belowMajor}.${belowMinor! - 1}`;
}

/** Where in the LabSpec a product comes from, for the finding's path. */
export type ProductSources = Partial<Record<Product, { version: string; path: string }>>;

/** Every row whose two products are in the lab and disagree, as findings. */
export function compatibilityFindings(
  sources: ProductSources,
  rows: readonly CompatibilityRow[] = COMPATIBILITY,
): Finding[] {
  const out: Finding[] = [];
  for (const row of rows) {
    const a = sources[row.product];
    const b = sources[row.with];
    if (!a || !b || !inRange(a.version, row.versions) || inRange(b.version, row.works)) continue;
    const verdict = row.outside === "error" ? "does not work with" : "is not known to work with";
    const message = `${TITLES[row.product]} ${a.version} ${verdict} ${TITLES[row.with]} ${b.version} (it works with ${TITLES[row.with]} ${describeRange(row.with, row.works)}): ${row.why} [${row.source}]`;
    out.push((row.outside === "error" ? error : warning)(a.path, message, row.fix));
  }
  return out;
}

/** The versions every lab has: kind, its node image and the Kubernetes version of that image. */
export function clusterVersions(
  nodeImage: string,
  kube: Parameters<typeof formatVersion>[0],
): ProductSources {
  return {
    kind: { version: KIND_VERSION, path: "nodeImage" },
    "node-image": { version: nodeImage, path: "nodeImage" },
    kubernetes: { version: formatVersion(kube), path: "nodeImage" },
  };
}
