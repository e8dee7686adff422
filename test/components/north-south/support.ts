import { Ajv } from "ajv";
import type { ArtifactReader, RenderedChartReader } from "../../../lib/components/component.ts";
import { type ResolvedLab, resolveLab } from "../../../lib/components/resolve.ts";
import type { K8sObject } from "../../../lib/model/k8s-object.ts";
import { type LabInput, parseLabSpec } from "../../../lib/model/lab-spec.ts";
import { type SynthOutput, synthLab } from "../../../lib/synth/synth.ts";
import { cacheFromShared, sharedUpstreamPresent, upstreamObjects } from "../support/upstream.ts";

/**
 * Charts (Envoy Gateway, Cilium) cannot be fetched on these machines, so tests that do not
 * look at a chart's own objects read an empty render: everything labs writes itself (classes,
 * Gateway, routes, EnvoyProxy, kind config) is still synthesized, validated and linted.
 */
export const emptyRender: RenderedChartReader = () => "";

let reader: ArtifactReader | undefined;
/** The real upstream files of ../shared/upstream, from a temporary cache. */
export function sharedReader(): ArtifactReader {
  reader ??= cacheFromShared().readArtifact;
  return reader;
}

export const lab = (input: Partial<LabInput> & object): LabInput => ({
  name: "ns-test",
  description: "north-south under test",
  ...input,
});

export const resolved = (input: Partial<LabInput> & object): ResolvedLab =>
  resolveLab(parseLabSpec(lab(input)));

export async function synth(
  input: Partial<LabInput> & object,
  readRenderedChart: RenderedChartReader = emptyRender,
): Promise<SynthOutput> {
  return synthLab(lab(input), { readArtifact: sharedReader(), readRenderedChart, allowErrors: true });
}

export const objectsOf = (out: SynthOutput, kind: string): K8sObject[] =>
  out.objects.filter((o) => o.object.kind === kind).map((o) => o.object);

export const errorsOf = (out: SynthOutput) =>
  out.issues.filter((i) => i.level === "error").map((i) => `${i.rule} ${i.object}: ${i.message}`);

/** The openAPIV3Schema of a CRD in a real upstream file, as a validator. */
export function crdValidator(file: string, crdName: string, version: string) {
  const crd = upstreamObjects(file).find((o) => o.metadata?.name === crdName);
  if (!crd) throw new Error(`${crdName} is not in ${file}`);
  const v = crd.spec.versions.find((x: { name: string }) => x.name === version);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
  return ajv.compile(v.schema.openAPIV3Schema);
}

export const GATEWAY_API_DIR = "gateway-api/v1.6.1/standard";
export { sharedUpstreamPresent };
