import type { HttpAnswers } from "../../components/apps/answers.ts";
import { throughNorthSouth } from "../expectations.ts";
import { answersOf, byKind, findService, type Loose, type ProbeLab, podsOf } from "../probe-lab.ts";
import type { PlannedCheck, PodSet, ServiceRef } from "../probes-plan.ts";
import { check, defineProbe, HOST, type LeftOut, type Planned, withLeftOut } from "./probe.ts";
import { concreteHost, type Entry, gatewayEntryPoint, pathSlug, routePath } from "./routes.ts";

/** Requests of the weighted-split check, and how far each share may stray (percentage points). */
export const SPLIT_REQUESTS = 500;
export const SPLIT_TOLERANCE = 5;

interface Backend extends ServiceRef {
  weight: number;
  pods?: PodSet;
  /** What the backend's pods declare they answer. */
  answers?: HttpAnswers;
}

interface RouteRule {
  route: { namespace: string; name: string };
  gateway: { namespace: string; name: string; port: number };
  host?: string;
  /** One per match (a rule without matches matches everything under `/`). */
  matches: { prefix: string; exact: boolean; headers: Record<string, string> }[];
  rewritesToRoot: boolean;
  /** Headers a RequestHeaderModifier filter adds or sets. */
  addsHeaders: Record<string, string>;
  backends: Backend[];
}

function listenerPort(
  pl: ProbeLab,
  ref: { namespace: string; name: string; sectionName?: string },
): number | undefined {
  const gateway = byKind(pl, "Gateway", "gateway.networking.k8s.io/").find(
    (g) => (g.metadata?.namespace ?? "default") === ref.namespace && g.metadata?.name === ref.name,
  );
  const listeners = (gateway?.spec?.listeners ?? []) as { name: string; port: number; protocol: string }[];
  const listener = ref.sectionName
    ? listeners.find((l) => l.name === ref.sectionName)
    : listeners.find((l) => l.protocol === "HTTP");
  return listener?.port;
}

function routeRules(pl: ProbeLab): RouteRule[] {
  return byKind(pl, "HTTPRoute", "gateway.networking.k8s.io/").flatMap((o) => {
    const namespace = o.metadata?.namespace ?? "default";
    const parent = (o.spec?.parentRefs ?? [])[0] as
      | { name: string; namespace?: string; sectionName?: string }
      | undefined;
    if (!parent) return [];
    const gatewayRef = {
      namespace: parent.namespace ?? namespace,
      name: parent.name,
      sectionName: parent.sectionName,
    };
    const port = listenerPort(pl, gatewayRef);
    if (port === undefined) return [];
    return ((o.spec?.rules ?? []) as Loose[]).map((rule): RouteRule => {
      const filters = (rule.filters ?? []) as Loose[];
      const rewrite = filters.find((f) => f.type === "URLRewrite")?.urlRewrite?.path;
      const modifier = filters.find((f) => f.type === "RequestHeaderModifier")?.requestHeaderModifier;
      const addsHeaders = Object.fromEntries(
        [...(modifier?.add ?? []), ...(modifier?.set ?? [])].map((h: { name: string; value: string }) => [
          h.name,
          h.value,
        ]),
      );
      const matches = ((rule.matches ?? [{}]) as Loose[]).flatMap((m) => {
        const type = m.path?.type ?? "PathPrefix";
        if (type === "RegularExpression") return [];
        const headers = Object.fromEntries(
          ((m.headers ?? []) as { type?: string; name: string; value: string }[])
            .filter((h) => (h.type ?? "Exact") === "Exact")
            .map((h) => [h.name, h.value]),
        );
        return [{ prefix: (m.path?.value as string | undefined) ?? "/", exact: type === "Exact", headers }];
      });
      const backends = ((rule.backendRefs ?? []) as Loose[])
        .filter((b) => (b.kind ?? "Service") === "Service")
        .map((b): Backend => {
          const ref = {
            namespace: (b.namespace as string | undefined) ?? namespace,
            service: b.name as string,
          };
          const service = findService(pl, ref);
          const pods = service && podsOf(service);
          return {
            ...ref,
            weight: (b.weight as number | undefined) ?? 1,
            pods,
            answers: pods && answersOf(pl, pods),
          };
        });
      return {
        route: { namespace, name: o.metadata?.name ?? "" },
        gateway: { namespace: gatewayRef.namespace, name: gatewayRef.name, port },
        host: concreteHost((o.spec?.hostnames ?? [])[0]),
        matches,
        rewritesToRoot: rewrite?.type === "ReplacePrefixMatch" && rewrite.replacePrefixMatch === "/",
        addsHeaders,
        backends: backends.filter((b) => b.weight > 0),
      };
    });
  });
}

