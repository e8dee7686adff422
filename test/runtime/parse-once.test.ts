/**
 * `labs up` parses a lab once (the catalogue, when the lab file is loaded) and resolves it once:
 * every later step (doctor, artifacts, synth, the load balancer pool) takes the ResolvedLab, and
 * after synth the runtime reads lab.json. Counted by wrapping the model's parse and the node
 * image version read that every resolve does once.
 */
import { afterAll, describe, expect, it, vi } from "vitest";

const count = vi.hoisted(() => ({ parses: 0, resolves: 0 }));

vi.mock("../../lib/model/lab-spec.ts", async (original) => {
  const real = await original<typeof import("../../lib/model/lab-spec.ts")>();
  return {
    ...real,
    parseLabSpec: (...args: Parameters<typeof real.parseLabSpec>) => {
      count.parses++;
      return real.parseLabSpec(...args);
    },
    checkLabSpec: (...args: Parameters<typeof real.checkLabSpec>) => {
      count.parses++;
      return real.checkLabSpec(...args);
    },
  };
});
vi.mock("../../lib/model/kubernetes-version.ts", async (original) => {
  const real = await original<typeof import("../../lib/model/kubernetes-version.ts")>();
  return {
    ...real,
    // resolve.ts's checkLab reads the node image's version once per resolve, and nothing else does.
    parseNodeImageVersion: (...args: Parameters<typeof real.parseNodeImageVersion>) => {
      count.resolves++;
      return real.parseNodeImageVersion(...args);
    },
  };
});

const { fakeToolchain } = await import("../fake-toolchain/fake-toolchain.ts");
const { catalogueLab, upWith } = await import("./support.ts");

const fake = fakeToolchain();
afterAll(() => fake.cleanup());

describe("labs up", { timeout: 120_000 }, () => {
  it("parses and resolves the lab once, then works from what synth wrote", async () => {
    const spec = await catalogueLab("kindnet-iptables");
    expect(count, "loading the lab file").toEqual({ parses: 1, resolves: 0 });
    const result = await upWith(fake, spec);
    expect(result.action).toBe("created");
    expect(count, "labs up kindnet-iptables").toEqual({ parses: 1, resolves: 1 });
  });
});
