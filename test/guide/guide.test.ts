import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findLabs, loadCatalogue } from "../../lib/catalogue.ts";
import { serviceProxyText } from "../../lib/components/resolve.ts";
import { checksIntoNamespace, exercisesOf } from "../../lib/guide/exercises.ts";
import { mermaidBlocks, renderGuide } from "../../lib/guide/handout.ts";
import { pathModel } from "../../lib/guide/paths.ts";
import { shellWord } from "../../lib/guide/shell-word.ts";
import { lenientReader, type SketchedLab, sketchLab } from "../../lib/guide/sketch.ts";
import { renderTextArt } from "../../lib/guide/text-art.ts";
import { TryIt } from "../../lib/guide/try-it.ts";
import { SHARED_UPSTREAM, sharedUpstreamPresent } from "../diff/support.ts";
import { CHROMIUM, NO_CHROMIUM, renderMermaid } from "../report/chromium.ts";
import { runLabs } from "../support/run-labs.ts";

// The shared upstream files as the mirror, when present, so upstream components build fully.
const env = sharedUpstreamPresent
  ? {
      ...process.env,
      LABS_MIRROR: SHARED_UPSTREAM,
      LABS_CACHE_DIR: mkdtempSync(join(tmpdir(), "labs-guide-")),
    }
  : process.env;

const sketch = async (name: string): Promise<SketchedLab> => {
  const [entry] = await findLabs([name]);
  return sketchLab(entry!.spec, lenientReader(env));
};

