/**
 * Bad input, as a newcomer types it: every case runs the real `labs` executable in a folder of
 * its own and must end with the right exit code, one `labs: error:` line that names the problem,
 * the fix (on a `labs: fix:` line, or in the error line itself), no stack trace, and every file
 * of that folder exactly as it was.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLabsAsync } from "../support/run-labs.ts";

const DEFINE_LAB = new URL("../../lib/model/define-lab.ts", import.meta.url).href;
const LAB_SPEC = new URL("../../lib/model/define-lab.ts", import.meta.url).href;
const RUN_FIXTURE = new URL("../fixtures/runs/loopback-nftables/", import.meta.url).pathname;

/** A lab file named demo with extra fields; `raw` replaces the whole file. */
const lab = (fields: string) =>
  `import { defineLab } from ${JSON.stringify(DEFINE_LAB)};\nexport default defineLab({ name: "demo", description: "a lab under test", ${fields} });\n`;

interface Case {
  name: string;
  args: string[];
  /** Files of the user's folder (the working directory); `labs/` is LABS_DIR when present. */
  files?: Record<string, string>;
  /** Folders to copy in: target → source. */
  copies?: Record<string, string>;
  /** Environment; `{ws}` is replaced by the folder's path. */
  env?: Record<string, string>;
  stdin?: string;
  code: number;
  problem: RegExp;
  fix: RegExp;
}

