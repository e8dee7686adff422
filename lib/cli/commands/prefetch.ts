import { EXIT, LabError } from "../../model/errors.ts";
import { type ArtifactFlags, artifactOptions, type PreparedArtifacts } from "../artifacts.ts";
import { defineCommand, labsOrAll } from "../command.ts";
import { forLab, type Io, reportError } from "../output.ts";
import { selectLabs } from "./select.ts";

type Args = ArtifactFlags & { labs?: string[]; all?: boolean; labsDir?: string; arch?: string };

function summary(name: string, p: PreparedArtifacts): string {
  if (!p.artifacts.length && !p.charts.length) return `${name}: nothing to fetch (no upstream artifacts)`;
  const by = (source: string) => p.artifacts.filter((a) => a.source === source).length;
  const sources = [
    by("network") && `${by("network")} downloaded`,
    by("mirror") && `${by("mirror")} from the mirror`,
    by("cache") && `${by("cache")} already cached`,
  ].filter(Boolean);
  const extracted = p.artifacts.filter((a) => a.extractedDir).map((a) => `${a.id} → ${a.extractedDir}`);
  const parts = [`${p.artifacts.length} artifacts ready (${sources.join(", ")})`];
  if (p.charts.length) parts.push(`${p.charts.length} chart${p.charts.length > 1 ? "s" : ""} rendered`);
  if (extracted.length) parts.push(`extracted ${extracted.join(", ")}`);
  return `${name}: ${parts.join("; ")}`;
}

async function prefetch(args: Args, io: Io): Promise<number> {
  const entries = await selectLabs(args);
  const { prepareArtifacts } = await import("../artifacts.ts");
  const { nodeArchOf } = await import("../../components/host-paths.ts");
  const arch = args.arch === "all" ? "all" : nodeArchOf(args.arch ?? process.arch);
  let code: number = EXIT.ok;
  let cacheDir: string | undefined;
  for (const { spec } of entries) {
    try {
      const prepared = await prepareArtifacts(spec, args, io, { scope: "run", arch });
      cacheDir = prepared.cacheDir;
      io.out(summary(spec.name, prepared));
    } catch (e) {
      // One lab's missing artifact (or missing helm) must not stop the others from being fetched.
      if (!(e instanceof LabError) || entries.length === 1) throw e;
      const failed = reportError(forLab(spec.name, e), io);
      code = code === EXIT.ok ? failed : code;
    }
  }
  if (cacheDir) io.out(`cache: ${cacheDir}`);
  return code;
}

export const prefetchCommand = defineCommand({
  command: "prefetch [labs..]",
  describe: "Download, verify and cache every upstream file the labs need, and render their Helm charts",
  builder: (y) =>
    artifactOptions(labsOrAll(y))
      .option("arch", {
        type: "string",
        choices: ["amd64", "arm64", "all"],
        describe: "Architecture of the kind nodes whose tarballs to fetch (default: this machine's)",
      })
      .example("labs prefetch flannel-iptables", "fills the cache so `labs up` works offline")
      .example(
        "labs prefetch --all --offline --mirror /media/usb",
        "fill the cache from a workshop's USB stick",
      ),
  run: prefetch,
});
