import { describe, expect, it } from "vitest";
import { checkNetwork } from "../../lib/model/network-rules.ts";
import { GIB, nodeMemoryFindings } from "../../lib/model/node-memory.ts";

const net = (over: Partial<Parameters<typeof checkNetwork>[0]>) =>
  checkNetwork({
    ipFamily: "ipv4",
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/16",
    listenAddress: "127.0.0.1",
    nodes: { controlPlanes: 1, workers: 2 },
    ...over,
  });
const errors = (fs: ReturnType<typeof checkNetwork>) => fs.map((f) => `${f.path}: ${f.message}`);

describe("pod and service subnets within kind's, kubeadm's and kube-apiserver's limits", () => {
  it("accepts kind's defaults for every family", () => {
    expect(net({})).toEqual([]);
    expect(
      net({ ipFamily: "ipv6", podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/112" }),
    ).toEqual([]);
    expect(
      net({
        ipFamily: "dual",
        podSubnet: "10.244.0.0/16,fd00:10:244::/56",
        serviceSubnet: "10.96.0.0/16,fd00:10:96::/112",
      }),
    ).toEqual([]);
  });

  it("gives every node a /24 (IPv4) or /64 (IPv6) from the pod subnet", () => {
    expect(errors(net({ podSubnet: "10.244.0.0/22", nodes: { controlPlanes: 1, workers: 3 } }))).toEqual([]);
    expect(errors(net({ podSubnet: "10.244.0.0/22", nodes: { controlPlanes: 2, workers: 3 } }))).toEqual([
      "podSubnet: 10.244.0.0/22 holds 4 node ranges of /24, but the lab has 5 nodes: the others would get no pod range and never become Ready",
    ]);
    expect(net({ podSubnet: "10.244.0.0/25" })[0]).toMatchObject({
      path: "podSubnet",
      fix: expect.stringMatching(/\/22 or wider/),
    });
    expect(
      errors(net({ ipFamily: "ipv6", podSubnet: "fd00:10:244::/63", serviceSubnet: "fd00:10:96::/112" })),
    ).toEqual([
      "podSubnet: fd00:10:244::/63 holds 2 node ranges of /64, but the lab has 3 nodes: the others would get no pod range and never become Ready",
    ]);
    expect(
      errors(net({ ipFamily: "ipv6", podSubnet: "fd00::/47", serviceSubnet: "fd00:10:96::/112" }))[0],
    ).toMatch(/wider than kubeadm accepts: at most 16 bits wider than the \/64/);
  });

  it("keeps the service subnet between 10 addresses and 20 host bits", () => {
    expect(net({ podSubnet: "192.168.0.0/16", serviceSubnet: "10.0.0.0/12" })).toEqual([]);
    expect(errors(net({ podSubnet: "192.168.0.0/16", serviceSubnet: "10.0.0.0/11" }))[0]).toMatch(
      /is larger than kubeadm and kube-apiserver accept: for 32-bit addresses the prefix must be \/12 or longer/,
    );
    expect(net({ serviceSubnet: "10.96.0.0/28" })).toEqual([]);
    expect(errors(net({ serviceSubnet: "10.96.0.0/29" }))[0]).toMatch(/fewer than 10 addresses/);
    expect(
      errors(net({ ipFamily: "ipv6", podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/107" }))[0],
    ).toMatch(/128-bit addresses the prefix must be \/108 or longer/);
  });

  it("refuses spaces anywhere, as kind's own parser does", () => {
    for (const podSubnet of [" 10.244.0.0/16", "10.244.0.0/16 ", "10.244.0.0/16, fd00:10:244::/56"])
      expect(net({ podSubnet, ipFamily: podSubnet.includes(",") ? "dual" : "ipv4" })[0]).toMatchObject({
        path: "podSubnet",
        message: expect.stringMatching(/contains spaces, which kind rejects/),
      });
  });
});

describe("nodes against the host's memory", () => {
  it("warns (not fails) when the nodes need more than the machine has", () => {
    expect(nodeMemoryFindings({ controlPlanes: 1, workers: 2 }, 16 * GIB)).toEqual([]);
    const [w] = nodeMemoryFindings({ controlPlanes: 5, workers: 9 }, 8 * GIB);
    expect(w).toMatchObject({
      level: "warning",
      path: "nodes",
      message:
        "14 nodes need about 16.0 GiB of memory (about 1 GiB each, plus room for the host); this machine has 8.0 GiB",
      fix: expect.stringMatching(/at most 6 here/),
    });
    expect(nodeMemoryFindings({ controlPlanes: 5, workers: 9 }, 0)).toEqual([]);
  });
});
