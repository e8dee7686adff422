/**
 * Every upstream file labs uses, pinned by URL and sha256. Components take their ArtifactRefs
 * from here (`pin(id)`), so a version bump is one edit in one table, and the lock records
 * exactly these rows.
 */
import type { ArtifactRef } from "../model/artifact-ref.ts";
import { LabError } from "../model/errors.ts";

/**
 * Marks a pin whose archive digest no public source states (an OCI chart published only to a
 * registry). The first download records the digest in lab.lock.json; later runs check against it.
 */
export const RECORDED_ON_FIRST_DOWNLOAD = "recorded-on-first-download";

export interface Pin extends ArtifactRef {
  /** Which upstream project the file belongs to, e.g. `calico`. */
  component: string;
  version: string;
}

const FLANNEL = "v0.28.9";
const CALICO = "v3.32.1";
const INGRESS_NGINX = "controller-v1.15.1";
const METALLB = "v0.16.1";
const GATEWAY_API = "v1.6.1";
const CNI_PLUGINS = "v1.9.1";
/**
 * Cilium 1.20 is built for Gateway API v1.6.1 (go.mod@v1.20.0); 1.19.6 stays pinned so a lab can
 * still ask for it, and the compatibility table refuses it next to Gateway API v1.6.1.
 */
const CILIUM = "1.20.0";
const CILIUM_1_19 = "1.19.6";
const ENVOY_GATEWAY = "v1.9.0";

const RAW = "https://raw.githubusercontent.com";

function manifest(component: string, version: string, id: string, url: string, sha256: string): Pin {
  return { component, version, id, url, sha256, type: "manifest" };
}

function gatewayApiCrd(resource: string, sha256: string): Pin {
  const file = `gateway.networking.k8s.io_${resource}.yaml`;
  return manifest(
    "gateway-api",
    GATEWAY_API,
    `gateway-api/standard/${resource}`,
    `${RAW}/kubernetes-sigs/gateway-api/${GATEWAY_API}/config/crd/standard/${file}`,
    sha256,
  );
}

