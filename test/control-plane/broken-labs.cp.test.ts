/**
 * Deliberately broken labs on the real control plane: each must fail in the stage that holds
 * the defect, naming the object and what the API server (or the scheduler) said. The fake
 * toolchain "applied" every one of these without a word.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { ApplyFailed } from "../../lib/runtime/stages.ts";
import { BROKEN_LABS, editStage } from "./broken-labs.ts";
import { LabCluster, LabFailure, type PreparedHarnessLab, prepareHarnessLab } from "./lab-cluster.ts";
import { harnessOptions, notAtHand, unavailable } from "./suite.ts";

// Without a built control plane, catalogue.cp.test.ts prints the one line saying so.

describe.skipIf(!!unavailable)("deliberately broken labs fail on a real control plane", () => {
  let cluster: LabCluster | undefined;
  let prepared: PreparedHarnessLab | undefined;
  afterEach(async () => {
    await cluster?.stop();
    if (prepared) rmSync(prepared.root, { recursive: true, force: true });
    cluster = undefined;
    prepared = undefined;
  });

  for (const broken of BROKEN_LABS) {
    it(`${broken.title}: fails in stage ${broken.stage}, naming the object`, async (ctx) => {
      const out: string[] = [];
      const opts = harnessOptions((l) => out.push(l));
      const [entry] = await findLabs([broken.base]);
      try {
        prepared = await prepareHarnessLab(entry!.spec, opts);
      } catch (e) {
        ctx.skip(`base lab ${broken.base}'s upstream files are not at hand offline: ${notAtHand(e)}`);
      }
      broken.breakIt(prepared!);
      cluster = await LabCluster.start(prepared!, opts);
      const error = await cluster.applyStages().then(
        () => undefined,
        (e: unknown) => e,
      );
      console.log(
        `${broken.id} (${broken.base} + ${broken.title}): ${error instanceof Error ? error.message : "applied without an error"}`,
      );
      expect(error, "the broken lab applied cleanly").toBeInstanceOf(LabFailure);
      const failure = error as LabFailure;
      expect(failure.stage).toBe(broken.stage);
      for (const pattern of broken.expect) expect(failure.message).toMatch(pattern);
      // A refused object is named by the runtime itself, in what `labs up` prints.
      if (failure.cause instanceof ApplyFailed) {
        console.log(`  labs up would say: ${failure.cause.message}`);
        expect(failure.cause.message).toMatch(
          new RegExp(`^stage ${broken.stage}: kubectl apply failed for `),
        );
        expect(failure.cause.message).toMatch(broken.expect[0]!);
      }
    });
  }
});

describe.skipIf(!!unavailable)("the second apply's checks can fail", () => {
  it("reports a conflict and a changed object when another field manager took over a field labs applies", async () => {
    const opts = harnessOptions(() => {});
    const [entry] = await findLabs(["kindnet-iptables"]);
    const prepared = await prepareHarnessLab(entry!.spec, opts);
    // Only the apps stage matters here.
    editStage(prepared, "probes", () => []);
    const cluster = await LabCluster.start(prepared, opts);
    try {
      await cluster.applyStages();
      const scaled = await cluster.kubectl.run([
        "scale",
        "--namespace",
        "demo",
        "deployment/echo",
        "--replicas=1",
      ]);
      expect(scaled.ok, scaled.stderr).toBe(true);
      const { changed, conflicts } = await cluster.reapply();
      expect(conflicts).toEqual([
        expect.stringMatching(
          /^stage apps: .*conflict with "kubectl" with subresource "scale".*\.spec\.replicas/,
        ),
      ]);
      expect(changed).toEqual([
        expect.stringMatching(/^stage apps: Deployment demo\/echo generation \d+ → \d+$/),
      ]);
    } finally {
      await cluster.stop();
    }
  });
});
