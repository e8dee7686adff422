/**
 * Every catalogue lab on a real control plane (etcd, kube-apiserver, controller-manager and
 * scheduler of Kubernetes v1.36.1; kwok for the kubelets): synthesized, its stages applied in
 * order by the runtime's own apply code with real kubectl, twice; its gates run where this
 * control plane can decide them; every pod it creates scheduled; `labs status` and `labs down`
 * run against it. What cannot be checked without a cluster is listed, never passed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue } from "../../lib/catalogue.ts";
import { gateLabel } from "../../lib/runtime/gates.ts";
import { isNodeReady } from "../../lib/runtime/kubectl.ts";
import { envoyGatewayChartFromModule } from "../support/envoy-gateway-chart.ts";
import { LabCluster, LabFailure, type PreparedHarnessLab, prepareHarnessLab } from "./lab-cluster.ts";
import { harnessOptions, notAtHand, sharedUpstreamPresent, unavailable } from "./suite.ts";

const entries = await loadCatalogue();
// One line for the whole suite when the control plane is not built (broken-labs.cp.test.ts stays quiet).
if (unavailable) console.log(`skipping the control-plane suite (catalogue and broken labs): ${unavailable}`);
else if (!sharedUpstreamPresent)
  console.log(
    "skipping the catalogue on a real control plane: ../shared/upstream is absent (the catalogue's pinned upstream files, used offline)",
  );
const missing = unavailable ?? (sharedUpstreamPresent ? undefined : "../shared/upstream is absent");

// The Envoy Gateway chart is published only to Docker Hub, out of reach here: it is assembled
// from its Go module's source instead (test/support/envoy-gateway-chart.ts says what may differ).
const chartDir = missing ? undefined : mkdtempSync(join(tmpdir(), "labs-cp-envoy-gateway-chart-"));
const moduleChart = chartDir ? await envoyGatewayChartFromModule(chartDir) : undefined;
const seeded = moduleChart && "path" in moduleChart ? [moduleChart] : [];
if (moduleChart && "unavailable" in moduleChart)
  console.log(
    `the Envoy Gateway chart cannot be assembled from its Go module, so its lab is not applied: ${moduleChart.unavailable}`,
  );

describe.skipIf(!!missing)("the catalogue on a real control plane", () => {
  const applied: string[] = [];
  const notApplied: string[] = [];
  const versions = new Set<string>();
  afterAll(() => {
    if (chartDir) rmSync(chartDir, { recursive: true, force: true });
    console.log(
      [
        `control plane: kube-apiserver ${[...versions].join(", ") || "(none started)"} (etcd v3.6.8, kube-controller-manager, kube-scheduler; kwok v0.8.0 for the kubelets)`,
        `labs applied: ${applied.join(", ") || "none"}`,
        ...notApplied.map((l) => `lab not applied: ${l}`),
      ].join("\n"),
    );
  });

  for (const { spec } of entries) {
    describe(spec.name, () => {
      const out: string[] = [];
      let prepared: PreparedHarnessLab | undefined;
      let cluster: LabCluster | undefined;
      let skip: string | undefined;
      let failure: string | undefined;
      let startError: unknown;

      beforeAll(async () => {
        const opts = harnessOptions((l) => out.push(l), seeded);
        try {
          prepared = await prepareHarnessLab(spec, opts);
          for (const note of prepared.notes) out.push(`  note: ${note}`);
        } catch (e) {
          skip = `its upstream files are not at hand offline: ${notAtHand(e)}`;
          notApplied.push(`${spec.name} (${skip})`);
          return;
        }
        try {
          cluster = await LabCluster.start(prepared, opts);
        } catch (e) {
          // Reported by the first test as this lab's failure (a failed hook would only skip them).
          startError = e;
          notApplied.push(
            `${spec.name} (did not start: ${e instanceof Error ? e.message.split("\n")[0] : e})`,
          );
          return;
        }
        const version = await cluster.cp.version();
        versions.add(version);
        out.unshift(`${spec.name} on kube-apiserver ${version}:`);
      }, 600_000);

      afterAll(async () => {
        await cluster?.stop();
        if (!cluster && prepared) rmSync(prepared.root, { recursive: true, force: true });
        if (cluster) {
          for (const g of cluster.gates)
            out.push(
              g.check.mode === "not-checkable"
                ? `  not checkable without a cluster: ${gateLabel(g.check.gate)}: ${g.check.reason}`
                : g.check.mode === "scheduled"
                  ? `  scheduled: ${gateLabel(g.check.gate)} held: every pod made and placed by the scheduler; their readiness is not checkable without a cluster (kwok reports Ready, no container ran)`
                  : `  checked: ${gateLabel(g.check.gate)} held`,
            );
          for (const n of cluster.notices) out.push(`  not checkable without a cluster: ${n}`);
        }
        if (skip) out.push(`${spec.name}: not applied: ${skip}`);
        console.log(out.join("\n"));
      });

      it("applies every stage in order, server-side with the runtime's apply, and passes the gates this control plane decides", async (ctx) => {
        if (skip) ctx.skip(skip);
        if (startError) {
          failure = "the lab's cluster did not start";
          throw startError;
        }
        try {
          await cluster!.applyStages();
          applied.push(spec.name);
        } catch (e) {
          failure = e instanceof LabFailure ? e.message : String(e);
          notApplied.push(`${spec.name} (${failure.length > 200 ? `${failure.slice(0, 200)}…` : failure})`);
          out.push(`  FAILED: ${failure}`);
          throw e;
        }
      });

      it("applies a second time without changing anything or conflicting with any field manager", async (ctx) => {
        if (skip) ctx.skip(skip);
        if (failure) ctx.skip(`the stages did not apply: ${failure}`);
        const { changed, conflicts } = await cluster!.reapply();
        expect(conflicts, "conflicts on a second apply (dry run without --force-conflicts)").toEqual([]);
        expect(changed, "objects the second apply changed").toEqual([]);
      });

      it("schedules every pod the lab creates; every workload has all its pods, every gated DaemonSet every node", async (ctx) => {
        if (skip) ctx.skip(skip);
        if (failure) ctx.skip(`the stages did not apply: ${failure}`);
        expect(await cluster!.unscheduledPods()).toEqual([]);
        expect(await cluster!.incompleteWorkloads()).toEqual([]);
        expect(await cluster!.daemonSetsMissingNodes()).toEqual([]);
        const byNode = await cluster!.podsByNode();
        out.push(`  pods by node: ${[...byNode].map(([node, pods]) => `${node} ${pods.length}`).join(", ")}`);
      });

      it("reaches nothing beyond this machine: no component dialled a node, pod or Service address", async (ctx) => {
        if (skip) ctx.skip(skip);
        if (startError) ctx.skip("the lab's cluster did not start");
        expect(cluster!.cp.strayDials()).toEqual([]);
      });

      it("labs status lists it with its nodes; labs down removes it and stops its API server", async (ctx) => {
        if (skip) ctx.skip(skip);
        if (startError) ctx.skip("the lab's cluster did not start");
        const c = cluster!;
        const status = await c.status();
        const mine = status.labs.find((l) => l.lab === spec.name);
        expect(mine, JSON.stringify(status)).toBeDefined();
        const nodes = await c.kubectl.getJson<{ items: Parameters<typeof isNodeReady>[0][] }>(["nodes"]);
        expect(mine!.nodes).toEqual(
          nodes!.items.map((n) => ({ name: n.metadata.name, ready: isNodeReady(n) })),
        );
        expect(mine!.nodes!.every((n) => n.ready)).toBe(true);
        const result = await c.down();
        expect(result.action).toBe("deleted");
        expect(await c.cp.get("/readyz")).toBe("");
        expect((await c.status()).labs).toEqual([]);
        expect(c.lab.state.readMarker()).toBeUndefined();
        out.push(
          `  labs status: ${mine!.nodes!.map((n) => `${n.name}${n.ready ? "" : " (not ready)"}`).join(", ")}; labs down: ${result.action}`,
        );
      });
    });
  }
});
