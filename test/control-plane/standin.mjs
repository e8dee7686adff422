/**
 * kind and docker for `labs down` and `labs status` against the harness's control plane.
 *
 * The runtime finds a lab's cluster through `kind get clusters` and deletes it with
 * `kind delete cluster`; Docker answers `docker info` and the side-container commands. Here the
 * "cluster" is the harness's processes (etcd, kube-apiserver, controllers, kwok): this stand-in
 * lists the clusters recorded in $LABS_CP_STANDIN (a JSON file the harness writes), and its
 * `delete cluster` stops their process groups, so after `labs down` the API server is really
 * gone. It runs no container; side-container commands answer as Docker does when there is none.
 *
 *   node standin.mjs kind|docker ARGS...
 */
import { readFileSync, writeFileSync } from "node:fs";

const [tool, ...args] = process.argv.slice(2);
const file = process.env.LABS_CP_STANDIN;
const read = () => JSON.parse(readFileSync(file, "utf8"));
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const fail = (message, code = 1) => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

function alive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `kind delete cluster` removes the node containers with `docker rm -f`: SIGKILL, no grace. */
async function killGroups(pids) {
  for (const pid of pids) if (alive(pid)) process.kill(-pid, "SIGKILL");
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function kind() {
  const state = read();
  if (args[0] === "version") return console.log("kind v0.32.0 (control-plane harness stand-in)");
  if (args[0] === "get" && args[1] === "clusters") {
    const names = Object.keys(state.clusters).sort();
    if (!names.length) process.stderr.write("No kind clusters found.\n");
    return console.log(names.join("\n"));
  }
  if (args[0] === "delete" && args[1] === "cluster") {
    const name = flag("--name") ?? "kind";
    process.stderr.write(`Deleting cluster "${name}" ...\n`);
    const cluster = state.clusters[name];
    if (cluster) {
      await killGroups(cluster.pids);
      delete state.clusters[name];
      writeFileSync(file, JSON.stringify(state, null, 2));
    }
    return;
  }
  fail(`kind stand-in: not supported here: kind ${args.join(" ")}`, 2);
}

function docker() {
  if (args[0] === "info")
    return console.log(
      JSON.stringify({
        ServerVersion: "control-plane-harness",
        OperatingSystem: "no Docker engine: the control-plane harness",
        Architecture: process.arch === "arm64" ? "aarch64" : "x86_64",
        NCPU: 2,
        MemTotal: 8 * 1024 ** 3,
      }),
    );
  if (args[0] === "ps") return console.log("");
  if (["stop", "rm", "kill"].includes(args[0]) || (args[0] === "container" && args[1] === "inspect"))
    fail(`Error response from daemon: No such container: ${args[args.length - 1]}`);
  fail(`docker stand-in: not supported here: docker ${args.join(" ")}`, 2);
}

if (tool === "kind") await kind();
else if (tool === "docker") docker();
else fail(`stand-in: unknown tool ${tool}`, 2);
