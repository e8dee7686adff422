import { sourceIpThroughLoadBalancer, throughNorthSouth } from "../expectations.ts";
import { httpPortOf, namePath, pathFor, podsOf, type ServiceInfo, servicesNamingPods } from "../probe-lab.ts";
import type { Endpoint } from "../probes-plan.ts";
import { check, defineProbe, HOST, httpGet, type LeftOut, orSkip, withLeftOut } from "./probe.ts";
import { cannotSay } from "./services.ts";

/** Where the host reaches a LoadBalancer Service: its external IP, at its HTTP port. */
const externalEntry = (s: ServiceInfo): Endpoint => ({
  address: { loadBalancerIp: s },
  port: httpPortOf(s)!.port,
});

const NONE = "no LoadBalancer Service in this lab's apps whose pods answer with their pod name";

export const hostLoadBalancer = defineProbe({
  id: "host-loadbalancer",
  layer: "north-south",
  title: "Host to a LoadBalancer IP",
  teaches:
    "A LoadBalancer Service gets an external IP from the lab's load balancer (MetalLB announces it on the `kind` network, cloud-provider-kind runs a proxy for it); the host reaches the Service there without knowing any node.",
  requires: "loadBalancer",
  plan(pl) {
    const checks = servicesNamingPods(pl, "LoadBalancer").map((s) =>
      check(
        this,
        [s.namespace, s.service],
        HOST,
        httpGet(externalEntry(s), namePath(pl, s)!),
        throughNorthSouth(pl.lab, "loadBalancer", `${s.service} has an external IP`, {
          backendIn: podsOf(s)!,
        }),
        `host → ${s.service}.${s.namespace} LoadBalancer IP:${httpPortOf(s)!.port}`,
      ),
    );
    return orSkip(checks, NONE);
  },
});

export const sourceIp = defineProbe({
  id: "source-ip",
  layer: "north-south",
  title: "Client source IP: kept with externalTrafficPolicy Local, SNAT with Cluster",
  teaches:
    "agnhost /clientip shows the address the backend saw. Through a Cluster-policy LoadBalancer it is a node's address (SNAT, so replies return through the node that forwarded); with Local the client's own address survives.",
  requires: "loadBalancer",
  plan(pl) {
    const leftOut: LeftOut[] = [];
    const checks = servicesNamingPods(pl, "LoadBalancer").flatMap((s) => {
      const describes = `host → ${s.service}.${s.namespace} LoadBalancer IP /clientip (externalTrafficPolicy ${s.externalTrafficPolicy})`;
      const pods = podsOf(s)!;
      const path = pathFor(pl, pods, "client-address");
      if (!path) {
        leftOut.push({
          describes,
          reason: `${cannotSay(s, "client-address")}, so it cannot show the source it saw`,
        });
        return [];
      }
      const expect = sourceIpThroughLoadBalancer(pl.lab, s.externalTrafficPolicy);
      // Judged per answering pod: ask its name first, on the connection that then asks /clientip.
      const perPod = typeof expect.clientIp === "object";
      return [
        check(
          this,
          [s.namespace, s.service],
          HOST,
          httpGet(externalEntry(s), path, perPod ? { backendPath: namePath(pl, s)! } : {}),
          perPod ? { ...expect, backendIn: pods } : expect,
          describes,
        ),
      ];
    });
    return withLeftOut(checks, leftOut, NONE);
  },
});
