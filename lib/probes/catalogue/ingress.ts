import { status, throughNorthSouth } from "../expectations.ts";
import { answersOf, byKind, findService, type Loose, type ProbeLab, podsOf } from "../probe-lab.ts";
import type { PlannedCheck, ServiceRef } from "../probes-plan.ts";
import { check, defineProbe, HOST, httpGet, type LeftOut, type Planned, withLeftOut } from "./probe.ts";
import { entryPoint, pathSlug, routePath } from "./routes.ts";

interface IngressPath {
  ingress: { namespace: string; name: string };
  host?: string;
  path: string;
  /** The literal prefix a request must start with. */
  prefix: string;
  /** The controller strips the prefix (regex path + rewrite-target `/$2`). */
  rewritesToRoot: boolean;
  backend: ServiceRef;
}

const REWRITE = "nginx.ingress.kubernetes.io/rewrite-target";
/** `/echo(/|$)(.*)` with rewrite-target `/$2`: ingress-nginx's documented prefix-stripping form. */
const STRIP_PREFIX = /^(\/[^()[\]*+?|^$]*?)\(\/\|\$\)\(\.\*\)$/;

function ingressPaths(pl: ProbeLab): IngressPath[] {
  return byKind(pl, "Ingress", "networking.k8s.io/").flatMap((o) => {
    const namespace = o.metadata?.namespace ?? "default";
    const rewrite = o.metadata?.annotations?.[REWRITE];
    return ((o.spec?.rules ?? []) as Loose[]).flatMap((rule) =>
      ((rule.http?.paths ?? []) as Loose[]).flatMap((p): IngressPath[] => {
        const path = (p.path as string | undefined) ?? "/";
        const service = p.backend?.service?.name as string | undefined;
        if (!service) return [];
        const strip = STRIP_PREFIX.exec(path);
        const regex = /[()[\]*+?|^$]/.test(path);
        if (regex && !(strip && rewrite === "/$2")) return [];
        return [
          {
            ingress: { namespace, name: o.metadata?.name ?? "" },
            host: rule.host,
            path,
            prefix: strip ? strip[1]! : path,
            rewritesToRoot: !!strip,
            backend: { namespace, service },
          },
        ];
      }),
    );
  });
}

function pathCheck(
  pl: ProbeLab,
  probe: { id: string },
  p: IngressPath,
  entry: ReturnType<typeof entryPoint>,
  leftOut: LeftOut[],
): PlannedCheck[] {
  if ("skip" in entry) return [];
  const service = findService(pl, p.backend);
  const pods = service && podsOf(service);
  const hostText = p.host ? ` Host: ${p.host}` : "";
  const found = routePath(
    [{ service: p.backend.service, ...(pods ? { answers: answersOf(pl, pods) } : {}) }],
    "pod-name",
    { prefix: p.prefix, rewritesToRoot: p.rewritesToRoot },
  );
  if ("reason" in found || !pods) {
    leftOut.push({
      describes: `host → ingress ${entry.via}${hostText} ${p.prefix} → ${p.backend.service}.${p.backend.namespace}`,
      reason: "reason" in found ? found.reason : "the backend Service selects no pods",
    });
    return [];
  }
  return [
    check(
      probe,
      [p.ingress.namespace, p.ingress.name, p.host, pathSlug(p.path)],
      HOST,
      httpGet({ address: entry.address, port: entry.port }, found.path, p.host ? { host: p.host } : {}),
      throughNorthSouth(
        pl.lab,
        "ingress",
        `the rule ${p.host ?? "*"}${p.path} routes to ${p.backend.service}, whose pod names itself in the answer`,
        { backendIn: pods },
      ),
      `host → ingress ${entry.via}${hostText} ${found.path} → ${p.backend.service}.${p.backend.namespace}`,
    ),
  ];
}

function plan(pl: ProbeLab, probe: { id: string }, withHost: boolean): Planned {
  const paths = ingressPaths(pl);
  if (!paths.length) return { skip: "no Ingress with a Service backend in this lab's apps" };
  const ingress = (p: IngressPath) => ({ namespace: p.ingress.namespace, name: p.ingress.name });
  const entryOf = (p: IngressPath) => entryPoint(pl, 80, { ingressIp: ingress(p) });
  const chosen = paths.filter((p) => !!p.host === withHost);
  const firstEntry = paths.map(entryOf)[0]!;
  if ("skip" in firstEntry) return firstEntry;
  const leftOut: LeftOut[] = [];
  const checks = chosen.flatMap((p) => pathCheck(pl, probe, p, entryOf(p), leftOut));
  const catchAll = paths.some((p) => !p.host && p.prefix === "/");
  const any = paths[0]!;
  const notFound = "no rule matches, so the controller answers 404 itself (its default backend)";
  // The controller itself answers: the check crosses the ingress (break-fix signatures read this).
  const byController = { because: { capability: "ingress", by: pl.lab.claims.ingress.by } };
  if (!withHost && !catchAll) {
    checks.push(
      check(
        probe,
        [any.ingress.namespace, "unmatched-path"],
        HOST,
        httpGet({ address: firstEntry.address, port: firstEntry.port }, "/labs-no-such-path"),
        status(404, notFound, byController),
        `host → ingress ${firstEntry.via} /labs-no-such-path (no rule)`,
      ),
    );
  }
  if (withHost) {
    for (const p of chosen) {
      const shadowed = paths.some((q) => !q.host && p.prefix.startsWith(q.prefix));
      if (shadowed) continue;
      const entry = entryOf(p);
      if ("skip" in entry) continue;
      const other = `not-${p.host}`;
      checks.push(
        check(
          probe,
          [p.ingress.namespace, p.ingress.name, other, pathSlug(p.path)],
          HOST,
          httpGet({ address: entry.address, port: entry.port }, p.prefix, { host: other }),
          status(
            404,
            `the rule for ${p.path} is bound to Host ${p.host}; with Host ${other} ${notFound}`,
            byController,
          ),
          `host → ingress ${entry.via} Host: ${other} ${p.prefix} (wrong host)`,
        ),
      );
    }
  }
  return withLeftOut(
    checks,
    leftOut,
    withHost
      ? "no Ingress rule with a host in this lab's apps"
      : "no Ingress rule without a host in this lab's apps",
  );
}

export const ingressPathRouting = defineProbe({
  id: "ingress-paths",
  layer: "north-south",
  title: "Host to Ingress paths",
  teaches:
    "The Ingress controller is one entry point for many Services: it reads the request path and forwards to the Service of the matching rule; a path no rule matches gets the controller's own 404.",
  requires: "ingress",
  plan(pl) {
    return plan(pl, this, false);
  },
});

export const ingressHostRule = defineProbe({
  id: "ingress-host-rule",
  layer: "north-south",
  title: "Host to an Ingress host rule",
  teaches:
    "A rule with `host:` matches on the HTTP Host header (virtual hosting): the same address and path answer for the right name and fall through to 404 for another.",
  requires: "ingress",
  plan(pl) {
    return plan(pl, this, true);
  },
});
