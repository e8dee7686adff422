/**
 * Fuzzing the road from a lab file's default export to synthesized manifests. Specs are made
 * from a fixed seed (the same specs on every run and machine), mixing what lab authors write with
 * near misses (typos, wrong types, odd CIDRs) and junk (NaN, objects without prototype, getters
 * that throw). Whatever comes in, labs answers with a spec or with LabErrors; the only other
 * exception allowed is the user's own code throwing (a getter in the lab's object).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkLab } from "../../lib/components/resolve.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import { LabError } from "../../lib/model/errors.ts";
import { formatFinding } from "../../lib/model/findings.ts";
import { checkLabSpec, type LabSpec, parseLabSpec } from "../../lib/model/lab-spec.ts";
import { synthLab } from "../../lib/synth/synth.ts";
import { readerFromCache } from "../../lib/upstream/fetch-artifacts.ts";

const SEED = 0x1ab5;
const SPECS = 4000;
/** Every n-th resolved spec also goes through a full synth (tens of ms each). */
const SYNTH_EVERY = 6;

/** mulberry32: small, fast, and the same sequence everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class UserCodeThrew extends Error {}

function generator(seed: number) {
  const rnd = prng(seed);
  const chance = (p: number) => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

  const junk = (): unknown =>
    pick<() => unknown>([
      () => undefined,
      () => null,
      () => true,
      () => 0,
      () => -1,
      () => 1.5,
      () => Number.NaN,
      () => Number.POSITIVE_INFINITY,
      () => 2 ** 53,
      () => -0,
      () => 10n,
      () => "",
      () => " ",
      () => "ünïcödé ✓",
      () => "x".repeat(int(100, 3000)),
      () => "\u0000\n\t",
      () => [],
      () => [pick(["echo", 1, null])],
      () => ({}),
      () => Object.create(null),
      () => Object.assign(Object.create(null), { name: "flannel" }),
      () => ({ toString: () => "sneaky" }),
      () => () => 1,
      () => Symbol("s"),
      () => new Date(0),
      () => /re/,
      () => new Map([["a", 1]]),
    ])();

  // How often a field is what an author means to write: some specs are clean, some have a slip
  // or two, some are mostly noise (chosen per spec, below).
  let good = 0.62;
  const maybe = <T>(fine: () => T, nearMiss: () => unknown) => {
    const r = rnd();
    if (r < good) return fine();
    if (r < good + (1 - good) * 0.65) return nearMiss();
    return junk();
  };

  const v4 = () =>
    `${int(0, 255)}.${int(0, 255)}.${pick([0, 0, int(0, 255)])}.${pick([0, 0, 0, int(0, 255)])}`;
  const cidr4 = () => `${v4()}/${int(0, 33)}`;
  const cidr6 = () =>
    `${pick(["fd00:10:244::", "fd00::", "2001:db8::", "::", "fe80::1", "fd00:10:96::"])}/${int(0, 129)}`;
  const anyCidr = (): string =>
    pick<() => string>([
      () => pick(["10.244.0.0/16", "10.96.0.0/16", "192.168.0.0/16", "10.0.0.0/12", "100.64.0.0/10"]),
      cidr4,
      cidr6,
      () => `${cidr4()},${cidr6()}`,
      () => ` ${pick(["10.244.0.0/16", "10.96.0.0/12"])} `,
      () =>
        pick([
          "10.244.0.0",
          "10.244.0.0/",
          "/16",
          "10.244.0.0/16/8",
          "010.244.0.0/16",
          "10.244.0.0/16,",
          ",",
          "1.2.3.4/33",
        ]),
      () => pick(["10.244.0.0/16, fd00:10:244::/56", "10.244.0.0/16,10.245.0.0/16", "172.18.0.0/16"]),
    ])();

  const options = (component: string): unknown => {
    const byName: Record<string, () => unknown> = {
      flannel: () => ({
        backend: maybe(
          () => pick(["vxlan", "host-gw", "wireguard"]),
          () => pick(["vxlam", "VXLAN", ""]),
        ),
      }),
      calico: () => ({
        dataplane: maybe(
          () => pick(["Iptables", "BPF", "Nftables"]),
          () => pick(["bpf", "ebpf", ""]),
        ),
      }),
      cilium: () => ({
        kubeProxyReplacement: maybe(
          () => chance(0.5),
          () => pick(["true", 1, "yes"]),
        ),
      }),
      metallb: () => ({
        pool: maybe(
          () => pick(["172.18.255.200-172.18.255.250", "172.18.255.192/27"]),
          () => pick([anyCidr(), "172.18.255.250-172.18.255.200", "a-b", "1.2.3.4-fd00::1"]),
        ),
      }),
      echo: () => ({
        replicas: maybe(
          () => int(1, 10),
          () => pick([0, 11, 2.5, "3"]),
        ),
      }),
      "external-name": () => ({
        target: maybe(
          () => pick(["example.com", "echo.labs-apps.svc.cluster.local"]),
          () => pick(["-bad", "UPPER.example", "a..b", ""]),
        ),
      }),
    };
    const own = byName[component]?.() ?? {};
    if (chance(0.1)) (own as Record<string, unknown>)[pick(["bogus", "backnd", "replica"])] = junk();
    if (chance(0.08))
      (own as Record<string, unknown>).namespace = pick([
        "labs-apps",
        "",
        "Bad NS",
        "a".repeat(70),
        "kube-system",
      ]);
    return own;
  };

  const ref = (names: readonly string[], typos: readonly string[]) =>
    maybe(
      () => {
        const name = pick(names);
        return chance(0.5) ? name : { name, options: options(name) };
      },
      () =>
        pick<() => unknown>([
          () => pick(typos),
          () => ({}),
          () => ({ name: pick(names), options: junk() }),
          () => ({ name: pick(names), extra: 1 }),
        ])(),
    );

  const CNIS = ["kindnet", "flannel", "calico", "cilium"] as const;
  const PROXIES = ["iptables", "ipvs", "nftables", "none"] as const;
  const APPS = ["echo", "echo-v2", "web", "external-name"] as const;

  /** One lab's default export. */
  return function spec(): unknown {
    good = pick([1, 1, 0.97, 0.92, 0.8, 0.62]);
    const out: Record<string, unknown> = {};
    const set = (key: string, value: () => unknown, p = 0.85) => {
      if (chance(p)) out[key] = value();
    };
    set(
      "name",
      () =>
        maybe(
          () => pick(["demo", "fuzz-lab", "a", "lab-2", "x".repeat(40)]),
          () => pick(["Demo", "-x", "x-", "a_b", "x".repeat(41), ""]),
        ),
      0.95,
    );
    set(
      "description",
      () =>
        maybe(
          () => "a fuzzed lab",
          () => "",
        ),
      0.95,
    );
    set("nodes", () =>
      maybe(
        () => ({ controlPlanes: int(1, 3), workers: int(0, 9) }),
        () =>
          pick<() => unknown>([
            () => ({ workers: String(int(0, 3)) }),
            () => ({ controlPlanes: 0 }),
            () => ({ worker: 2 }),
            () => ({ workers: int(10, 99) }),
            () => ({ workers: 1.5 }),
          ])(),
      ),
    );
    set(
      "nodeImage",
      () =>
        maybe(
          () =>
            "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5",
          () =>
            pick([
              "kindest/node:v1.36.1",
              "kindest/node:latest@sha256:" + "0".repeat(64),
              "kindest/node:vX@sha256:" + "a".repeat(64),
            ]),
        ),
      0.3,
    );
    set(
      "ipFamily",
      () =>
        maybe(
          () => pick(["ipv4", "ipv6", "dual"]),
          () => pick(["ip4", "IPv4", "v6"]),
        ),
      0.4,
    );
    set(
      "podSubnet",
      () => maybe(() => pick(["10.244.0.0/16", "192.168.0.0/16", "10.200.0.0/20"]), anyCidr),
      0.4,
    );
    set(
      "serviceSubnet",
      () => maybe(() => pick(["10.96.0.0/16", "10.0.0.0/12", "10.96.0.0/24"]), anyCidr),
      0.4,
    );
    set("cni", () => ref(CNIS, ["flanel", "Calico", "weave", ""]));
    set("kubeProxyMode", () =>
      maybe(
        () => pick(PROXIES),
        () => pick(["iptable", "IPVS", "ebpf", ""]),
      ),
    );
    set(
      "northSouth",
      () =>
        maybe(
          () => {
            const ns: Record<string, unknown> = {};
            if (chance(0.5)) ns.ingress = ref(["ingress-nginx", "cloud-provider-kind"], ["nginx", "traefik"]);
            if (chance(0.5))
              ns.gateway = ref(["envoy-gateway", "cilium", "cloud-provider-kind"], ["envoy", "istio"]);
            return ns;
          },
          () =>
            pick<() => unknown>([
              () => ({ ingres: "ingress-nginx" }),
              () => "ingress-nginx",
              () => ({ gateway: junk() }),
            ])(),
        ),
      0.5,
    );
    set("loadBalancer", () => ref(["metallb", "cloud-provider-kind"], ["metalLB", "kube-vip"]), 0.35);
    set(
      "apps",
      () =>
        maybe(
          () => Array.from({ length: int(0, 4) }, () => ref(APPS, ["ech0", "nginx"])),
          () => pick<() => unknown>([() => "echo", () => ["echo", "echo"], () => [junk()]])(),
        ),
      0.5,
    );
    set(
      "probes",
      () =>
        maybe(
          () => ({ exclude: chance(0.5) ? [pick(["dns", "netpol-ingress", "nope"])] : [] }),
          () => ({ include: "dns" }),
        ),
      0.2,
    );
    set(
      "listenAddress",
      () =>
        maybe(
          () => pick(["127.0.0.1", "0.0.0.0", "::1"]),
          () => pick(["localhost", "1.2.3", ""]),
        ),
      0.2,
    );
    set(
      "hostPorts",
      () =>
        maybe(
          () => ({
            [pick(["ingressHttp", "ingressHttps", "nodePort", "gatewayHttp"])]: pick([
              80,
              443,
              8080,
              30080,
              int(1024, 65535),
            ]),
          }),
          () => ({ [pick(["nodePort", "ingressHttp"])]: pick([0, 70000, "80", -1]) }),
        ),
      0.25,
    );
    if (chance(0.04)) out[pick(["cnii", "node", "extra"])] = junk();
    if (chance(0.01))
      Object.defineProperty(out, "description", {
        enumerable: true,
        get() {
          throw new UserCodeThrew("a getter in the lab file threw");
        },
      });
    return out;
  };
}

