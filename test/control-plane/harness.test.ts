/**
 * The control-plane harness's own pieces, without starting anything: the nodes it registers for a
 * kind config, which gates it can decide, kwok's
 * stages, and the certificates. Runs in `npm test` everywhere (the suite itself needs the built
 * control plane).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { Gate } from "../../lib/components/component.ts";
import { conversionWebhooksOf, webhooksOf } from "./admission.ts";
import { firstServiceIP, strayDialsIn } from "./control-plane.ts";
import { classifyGate } from "./gate-checks.ts";
import { kindNodes } from "./kind-nodes.ts";
import { kwokStages } from "./kwok-stages.ts";
import type { K8sObject } from "./manifests.ts";
import { makePki } from "./pki.ts";

const THREE_NODES = `
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: labs-demo
nodes:
  - role: control-plane
    labels:
      ingress-ready: "true"
  - role: worker
  - role: worker
`;

describe("the nodes kind v0.32 registers for a lab", () => {
  it("names them by role and count, labels them as the kubelet, kubeadm and kind.yaml do, and taints the control plane", () => {
    const nodes = kindNodes(THREE_NODES, { kubeletVersion: "v1.36.1" });
    expect(nodes.map((n) => n.metadata.name)).toEqual([
      "labs-demo-control-plane",
      "labs-demo-worker",
      "labs-demo-worker2",
    ]);
    const [cp, worker] = nodes;
    expect(cp!.metadata.labels).toEqual({
      "beta.kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/hostname": "labs-demo-control-plane",
      "kubernetes.io/os": "linux",
      "ingress-ready": "true",
      "node-role.kubernetes.io/control-plane": "",
      "node.kubernetes.io/exclude-from-external-load-balancers": "",
    });
    expect(cp!.spec.taints).toEqual([{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
    expect(cp!.spec.providerID).toBe("kind://docker/labs-demo/labs-demo-control-plane");
    expect(worker!.metadata.labels["node-role.kubernetes.io/control-plane"]).toBeUndefined();
    expect(worker!.spec.taints).toBeUndefined();
    expect(worker!.status.nodeInfo).toMatchObject({ kubeletVersion: "v1.36.1", architecture: "amd64" });
  });

  it("on a single-node cluster, leaves the control plane untainted and without the load-balancer exclusion, as kind does", () => {
    const [only, ...rest] = kindNodes("kind: Cluster\nname: solo\nnodes:\n  - role: control-plane\n", {
      kubeletVersion: "v1.36.1",
    });
    expect(rest).toEqual([]);
    expect(only!.metadata.name).toBe("solo-control-plane");
    expect(only!.spec.taints).toBeUndefined();
    expect(only!.metadata.labels).toHaveProperty(["node-role.kubernetes.io/control-plane"], "");
    expect(only!.metadata.labels).not.toHaveProperty([
      "node.kubernetes.io/exclude-from-external-load-balancers",
    ]);
  });

  it("counts control planes apart from workers", () => {
    const names = kindNodes(
      "name: ha\nnodes:\n  - role: control-plane\n  - role: control-plane\n  - role: worker\n",
      { kubeletVersion: "v1.36.1" },
    ).map((n) => n.metadata.name);
    expect(names).toEqual(["ha-control-plane", "ha-control-plane2", "ha-worker"]);
  });
});

describe("which gates the control plane can decide", () => {
  const objects: K8sObject[] = [
    {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "a.example" },
    },
    { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "agent", namespace: "kube-system" } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "probe", namespace: "labs-probes" } },
  ];
  const gate = (g: Partial<Gate> & Pick<Gate, "kind">) =>
    ({ stage: "cni", timeoutSeconds: 60, description: "d", ...g }) as Gate;

  it("checks CRDs the lab ships, and schedules its own workloads and pods", () => {
    expect(classifyGate(gate({ kind: "crds-established", names: ["a.example"] }), objects).mode).toBe(
      "checked",
    );
    expect(
      classifyGate(gate({ kind: "daemonset-rolled-out", namespace: "kube-system", name: "agent" }), objects)
        .mode,
    ).toBe("scheduled");
    expect(
      classifyGate(
        gate({ kind: "condition", resource: "pod/probe", namespace: "labs-probes", condition: "Ready" }),
        objects,
      ).mode,
    ).toBe("scheduled");
  });

  it("lists what only a cluster can decide, with the reason", () => {
    const cases = [
      gate({ kind: "nodes-ready" }),
      gate({ kind: "daemonset-rolled-out", namespace: "kube-system", name: "kindnet" }),
      gate({ kind: "condition", resource: "tigerastatus/calico", condition: "Available" }),
      gate({
        kind: "condition",
        resource: "gateway/labs-gateway",
        namespace: "demo",
        condition: "Programmed",
      }),
      gate({ kind: "crds-established", names: ["made.at.runtime"] }),
    ];
    for (const g of cases) {
      const check = classifyGate(g, objects);
      expect(check.mode, g.kind).toBe("not-checkable");
      expect(check.mode === "not-checkable" && check.reason.length > 20).toBe(true);
    }
  });
});

describe("webhooks the lab applies", () => {
  it("are listed, admission and conversion alike", () => {
    const objects: K8sObject[] = [
      {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name: "pool-check" },
        webhooks: [{ name: "pools.example" }],
      },
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "peers.example" },
        spec: {
          conversion: {
            strategy: "Webhook",
            webhook: { clientConfig: { service: { name: "svc", namespace: "ns" } } },
          },
        },
      },
    ];
    expect(webhooksOf(objects)).toEqual([
      { kind: "ValidatingWebhookConfiguration", name: "pool-check", webhooks: ["pools.example"] },
    ]);
    expect(conversionWebhooksOf(objects)).toEqual([expect.stringContaining("peers.example (ns/svc)")]);
  });
});

describe("kwok's stages and the control plane's addresses", () => {
  it("are four kwok Stage objects: nodes Ready, pods Running, Job pods done, deleted pods gone", () => {
    const docs = parseAllDocuments(kwokStages()).map((d) => d.toJS());
    expect(docs.map((d) => [d.kind, d.metadata.name, d.spec.resourceRef.kind])).toEqual([
      ["Stage", "labs-node-ready", "Node"],
      ["Stage", "labs-pod-running", "Pod"],
      ["Stage", "labs-job-pod-complete", "Pod"],
      ["Stage", "labs-pod-delete", "Pod"],
    ]);
  });

  it("spots a component dialling off loopback or looking a name up, and lets loopback pass", () => {
    const log = [
      "dial tcp 127.0.0.1:2379: connect: connection refused",
      'Post "https://metallb-webhook-service.metallb-system.svc:443/validate": dial tcp: lookup metallb-webhook-service.metallb-system.svc on 10.0.0.2:53: no such host',
      "failed calling webhook: dial tcp 10.244.1.7:9443: i/o timeout",
    ].join("\n");
    expect(strayDialsIn("kube-apiserver", log)).toEqual([
      "kube-apiserver: dial tcp 10.244.1.7:9443",
      "kube-apiserver: lookup metallb-webhook-service.metallb-system.svc on 10.0.0.2:53:",
    ]);
  });

  it("gives the kubernetes Service the first address of the service CIDR", () => {
    expect(firstServiceIP("10.96.0.0/16")).toBe("10.96.0.1");
    expect(firstServiceIP("10.100.0.0/24")).toBe("10.100.0.1");
  });
});

const openssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!openssl) console.log("skipping the control plane's certificates: openssl is not installed");

describe.skipIf(!openssl)("the control plane's certificates", () => {
  it("serve 127.0.0.1 and the in-cluster names, and give the admin system:masters", () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-pki-test-"));
    try {
      const pki = makePki(dir, { serviceIP: "10.96.0.1", dnsNames: ["labs-demo-control-plane"] });
      const serving = execFileSync("openssl", ["x509", "-in", pki.servingCert, "-noout", "-text"], {
        encoding: "utf8",
      });
      for (const san of [
        "IP Address:127.0.0.1",
        "IP Address:10.96.0.1",
        "DNS:kubernetes.default.svc",
        "DNS:labs-demo-control-plane",
      ])
        expect(serving).toContain(san);
      const admin = execFileSync("openssl", ["x509", "-in", join(dir, "admin.crt"), "-noout", "-subject"], {
        encoding: "utf8",
      });
      expect(admin).toMatch(/O ?= ?system:masters/);
      execFileSync("openssl", ["verify", "-CAfile", pki.caCert, pki.servingCert, join(dir, "admin.crt")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