function plan(
  pl: ProbeLab,
  build: (rule: RouteRule, entry: Entry, leftOut: LeftOut[]) => PlannedCheck[],
  none: string,
): Planned {
  const rules = routeRules(pl);
  if (!rules.length) return { skip: "no HTTPRoute attached to a Gateway listener in this lab's apps" };
  const checks: PlannedCheck[] = [];
  const leftOut: LeftOut[] = [];
  for (const rule of rules) {
    const entry = gatewayEntryPoint(pl, rule.gateway, rule.gateway.port);
    if ("skip" in entry) return entry;
    checks.push(...build(rule, entry, leftOut));
  }
  return withLeftOut(checks, leftOut, none);
}

const headerText = (h: Record<string, string>) =>
  Object.entries(h)
    .map(([k, v]) => ` ${k}: ${v}`)
    .join("");

const ids = (rule: RouteRule, m: RouteRule["matches"][number]) => [
  rule.route.namespace,
  rule.route.name,
  pathSlug(m.prefix),
  ...Object.entries(m.headers).map(([k, v]) => pathSlug(`${k}-${v}`)),
];

const routeOf = (rule: RouteRule, m: RouteRule["matches"][number]) => ({
  prefix: m.prefix,
  exact: m.exact,
  rewritesToRoot: rule.rewritesToRoot,
});

const matchText = (rule: RouteRule, m: RouteRule["matches"][number]) =>
  `${rule.host ? `Host: ${rule.host} ` : ""}${m.prefix}${headerText(m.headers)}`;

export const gatewayRoutes = defineProbe({
  id: "gateway-routes",
  layer: "north-south",
  title: "Host to Gateway API routes (path and header matches)",
  teaches:
    "An HTTPRoute attaches to a Gateway listener and matches on path and headers (e.g. `X-Version: 2` → v2); the Gateway implementation forwards each request to the matching rule's Service, and the pod that answers names itself, proving where the request went.",
  requires: "gatewayApi",
  plan(pl) {
    return plan(
      pl,
      (rule, entry, leftOut) =>
        rule.backends.length !== 1
          ? []
          : rule.matches.flatMap((m) => {
              const backend = rule.backends[0]!;
              const describes = `host → gateway ${rule.gateway.name} ${entry.via} ${matchText(rule, m)} → ${backend.service}`;
              const found = routePath([backend], "pod-name", routeOf(rule, m));
              if ("reason" in found || !backend.pods) {
                leftOut.push({ describes, reason: "reason" in found ? found.reason : "no pods behind it" });
                return [];
              }
              return [
                check(
                  this,
                  ids(rule, m),
                  HOST,
                  {
                    kind: "http",
                    to: { address: entry.address, port: entry.port },
                    path: found.path,
                    ...(rule.host ? { host: rule.host } : {}),
                    ...(Object.keys(m.headers).length ? { headers: m.headers } : {}),
                  },
                  throughNorthSouth(
                    pl.lab,
                    "gatewayApi",
                    `the route ${rule.route.name} sends ${m.prefix}${headerText(m.headers)} to ${backend.service}, whose pod names itself in the answer`,
                    { backendIn: backend.pods },
                  ),
                  `host → gateway ${rule.gateway.name} ${entry.via}${rule.host ? ` Host: ${rule.host}` : ""}${headerText(m.headers)} ${found.path} → ${backend.service}`,
                ),
              ];
            }),
      "no HTTPRoute rule with a single Service backend in this lab's apps",
    );
  },
});

