/**
 * The prober resolves names as a pod's libc does (hosts file, then the search list under the
 * ndots rule), through c-ares so each candidate's answer is evidence and nothing outlives the
 * attempt. The DNS side is exercised in network namespaces (test/probes/adversarial.test.ts).
 */
import { describe, expect, it } from "vitest";
import { parseHosts, parseResolvConf, searchCandidates } from "../../lib/probes/prober/stub-resolver.ts";

const POD = `search labs-probes.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
`;

describe("the pod's resolver configuration", () => {
  it("reads servers, search domains and ndots as kind's kubelet writes them", () => {
    expect(parseResolvConf(POD)).toEqual({
      nameservers: ["10.96.0.10"],
      search: ["labs-probes.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      ndots: 5,
    });
    expect(parseResolvConf("# none\ndomain example.test\nnameserver ::1\n")).toEqual({
      nameservers: ["::1"],
      search: ["example.test"],
      ndots: 1,
    });
  });

  it("tries a name with fewer dots than ndots with each search domain first, as given last", () => {
    const conf = parseResolvConf(POD);
    expect(searchCandidates("echo", conf)).toEqual([
      "echo.labs-probes.svc.cluster.local",
      "echo.svc.cluster.local",
      "echo.cluster.local",
      "echo",
    ]);
    // Four dots, fewer than five: even a full Service name goes through the search list first.
    expect(searchCandidates("echo.demo.svc.cluster.local", conf)[0]).toBe(
      "echo.demo.svc.cluster.local.labs-probes.svc.cluster.local",
    );
    expect(searchCandidates("echo.demo.svc.cluster.local", conf).at(-1)).toBe("echo.demo.svc.cluster.local");
    expect(searchCandidates("a.b", { search: ["s"], ndots: 1 })).toEqual(["a.b", "a.b.s"]);
    expect(searchCandidates("kubernetes.default.svc.cluster.local.", conf)).toEqual([
      "kubernetes.default.svc.cluster.local",
    ]);
  });

  it("reads /etc/hosts", () => {
    const hosts = parseHosts("127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.244.1.5\tprobe-a # me\n");
    expect(hosts.get("localhost")).toEqual(["127.0.0.1", "::1"]);
    expect(hosts.get("probe-a")).toEqual(["10.244.1.5"]);
  });
});
