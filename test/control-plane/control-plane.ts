/**
 * A throwaway Kubernetes control plane on loopback, as kubeadm sets one up inside a kind node:
 * etcd, kube-apiserver (TLS with generated certificates), kube-controller-manager (allocating
 * node pod CIDRs from the lab's podSubnet), kube-scheduler, and kwok standing in for the kubelets
 * of the lab's nodes. Everything lives in one temporary folder and one process group per
 * component; `stop()` ends them all and removes the folder, also after a failed start.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WEBHOOK_ADMISSION_FLAGS } from "./admission.ts";
import type { Binary } from "./binaries.ts";
import { kwokStages } from "./kwok-stages.ts";
import { type ClientIdentity, IDENTITIES, makePki, type Pki } from "./pki.ts";
import { type Proc, start, stop, tail } from "./processes.ts";

export interface ControlPlaneOptions {
  binaries: Record<Binary, string>;
  /** The lab's cluster name (kind's clusterName in kubeadm's config). */
  clusterName: string;
  podSubnet: string;
  serviceSubnet: string;
  /** Extra DNS name of the API server certificate (the control-plane node). */
  controlPlaneNode?: string;
  /**
   * The address the API server advertises in the `kubernetes` Service's endpoints: on kind, the
   * control-plane node's IP. Only published, never bound or dialled here. With a loopback
   * address there are no endpoints at all: Endpoints validation refuses 127.0.0.0/8.
   */
  advertiseAddress?: string;
  /** How long each component may take to come up. */
  startTimeoutMs?: number;
}

export class ControlPlane {
  readonly dir: string;
  readonly procs: Proc[] = [];
  readonly adminKubeconfig: string;
  apiServerUrl = "";
  private pki?: Pki;