/** LabError lines must read as sentences: no JavaScript leaking into them. */
function expectReadable(message: string, input: unknown) {
  expect(message.length, JSON.stringify(input, safe)).toBeGreaterThan(0);
  expect(message).not.toMatch(/\[object Object\]|\bundefined\b(?! is)|function \(|=> /);
}
const safe = (_k: string, v: unknown) =>
  typeof v === "bigint" || typeof v === "symbol" || typeof v === "function" ? String(v) : v;

describe(`fuzzing lab specs (seed ${SEED}, ${SPECS} specs)`, () => {
  it("answers every spec with a valid spec or with LabErrors, down to synthesized manifests", {
    timeout: 240_000,
  }, async () => {
    const next = generator(SEED);
    const emptyCache = readerFromCache(mkdtempSync(join(tmpdir(), "labs-fuzz-cache-")));
    const tally = {
      specs: 0,
      invalid: 0,
      unresolved: 0,
      resolved: 0,
      sketched: 0,
      sketchRefused: 0,
      synthesized: 0,
      synthRefused: 0,
      userThrew: 0,
    };
    const crashes: string[] = [];
    const crash = (stage: string, input: unknown, e: unknown) =>
      crashes.push(
        `${stage}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n  input: ${JSON.stringify(input, safe)?.slice(0, 400)}`,
      );

    for (let i = 0; i < SPECS; i++) {
      const input = next();
      tally.specs++;
      let spec: LabSpec | undefined;
      try {
        const checked = checkLabSpec(input);
        spec = checked.spec;
        if (!spec) {
          tally.invalid++;
          for (const f of checked.findings) expectReadable(formatFinding(f), input);
          // parseLabSpec says the same, as one LabError.
          expect(() => parseLabSpec(input, "fuzz")).toThrow(LabError);
          continue;
        }
      } catch (e) {
        if (e instanceof UserCodeThrew) tally.userThrew++;
        else crash("checkLabSpec", input, e);
        continue;
      }
      // A parsed spec parses to itself: defaults are stable.
      expect(checkLabSpec(spec).spec).toEqual(spec);
      let resolved: ReturnType<typeof checkLab>;
      try {
        resolved = checkLab(spec);
      } catch (e) {
        crash("checkLab", input, e);
        continue;
      }
      if (!resolved.lab) {
        tally.unresolved++;
        for (const f of resolved.findings) expectReadable(formatFinding(f), input);
        continue;
      }
      tally.resolved++;
      try {
        sketchLab(spec);
        tally.sketched++;
      } catch (e) {
        if (e instanceof LabError) {
          tally.sketchRefused++;
          if (process.env.FUZZ_VERBOSE) console.log("sketch refused:", e.message.split("\n")[0]);
        } else crash("sketchLab", input, e);
      }
      if (tally.resolved % SYNTH_EVERY === 0) {
        try {
          await synthLab(spec, { readArtifact: emptyCache, readRenderedChart: () => "" });
          tally.synthesized++;
        } catch (e) {
          if (e instanceof LabError) {
            tally.synthRefused++;
            expectReadable(e.message, input);
          } else crash("synthLab", input, e);
        }
      }
    }
    console.log(`fuzz: ${JSON.stringify(tally)}`);
    expect(crashes, crashes.slice(0, 5).join("\n")).toEqual([]);
    // The generator must reach every stage, or the fuzz proves little.
    expect(tally.invalid).toBeGreaterThan(SPECS / 10);
    expect(tally.resolved).toBeGreaterThan(SPECS / 20);
    expect(tally.synthesized + tally.synthRefused).toBeGreaterThan(5);
  });
});
