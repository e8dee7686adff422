/**
 * The certificates of a throwaway control plane, made with the openssl command: one CA, the API
 * server's serving certificate (valid for 127.0.0.1, localhost, the first Service IP and the
 * in-cluster names, as kubeadm makes it), a client certificate per component (the identities
 * kubeadm gives them, so the API server's bootstrap RBAC applies as on a kind node) and the
 * service-account signing key. ECDSA P-256 keys: fast to make, accepted by every component.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ClientIdentity {
  /** File stem: `<stem>.crt`, `<stem>.key`. */
  stem: string;
  commonName: string;
  organization?: string;
}

/** kubeadm's identities: admin (here in system:masters), controller-manager, scheduler. */
export const IDENTITIES = {
  admin: { stem: "admin", commonName: "kubernetes-admin", organization: "system:masters" },
  controllerManager: { stem: "controller-manager", commonName: "system:kube-controller-manager" },
  scheduler: { stem: "scheduler", commonName: "system:kube-scheduler" },
} satisfies Record<string, ClientIdentity>;

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  client(identity: ClientIdentity): { cert: string; key: string };
}

export interface PkiOptions {
  /** The API server's Service IP (the first address of the service CIDR). */
  serviceIP: string;
  /** Extra DNS names for the serving certificate (the control-plane node's name). */
  dnsNames?: string[];
}

export function makePki(dir: string, opts: PkiOptions): Pki {
  const file = (name: string) => join(dir, name);
  const ssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

  writeFileSync(
    file("ca.cnf"),
    config("labs-control-plane-ca", undefined, [
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
    ]),
  );
  ssl([
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "3",
    "-config",
    "ca.cnf",
    "-extensions",
    "ext",
  ]);

  let serial = 1;
  const sign = (stem: string, cnf: string) => {
    writeFileSync(file(`${stem}.cnf`), cnf);
    ssl(["req", "-new", ...ecKey, "-keyout", `${stem}.key`, "-out", `${stem}.csr`, "-config", `${stem}.cnf`]);
    ssl([
      "x509",
      "-req",
      "-in",
      `${stem}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      String(++serial),
      "-days",
      "3",
      "-extfile",
      `${stem}.cnf`,
      "-extensions",
      "ext",
      "-out",
      `${stem}.crt`,
    ]);
  };

  const names = [
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    ...(opts.dnsNames ?? []),
  ];
  const san = [`IP:127.0.0.1`, `IP:${opts.serviceIP}`, ...names.map((n) => `DNS:${n}`)].join(", ");
  sign(
    "apiserver",
    config("kube-apiserver", undefined, [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      `subjectAltName = ${san}`,
    ]),
  );

  const clients = new Map<string, { cert: string; key: string }>();
  const client = (id: ClientIdentity) => {
    const known = clients.get(id.stem);
    if (known) return known;
    sign(
      id.stem,
      config(id.commonName, id.organization, [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = clientAuth",
      ]),
    );
    const made = { cert: file(`${id.stem}.crt`), key: file(`${id.stem}.key`) };
    clients.set(id.stem, made);
    return made;
  };
  for (const id of Object.values(IDENTITIES)) client(id);

  ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key"]);
  ssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);

  return {
    dir,
    caCert: file("ca.crt"),
    caKey: file("ca.key"),
    servingCert: file("apiserver.crt"),
    servingKey: file("apiserver.key"),
    serviceAccountKey: file("sa.key"),
    serviceAccountPub: file("sa.pub"),
    client,
  };
}

function config(commonName: string, organization: string | undefined, ext: string[]): string {
  return [
    "[req]",
    "distinguished_name = dn",
    "prompt = no",
    "[dn]",
    ...(organization ? [`O = ${organization}`] : []),
    `CN = ${commonName}`,
    "[ext]",
    ...ext,
    "",
  ].join("\n");
}
