import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadCatalogue } from "../../../lib/catalogue.ts";
import { ECHO_NODE_PORT_HTTP } from "../../../lib/components/apps/names.ts";
import { checkLab } from "../../../lib/components/resolve.ts";
import { checkLabSpec } from "../../../lib/model/lab-spec.ts";
import { synthLab } from "../../../lib/synth/synth.ts";
import { noteSkip } from "../support/upstream.ts";
import { emptyRender, lab, sharedReader, sharedUpstreamPresent, synth } from "./support.ts";

interface Mapping {
  containerPort: number;
  hostPort: number;
  listenAddress: string;
  protocol: string;
}
const mappingsOf = (kindYaml: string): Mapping[] =>
  parse(kindYaml).nodes.flatMap((n: { extraPortMappings?: Mapping[] }) => n.extraPortMappings ?? []);

describe("host ports in the LabSpec", () => {
  it("default to 80/443 for ingress, the NodePort's own number, and 8080 for a gateway", () => {
    expect(checkLabSpec(lab({})).spec?.hostPorts).toEqual({
      ingressHttp: 80,
      ingressHttps: 443,
      nodePort: ECHO_NODE_PORT_HTTP,
      gatewayHttp: 8080,
    });
  });

  it("refuse two mappings of one port, naming the field the user set", () => {
    const gateway = { northSouth: { gateway: "envoy-gateway" }, apps: ["echo", "echo-v2"] };
    const { lab: ok, findings } = checkLab(
      checkLabSpec(lab({ ...gateway, hostPorts: { nodePort: 8080 } })).spec!,
    );
    expect(ok).toBeUndefined();
    expect(findings).toContainEqual(
      expect.objectContaining({
        level: "error",
        path: "hostPorts.nodePort",
        message: expect.stringMatching(
          /^host port 8080 would be mapped twice, .*hostPorts\.gatewayHttp \(its default\)/,
        ),
        fix: "give hostPorts.nodePort another port",
      }),
    );
    expect(checkLabSpec(lab({ hostPorts: { nodePort: 70000 } })).findings[0]).toMatchObject({
      path: "hostPorts.nodePort",
      message: "nodePort must be between 1 and 65535, got the number 70000",
    });
  });

  it("let a lab use a port that only an absent component would map", () => {
    // No gateway here, so 8080 (the gateway's default) is free for the ingress.
    const spec = checkLabSpec(
      lab({
        northSouth: { ingress: "ingress-nginx" },
        apps: ["echo", "echo-v2"],
        hostPorts: { ingressHttp: 8080 },
      }),
    );
    expect(checkLab(spec.spec!).findings.filter((f) => f.level === "error")).toEqual([]);
  });
});

if (!sharedUpstreamPresent) noteSkip("host ports of the catalogue", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("host ports of synthesized labs", async () => {
  // kind.yaml does not depend on a chart's contents, so labs with charts synthesize with an empty render.
  const catalogue = sharedUpstreamPresent ? await loadCatalogue() : [];

  it.each(catalogue.map((e) => [e.spec.name, e] as const))(
    "%s maps each host port once, on 127.0.0.1",
    async (_n, e) => {
      const out = await synthLab(e.spec, {
        readArtifact: sharedReader(),
        readRenderedChart: emptyRender,
        allowErrors: true,
      });
      const mappings = mappingsOf(out.files.get("kind.yaml")!);
      expect(mappings.length).toBeGreaterThan(0);
      const keys = mappings.map((m) => `${m.listenAddress}:${m.hostPort}/${m.protocol}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const m of mappings) expect(m.listenAddress).toBe("127.0.0.1");
      // Every lab reaches echo's NodePort from the host.
      expect(mappings).toContainEqual(expect.objectContaining({ containerPort: ECHO_NODE_PORT_HTTP }));
      expect(JSON.parse(out.files.get("lab.json")!).hostPorts).toHaveLength(mappings.length);
    },
  );

  it("binds where the lab says, and moves a mapping when a port is changed", async () => {
    const out = await synth({
      listenAddress: "0.0.0.0",
      northSouth: { gateway: "envoy-gateway" },
      apps: ["echo", "echo-v2"],
      hostPorts: { nodePort: 31080, gatewayHttp: 9090 },
    });
    expect(
      mappingsOf(out.files.get("kind.yaml")!).map(
        (m) => `${m.listenAddress}:${m.hostPort}->${m.containerPort}`,
      ),
    ).toEqual(["0.0.0.0:9090->30180", "0.0.0.0:31080->30080"]);
  });
});
