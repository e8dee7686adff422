/**
 * A recording fake of docker, kind, kubectl and helm for the runtime's orchestration tests.
 *
 * Every call appends `{ tool, args, stdin, env }` to $FAKE_LOG (JSON lines) and answers the way the
 * real tool does for the commands labs uses, keeping a small world in $FAKE_STATE: kind clusters
 * (with the objects applied to them and the pods those objects would make), containers, images and
 * the `kind` network. kubeconfigs are written where real kind writes them: --kubeconfig, else
 * $KUBECONFIG, else ~/.kube/config.
 *
 * Knobs (environment):
 *   FAKE_DOCKER=down         docker's daemon is not running
 *   FAKE_FAIL=<regex>        a command line ("kubectl rollout status ...") that matches fails as
 *                            the real tool fails (FAKE_FAIL_MESSAGE overrides the message)
 *   FAKE_HANG=<regex>        a matching command hangs until killed; it writes $FAKE_STATE/hang.pid
 *                            first and $FAKE_STATE/hang.terminated when it gets SIGTERM/SIGINT
 *   FAKE_NOT_FOUND=<regex>   kubectl get --ignore-not-found finds no matching object
 *   FAKE_UNREADY=<regex>     pods whose "<ns>/<name>" matches are not ready
 *   FAKE_APPLY_TRANSIENT=N   the first N applies fail with "ensure CRDs are installed first"
 *   FAKE_APPLY_REFUSE=<regex> apply refuses the objects whose "<Kind> <ns>/<name>" matches, as the
 *                            API server would: kubectl applies and prints the others, then fails
 *                            with FAKE_FAIL_MESSAGE (or a NotFound namespace error)
 *   FAKE_PROBE_FAIL=<regex>  prober results whose id matches get the opposite outcome
 *   FAKE_ARCH                docker info Architecture (default x86_64)
 *   FAKE_DOCKER_OS           docker info OperatingSystem (default "Fake Linux"; "Docker Desktop" = a VM)
 *   FAKE_KIND_VERSION        kind version (default v0.32.0)
 *   FAKE_DOCKER_MEM_GIB      docker info MemTotal in GiB (default 8)
 *
 * Files in $FAKE_STATE a test may write: exec-output.json (docker exec: command fragment → output)
 * and jsonpath-output.json (kubectl get --output jsonpath=…: command fragment → output; without a
 * match a simple path is read from the simulated objects).
 */
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const [tool, ...args] = process.argv.slice(2);
const env = process.env;
const STATE = env.FAKE_STATE ?? join(process.cwd(), ".fake-state");
mkdirSync(join(STATE, "clusters"), { recursive: true });

const stdin = needsStdin(tool, args) ? readFileSync(0, "utf8") : "";
log();

function main() {
  switch (tool) {
    case "docker":
      return docker();
    case "kind":
      return kind();
    case "kubectl":
      return kubectl();
    case "helm":
      return helm();
    default:
      die(`fake: unknown tool ${tool}`);
  }
}

// ---------------------------------------------------------------- recording and knobs

function needsStdin(t, a) {
  if (t !== "kubectl") return false;
  if (a.includes("exec") && a.includes("--stdin")) return true;
  return a.includes("apply") && (flag(a, "--filename") === "-" || flag(a, "-f") === "-");
}

function log() {
  if (!env.FAKE_LOG) return;
  const record = {
    tool,
    args,
    ...(stdin ? { stdin } : {}),
    env: { KUBECONFIG: env.KUBECONFIG ?? null, HOME: env.HOME ?? null },
  };
  appendFileSync(env.FAKE_LOG, `${JSON.stringify(record)}\n`);
}

function matches(pattern, text) {
  return Boolean(pattern) && new RegExp(pattern).test(text);
}

function hang() {
  const stop = (signal) => {
    writeFileSync(join(STATE, "hang.terminated"), signal);
    process.exit(143);
  };
  // Handlers first: a test signals as soon as hang.pid appears (on a loaded machine the signal
  // could otherwise land before them and kill the fake without a trace).
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  writeFileSync(join(STATE, "hang.pid"), String(process.pid));
  setInterval(() => {}, 60_000);
}

