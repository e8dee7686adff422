/**
 * What an app's HTTP server answers, declared by the app on its pod template (annotation
 * `labs.dev/http-answers`), so that the probe planner sends a check only to a backend that can
 * answer it, and a route check only along a path where the answer proves which backend gave it.
 *
 * The declaration is made from the container's own arguments (`netexecAnswers`), so it cannot
 * drift from what the pod runs, and it is visible on every pod (`kubectl get pod -o yaml`).
 */

export const ANSWERS_ANNOTATION = "labs.dev/http-answers";

/** What a path's answer says. */
export type Says =
  /** The pod's name: proves which backend answered. */
  | "pod-name"
  /** `ip:port` of the client as the server saw it. */
  | "client-address"
  /** The value of the request header named by `?key=`. */
  | "request-header"
  /** The `msg` parameter it was sent: anyone could say that. */
  | "message"
  /** The time of day: says nothing about who answered. */
  | "time"
  /** Only a status code. */
  | "status";

/** Path → what its answer says; `*` stands for every path not listed. */
export type HttpAnswers = Record<string, Says>;

/** Words for reasons: "its pod name". */
export const SAYS_WORDS: Record<Says, string> = {
  "pod-name": "its pod name",
  "client-address": "the client address it saw",
  "request-header": "a request header's value",
  message: "the message it was sent",
  time: "the time of day",
  status: "a status code only",
};

/**
 * agnhost netexec's HTTP endpoints (kubernetes test/images/agnhost/netexec/netexec.go): `/`, and
 * every path no handler claims, answers the time; `/hostname` the pod name; `/clientip` the
 * client's `ip:port`; `/header?key=` a request header; `/echo?msg=` the message. With
 * `--http-override=P` every request is served as a GET of P, whatever its path.
 */
export function netexecAnswers(args: readonly string[]): HttpAnswers {
  const own: HttpAnswers = {
    "/clientip": "client-address",
    "/echo": "message",
    "/header": "request-header",
    "/healthz": "status",
    "/hostName": "pod-name",
    "/hostname": "pod-name",
    "*": "time",
  };
  const override = args.find((a) => a.startsWith("--http-override="))?.slice("--http-override=".length);
  if (override === undefined) return own;
  const path = override.split("?")[0]!;
  return { "*": own[path] ?? own["*"]! };
}

/** The annotation value: JSON with sorted keys, so synth output stays byte-identical. */
export function answersAnnotation(answers: HttpAnswers): Record<string, string> {
  const sorted = Object.fromEntries(Object.entries(answers).sort(([a], [b]) => a.localeCompare(b)));
  return { [ANSWERS_ANNOTATION]: JSON.stringify(sorted) };
}

/** Reads a declaration back; undefined when absent or not one. */
export function parseAnswers(value: string | undefined): HttpAnswers | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const known = new Set(Object.keys(SAYS_WORDS));
    const entries = Object.entries(parsed as Record<string, unknown>);
    return entries.every(([, v]) => typeof v === "string" && known.has(v))
      ? (parsed as HttpAnswers)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The path to ask for an answer that says `says`, on a request that reaches the app unchanged. */
const PREFERRED: Partial<Record<Says, string>> = {
  "pod-name": "/hostname",
  "client-address": "/clientip",
  "request-header": "/header",
};

export function pathSaying(answers: HttpAnswers, says: Says): string | undefined {
  const preferred = PREFERRED[says];
  if (preferred && answers[preferred] === says) return preferred;
  const listed = Object.keys(answers)
    .filter((p) => p !== "*" && answers[p] === says)
    .sort()[0];
  if (listed) return listed;
  return answers["*"] === says ? (preferred ?? "/") : undefined;
}

/**
 * The request path that gets an answer saying `says` through a route matching `prefix` (exactly,
 * when `exact`), which strips the prefix when `rewritesToRoot`; undefined when no such path exists
 * (the app would answer with something that does not say it).
 */
export function pathThroughRoute(
  answers: HttpAnswers,
  says: Says,
  route: { prefix: string; exact?: boolean; rewritesToRoot?: boolean },
): string | undefined {
  const prefix = route.prefix === "" ? "/" : route.prefix;
  if (route.rewritesToRoot) {
    const inner = pathSaying(answers, says);
    return inner && `${prefix.replace(/\/$/, "")}${inner}`;
  }
  if (route.exact)
    return answers[prefix] === says || (!(prefix in answers) && answers["*"] === says) ? prefix : undefined;
  if (prefix === "/") return pathSaying(answers, says);
  const under = Object.keys(answers)
    .filter(
      (p) =>
        p !== "*" && answers[p] === says && (p === prefix || p.startsWith(`${prefix.replace(/\/$/, "")}/`)),
    )
    .sort()[0];
  if (under) return under;
  // The prefix itself reaches the app unchanged; a path it does not list gets its `*` answer.
  return !(prefix in answers) && answers["*"] === says ? prefix : undefined;
}
