import {
  ALLOWED_CLIENT_LABEL,
  ALLOWED_CLIENT_VALUE,
  NETPOL_NAMESPACE,
  NETPOL_TARGET_LABEL,
  NETPOL_TARGETS,
  PROBES_NAMESPACE,
  TARGET_HTTP_PORT,
} from "../clients.ts";
import { allowedByPolicy, reachable, underPolicy } from "../expectations.ts";
import { httpPortOf } from "../probe-lab.ts";
import type { PlannedCheck } from "../probes-plan.ts";
import { check, defineProbe, fromClient, httpGet } from "./probe.ts";
import { CLUSTER_DOMAIN, primaryService } from "./services.ts";

const targetPods = (name: string) => ({
  namespace: NETPOL_NAMESPACE,
  selector: { [NETPOL_TARGET_LABEL]: name.replace(/^netpol-/, "") },
  name,
});

export const networkPolicyTruthTable = defineProbe({
  id: "netpol-ingress",
  layer: "policy",
  title: "NetworkPolicy ingress truth table (clients × targets)",
  teaches:
    "Ingress policies select target pods and list who may connect: a target no policy selects accepts everyone, a default-deny target no one, and an allow rule only the labelled client. Enforcement is the CNI's job: the objects alone do nothing.",
  plan(pl, { nodeClients, peer }) {
    const clients = [...nodeClients, peer];
    return clients.flatMap((c) =>
      NETPOL_TARGETS.map((t): PlannedCheck => {
        const labelled = c.labels[ALLOWED_CLIENT_LABEL] === ALLOWED_CLIENT_VALUE;
        const expect =
          t.policy === "none"
            ? allowedByPolicy(pl.lab, `no policy selects ${t.name}`)
            : t.policy === "allow-labelled-client" && labelled
              ? allowedByPolicy(
                  pl.lab,
                  `${c.name} carries ${ALLOWED_CLIENT_LABEL}=${ALLOWED_CLIENT_VALUE}, which ${t.policy} allows`,
                )
              : underPolicy(
                  pl.lab,
                  `${t.policy} on ${t.name}${t.policy === "allow-labelled-client" ? ` (${c.name} is not labelled)` : ""}`,
                );
        return check(
          this,
          [c.name, t.name],
          fromClient(c),
          httpGet({ address: { podIp: targetPods(t.name) }, port: TARGET_HTTP_PORT }, "/hostname"),
          expect.outcome === "reachable" ? { ...expect, backendIn: targetPods(t.name) } : expect,
          `${c.name} → ${t.name}.${NETPOL_NAMESPACE} (${t.describes})`,
        );
      }),
    );
  },
});

export const networkPolicyEgress = defineProbe({
  id: "netpol-egress",
  layer: "policy",
  title: "NetworkPolicy egress: deny everything but DNS",
  teaches:
    "An egress policy on the client side limits where a pod may connect: with only DNS allowed, the pod can still resolve names but cannot reach the Services and pods they name.",
  plan(pl, { egress }) {
    const policy = `the egress policy on ${egress.name} (DNS only)`;
    const checks: PlannedCheck[] = [
      check(
        this,
        [egress.name, "netpol-open"],
        fromClient(egress),
        httpGet({ address: { podIp: targetPods("netpol-open") }, port: TARGET_HTTP_PORT }, "/hostname"),
        underPolicy(pl.lab, policy),
        `${egress.name} → netpol-open.${NETPOL_NAMESPACE} by pod IP`,
      ),
    ];
    const s = primaryService(pl);
    if (s) {
      const name = `${s.service}.${s.namespace}.svc.${CLUSTER_DOMAIN}`;
      checks.push(
        check(
          this,
          [egress.name, s.namespace, s.service],
          fromClient(egress),
          httpGet({ address: { dnsName: name }, port: httpPortOf(s)!.port }, "/hostname"),
          underPolicy(
            pl.lab,
            `the egress policy on ${egress.name} (DNS only: the name resolves, the connection does not)`,
          ),
          `${egress.name} → http://${name}`,
        ),
      );
    }
    return checks;
  },
});

export const dnsUnderEgressDeny = defineProbe({
  id: "dns-under-egress-deny",
  layer: "policy",
  title: "DNS still works under a deny-all egress policy with a DNS exception",
  teaches:
    "A deny-all egress policy breaks name resolution too, unless it allows UDP and TCP port 53 to CoreDNS: the exception every real egress policy needs.",
  plan(pl, { egress }) {
    const name = `kubernetes.default.svc.${CLUSTER_DOMAIN}`;
    const claim = pl.lab.claims.networkPolicy;
    return [
      check(
        this,
        [egress.name],
        fromClient(egress),
        { kind: "dns", name },
        reachable(
          claim.value
            ? `the egress policy of ${egress.name} allows port 53 to kube-dns in kube-system (${claim.reason})`
            : `nothing restricts ${egress.name}: NetworkPolicy is not enforced by ${claim.by} — expected (${claim.reason})`,
          { answers: { clusterIpOf: { namespace: "default", service: "kubernetes" } } },
        ),
        `${egress.name} (egress: DNS only, ${PROBES_NAMESPACE}) → DNS A ${name}`,
      ),
    ];
  },
});