function failLikeTheTool() {
  const custom = env.FAKE_FAIL_MESSAGE;
  const a = stripKubeconfig(args);
  let message = custom || `fake ${tool}: ${a.join(" ")} failed`;
  if (!custom && tool === "kubectl" && a[0] === "wait")
    message = `error: timed out waiting for the condition on ${a.filter((x) => x.includes("/")).join(", ") || "nodes"}`;
  if (!custom && tool === "kubectl" && a[0] === "rollout")
    message = `Waiting for daemon set spec update to be observed...\nerror: timed out waiting for the condition`;
  if (!custom && tool === "kind" && a[0] === "create")
    message = `Creating cluster "${flag(a, "--name")}" ...\n ✗ Starting control-plane 🕹️\nERROR: failed to create cluster: failed to init node with kubeadm: command "docker exec --privileged ${flag(a, "--name")}-control-plane kubeadm init" failed with error: exit status 1`;
  die(message);
}

function die(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function out(text) {
  process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
}

function flag(a, name) {
  const i = a.indexOf(name);
  if (i >= 0) return a[i + 1];
  const inline = a.find((x) => x.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

function stripKubeconfig(a) {
  const i = a.indexOf("--kubeconfig");
  return i >= 0 ? [...a.slice(0, i), ...a.slice(i + 2)] : a;
}

function hash(text, n = 12) {
  return createHash("sha256").update(text).digest("hex").slice(0, n);
}

// ---------------------------------------------------------------- the fake world

function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return fallback;
  }
}

function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

const clusterFile = (name) => join(STATE, "clusters", `${name}.json`);
const readCluster = (name) => readJson(clusterFile(name), undefined);
const writeCluster = (c) => writeJson(clusterFile(c.name), c);
function clusters() {
  return readdirSync(join(STATE, "clusters"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => readJson(join(STATE, "clusters", f)))
    .filter(Boolean)
    .sort((a, b) => a.name.localeCompare(b.name));
}
const containersFile = join(STATE, "containers.json");
const readContainers = () => readJson(containersFile, {});
const writeContainers = (c) => writeJson(containersFile, c);

/** Every node container of every cluster, with the cluster it belongs to. */
function nodeContainer(name) {
  for (const c of clusters()) {
    const node = c.nodes.find((n) => n.name === name);
    if (node) return { cluster: c, node };
  }
  return undefined;
}

function defaultKubeconfigPath() {
  return env.KUBECONFIG?.split(":")[0] || join(env.HOME ?? homedir(), ".kube", "config");
}

function writeKubeconfig(path, cluster) {
  const ctx = `kind-${cluster}`;
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  const entries = existing
    .split("\n# context ")
    .filter((e) => e.trim() && !e.startsWith(`${ctx}\n`) && !e.startsWith("apiVersion"));
  const entry = `${ctx}\n# server https://127.0.0.1:${40000 + (Number.parseInt(hash(cluster, 4), 16) % 20000)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\ncurrent-context: ${ctx}\n${[...entries, entry].map((e) => `# context ${e}`).join("")}`,
  );
}

function removeFromKubeconfig(path, cluster) {
  if (!existsSync(path)) return;
  const ctx = `kind-${cluster}`;
  const text = readFileSync(path, "utf8");
  writeFileSync(
    path,
    text
      .split("\n# context ")
      .filter((e) => !e.startsWith(`${ctx}\n`))
      .join("\n# context "),
  );
}

/** The cluster a kubeconfig file points at (its current context). */
function clusterOfKubeconfig(path) {
  if (!path || !existsSync(path)) return undefined;
  const m = /current-context: kind-(\S+)/.exec(readFileSync(path, "utf8"));
  return m ? readCluster(m[1]) : undefined;
}

// ---------------------------------------------------------------- kind

function kind() {
  const a = args;
  const name = flag(a, "--name") ?? "kind";
  if (a[0] === "version") return out(`kind ${env.FAKE_KIND_VERSION ?? "v0.32.0"} go1.26.3 linux/amd64`);
  if (a[0] === "get" && a[1] === "clusters") {
    const names = clusters().map((c) => c.name);
    if (!names.length) process.stderr.write("No kind clusters found.\n");
    return out(names.join("\n"));
  }
  if (a[0] === "get" && a[1] === "nodes") {
    const c = readCluster(name);
    if (!c) return process.stderr.write(`No kind nodes found for cluster "${name}".\n`);
    return out(c.nodes.map((n) => n.name).join("\n"));
  }
  if (a[0] === "create" && a[1] === "cluster") return kindCreate(name, a);
  if (a[0] === "delete" && a[1] === "cluster") {
    process.stderr.write(`Deleting cluster "${name}" ...\n`);
    rmSync(clusterFile(name), { force: true });
    removeFromKubeconfig(flag(a, "--kubeconfig") ?? defaultKubeconfigPath(), name);
    return;
  }
  if (a[0] === "export" && a[1] === "logs") {
    const dir = a[2] && !a[2].startsWith("-") ? a[2] : "/tmp/kind-logs";
    if (!readCluster(name)) die(`ERROR: unknown cluster "${name}"`);
    mkdirSync(join(dir, `${name}-control-plane`), { recursive: true });
    writeFileSync(join(dir, `${name}-control-plane`, "kubelet.log"), "fake kubelet log\n");
    return out(`Exporting logs for cluster "${name}" to:\n${dir}`);
  }
  if (a[0] === "export" && a[1] === "kubeconfig") {
    if (!readCluster(name))
      die(`ERROR: could not locate any control plane nodes for cluster named '${name}'`);
    writeKubeconfig(flag(a, "--kubeconfig") ?? defaultKubeconfigPath(), name);
    return process.stderr.write(`Set kubectl context to "kind-${name}"\n`);
  }
  if (a[0] === "load" && a[1] === "docker-image") {
    if (!readCluster(name)) die(`ERROR: no nodes found for cluster "${name}"`);
    return;
  }
  die(`fake kind: unsupported: ${a.join(" ")}`);
}

/** yaml is loaded only by the calls that read manifests: most calls answer without it, faster. */
async function yamlDocs(path) {
  const { parseAllDocuments } = await import("yaml");
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((d) => d.toJS())
    .filter(Boolean);
}

async function stdinDocs() {
  const { parseAllDocuments } = await import("yaml");
  return parseAllDocuments(stdin)
    .map((d) => d.toJS())
    .filter(Boolean);
}

async function kindCreate(name, a) {
  if (readCluster(name))
    die(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`);
  const configPath = flag(a, "--config");
  const config = configPath ? (await yamlDocs(configPath))[0] : {};
  const roles = (config.nodes ?? [{ role: "control-plane" }]).map((n) => n.role);
  const count = { "control-plane": 0, worker: 0 };
  const nodes = roles.map((role) => {
    const i = count[role]++;
    return { name: `${name}-${role}${i ? i + 1 : ""}`, role };
  });
  for (const n of config.nodes ?? [])
    for (const m of n.extraMounts ?? [])
      if (!existsSync(m.hostPath))
        die(`ERROR: failed to create cluster: mount source ${m.hostPath} does not exist`);
  writeCluster({
    name,
    nodes: nodes.map((n) => ({ ...n, id: hash(`${name}/${n.name}/${Date.now()}/${Math.random()}`, 64) })),
    image: flag(a, "--image") ?? config.nodes?.[0]?.image,
    kubeProxyMode: config.networking?.kubeProxyMode ?? "iptables",
    disableDefaultCNI: Boolean(config.networking?.disableDefaultCNI),
    createdAt: new Date().toISOString(),
    applied: [],
  });
  writeJson(join(STATE, "network.json"), { subnets: ["172.18.0.0/16", "fc00:f853:ccd:e793::/64"] });
  writeKubeconfig(flag(a, "--kubeconfig") ?? defaultKubeconfigPath(), name);
  process.stderr.write(
    `Creating cluster "${name}" ...\n ✓ Ensuring node image\n ✓ Preparing nodes\n ✓ Starting control-plane\nSet kubectl context to "kind-${name}"\n`,
  );
}

// ---------------------------------------------------------------- docker

function docker() {
  const a = args;
  if (env.FAKE_DOCKER === "down" && a[0] !== "version") {
    if (a[0] === "info") out(JSON.stringify({ ServerVersion: "", ClientInfo: { Version: "28.2.2" } }));
    die("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
  }
  if (a[0] === "info")
    return out(
      JSON.stringify({
        ServerVersion: "28.2.2",
        MemTotal: Number(env.FAKE_DOCKER_MEM_GIB ?? 8) * 1024 ** 3,
        NCPU: 4,
        CgroupVersion: "2",
        OperatingSystem: env.FAKE_DOCKER_OS ?? "Fake Linux",
        Architecture: env.FAKE_ARCH ?? "x86_64",
      }),
    );
  if (a[0] === "network" && a[1] === "inspect") {
    const net = readJson(join(STATE, "network.json"), undefined);
    if (!net || a[2] !== "kind") die(`Error response from daemon: network ${a[2]} not found`);
    return out(JSON.stringify(net.subnets.map((s) => ({ Subnet: s }))));
  }
  if (a[0] === "container" && a[1] === "inspect") return inspectContainer(a[2], flag(a, "--format"));
  if (a[0] === "exec") return dockerExec(a[1], a.slice(2));
  if (a[0] === "run") return dockerRun(a.slice(1));
  if (a[0] === "stop") {
    const containers = readContainers();
    const name = a[a.length - 1];
    if (!containers[name]) die(`Error response from daemon: No such container: ${name}`);
    containers[name].running = false;
    return writeContainers(containers);
  }
  if (a[0] === "rm") {
    const containers = readContainers();
    for (const n of a.slice(1).filter((x) => !x.startsWith("-"))) {
      if (!containers[n]) die(`Error response from daemon: No such container: ${n}`);
      delete containers[n];
    }
    return writeContainers(containers);
  }
  if (a[0] === "ps") {
    const filter = flag(a, "--filter");
    // label=key=value, or label=key (any value)
    const [, label, value] = /^label=([^=]+)(?:=(.*))?$/.exec(filter ?? "") ?? [];
    const format = flag(a, "--format");
    const rows = Object.entries(readContainers())
      .filter(([, c]) => !label || (value === undefined ? label in c.labels : c.labels[label] === value))
      .map(([n, c]) =>
        !format || format === "{{.Names}}"
          ? n
          : format
              .replaceAll("{{.Names}}", n)
              .replaceAll("{{.Image}}", c.image)
              .replaceAll("{{.State}}", c.running ? "running" : "exited")
              .replace(/\{\{\.Label "([^"]+)"\}\}/g, (_, k) => c.labels[k] ?? ""),
      );
    return out(rows.join("\n"));
  }
  if (a[0] === "image" && a[1] === "inspect") {
    const image = a[a.length - 1];
    if (!readJson(join(STATE, "images.json"), []).includes(image))
      die(`Error response from daemon: No such image: ${image}`);
    return out(`sha256:${hash(image, 64)}`);
  }
  if (a[0] === "pull") {
    const images = readJson(join(STATE, "images.json"), []);
    writeJson(join(STATE, "images.json"), [...new Set([...images, a[1]])]);
    return out(`${a[1]}: Pulling from fake\nStatus: Downloaded newer image for ${a[1]}`);
  }
  if (a[0] === "version") return out("28.2.2");
  die(`fake docker: unsupported: ${a.join(" ")}`);
}

function inspectContainer(name, format) {
  const node = nodeContainer(name);
  const side = readContainers()[name];
  if (!node && !side) die(`Error: No such container: ${name}`);
  const id = node ? node.node.id : side.id;
  if (format === "{{.Id}}") return out(id);
  const labels = node ? { "io.x-k8s.kind.cluster": node.cluster.name } : side.labels;
  return out(
    JSON.stringify({
      Id: id,
      State: { Running: node ? true : side.running },
      Config: { Image: node ? node.cluster.image : side.image, Cmd: node ? [] : side.args, Labels: labels },
    }),
  );
}

function dockerRun(a) {
  const labels = {};
  let name;
  let i = 0;
  const withValue = new Set(["--name", "--network", "--label", "--restart", "--volume"]);
  for (; i < a.length; i++) {
    if (a[i] === "--detach") continue;
    if (!withValue.has(a[i])) break;
    if (a[i] === "--name") name = a[i + 1];
    if (a[i] === "--label") {
      const [k, ...v] = a[i + 1].split("=");
      labels[k] = v.join("=");
    }
    i++;
  }
  const containers = readContainers();
  if (containers[name])
    die(`docker: Error response from daemon: Conflict. The container name "/${name}" is already in use.`);
  const id = hash(`${name}/${Date.now()}`, 64);
  containers[name] = { id, image: a[i], args: a.slice(i + 1), labels, running: true };
  writeContainers(containers);
  out(id);
}

function dockerExec(container, command) {
  const node = nodeContainer(container);
  if (!node) die(`Error response from daemon: No such container: ${container}`);
  const text = command.join(" ");
  const overrides = readJson(join(STATE, "exec-output.json"), {});
  for (const [fragment, output] of Object.entries(overrides)) if (text.includes(fragment)) return out(output);
  if (text.includes("proxyMode")) return out(node.cluster.kubeProxyMode);
  if (text.includes("kube-ipvs0")) return out("kube-ipvs0       DOWN           10.96.0.1/32 10.96.0.10/32");
  if (text.startsWith("nft list tables"))
    return out("table inet kindnet-network-policies\ntable ip kube-proxy\ntable ip6 kube-proxy");
  if (text.startsWith("nft list table")) return out("table ip kube-proxy {\n\tchain services {\n\t}\n}");
  if (text.startsWith("ip route"))
    return out("default via 172.18.0.1 dev eth0\n10.244.1.0/24 via 172.18.0.3 dev eth0");
  if (text.includes("iptables"))
    return out(
      '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -j KUBE-SVC-NPX46M4PTMTKRN6Y',
    );
  out("");
}

// ---------------------------------------------------------------- kubectl

function kubectl() {
  const kubeconfig = flag(args, "--kubeconfig") ?? defaultKubeconfigPath();
  // The verb first, wherever it stands (`--namespace x patch …` is `patch --namespace x …`).
  const rest = stripKubeconfig(args);
  const v = rest.findIndex((x, j) => !x.startsWith("-") && !["--namespace", "-n"].includes(rest[j - 1]));
  const a = v > 0 ? [rest[v], ...rest.slice(0, v), ...rest.slice(v + 1)] : rest;
  if (a[0] === "version") return out(JSON.stringify({ clientVersion: { gitVersion: "v1.36.1" } }));
  if (!existsSync(kubeconfig)) die(`error: stat ${kubeconfig}: no such file or directory`);
  const cluster = clusterOfKubeconfig(kubeconfig);
  if (!cluster)
    die("The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?");
  switch (a[0]) {
    case "apply":
      return apply(cluster, a);
    case "get":
      return get(cluster, a.slice(1));
    case "wait":
      return out(`${a.filter((x) => x.includes("/")).join(" ") || "node/all"} condition met`);
    case "rollout":
      return out(`${a.find((x) => x.includes("/"))} successfully rolled out`);
    case "describe":
      return out(
        `Name:         ${a[a.length - 1]}\nNamespace:    ${flag(a, "--namespace")}\nStatus:       Pending\nEvents:\n  Warning  FailedScheduling  fake`,
      );
    case "label":
      return out(`${a[1]}/${cluster.nodes[0].name} unlabeled`);
    case "logs":
      return out(`${new Date().toISOString()} fake log line of ${a[3]}`);
    case "exec":
      return exec(cluster, a);
    case "patch":
    case "scale":
    case "delete":
      // Recorded (the call log is what tests read); the answer is kubectl's usual line.
      return out(
        `${a.find((x, i) => i > 0 && !x.startsWith("-")) ?? "object"} ${a[0] === "delete" ? "deleted" : a[0] === "scale" ? "scaled" : "patched"}`,
      );
    default:
      die(`fake kubectl: unsupported: ${a.join(" ")}`);
  }
}

async function apply(cluster, a) {
  const counter = join(STATE, "apply-count");
  const n = Number(existsSync(counter) ? readFileSync(counter, "utf8") : "0") + 1;
  writeFileSync(counter, String(n));
  if (n <= Number(env.FAKE_APPLY_TRANSIENT ?? 0))
    die(
      'error: resource mapping not found for name: "x" namespace: "" from "stage.yaml": no matches for kind "X" in version "x/v1"\nensure CRDs are installed first',
    );
  const file = flag(a, "--filename");
  const docs = file === "-" ? await stdinDocs() : await yamlDocs(file);
  if (!docs.length) die(`error: no objects passed to apply`);
  const key = (o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
  const named = (o) =>
    `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
  const refused = docs.filter((o) => matches(env.FAKE_APPLY_REFUSE, named(o)));
  const taken = docs.filter((o) => !refused.includes(o));
  const applied = new Map(cluster.applied.map((o) => [key(o), o]));
  for (const o of taken) applied.set(key(o), o);
  cluster.applied = [...applied.values()];
  writeCluster(cluster);
  // kubectl's name printer: lower-case kind, then the API group (none for the core group).
  const printed = (o) => {
    const group = o.apiVersion?.includes("/") ? `.${o.apiVersion.split("/")[0]}` : "";
    return `${o.kind.toLowerCase()}${group}/${o.metadata?.name} serverside-applied`;
  };
  out(taken.map(printed).join("\n"));
  if (refused.length)
    die(
      env.FAKE_FAIL_MESSAGE ||
        refused
          .map((o) => `Error from server (NotFound): namespaces "${o.metadata?.namespace}" not found`)
          .join("\n"),
    );
}

function get(cluster, a) {
  const output = flag(a, "--output") ?? flag(a, "-o");
  const namespace = flag(a, "--namespace");
  const all = a.includes("--all-namespaces") || a.includes("-A");
  const positional = a.filter(
    (x, i) => !x.startsWith("-") && !["--output", "-o", "--namespace", "-n"].includes(a[i - 1]),
  );
  if (output === "name") {
    const names = positional.filter((p) => !matches(env.FAKE_NOT_FOUND, p));
    return out(names.join("\n"));
  }
  if (output?.startsWith("jsonpath="))
    return jsonpath(cluster, a, positional, output.slice("jsonpath=".length));
  const kinds = positional.flatMap((p) => p.split(","));
  const world = simulate(cluster);
  const items = kinds.flatMap((k) => world[k] ?? world[`${k}s`] ?? []);
  const scoped = items.filter((o) => all || !namespace || o.metadata.namespace === namespace);
  if (output === "json") return out(JSON.stringify({ apiVersion: "v1", kind: "List", items: scoped }));
  const rows = scoped.map(
    (o) => `${o.metadata.namespace ?? ""}\t${o.metadata.name}\t${o.status?.phase ?? ""}`,
  );
  out(
    kinds.includes("events")
      ? "NAMESPACE\tLAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\nkube-system\t1m\tNormal\tScheduled\tpod/x\tfake event"
      : ["NAMESPACE\tNAME\tSTATUS", ...rows].join("\n"),
  );
}

/** `get … --output jsonpath=…`: a test's answer for the command, else `{.a.b}` read from the object. */
function jsonpath(cluster, a, positional, path) {
  const text = a.join(" ");
  const overrides = readJson(join(STATE, "jsonpath-output.json"), {});
  for (const [fragment, output] of Object.entries(overrides)) if (text.includes(fragment)) return out(output);
  const [kind, name] = positional;
  const world = simulate(cluster);
  const items = world[kind] ?? world[`${kind}s`] ?? [];
  const object = items.find((o) => o.metadata.name === name);
  const m = /^\{((?:\.[A-Za-z0-9_]+)+)(\[\*\])?\}$/.exec(path);
  if (!object || !m) return out("");
  let value = object;
  for (const key of m[1].slice(1).split(".")) value = value?.[key];
  if (value === undefined) return out("");
  out(Array.isArray(value) ? value.join(" ") : String(value));
}

/** Nodes, pods and Services the applied objects would make, with addresses. */
function simulate(cluster) {
  const nodes = cluster.nodes.map((n, i) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name } },
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [
        { type: "InternalIP", address: `172.18.0.${i + 2}` },
        { type: "Hostname", address: n.name },
      ],
    },
  }));
  const workers = cluster.nodes.filter((n) => n.role === "worker");
  const placeOn = workers.length ? workers : cluster.nodes;
  const pods = [];
  const perNode = new Map();
  const pod = (ns, name, labels, node, owner) => {
    const i = cluster.nodes.findIndex((n) => n.name === node);
    const k = (perNode.get(node) ?? 0) + 1;
    perNode.set(node, k);
    const unready = matches(env.FAKE_UNREADY, `${ns}/${name}`);
    pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: ns, labels, ownerReferences: owner ? [owner] : [] },
      spec: { nodeName: node, containers: [{ name: "main" }] },
      status: {
        phase: unready ? "Pending" : "Running",
        podIP: `10.244.${i}.${10 + k}`,
        conditions: [{ type: "Ready", status: unready ? "False" : "True" }],
        containerStatuses: [{ name: "main", ready: !unready, restartCount: unready ? 3 : 0 }],
      },
    });
  };
  if (!cluster.disableDefaultCNI)
    cluster.nodes.forEach((n, i) => {
      pod("kube-system", `kindnet-${hash(n.name, 5)}`, { app: "kindnet" }, n.name, {
        kind: "DaemonSet",
        name: "kindnet",
      });
      void i;
    });
  for (const o of cluster.applied) {
    const ns = o.metadata?.namespace ?? "default";
    const labels = o.spec?.template?.metadata?.labels ?? o.metadata?.labels ?? {};
    const owner = { kind: o.kind, name: o.metadata.name };
    if (o.kind === "DaemonSet")
      for (const n of cluster.nodes) pod(ns, `${o.metadata.name}-${hash(n.name, 5)}`, labels, n.name, owner);
    if (o.kind === "Deployment")
      for (let r = 0; r < (o.spec?.replicas ?? 1); r++)
        pod(
          ns,
          `${o.metadata.name}-${hash(o.metadata.name, 8)}-${hash(String(r), 5)}`,
          labels,
          placeOn[r % placeOn.length].name,
          owner,
        );
    if (o.kind === "StatefulSet")
      for (let r = 0; r < (o.spec?.replicas ?? 1); r++)
        pod(ns, `${o.metadata.name}-${r}`, labels, placeOn[r % placeOn.length].name, owner);
    if (o.kind === "Pod")
      pod(ns, o.metadata.name, o.metadata.labels ?? {}, o.spec?.nodeName ?? placeOn[0].name, undefined);
  }
  let svc = 0;
  const services = cluster.applied
    .filter((o) => o.kind === "Service")
    .map((o) => {
      svc++;
      const headless = o.spec?.clusterIP === "None";
      const type = o.spec?.type ?? "ClusterIP";
      return {
        ...o,
        metadata: { ...o.metadata, namespace: o.metadata.namespace ?? "default" },
        spec: {
          ...o.spec,
          clusterIP: headless
            ? "None"
            : type === "ExternalName"
              ? undefined
              : `10.96.${Math.floor(svc / 250)}.${(svc % 250) + 2}`,
          ports: (o.spec?.ports ?? []).map((p, i) =>
            type === "NodePort" || type === "LoadBalancer"
              ? { ...p, nodePort: p.nodePort ?? 30100 + svc * 4 + i }
              : p,
          ),
        },
        status:
          type === "LoadBalancer" ? { loadBalancer: { ingress: [{ ip: `172.18.255.${200 + svc}` }] } } : {},
      };
    });
  const byKind = (kind) =>
    cluster.applied
      .filter((o) => o.kind === kind)
      .map((o) => ({
        ...o,
        status: {
          loadBalancer: { ingress: [{ ip: "172.18.255.199" }] },
          addresses: [{ type: "IPAddress", value: "172.18.255.198" }],
        },
      }));
  // The API server advertises the first control plane's address (kubeadm's advertiseAddress).
  const endpointslices = [
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "kubernetes" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: [nodes[0].status.addresses[0].address] }],
      ports: [{ name: "https", port: 6443, protocol: "TCP" }],
    },
  ];
  return {
    nodes,
    pods,
    services,
    endpointslices,
    ingresses: byKind("Ingress"),
    gateways: byKind("Gateway"),
    events: [],
  };
}

