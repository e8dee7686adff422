import { Construct } from "constructs";
import { pinnedVersion, pinsFor } from "../../upstream/pins.ts";
import type { ArtifactRef, BuildContext, Gate, LabView } from "../component.ts";
import { cloudProviderKindManagesGatewayApi } from "../lb/cloud-provider-kind.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";

/**
 * Gateway API v1.6.1, standard channel: the CRDs plus the safe-upgrades admission policy that
 * refuses older or experimental CRDs over them. Every component that serves Gateway API objects
 * (a gateway, or an Ingress translated to Gateway API) installs them in the crds stage, once.
 */
export const GATEWAY_API_VERSION = pinnedVersion("gateway-api");
export const GATEWAY_API_PINS: readonly ArtifactRef[] = pinsFor("gateway-api");

/** The ValidatingAdmissionPolicy (and its binding) that refuses CRDs of older bundles. */
const SAFE_UPGRADES_PIN = "gateway-api/standard/vap_safeupgrades";

/**
 * The files a lab installs. The safe-upgrades policy is left out where cloud-provider-kind
 * manages Gateway API: v0.11.1 creates its embedded v1.5.0 CRDs at start and stops if a Create
 * fails for any reason but AlreadyExists (pkg/gateway/crd_manager.go, pkg/controller/controller.go
 * @v0.11.1). The policy denies bundle versions v1.0–v1.5, and admission runs before the API
 * server's AlreadyExists check, so with it in place cloud-provider-kind never starts its
 * controllers: no LoadBalancer addresses, no Ingress, no Gateway. Gateway API documents the
 * policy as optional protection against downgrades; cloud-provider-kind's Create changes
 * nothing where the lab's v1.6.1 CRDs already exist.
 */
export function gatewayApiPins(lab: LabView): ArtifactRef[] {
  return GATEWAY_API_PINS.filter(
    (p) => p.id !== SAFE_UPGRADES_PIN || !cloudProviderKindManagesGatewayApi(lab),
  );
}

/**
 * What a component that relies on the lab's Gateway API CRDs (and brings no chart of its own)
 * declares: their version in the report, their files in the artifact step. Spread it into the
 * component.
 */
export const pinsGatewayApiCrds = {
  versions: () => ({ "gateway-api": GATEWAY_API_VERSION }),
  artifacts: (_o: unknown, lab: LabView) => gatewayApiPins(lab),
};

const CRD_RESOURCES = GATEWAY_API_PINS.map((p) => p.id.split("/").pop()!).filter(
  (r) => !r.startsWith("vap_"),
);

/** Names of the standard CRDs, as `kubectl wait --for=condition=Established` takes them. */
export const GATEWAY_API_CRD_NAMES = CRD_RESOURCES.map((r) => `${r}.gateway.networking.k8s.io`);

const SCOPE_ID = "gateway-api-standard";

/** Adds the CRDs to the crds stage unless another component of the lab already did. */
export function ensureGatewayApiCrds(ctx: BuildContext): void {
  const crds = ctx.stage("crds");
  if (crds.node.tryFindChild(SCOPE_ID)) return;
  const scope = new Construct(crds, SCOPE_ID);
  for (const ref of gatewayApiPins(ctx.lab)) {
    includeUpstream(scope, ref.id.split("/").pop()!, parseManifest(ctx.readArtifact(ref).toString("utf8")));
  }
}

export const gatewayApiCrdsGate = (): Gate => ({
  stage: "crds",
  kind: "crds-established",
  names: GATEWAY_API_CRD_NAMES,
  timeoutSeconds: 120,
  description: `the Gateway API ${GATEWAY_API_VERSION} standard CRDs are served`,
});
