import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LABS_DIR, loadLabFile } from "../../lib/catalogue.ts";
import { checkLab } from "../../lib/components/resolve.ts";
import { importPathFrom, northSouthOf, writeNewLab } from "../../lib/guide/new-lab.ts";
import { runLabs } from "../support/run-labs.ts";

const tempLabs = () => mkdtempSync(join(tmpdir(), "labs-new-"));

describe("labs new", () => {
  it("writes a lab file that loads, parses and resolves to what was asked", async () => {
    const dir = tempLabs();
    const { file } = await writeNewLab(
      {
        name: "flannel-hostgw",
        cni: "flannel",
        cniOptions: { backend: "host-gw" },
        proxy: "nftables",
        northSouth: ["ingress=ingress-nginx", "lb=metallb"],
      },
      dir,
    );
    expect(file).toBe(join(dir, "flannel-hostgw.ts"));
    expect(readdirSync(dir)).toEqual(["flannel-hostgw.ts"]);
    const { spec } = await loadLabFile(file);
    expect(spec).toMatchObject({
      name: "flannel-hostgw",
      cni: { name: "flannel", options: { backend: "host-gw" } },
      kubeProxyMode: "nftables",
      northSouth: { ingress: { name: "ingress-nginx" } },
      loadBalancer: { name: "metallb" },
    });
    // An ingress routes to echo and echo-v2, so both come by default.
    expect(spec.apps.map((a) => a.name)).toEqual(["echo", "echo-v2"]);
    const { lab } = checkLab(spec);
    expect(lab?.capabilities.podEncapsulation).toBe("routed");
  });

  it("imports defineLab from the catalogue's own path when writing into labs/", () => {
    expect(importPathFrom(DEFAULT_LABS_DIR)).toBe("../lib/model/define-lab.ts");
    const existing = readFileSync(join(DEFAULT_LABS_DIR, "kindnet-iptables.ts"), "utf8");
    expect(existing).toContain(`from "${importPathFrom(DEFAULT_LABS_DIR)}"`);
  });

  it("never overwrites: an existing file, or another file naming a lab the same", async () => {
    const dir = tempLabs();
    writeFileSync(join(dir, "mine.ts"), "// mine\n");
    await expect(writeNewLab({ name: "mine", cni: "kindnet", proxy: "ipvs" }, dir)).rejects.toThrow(
      /already exists: labs new never overwrites/,
    );
    expect(readFileSync(join(dir, "mine.ts"), "utf8")).toBe("// mine\n");

    const other = tempLabs();
    await writeNewLab({ name: "first", cni: "kindnet", proxy: "ipvs" }, other);
    const text = readFileSync(join(other, "first.ts"), "utf8").replace('name: "first"', 'name: "taken"');
    writeFileSync(join(other, "first.ts"), text);
    await expect(writeNewLab({ name: "taken", cni: "kindnet", proxy: "iptables" }, other)).rejects.toThrow(
      /a lab named "taken" already exists in first\.ts/,
    );
    expect(readdirSync(other)).toEqual(["first.ts"]);
  });

  it("reads north-south choices, and asks which slot when a name fits several", () => {
    expect(northSouthOf(["envoy-gateway"])).toEqual({ northSouth: { gateway: "envoy-gateway" } });
    expect(northSouthOf(["gateway=cilium,lb=cloud-provider-kind"])).toEqual({
      northSouth: { gateway: "cilium" },
      loadBalancer: "cloud-provider-kind",
    });
    expect(northSouthOf(["none"])).toEqual({});
    expect(() => northSouthOf(["cloud-provider-kind"])).toThrow(
      /can be an ingress or a gateway or a load balancer/,
    );
    expect(() => northSouthOf(["route=x"])).toThrow(/"route" is not a north-south slot/);
    expect(() => northSouthOf(["envoy-gatway"])).toThrow(/did you mean "envoy-gateway"/);
  });

  it("gives one clear line per problem on the command line, and writes nothing", () => {
    const dir = tempLabs();
    const run = (...args: string[]) => runLabs(["new", ...args, "--labs-dir", dir]);
    const cases: [string[], RegExp][] = [
      [["Bad_Name"], /lab name "Bad_Name" is not valid: name must be lowercase/],
      [["x", "--cni", "flanel"], /--cni: unknown CNI "flanel": did you mean "flannel"\?/],
      [
        ["x", "--proxy", "ipvz"],
        /--proxy: must be a kube-proxy mode kind runs: .*, got the string "ipvz" \(did you mean "ipvs"\?\)/,
      ],
      [["x", "--proxy", "none"], /--proxy: kubeProxyMode "none" leaves Services unprogrammed/],
      [["x", "--cni-option", "foo=1"], /--cni-option: unknown option "foo" for kindnet/],
      [["x", "--cni-option", "novalue"], /--cni-option: "novalue" is not key=value/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.split("\n")[0]).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
    const ok = run("calico-ipvs", "--cni", "calico", "--proxy", "ipvs");
    expect(ok.code).toBe(0);
    expect(runLabs(["show", "calico-ipvs", "--labs-dir", dir]).stdout).toContain("kube-proxy (ipvs)");
  });
});
