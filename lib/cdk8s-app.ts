import { join, resolve } from "node:path";
import { loadCatalogue } from "./catalogue.ts";
import { prepareArtifacts } from "./cli/artifacts.ts";
import { processIo, reportError } from "./cli/output.ts";
import { synthLab, writeSynth } from "./synth/synth.ts";

/**
 * The cdk8s app behind `cdk8s.yaml`: cdk8s runs it with CDK8S_OUTDIR set, and it writes every
 * catalogue lab exactly as `labs synth --all` does (one App per lab, so stage files keep their names).
 */
async function synthCatalogue(outdir: string): Promise<void> {
  for (const { spec } of await loadCatalogue()) {
    // The same artifact step as `labs synth`: cache, then LABS_MIRROR, then the network.
    const { readArtifact, readRenderedChart, recorded } = await prepareArtifacts(spec, {}, processIo);
    writeSynth(await synthLab(spec, { readArtifact, readRenderedChart, recorded }), join(outdir, spec.name));
  }
}

try {
  await synthCatalogue(resolve(process.env.CDK8S_OUTDIR ?? "dist"));
} catch (e) {
  process.exitCode = reportError(e, processIo);
}