  private constructor(readonly opts: ControlPlaneOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "labs-control-plane-"));
    this.adminKubeconfig = join(this.dir, "admin.kubeconfig");
  }

  /** Starts every component, or stops whatever started and throws with the failing one's log. */
  static async start(opts: ControlPlaneOptions): Promise<ControlPlane> {
    const cp = new ControlPlane(opts);
    try {
      await cp.boot();
      return cp;
    } catch (e) {
      await cp.stop();
      throw e;
    }
  }

  private async boot(): Promise<void> {
    const { binaries: bin, podSubnet, serviceSubnet } = this.opts;
    const timeout = this.opts.startTimeoutMs ?? 120_000;
    const [etcdClient, etcdPeer, apiPort] = await freePorts(3);
    const pkiDir = join(this.dir, "pki");
    mkdirSync(pkiDir);
    const pki = makePki(pkiDir, {
      serviceIP: firstServiceIP(serviceSubnet),
      dnsNames: this.opts.controlPlaneNode ? [this.opts.controlPlaneNode] : [],
    });
    this.pki = pki;
    this.apiServerUrl = `https://127.0.0.1:${apiPort}`;
    const log = (name: string) => join(this.dir, `${name}.log`);

    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = this.spawn(
      "etcd",
      bin.etcd,
      [
        "--name=labs",
        `--data-dir=${join(this.dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=labs=${peerUrl}`,
        // A test's etcd: losing it on a power cut costs nothing, and fsync is the slowest part.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      log("etcd"),
    );
    await waitFor(etcd, timeout, async () =>
      (await httpGet(`${etcdUrl}/health`)).includes('"health":"true"'),
    );

    const apiserver = this.spawn(
      "kube-apiserver",
      bin["kube-apiserver"],
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        `--advertise-address=${this.opts.advertiseAddress ?? "127.0.0.1"}`,
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(this.dir, "apiserver")}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-cluster-ip-range=${serviceSubnet}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        // kubeadm's defaults for a kind control plane.
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        ...WEBHOOK_ADMISSION_FLAGS,
        "--profiling=false",
      ],
      log("kube-apiserver"),
    );
    this.writeKubeconfig(this.adminKubeconfig, IDENTITIES.admin);
    await waitFor(apiserver, timeout, async () => (await this.get("/readyz")) === "ok");

    const cmKubeconfig = join(this.dir, "controller-manager.kubeconfig");
    this.writeKubeconfig(cmKubeconfig, IDENTITIES.controllerManager);
    const controllerManager = this.spawn(
      "kube-controller-manager",
      bin["kube-controller-manager"],
      [
        `--kubeconfig=${cmKubeconfig}`,
        "--secure-port=0",
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--cluster-name=${this.opts.clusterName}`,
        // kubeadm passes these when the cluster has a podSubnet, so every node gets a podCIDR.
        "--allocate-node-cidrs=true",
        `--cluster-cidr=${podSubnet}`,
        `--service-cluster-ip-range=${serviceSubnet}`,
        "--controllers=*,bootstrapsigner,tokencleaner",
        "--enable-hostpath-provisioner=true",
      ],
      log("kube-controller-manager"),
    );
    // The service-account controller makes default/default: pods cannot be admitted before it.
    await waitFor(controllerManager, timeout, async () =>
      (await this.get("/api/v1/namespaces/default/serviceaccounts/default")).includes('"name":"default"'),
    );

    const schedulerKubeconfig = join(this.dir, "scheduler.kubeconfig");
    this.writeKubeconfig(schedulerKubeconfig, IDENTITIES.scheduler);
    this.spawn(
      "kube-scheduler",
      bin["kube-scheduler"],
      [`--kubeconfig=${schedulerKubeconfig}`, "--secure-port=0", "--leader-elect=false"],
      log("kube-scheduler"),
    );

    const stages = join(this.dir, "kwok-stages.yaml");
    writeFileSync(stages, kwokStages());
    this.spawn(
      "kwok",
      bin.kwok,
      [
        `--kubeconfig=${this.adminKubeconfig}`,
        `--config=${stages}`,
        "--manage-all-nodes=true",
        // Node heartbeats as Leases, as kubelets do, so the node lifecycle controller keeps them Ready.
        "--node-lease-duration-seconds=40",
      ],
      log("kwok"),
    );
  }

  private spawn(name: string, file: string, args: string[], log: string): Proc {
    const proc = start(name, file, args, log, {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.dir,
    });
    this.procs.push(proc);
    return proc;
  }

  /** Components that exited although nobody stopped them, with the end of their logs. */
  crashed(): string[] {
    return this.procs.filter((p) => p.exited).map((p) => `${p.name} exited (${p.exited}):\n${tail(p)}`);
  }

  /**
   * Connections the components tried to make to anything but loopback, and names they looked
   * up, as their logs show them (Go's `dial tcp <addr>` and `lookup <name> on <resolver>`
   * errors). Nothing here may reach beyond this machine: node and pod addresses are data only.
   */
  strayDials(): string[] {
    const out = this.procs.flatMap((p) => {
      try {
        return strayDialsIn(p.name, readFileSync(p.log, "utf8"));
      } catch {
        return [];
      }
    });
    return [...new Set(out)];
  }

  /** A GET against the API server as the admin; the body, or "" on any error. */
  get(path: string): Promise<string> {
    const pki = this.pki;
    if (!pki) return Promise.resolve("");
    const admin = pki.client(IDENTITIES.admin);
    return httpGet(`${this.apiServerUrl}${path}`, { ca: pki.caCert, cert: admin.cert, key: admin.key });
  }

  /** The API server's version as it reports it (`/version` gitVersion). */
  async version(): Promise<string> {
    try {
      return (JSON.parse(await this.get("/version")) as { gitVersion: string }).gitVersion;
    } catch {
      return "unknown";
    }
  }

  /** Writes a kubeconfig for an identity (the admin's is what the runtime's kubectl uses). */
  writeKubeconfig(path: string, identity: ClientIdentity = IDENTITIES.admin, contextName = "labs"): void {
    const pki = this.pki!;
    const { cert, key } = pki.client(identity);
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${contextName}`,
        "  cluster:",
        `    server: ${this.apiServerUrl}`,
        `    certificate-authority: ${pki.caCert}`,
        "users:",
        `- name: ${identity.stem}`,
        "  user:",
        `    client-certificate: ${cert}`,
        `    client-key: ${key}`,
        "contexts:",
        `- name: ${contextName}`,
        "  context:",
        `    cluster: ${contextName}`,
        `    user: ${identity.stem}`,
        `current-context: ${contextName}`,
        "",
      ].join("\n"),
    );
  }

  /** Stops every component (newest first) and removes the folder; safe to call twice. */
  async stop(): Promise<void> {
    for (const p of [...this.procs].reverse()) await stop(p);
    this.procs.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The log lines of one component that show it dialling off loopback or looking a name up. */
export function strayDialsIn(component: string, log: string): string[] {
  const out: string[] = [];
  for (const m of log.matchAll(/dial (?:tcp|udp)\S* (\[?[0-9a-fA-F.:]+\]?):\d+/g)) {
    const address = m[1]!.replace(/^\[|\]$/g, "");
    if (!/^127\./.test(address) && address !== "::1") out.push(`${component}: ${m[0]}`);
  }
  // A name looked up through the host's resolver (a webhook Service's DNS name, say).
  for (const m of log.matchAll(/lookup \S+ on \S+/g)) out.push(`${component}: ${m[0]}`);
  return out;
}

/** 10.96.0.0/16 → 10.96.0.1: the `kubernetes` Service's address. */
export function firstServiceIP(cidr: string): string {
  const [base = ""] = cidr.split("/");
  const parts = base.split(".").map(Number);
  if (parts.length !== 4) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join(".");
}

/** Ports free on 127.0.0.1 right now (held together so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitFor(proc: Proc, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exited}) while starting:\n${tail(proc)}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000}s:\n${tail(proc)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** GET over HTTP(S) on loopback, with the control plane's CA and a client certificate. */
function httpGet(url: string, tls?: { ca: string; cert: string; key: string }): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const options = tls
      ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
      : {};
    const get = u.protocol === "https:" ? request : (httpRequest as typeof request);
    const req = get(u, { method: "GET", timeout: 5_000, ...options }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve(res.statusCode === 200 ? body : ""));
    });
    req.on("error", () => resolve(""));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}