export const PINS: readonly Pin[] = [
  manifest(
    "flannel",
    FLANNEL,
    "flannel/kube-flannel.yml",
    `${RAW}/flannel-io/flannel/${FLANNEL}/Documentation/kube-flannel.yml`,
    "e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0",
  ),
  manifest(
    "calico",
    CALICO,
    "calico/operator-crds.yaml",
    `${RAW}/projectcalico/calico/${CALICO}/manifests/operator-crds.yaml`,
    "192f8b2d934ef24b62e86b7e1a6e1762d1c8af26a916f78057bc13fa5ed60f71",
  ),
  manifest(
    "calico",
    CALICO,
    "calico/tigera-operator.yaml",
    `${RAW}/projectcalico/calico/${CALICO}/manifests/tigera-operator.yaml`,
    "f18e073794207d372606bc3ea6f8fd73972f86d6828f4ba666dfe0d4aa8ab07f",
  ),
  manifest(
    "calico",
    CALICO,
    "calico/custom-resources.yaml",
    `${RAW}/projectcalico/calico/${CALICO}/manifests/custom-resources.yaml`,
    "4fb598a7fce1ad1f8bbfb9004f5efcdb835082e92e06323cb7b8ce60260ed891",
  ),
  manifest(
    "calico",
    CALICO,
    "calico/custom-resources-bpf.yaml",
    `${RAW}/projectcalico/calico/${CALICO}/manifests/custom-resources-bpf.yaml`,
    "c705f212aa713cc3f87710ead805168f8cf03bfff383d6921a082121ae74af5c",
  ),
  manifest(
    "ingress-nginx",
    INGRESS_NGINX,
    "ingress-nginx/kind-deploy.yaml",
    `${RAW}/kubernetes/ingress-nginx/${INGRESS_NGINX}/deploy/static/provider/kind/deploy.yaml`,
    "2a3ae008c8786431115502644e77ab398fdebfb721a5d1195ed3089cde3299df",
  ),
  manifest(
    "metallb",
    METALLB,
    "metallb/metallb-native.yaml",
    `${RAW}/metallb/metallb/${METALLB}/config/manifests/metallb-native.yaml`,
    "bf25feebb7582ca7df845efd52ffbc2960d6cbf4cfc972f47fded9f788b67f0b",
  ),
  gatewayApiCrd("backendtlspolicies", "0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419"),
  gatewayApiCrd("gatewayclasses", "53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5"),
  gatewayApiCrd("gateways", "25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a"),
  gatewayApiCrd("grpcroutes", "53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc"),
  gatewayApiCrd("httproutes", "a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852"),
  gatewayApiCrd("listenersets", "bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70"),
  gatewayApiCrd("referencegrants", "8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3"),
  gatewayApiCrd("tcproutes", "d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6"),
  gatewayApiCrd("tlsroutes", "bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb"),
  gatewayApiCrd("udproutes", "4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de"),
  gatewayApiCrd("vap_safeupgrades", "afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e"),
  {
    component: "cni-plugins",
    version: CNI_PLUGINS,
    id: "cni-plugins/linux-amd64",
    url: `https://github.com/containernetworking/plugins/releases/download/${CNI_PLUGINS}/cni-plugins-linux-amd64-${CNI_PLUGINS}.tgz`,
    sha256: "b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303",
    type: "tarball",
  },
  {
    component: "cni-plugins",
    version: CNI_PLUGINS,
    id: "cni-plugins/linux-arm64",
    url: `https://github.com/containernetworking/plugins/releases/download/${CNI_PLUGINS}/cni-plugins-linux-arm64-${CNI_PLUGINS}.tgz`,
    sha256: "56171987d3947707c3563db2f4001bccaf50fd63468611b9f3cbecb1375ee7ec",
    type: "tarball",
  },
  {
    component: "cilium",
    version: CILIUM,
    id: "cilium/chart",
    url: `https://helm.cilium.io/cilium-${CILIUM}.tgz`,
    sha256: "c5f013912360d1a334f44ef25f36da59ba3414cdb48f466ee12d0c4fdff27883",
    type: "chart",
  },
  {
    component: "cilium",
    version: CILIUM_1_19,
    id: `cilium/chart-${CILIUM_1_19}`,
    url: `https://helm.cilium.io/cilium-${CILIUM_1_19}.tgz`,
    sha256: "21c43cf53841f9ab0375047d95aa4c64051ea52bbd2c679416e6408f5f1c9179",
    type: "chart",
  },
  {
    // Envoy Gateway publishes its chart only to Docker Hub as an OCI artifact; its GitHub
    // releases carry no chart archive, so there is no https URL whose sha256 could be pinned.
    component: "envoy-gateway",
    version: ENVOY_GATEWAY,
    id: "envoy-gateway/chart",
    url: `oci://docker.io/envoyproxy/gateway-helm:${ENVOY_GATEWAY}`,
    sha256: RECORDED_ON_FIRST_DOWNLOAD,
    type: "chart",
  },
];

/** The pin with this id; an unknown id is a programming error in a component, named clearly. */
export function pin(id: string): Pin {
  const found = PINS.find((p) => p.id === id);
  if (!found) {
    throw new LabError(
      `unknown upstream artifact id "${id}"`,
      `use one of: ${PINS.map((p) => p.id).join(", ")} (lib/upstream/pins.ts)`,
    );
  }
  return found;
}

/** Every pin of one upstream project, e.g. all Gateway API CRD files. */
export function pinsFor(component: string): Pin[] {
  const found = PINS.filter((p) => p.component === component);
  if (found.length === 0) {
    const known = [...new Set(PINS.map((p) => p.component))];
    throw new LabError(`no upstream artifacts pinned for "${component}"`, `known: ${known.join(", ")}`);
  }
  return found;
}

/**
 * The pinned version of an upstream project whose files all come from one release, for
 * components to name it (in descriptors, messages and image tags) without a copy of the string.
 */
export function pinnedVersion(component: string): string {
  const versions = [...new Set(pinsFor(component).map((p) => p.version))];
  if (versions.length !== 1) {
    throw new LabError(
      `${component} has ${versions.length} pinned versions (${versions.join(", ")}), not one`,
      "take the version of the one pin you mean: pin(id).version",
    );
  }
  return versions[0]!;
}

/** True when the pin's digest is learnt on first download rather than written in this table. */
export function isRecordedOnFirstDownload(ref: ArtifactRef): boolean {
  return ref.sha256 === RECORDED_ON_FIRST_DOWNLOAD;
}