function exec(cluster, a) {
  const pod = a[a.indexOf("--namespace") + 2];
  const ns = flag(a, "--namespace");
  if (!simulate(cluster).pods.some((p) => p.metadata.name === pod && p.metadata.namespace === ns))
    die(`Error from server (NotFound): pods "${pod}" not found`);
  const command = a.slice(a.indexOf("--") + 1);
  if (!command.join(" ").includes("prober.js")) return out("");
  const plan = JSON.parse(stdin);
  for (const probe of plan.probes) out(JSON.stringify(proberResult(probe, `${ns}/${pod}`)));
}

/** What the prober would print for a probe, the expected way unless FAKE_PROBE_FAIL names it. */
function proberResult(probe, source) {
  const flip = matches(env.FAKE_PROBE_FAIL, probe.id);
  const blockedWanted = probe.expect === "blocked";
  const blocked = flip ? !blockedWanted : blockedWanted;
  const target =
    probe.url ?? probe.name ?? (probe.host ? `${probe.host}:${probe.port}` : (probe.request?.url ?? ""));
  const result = {
    id: probe.id,
    kind: probe.kind,
    protocol:
      probe.kind === "http" || probe.kind === "coverage"
        ? "http"
        : probe.kind === "dns"
          ? "dns"
          : probe.kind === "udp"
            ? "udp"
            : "tcp",
    source: { name: source.split("/")[1], namespace: source.split("/")[0] },
    target: { asked: target },
    outcome: blocked ? "timeout" : "connected",
    phase: blocked ? "connect" : "done",
    startedAt: new Date().toISOString(),
    totalMs: 3,
    // A block is a drop seen on both of its attempts (SYN unanswered), as the real prober reports it.
    attempts: blocked
      ? {
          count: 2,
          list: [1, 2].map(() => ({ outcome: "timeout", reached: false, phase: "connect", ms: 3 })),
        }
      : { count: 1, list: [{ outcome: "connected", reached: true, phase: "done", ms: 3 }] },
    ...(probe.expect ? { expect: probe.expect } : {}),
    ...(blockedWanted ? { blockConfirmed: blocked } : {}),
  };
  if (!blocked && probe.kind === "http") result.status = 200;
  if (probe.kind === "coverage") {
    const seen = flip ? [] : probe.backends;
    result.coverage = {
      expected: probe.backends,
      seen,
      missing: probe.backends.filter((b) => !seen.includes(b)),
      unexpected: [],
      counts: Object.fromEntries(seen.map((b) => [b, 1])),
      requests: seen.length,
      errors: 0,
    };
  }
  return result;
}

// ---------------------------------------------------------------- helm

function helm() {
  if (args[0] === "version") return out("v3.18.4");
  if (args[0] === "template")
    return out(`---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${args[1]}\n`);
  die(`fake helm: unsupported: ${args.join(" ")}`);
}

// ---------------------------------------------------------------- dispatch (last: every helper above is initialised)

const line = [tool, ...args].join(" ");
if (matches(env.FAKE_HANG, line)) hang();
else if (matches(env.FAKE_FAIL, line)) failLikeTheTool();
else main();