describe("labs guide for every catalogue lab", () => {
  const guides = new Map<string, { sketch: SketchedLab; text: string }>();
  beforeAll(async () => {
    for (const entry of await loadCatalogue()) {
      const s = sketchLab(entry.spec, lenientReader(env));
      guides.set(entry.spec.name, { sketch: s, text: renderGuide(s) });
    }
  });

  it("names the lab's real CIDRs, node network and components in the layer table", () => {
    expect(guides.size).toBeGreaterThanOrEqual(10);
    for (const [name, { sketch: s, text }] of guides) {
      expect(text, name).toContain(`| Pod network | ${s.lab.spec.podSubnet} via `);
      expect(text, name).toContain(
        `| Service network | ${s.lab.spec.serviceSubnet} via ${serviceProxyText(s.lab.claims.serviceProxy)}`,
      );
      expect(text, name).toContain("Docker network `kind`");
      const cni = s.lab.components.find((c) => c.component.kind === "cni")!.component.title;
      expect(text, name).toContain(cni);
    }
  });

  it("teaches every planned probe with a command to try, and lists the probes that do not apply", () => {
    for (const [name, { sketch: s, text }] of guides) {
      for (const p of s.plan.probes) {
        const planned = s.plan.checks.some((c) => c.probe === p.id);
        if (planned && p.layer !== "dataplane")
          expect(text, `${name} ${p.id}`).toContain(`#### ${p.title} (\`${p.id}\`)`);
        if (!planned) expect(text, `${name} ${p.id}`).toMatch(new RegExp(`\\(\`${p.id}\`\\): `));
      }
      for (const i of s.inspections)
        expect(text, `${name} ${i.id}`).toContain(i.command.map(shellWord).join(" "));
      expect(text.match(/See it yourself:/g)?.length ?? 0).toBeGreaterThan(5);
    }
  });

  it.skipIf(!CHROMIUM)("renders every lab's diagram with the mermaid library in Chromium", () => {
    const names = [...guides.keys()];
    const blocks = names.map((n) => {
      const b = mermaidBlocks(guides.get(n)!.text);
      expect(b, n).toHaveLength(1);
      return b[0]!;
    });
    // A broken diagram must fail here, or the check proves nothing.
    const results = renderMermaid([...blocks, 'flowchart LR\n  a["unclosed --> b']);
    expect(results).toHaveLength(blocks.length + 1);
    results.slice(0, -1).forEach((r, i) => {
      expect(r.error, names[i]).toBe("");
      expect(r.ok, names[i]).toBe(true);
      expect(r.svg, names[i]).toContain("<svg");
      // One drawn box per place of the path model.
      const places = new Set(
        pathModel(guides.get(names[i]!)!.sketch.lab, guides.get(names[i]!)!.sketch.plan).paths.flatMap((p) =>
          p.places.map((x) => x.id),
        ),
      );
      expect(r.svg.match(/class="node /g)?.length ?? 0, names[i]).toBe(places.size);
    });
    expect(results.at(-1)!.ok).toBe(false);
  });
});
if (!CHROMIUM) console.log(`skipping the Mermaid rendering check: ${NO_CHROMIUM}`);

/** Where a shell command line calls kubectl: at its start, in `$(…)`, after a pipe or `;`. */
const kubectlCalls = (markdown: string) =>
  [...markdown.matchAll(/```sh\n([\s\S]*?)\n```/g)].flatMap((m) =>
    [...m[1]!.matchAll(/(?:^|\$\(|\| |; |&& )(kubectl [^\n]*)/gm)].map((c) => c[1]!),
  );

describe("kubectl in the guide: always the lab's own kubeconfig", () => {
  it("every kubectl line of every section (break-fix included) names the kubeconfig labs up writes, never a context", async () => {
    for (const name of ["kindnet-iptables", "flannel-iptables", "cilium-kpr"]) {
      const text = renderGuide(await sketch(name));
      expect(text).not.toMatch(/--context|kind-labs-/);
      const calls = kubectlCalls(text);
      const breakFix = kubectlCalls(text.slice(text.indexOf("## Break and fix")));
      expect(breakFix.length, `${name}'s break-fix section shows kubectl`).toBeGreaterThan(3);
      expect(calls.length).toBeGreaterThan(breakFix.length);
      for (const c of calls)
        expect(c).toMatch(new RegExp(`^kubectl --kubeconfig ~/\\.local/state/labs/${name}/kubeconfig `));
    }
  });

  it("`labs guide` and `labs faults` name this machine's kubeconfig of the lab, the file `labs up` wrote", async () => {
    const { fakeToolchain } = await import("../fake-toolchain/fake-toolchain.ts");
    const { existsSync } = await import("node:fs");
    const fake = fakeToolchain();
    try {
      const lab = "kindnet-iptables";
      const up = runLabs(["up", lab, "--no-verify"], fake.env);
      expect(up.code, up.stderr).toBe(0);
      const kubeconfig = join(fake.env.LABS_STATE_DIR!, lab, "kubeconfig");
      const labsEnv = { ...fake.env, LABS_MIRROR: env.LABS_MIRROR, LABS_CACHE_DIR: env.LABS_CACHE_DIR };
      expect(existsSync(kubeconfig)).toBe(true);
      // The state folder is outside the home directory here: the path as it is.
      const prefix = `kubectl --kubeconfig ${kubeconfig} `;
      const guide = runLabs(["guide", lab], labsEnv);
      expect(guide.code, guide.stderr).toBe(0);
      const calls = kubectlCalls(guide.stdout);
      expect(calls.length).toBeGreaterThan(10);
      for (const c of calls) expect(c.startsWith(prefix), c).toBe(true);
      const faults = runLabs(["faults", lab], labsEnv);
      const looks = faults.stdout.split("\n").filter((l) => /^\s+look: kubectl /.test(l));
      expect(looks.length).toBeGreaterThan(3);
      for (const l of looks) expect(l.trim().slice("look: ".length).startsWith(prefix), l).toBe(true);
      expect(faults.stdout).not.toMatch(/--context/);
      const json = JSON.parse(runLabs(["faults", lab, "--json"], labsEnv).stdout);
      expect(json.kubectl).toBe(prefix.trim());
      const lines = json.faults.flatMap((f: { look: { line: string; run: object }[] }) =>
        f.look.filter((l) => "kubectl" in l.run).map((l) => l.line),
      );
      expect(lines.length).toBeGreaterThan(3);
      for (const l of lines) expect(l.startsWith(prefix), l).toBe(true);
      // Under the home directory (the default state folder), as ~/…, which the shell expands.
      const home = { ...labsEnv, LABS_STATE_DIR: join(fake.home, ".local", "state", "labs") };
      expect(runLabs(["guide", lab], home).stdout).toContain(
        `kubectl --kubeconfig ~/.local/state/labs/${lab}/kubeconfig -n labs-probes exec`,
      );
    } finally {
      fake.cleanup();
    }
  }, 120_000);
});

describe("the guide's break-fix section", () => {
  it("has one exercise per fault with the round, the commands to look with, and the answer folded away", async () => {
    const s = await sketch("kindnet-iptables");
    const text = renderGuide(s);
    const section = text.slice(text.indexOf("## Break and fix"));
    expect(section).toMatch(/^## Break and fix\n/);
    // The round: faults, break, status, verify with where the probes point, look, fix, verify.
    expect(section).toContain("labs break kindnet-iptables kube-proxy-rules-flushed");
    expect(section).toMatch(/labs verify kindnet-iptables +# the probes point at the service network/);
    expect(section).toContain("labs fix kindnet-iptables --reveal");
    const { labFaults } = await import("../../lib/faults/catalogue.ts");
    const faults = labFaults(s.lab, s.plan, s.probeLab).faults;
    const exercises = [...section.matchAll(/^### \d+\. .* \(`([a-z0-9-]+)`, /gm)].map((m) => m[1]);
    expect(exercises).toEqual(faults.map((f) => f.id));
    expect(section.match(/<details><summary>Answer<\/summary>/g)?.length).toBe(faults.length);
    // Looking on the nodes is docker exec into the lab's node containers.
    expect(section).toContain("docker exec labs-kindnet-iptables-control-plane ip rule show");
    // The answer names the checks that must fail and where the probes point, after the question.
    const dns = section.slice(section.indexOf("(`coredns-scaled-to-zero`"));
    expect(dns.indexOf("**Which checks fail")).toBeLessThan(dns.indexOf("the probes point at DNS"));
    expect(dns).toContain("Must fail:\n- probe-control-plane → http://probe-peers:8080");
  });

  it("follows the dataplane: Flannel's overlay exercise, and the faults it cannot have with the reason", async () => {
    const text = renderGuide(await sketch("flannel-iptables"));
    expect(text).toContain("(`vxlan-port-dropped`, pod network)");
    expect(text).toMatch(
      /- a stray default-deny policy in the apps namespace \(`stray-default-deny`\): Flannel only connects pods/,
    );
  });
});

describe("what the guide tells", () => {
  it("answers the deny-all exercise from the CNI's NetworkPolicy claim", async () => {
    const flannel = await sketch("flannel-iptables");
    const kindnet = await sketch("kindnet-iptables");
    const [f] = exercisesOf(flannel.lab, flannel.plan);
    const [k] = exercisesOf(kindnet.lab, kindnet.plan);
    expect(f!.answer).toMatch(/^Nothing changes/);
    expect(f!.answer).toContain(flannel.lab.claims.networkPolicy.reason);
    const hit = checksIntoNamespace(kindnet.plan, "demo").filter((c) => c.expect.outcome !== "blocked");
    expect(hit.length).toBeGreaterThan(3);
    expect(k!.answer).toContain(`${hit.length} checks`);
    expect(k!.answer).toContain("`pod-to-cluster-ip`");
    expect(k!.code).toContain("kind: NetworkPolicy");
  });

  it("writes commands that do by hand what each kind of check does", async () => {
    const { plan } = await sketch("kindnet-iptables");
    const t = new TryIt(plan);
    const byId = (id: string) => t.command(plan.checks.find((c) => c.id.startsWith(id))!);
    expect(byId("pod-to-cluster-ip/demo/echo/probe-worker")).toBe(
      `kubectl --kubeconfig ~/.local/state/labs/kindnet-iptables/kubeconfig -n labs-probes exec probe-worker -c prober -- wget -qO- -T 3 "http://$(kubectl --kubeconfig ~/.local/state/labs/kindnet-iptables/kubeconfig -n demo get svc echo -o jsonpath='{.spec.clusterIP}')/clientip"`,
    );
    expect(byId("host-nodeport")).toBe("curl -s --max-time 3 http://127.0.0.1:30080/hostname");
    expect(byId("headless-service/demo/echo-headless")).toMatch(
      /exec probe-control-plane -c prober -- nslookup echo-headless\.demo\.svc\.cluster\.local$/,
    );
    expect(byId("dataplane-inspection/iptables-kube-services")).toBe(
      "docker exec labs-kindnet-iptables-control-plane sh -c 'iptables-save -t nat | grep -c KUBE-SVC'",
    );
    expect(byId("pod-to-service-udp/demo/echo")).toMatch(
      /-- sh -c "echo hostname \| nc -u -w 2 \$\(kubectl .* get svc echo -o jsonpath='\{\.spec\.clusterIP\}'\) 8081"$/,
    );
  });

  it("draws blocked hops only where policy is enforced", async () => {
    const hop = async (lab: string) =>
      pathModel((await sketch(lab)).lab, (await sketch(lab)).plan).paths.find(
        (p) => p.probe === "netpol-ingress",
      )!.hops[0]!;
    expect((await hop("kindnet-iptables")).blocked).toBe(true);
    expect((await hop("flannel-iptables")).blocked).toBeFalsy();
  });

  it("names who rewrites a pod's packet to a ClusterIP: Cilium's own load balancer even beside kube-proxy", async () => {
    const rewrite = async (lab: string) => {
      const s = await sketch(lab);
      return pathModel(s.lab, s.plan).paths.find((p) => p.probe === "pod-to-cluster-ip")!.hops[1]!.label;
    };
    expect(await rewrite("cilium-iptables")).toBe("DNAT by Cilium, not kube-proxy iptables");
    expect(await rewrite("cilium-kpr")).toBe("DNAT by cilium ebpf");
    expect(await rewrite("kindnet-iptables")).toBe("DNAT by kube-proxy iptables");
  });

  it("explains in the terminal, left to right when it fits and top to bottom when not", async () => {
    const s = await sketch("kindnet-ipvs");
    const wide = renderTextArt(pathModel(s.lab, s.plan), { width: 200 });
    expect(wide).toContain(" DNAT by kube-proxy ipvs ");
    expect(wide).toMatch(/│ pod probe-worker │─+▶│ Service echo\.demo/);
    const narrow = renderTextArt(pathModel(s.lab, s.plan), { width: 40 });
    expect(narrow).toMatch(/│ DNAT by kube-proxy ipvs\n\s+▼/);
    // Titles and notes wrap; a single word longer than the room left (a node name) may not.
    const prose = narrow.split("\n").filter((l) => !/[│─┌└]/.test(l) && !l.startsWith(" "));
    expect(prose.length).toBeGreaterThan(10);
    for (const line of prose) expect(line.length, line).toBeLessThanOrEqual(40);
  });
});

describe("labs guide and labs explain on the command line", () => {
  it("writes the handout to --out and prints the diagram in the terminal", () => {
    const out = join(mkdtempSync(join(tmpdir(), "labs-guide-out-")), "handout.md");
    const r = runLabs(["guide", "kindnet-nftables", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, "utf8");
    expect(text.startsWith("# kindnet-nftables: a Kubernetes networking lab")).toBe(true);
    expect(mermaidBlocks(text)).toHaveLength(1);
    const e = runLabs(["explain", "kindnet-nftables", "--width", "120"]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain("Pod to a Service's ClusterIP [pod-to-cluster-ip]");
    expect(e.stdout).toContain("10.96.0.0/16 via kube-proxy nftables");
  });
});