export const gatewaySplit = defineProbe({
  id: "gateway-split",
  layer: "north-south",
  title: `Gateway weighted split within ±${SPLIT_TOLERANCE}% over ${SPLIT_REQUESTS} requests`,
  teaches:
    "backendRefs with weights split traffic between Services (e.g. 80/20 for a canary). The split is per request and random, so it only shows over many requests, within a tolerance.",
  requires: "gatewayApi",
  plan(pl) {
    return plan(
      pl,
      (rule, entry, leftOut) => {
        if (rule.backends.length < 2) return [];
        const m = rule.matches.find((x) => !x.exact) ?? rule.matches[0];
        if (!m) return [];
        const describes = `host → gateway ${rule.gateway.name} ${entry.via} ${matchText(rule, m)} → ${rule.backends.map((b) => b.service).join(" / ")}`;
        const found = routePath(rule.backends, "pod-name", routeOf(rule, m));
        if ("reason" in found || rule.backends.some((b) => !b.pods)) {
          leftOut.push({ describes, reason: "reason" in found ? found.reason : "a backend has no pods" });
          return [];
        }
        const total = rule.backends.reduce((n, b) => n + b.weight, 0);
        const shares = rule.backends.map((b) => ({
          label: b.service,
          pods: b.pods!,
          percent: Math.round((b.weight / total) * 1000) / 10,
        }));
        return [
          check(
            this,
            ids(rule, m),
            HOST,
            {
              kind: "coverage",
              to: { address: entry.address, port: entry.port },
              path: found.path,
              sample: SPLIT_REQUESTS,
              ...(rule.host ? { host: rule.host } : {}),
              ...(Object.keys(m.headers).length ? { headers: m.headers } : {}),
            },
            throughNorthSouth(
              pl.lab,
              "gatewayApi",
              `weights ${rule.backends.map((b) => `${b.service} ${b.weight}`).join(" / ")}: ${shares.map((s) => `${s.percent}%`).join(" / ")} of ${SPLIT_REQUESTS} requests, each within ±${SPLIT_TOLERANCE} points; every request answered, only by these pods`,
              { split: { shares, tolerance: SPLIT_TOLERANCE } },
            ),
            `host → gateway ${rule.gateway.name} ${entry.via} ${found.path} × ${SPLIT_REQUESTS} → ${rule.backends.map((b) => b.service).join(" / ")}`,
          ),
        ];
      },
      "no HTTPRoute rule splits traffic between Services in this lab's apps",
    );
  },
});

export const gatewayFilterHeader = defineProbe({
  id: "gateway-filter-header",
  layer: "north-south",
  title: "Header added by a route filter reaches the backend",
  teaches:
    "A RequestHeaderModifier filter changes the request on its way through the Gateway; agnhost /header?key=… echoes what the backend received, proving the rule (not just any rule) ran.",
  requires: "gatewayApi",
  plan(pl) {
    return plan(
      pl,
      (rule, entry, leftOut) => {
        const m = rule.matches[0];
        if (!m) return [];
        return Object.entries(rule.addsHeaders).flatMap(([name, value]) => {
          const describes = `host → gateway ${rule.gateway.name} ${entry.via} ${matchText(rule, m)} (expects ${name}: ${value})`;
          const found = routePath(rule.backends, "request-header", routeOf(rule, m));
          if ("reason" in found) {
            leftOut.push({ describes, reason: found.reason });
            return [];
          }
          const path = `${found.path}?key=${encodeURIComponent(name)}`;
          return [
            check(
              this,
              [...ids(rule, m), pathSlug(name)],
              HOST,
              {
                kind: "http",
                to: { address: entry.address, port: entry.port },
                path,
                ...(rule.host ? { host: rule.host } : {}),
                ...(Object.keys(m.headers).length ? { headers: m.headers } : {}),
              },
              throughNorthSouth(
                pl.lab,
                "gatewayApi",
                `the route ${rule.route.name} adds ${name}: ${value} on the way; the value names the rule`,
                { body: value },
              ),
              `host → gateway ${rule.gateway.name} ${entry.via}${rule.host ? ` Host: ${rule.host}` : ""}${headerText(m.headers)} ${path} (expects ${name}: ${value})`,
            ),
          ];
        });
      },
      "no HTTPRoute rule with a RequestHeaderModifier filter in this lab's apps",
    );
  },
});