const cases: Case[] = [
  // The LabSpec: types, names, fields.
  {
    name: "workers as a string",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('nodes: { workers: "2" }') },
    code: 2,
    problem: /demo: nodes\.workers: workers must be a whole number, got the string "2"/,
    fix: /whole number/,
  },
  {
    name: "workers not whole",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("nodes: { workers: 1.5 }") },
    code: 2,
    problem: /nodes\.workers: workers must be a whole number, got the number 1\.5/,
    fix: /whole number/,
  },
  {
    name: "negative workers",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("nodes: { workers: -1 }") },
    code: 2,
    problem: /nodes\.workers: workers cannot be negative, got the number -1/,
    fix: /negative/,
  },
  {
    name: "ten workers",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("nodes: { workers: 10 }") },
    code: 2,
    problem: /nodes\.workers: workers above 9 will not fit on a laptop/,
    fix: /above 9/,
  },
  {
    name: "no control plane",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("nodes: { controlPlanes: 0 }") },
    code: 2,
    problem: /nodes\.controlPlanes: controlPlanes must be at least 1/,
    fix: /at least 1/,
  },
  {
    name: "misspelt nodes field",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("nodes: { worker: 3 }") },
    code: 2,
    problem: /nodes: unknown field "worker"/,
    fix: /did you mean "workers"/,
  },
  {
    name: "default export a number",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "export default 42;\n" },
    code: 2,
    problem: /a lab must be an object, got the number 42/,
    fix: /export default defineLab/,
  },
  {
    name: "default export a string",
    args: ["show", "demo"],
    files: { "labs/demo.ts": 'export default "kindnet";\n' },
    code: 2,
    problem: /a lab must be an object, got the string "kindnet"/,
    fix: /defineLab/,
  },
  {
    name: "default export a list",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "export default [];\n" },
    code: 2,
    problem: /a lab must be an object, got an empty list/,
    fix: /defineLab/,
  },
  {
    name: "default export null",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "export default null;\n" },
    code: 2,
    problem: /a lab must be an object, got null/,
    fix: /defineLab/,
  },
  {
    name: "no default export",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "export const lab = {};\n" },
    code: 2,
    problem: /lab file demo\.ts has no default export/,
    fix: /export default defineLab/,
  },
  {
    name: "name an object without prototype",
    args: ["show", "demo"],
    files: {
      "labs/demo.ts":
        'export default { name: Object.assign(Object.create(null), { a: 1 }), description: "x" };\n',
    },
    code: 2,
    problem: /demo: name: expected a string, got an object/,
    fix: /a string/,
  },
  {
    name: "name with capitals",
    args: ["list"],
    files: { "labs/demo.ts": 'export default { name: "Demo_Lab", description: "x" };\n' },
    code: 2,
    problem: /name: name must be lowercase letters, digits and '-'/,
    fix: /lowercase/,
  },
  {
    name: "name too long",
    args: ["list"],
    files: { "labs/demo.ts": `export default { name: "${"a".repeat(41)}", description: "x" };\n` },
    code: 2,
    problem: /name is longer than 40 characters/,
    fix: /40 characters/,
  },
  {
    name: "empty description",
    args: ["show", "demo"],
    files: { "labs/demo.ts": 'export default { name: "demo", description: "" };\n' },
    code: 2,
    problem: /description: describe what the lab shows in a sentence/,
    fix: /describe what the lab shows/,
  },
  {
    name: "misspelt top-level field",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('cnii: "kindnet"') },
    code: 2,
    problem: /demo: unknown field "cnii"/,
    fix: /did you mean "cni"/,
  },
  {
    name: "cni a number",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("cni: 5") },
    code: 2,
    problem: /cni: expected a string or an object, got the number 5/,
    fix: /expected a string or an object/,
  },
  {
    name: "unknown CNI",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('cni: "flanel"') },
    code: 2,
    problem: /cni\.name: unknown CNI "flanel"/,
    fix: /did you mean "flannel"/,
  },
  {
    name: "cni without a name",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("cni: {}") },
    code: 2,
    problem: /cni\.name: is required \(expected a string\)/,
    fix: /expected a string/,
  },
  {
    name: "unknown CNI option",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('cni: { name: "flannel", options: { backnd: "vxlan" } }') },
    code: 2,
    problem: /cni\.options: unknown option "backnd" for flannel/,
    fix: /known options: backend/,
  },
  {
    name: "bad CNI option value",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('cni: { name: "flannel", options: { backend: "vxlam" } }') },
    code: 2,
    problem:
      /cni\.options\.backend: backend must be one of vxlan, host-gw, wireguard, got the string "vxlam"/,
    fix: /did you mean "vxlan"/,
  },
  {
    name: "misspelt proxy mode",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('kubeProxyMode: "iptable"') },
    code: 2,
    problem:
      /kubeProxyMode: must be a kube-proxy mode kind runs: .*, got the string "iptable" \(did you mean "iptables"\?\)/,
    fix: /did you mean "iptables"/,
  },
  {
    name: "proxy mode a number",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("kubeProxyMode: 5") },
    code: 2,
    problem: /kubeProxyMode: expected a string, got the number 5/,
    fix: /expected a string/,
  },
  {
    name: "unknown IP family",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('ipFamily: "ip4"') },
    code: 2,
    problem: /ipFamily: expected one of "ipv4", "ipv6", "dual", got the string "ip4"/,
    fix: /did you mean "ipv4"/,
  },
  {
    name: "pod subnet without prefix",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "10.244.0.0"') },
    code: 2,
    problem: /podSubnet: "10\.244\.0\.0" is not a CIDR/,
    fix: /e\.g\. 10\.244\.0\.0\/16/,
  },
  {
    name: "pod subnet with spaces",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: " 10.244.0.0/16 "') },
    code: 2,
    problem: /podSubnet: " 10\.244\.0\.0\/16 " contains spaces, which kind rejects/,
    fix: /without spaces, e\.g\. "10\.244\.0\.0\/16"/,
  },
  {
    name: "pod subnet /30",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "10.244.0.0/30"') },
    code: 2,
    problem: /podSubnet: 10\.244\.0\.0\/30 is narrower than one node's range/,
    fix: /use a \/22 or wider/,
  },
  {
    name: "pod subnet too small for the nodes",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "10.244.0.0/23"') },
    code: 2,
    problem: /holds 2 node ranges of \/24, but the lab has 3 nodes/,
    fix: /use a \/22 or wider/,
  },
  {
    name: "pod subnet too wide for kubeadm",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "128.0.0.0/7"') },
    code: 2,
    problem: /128\.0\.0\.0\/7 is wider than kubeadm accepts/,
    fix: /use a \/8 or narrower/,
  },
  {
    name: "pod subnet with host bits",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "10.244.0.1/16"') },
    code: 2,
    problem: /"10\.244\.0\.1\/16" has host bits set/,
    fix: /first of its \/16 range/,
  },
  {
    name: "IPv6 pod subnet in an IPv4 lab",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "fd00:10:244::/56"') },
    code: 2,
    problem: /podSubnet: fd00:10:244::\/56 does not fit ipFamily ipv4/,
    fix: /use an IPv4 CIDR or set ipFamily/,
  },
  {
    name: "service subnet larger than kube-apiserver accepts",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "192.168.0.0/16", serviceSubnet: "10.0.0.0/11"') },
    code: 2,
    problem: /serviceSubnet: 10\.0\.0\.0\/11 is larger than kubeadm and kube-apiserver accept/,
    fix: /use a \/12 or smaller/,
  },
  {
    name: "service subnet under ten addresses",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('serviceSubnet: "10.96.0.0/29"') },
    code: 2,
    problem: /serviceSubnet: 10\.96\.0\.0\/29 has fewer than 10 addresses/,
    fix: /use a \/28 or larger/,
  },
  {
    name: "service subnet overlapping pods",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('serviceSubnet: "10.244.128.0/20"') },
    code: 2,
    problem: /serviceSubnet 10\.244\.128\.0\/20 overlaps podSubnet 10\.244\.0\.0\/16/,
    fix: /do not overlap/,
  },
  {
    name: "pod subnet on the kind network",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('podSubnet: "172.18.0.0/16"') },
    code: 2,
    problem: /podSubnet 172\.18\.0\.0\/16 overlaps Docker's kind network/,
    fix: /outside 172\.18\.0\.0\/16/,
  },
  {
    name: "listen address a name",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('listenAddress: "localhost"') },
    code: 2,
    problem: /listenAddress: "localhost" is not an IP address/,
    fix: /use 127\.0\.0\.1/,
  },
  {
    name: "host port out of range",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab("hostPorts: { nodePort: 70000 }") },
    code: 2,
    problem: /hostPorts\.nodePort: nodePort must be between 1 and 65535, got the number 70000/,
    fix: /between 1 and 65535/,
  },
  {
    name: "host port mapped twice",
    args: ["show", "demo"],
    files: {
      "labs/demo.ts": lab(
        'northSouth: { gateway: "envoy-gateway" }, apps: ["echo", "echo-v2"], hostPorts: { nodePort: 8080 }',
      ),
    },
    code: 2,
    problem: /hostPorts\.nodePort: host port 8080 would be mapped twice/,
    fix: /give hostPorts\.nodePort another port/,
  },
  {
    name: "MetalLB pool among the Services",
    args: ["show", "demo"],
    files: {
      "labs/demo.ts": lab('loadBalancer: { name: "metallb", options: { pool: "10.96.0.10-10.96.0.20" } }'),
    },
    code: 2,
    problem:
      /loadBalancer\.options\.pool: pool 10\.96\.0\.10-10\.96\.0\.20 overlaps the service subnet 10\.96\.0\.0\/16/,
    fix: /addresses of the kind Docker network/,
  },
  {
    name: "MetalLB pool not a range",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('loadBalancer: { name: "metallb", options: { pool: "many" } }') },
    code: 2,
    problem: /loadBalancer\.options\.pool: pool must be a CIDR or a first-last address range/,
    fix: /e\.g\. "172\.18\.255\.200-172\.18\.255\.250"/,
  },
  {
    name: "apps not a list",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('apps: "echo"') },
    code: 2,
    problem: /apps: expected a list, got the string "echo"/,
    fix: /expected a list/,
  },
  {
    name: "an app twice",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('apps: ["echo", "echo"]') },
    code: 2,
    problem: /apps\[1\]: app "echo" is listed twice/,
    fix: /listed twice/,
  },
  {
    name: "no kube-proxy and nothing replacing it",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('kubeProxyMode: "none"') },
    code: 2,
    problem: /kubeProxyMode "none" leaves Services unprogrammed/,
    fix: /use kubeProxyMode "iptables"/,
  },
  {
    name: "node image without digest",
    args: ["show", "demo"],
    files: { "labs/demo.ts": lab('nodeImage: "kindest/node:v1.36.1"') },
    code: 2,
    problem: /nodeImage: nodeImage must be pinned by tag and digest/,
    fix: /image:tag@sha256/,
  },

  // Lab files that do not load.
  {
    name: "syntax error",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "export default {{;\n" },
    code: 2,
    problem: /lab file demo\.ts failed to load: syntax error at .*demo\.ts:1:17: Expected identifier/,
    fix: /fix the lab file/,
  },
  {
    name: "lab file that throws",
    args: ["list"],
    files: { "labs/demo.ts": 'throw new Error("boom");\n' },
    code: 2,
    problem: /lab file demo\.ts failed to load: boom/,
    fix: /fix the lab file/,
  },
  {
    name: "lab file that never settles",
    args: ["show", "demo"],
    files: { "labs/demo.ts": "await new Promise(() => {});\nexport default {};\n" },
    code: 2,
    problem: /lab file demo\.ts never finished loading/,
    fix: /remove the top-level await/,
  },
  {
    name: "lab file importing the schema by URL",
    args: ["show", "demo"],
    files: {
      "labs/demo.ts": `import { defineLab } from ${JSON.stringify(LAB_SPEC)};\nexport default defineLab({ name: "demo", description: "x", podSubnet: "nope" });\n`,
    },
    code: 2,
    problem: /podSubnet: "nope" is not a CIDR/,
    fix: /e\.g\. 10\.244\.0\.0\/16/,
  },
  {
    name: "two labs with one name",
    args: ["list"],
    files: { "labs/a.ts": lab(""), "labs/b.ts": lab("") },
    code: 2,
    problem: /two labs are named "demo": a\.ts and b\.ts/,
    fix: /unique name/,
  },

  // Where the catalogue is.
  {
    name: "LABS_DIR a file",
    args: ["list"],
    files: { "notes.txt": "mine\n" },
    env: { LABS_DIR: "{ws}/notes.txt" },
    code: 2,
    problem: /notes\.txt is a file, not a folder of labs/,
    fix: /point LABS_DIR or --labs-dir at a folder/,
  },
  {
    name: "LABS_DIR missing",
    args: ["list"],
    env: { LABS_DIR: "{ws}/nowhere" },
    code: 2,
    problem: /no labs directory at .*nowhere/,
    fix: /point LABS_DIR/,
  },
  {
    name: "empty --labs-dir",
    args: ["list", "--labs-dir", ""],
    code: 2,
    problem: /--labs-dir needs a path, got an empty one/,
    fix: /leave it out/,
  },
  {
    name: "unknown lab",
    args: ["show", "kindnet-ipv"],
    code: 2,
    problem: /unknown lab "kindnet-ipv": did you mean "kindnet-ipvs"/,
    fix: /labs list/,
  },

  // Commands and flags.
  {
    name: "unknown command",
    args: ["lsit"],
    code: 2,
    problem: /unknown command "lsit": Did you mean list\?/,
    fix: /labs --help/,
  },
  {
    name: "unknown flag",
    args: ["list", "--jsn"],
    code: 2,
    problem: /Unknown argument: jsn/,
    fix: /labs list --help/,
  },
  {
    name: "missing lab argument",
    args: ["show"],
    code: 2,
    problem: /Not enough non-option arguments/,
    fix: /labs show --help/,
  },
  {
    name: "explain --width abc",
    args: ["explain", "kindnet-iptables", "--width", "abc"],
    code: 2,
    problem: /--width takes a whole number from 40 to 1000 \(columns\), got not a number/,
    fix: /e\.g\. --width/,
  },
  {
    name: "explain --width 0",
    args: ["explain", "kindnet-iptables", "--width", "0"],
    code: 2,
    problem: /--width takes a whole number from 40 to 1000 \(columns\), got 0/,
    fix: /e\.g\. --width/,
  },
  {
    name: "explain --width -5",
    args: ["explain", "kindnet-iptables", "--width=-5"],
    code: 2,
    problem: /--width takes a whole number .* got -5/,
    fix: /e\.g\. --width/,
  },
  {
    name: "compare --parallel abc",
    args: ["compare", "kindnet-iptables", "--parallel", "abc"],
    code: 2,
    problem: /--parallel takes a whole number from 1 to 16 \(labs at once\), got not a number/,
    fix: /e\.g\. --parallel 2/,
  },
  {
    name: "compare --out an existing file",
    args: ["compare", "kindnet-iptables", "--out", "results.txt"],
    files: { "results.txt": "my notes\n" },
    code: 2,
    problem: /results\.txt is a file, not a folder/,
    fix: /give --out a folder/,
  },
  {
    name: "compare over an earlier run",
    args: ["compare", "kindnet-iptables", "--out", "run"],
    copies: { run: RUN_FIXTURE },
    code: 2,
    problem: /run already holds results\.json from an earlier run/,
    fix: /pass --force to replace it/,
  },
  {
    name: "up --timeout-scale 0",
    args: ["up", "kindnet-iptables", "--timeout-scale", "0"],
    code: 2,
    problem: /--timeout-scale takes a number above 0 and at most 100, got 0/,
    fix: /e\.g\. --timeout-scale 2/,
  },
  {
    name: "prober --concurrency 1e9",
    args: ["prober", "--plan", "plan.json", "--concurrency", "1e9"],
    files: { "plan.json": '{"version":1,"probes":[]}\n' },
    code: 2,
    problem: /--concurrency takes a whole number from 1 to 4096 \(probes\), got 1000000000/,
    fix: /e\.g\. --concurrency/,
  },
  {
    name: "prober --deadline-ms abc",
    args: ["prober", "--plan", "plan.json", "--deadline-ms", "abc"],
    files: { "plan.json": '{"version":1,"probes":[]}\n' },
    code: 2,
    problem: /--deadline-ms takes a whole number .* got not a number/,
    fix: /e\.g\. --deadline-ms/,
  },
  {
    name: "prober given the lab's probe plan",
    args: ["prober", "--plan", "probes.plan.json"],
    files: {
      "probes.plan.json":
        '{"version":1,"lab":"demo","clusterName":"labs-demo","probes":[],"checks":[],"skipped":[],"clients":[]}\n',
    },
    code: 2,
    problem: /probes\.plan\.json is lab "demo"'s probe plan .* labs prober runs an engine plan/,
    fix: /labs prober --example > plan\.json/,
  },
  {
    name: "prober given the lab's plan on stdin",
    args: ["prober", "--plan", "-"],
    stdin:
      '{"version":1,"lab":"demo","clusterName":"labs-demo","probes":[],"checks":[],"skipped":[],"clients":[]}',
    code: 2,
    problem: /the plan on stdin is lab "demo"'s probe plan/,
    fix: /labs prober --example/,
  },
  {
    name: "prober plan missing",
    args: ["prober", "--plan", "nope.json"],
    code: 2,
    problem: /cannot read the engine plan nope\.json: ENOENT/,
    fix: /labs prober --example > plan\.json/,
  },
  {
    name: "prober without a plan",
    args: ["prober"],
    code: 2,
    problem: /--plan needs a plan file, or - for stdin/,
    fix: /labs prober --example/,
  },
  {
    name: "synth --out empty",
    args: ["synth", "kindnet-iptables", "--out", ""],
    code: 2,
    problem: /--out needs a path, got an empty one/,
    fix: /leave --out out/,
  },
  {
    name: "synth into /proc",
    args: ["synth", "kindnet-iptables", "--out", "/proc/labs-no-such-dir"],
    code: 3,
    problem: /cannot write to \/proc\/labs-no-such-dir\/kindnet-iptables: ENOENT/,
    fix: /choose a writable directory with --out/,
  },
  {
    name: "synth into a file",
    args: ["synth", "kindnet-iptables", "--out", "notes.txt"],
    files: { "notes.txt": "mine\n" },
    code: 3,
    problem: /cannot write to .*notes\.txt\/kindnet-iptables: ENOTDIR/,
    fix: /choose a writable directory/,
  },
  {
    name: "report into /proc",
    args: ["report", "run", "--out", "/proc/labs-no-such-dir"],
    copies: { run: RUN_FIXTURE },
    code: 3,
    problem: /cannot create \/proc\/labs-no-such-dir: ENOENT/,
    fix: /choose a writable folder with --out/,
  },
  {
    name: "guide into /proc",
    args: ["guide", "kindnet-iptables", "--out", "/proc/labs-no-such-dir/guide.md"],
    code: 3,
    problem: /cannot write \/proc\/labs-no-such-dir\/guide\.md: ENOENT/,
    fix: /choose another path with --out/,
  },
  {
    name: "compare without Docker",
    args: ["compare", "kindnet-iptables", "--out", "cmp"],
    env: { PATH: "{ws}/no-bin", LABS_DOCKER: "" },
    code: 3,
    problem: /Docker is not installed/,
    fix: /install Docker/,
  },
  {
    name: "report into its own input",
    args: ["report", "run", "--out", "run"],
    copies: { run: RUN_FIXTURE },
    code: 2,
    problem: /--out .*run is the input .*run: writing there would rewrite that run/,
    fix: /choose another folder with --out/,
  },
  {
    name: "report of a results.json with stages not a list",
    args: ["report", "run", "--out", "merged"],
    copies: { run: RUN_FIXTURE },
    files: {},
    code: 2,
    problem: /results\.json is not a valid labs run: labs\[0\]\.stages: expected a list/,
    fix: /regenerate it with `labs compare`/,
  },
  {
    name: "report of a folder that is no run",
    args: ["report", "notes", "--out", "merged"],
    files: { "notes/a.txt": "x\n" },
    code: 2,
    problem: /notes is not a labs run: no results\.json and no lab state/,
    fix: /labs compare/,
  },
  {
    name: "guide over an existing file",
    args: ["guide", "kindnet-iptables", "--out", "handout.md"],
    files: { "handout.md": "# my own notes\n" },
    code: 2,
    problem: /handout\.md already exists; labs does not overwrite a file without asking/,
    fix: /pass --force to replace it/,
  },
  {
    name: "ci over an existing workflow",
    args: ["ci", "github", "--all", "--out", "ci.yml"],
    files: { "ci.yml": "name: mine\n" },
    code: 2,
    problem: /ci\.yml already exists; labs does not overwrite/,
    fix: /pass --force/,
  },
  {
    name: "ci for another provider",
    args: ["ci", "gitlab"],
    code: 2,
    problem: /Invalid values:|gitlab/,
    fix: /labs ci --help/,
  },
  {
    name: "new --workers 1.5",
    args: ["new", "fresh", "--workers", "1.5"],
    files: { "labs/keep.ts": lab("") },
    code: 2,
    problem: /--workers takes a whole number from 0 to 9 \(worker nodes\), got 1\.5/,
    fix: /e\.g\. --workers 2/,
  },
  {
    name: "new with a bad name",
    args: ["new", "Fresh_Lab"],
    files: { "labs/keep.ts": lab("") },
    code: 2,
    problem: /lab name "Fresh_Lab" is not valid/,
    fix: /labs new calico-ipvs/,
  },
  {
    name: "new over an existing lab file",
    args: ["new", "demo"],
    files: { "labs/demo.ts": lab("") },
    code: 2,
    problem: /demo\.ts already exists: labs new never overwrites/,
    fix: /pick another name/,
  },
  {
    name: "new with a misspelt CNI",
    args: ["new", "fresh", "--cni", "flanel"],
    files: { "labs/keep.ts": lab("") },
    code: 2,
    problem: /--cni: unknown CNI "flanel"/,
    fix: /did you mean "flannel"/,
  },
  {
    name: "verify --md empty",
    args: ["verify", "kindnet-iptables", "--md", ""],
    code: 2,
    problem: /--md needs a path, got an empty one/,
    fix: /leave --md out/,
  },
  {
    name: "down without a lab",
    args: ["down"],
    code: 2,
    problem: /name a lab, or pass --all/,
    fix: /labs status/,
  },
  {
    name: "diff of a lab with itself",
    args: ["diff", "kindnet-iptables", "kindnet-iptables"],
    code: 2,
    problem: /both sides are kindnet-iptables: nothing to compare/,
    fix: /name two different labs/,
  },
  {
    name: "cache folder under a file",
    args: ["prefetch", "flannel-iptables", "--offline"],
    files: { afile: "x\n" },
    env: { LABS_CACHE_DIR: "{ws}/afile/cache" },
    code: 3,
    problem: /cannot use the artifact cache at .*afile\/cache.*ENOTDIR/,
    fix: /point LABS_CACHE_DIR at another directory/,
  },
  {
    name: "offline with nothing cached",
    args: ["prefetch", "flannel-iptables", "--offline"],
    env: { LABS_CACHE_DIR: "{ws}/cache-empty" },
    code: 3,
    problem: /not in the artifact cache|offline/,
    fix: /labs prefetch flannel-iptables` while online, or pass --mirror DIR/,
  },
];

/** Every file under `dir` with the sha256 of its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (statSync(path).isDirectory()) walk(path, rel);
      else out[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

function workspace(c: Case): string {
  const ws = mkdtempSync(join(tmpdir(), "labs-bad-input-"));
  for (const [target, source] of Object.entries(c.copies ?? {}))
    cpSync(source, join(ws, target), { recursive: true });
  if (c.name === "report of a results.json with stages not a list") {
    const file = join(ws, "run", "results.json");
    const run = JSON.parse(readFileSync(file, "utf8"));
    run.labs[0].stages = { "0000-crds": 1.2 };
    writeFileSync(file, JSON.stringify(run, null, 2));
  }
  for (const [name, text] of Object.entries(c.files ?? {})) {
    mkdirSync(join(ws, name, ".."), { recursive: true });
    writeFileSync(join(ws, name), text);
  }
  // Lab files outside this package are ES modules, as in any ESM project.
  if (Object.keys(c.files ?? {}).some((f) => f.startsWith("labs/")))
    writeFileSync(join(ws, "labs", "package.json"), '{ "type": "module" }\n');
  return ws;
}

describe("bad input gets one clear line, the fix, the right exit code, and changes nothing", () => {
  it("has at least 60 cases, each with its own name", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.concurrent.each(cases.map((c) => [c.name, c] as const))("%s", { timeout: 90_000 }, async (_name, c) => {
    const ws = workspace(c);
    const before = tree(ws);
    const usesCatalogue = Object.keys(c.files ?? {}).some((f) => f.startsWith("labs/"));
    const env: Record<string, string | undefined> = {
      LABS_DIR: usesCatalogue ? join(ws, "labs") : undefined,
      // Never the user's real cache or state: this machine's cache must not decide an outcome.
      LABS_CACHE_DIR: join(ws, ".labs-cache"),
      LABS_STATE_DIR: join(ws, ".labs-state"),
      LABS_OFFLINE: undefined,
      LABS_MIRROR: undefined,
      LABS_DEBUG: undefined,
    };
    for (const [k, v] of Object.entries(c.env ?? {})) env[k] = v.replaceAll("{ws}", ws);
    const r = await runLabsAsync(c.args, { env, cwd: ws, stdin: c.stdin });
    const lines = r.stderr.split("\n").filter((l) => l.trim());
    const errors = lines.filter((l) => l.startsWith("labs: error: "));
    const fixes = lines.filter((l) => l.startsWith("labs: fix: "));
    const context = `labs ${c.args.join(" ")}\n${r.stderr}`;
    expect(r.code, context).toBe(c.code);
    expect(errors, context).toHaveLength(1);
    expect(errors[0], context).toMatch(c.problem);
    expect(`${errors[0]}\n${fixes.join("\n")}`, context).toMatch(c.fix);
    expect(fixes.length, context).toBeLessThanOrEqual(1);
    // Nothing else on stderr but progress notes of the artifact step (`labs: <lab>: …`).
    expect(
      lines.filter((l) => !errors.includes(l) && !fixes.includes(l) && !/^labs: [a-z0-9-]+: /.test(l)),
      context,
    ).toEqual([]);
    expect(r.stderr, context).not.toMatch(/^\s+at |internal error|node:internal/m);
    const after = tree(ws);
    for (const name of Object.keys(after)) if (name.startsWith(".labs-")) delete after[name];
    expect(after, `${context}\nthe user's folder changed`).toEqual(before);
  });
});
