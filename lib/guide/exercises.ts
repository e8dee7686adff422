/**
 * Workshop exercises: small changes a learner makes to a running lab, a question, and the answer
 * this lab gives — computed from its capabilities and probe plan, so a Flannel lab's answer to
 * "apply a deny-all policy" is "nothing changes", and a kindnet lab's names the checks that break.
 */
import { type ResolvedLab, serviceDataplaneOf } from "../components/resolve.ts";
import type { PlannedCheck, ProbesPlan } from "../probes/probes-plan.ts";
import { defaultKubeconfig, labKubectl } from "./kubectl.ts";
import { shellWord } from "./shell-word.ts";

export interface Exercise {
  title: string;
  /** What to do, with the commands in `code`. */
  task: string;
  code: string;
  question: string;
  answer: string;
}

/** Checks whose path ends at a pod in `namespace` (by address, Service or name), DNS excluded. */
export function checksIntoNamespace(plan: ProbesPlan, namespace: string): PlannedCheck[] {
  return plan.checks.filter((c) => {
    if (c.action.kind === "dns" || c.action.kind === "inspect") return false;
    const a = c.action.to.address;
    if ("podIp" in a) return a.podIp.namespace === namespace;
    if ("clusterIp" in a) return a.clusterIp.namespace === namespace;
    if ("loadBalancerIp" in a) return a.loadBalancerIp.namespace === namespace;
    if ("dnsName" in a) return a.dnsName.split(".")[1] === namespace;
    return c.id.includes(`/${namespace}/`);
  });
}

function denyAll(lab: ResolvedLab, plan: ProbesPlan, kubectl: string): Exercise {
  const ns = "demo";
  const hit = checksIntoNamespace(plan, ns).filter((c) => c.expect.outcome !== "blocked");
  const probes = [...new Set(hit.map((c) => c.probe))];
  const claim = lab.claims.networkPolicy;
  const answer = claim.value
    ? `${claim.by} enforces NetworkPolicy, so every path into ${ns} is now dropped: ${hit.length} checks of ${probes.length} probes (${probes.map((p) => `\`${p}\``).join(", ")}) fail, because the lab still expects them to connect. DNS checks keep passing: CoreDNS lives in kube-system.`
    : `Nothing changes: every probe still passes. ${claim.reason}, so the policy object is stored by the API server and ignored by the dataplane. Run the same exercise on a lab whose CNI enforces policy to see the difference.`;
  return {
    title: "Deny all traffic into the demo namespace",
    task: "Apply a default-deny ingress NetworkPolicy to the demo apps, then run the probes again.",
    code: [
      `${kubectl} apply -f - <<'EOF'`,
      "apiVersion: networking.k8s.io/v1",
      "kind: NetworkPolicy",
      "metadata:",
      "  name: deny-all-ingress",
      `  namespace: ${ns}`,
      "spec:",
      "  podSelector: {}",
      "  policyTypes: [Ingress]",
      "EOF",
      `labs verify ${lab.spec.name}`,
      `${kubectl} -n ${ns} delete networkpolicy deny-all-ingress   # clean up`,
    ].join("\n"),
    question: "Which probes change, and why?",
    answer,
  };
}

/**
 * What a new Service adds, from the component whose inspection shows Services (its
 * `serviceDataplane`); where none says, what the service proxy claim implies.
 */
function growth(lab: ResolvedLab, grows: string | undefined): string {
  if (grows) return grows;
  const proxy = lab.claims.serviceProxy;
  switch (proxy.value) {
    case "ebpf":
      return `Nothing grows here: ${proxy.reason}; the new Service lands in ${proxy.by}'s eBPF maps instead.`;
    case "none":
      return `Nothing grows here: ${proxy.reason}, and nothing else programs Services either.`;
    case "kube-proxy iptables":
    case "kube-proxy ipvs":
    case "kube-proxy nftables":
      return `The new Service's ClusterIP appears in what ${proxy.value} programs.`;
  }
}

function dataplaneGrows(lab: ResolvedLab, plan: ProbesPlan, kubectl: string): Exercise | undefined {
  const services = serviceDataplaneOf(lab);
  if (!services.inspection) return undefined;
  const check = plan.checks.find(
    (c) =>
      c.action.kind === "inspect" &&
      c.probe === "dataplane-inspection" &&
      c.id.startsWith(`dataplane-inspection/${services.inspection}/`),
  );
  if (check?.action.kind !== "inspect" || !("node" in check.from)) return undefined;
  const look = `docker exec ${check.from.node} ${check.action.command.map(shellWord).join(" ")}`;
  const answer = growth(lab, services.grows);
  return {
    title: "Watch a Service appear in the dataplane",
    task: "Look at how Services are programmed on a node, add a Service, and look again.",
    code: [
      look,
      `${kubectl} -n demo expose deployment echo --name echo-extra --port 80 --target-port 8080`,
      look,
      `${kubectl} -n demo delete service echo-extra   # clean up`,
    ].join("\n"),
    question: "What changed between the two outputs?",
    answer,
  };
}

function sourceIp(plan: ProbesPlan, kubectl: string): Exercise | undefined {
  const checks = plan.checks.filter((c) => c.probe === "source-ip");
  const cluster = checks.find((c) => c.expect.clientIp === "snat");
  const local = checks.find((c) => c.expect.clientIp === "kept");
  if (!cluster || !local) return undefined;
  const ip = (svc: string) =>
    `$(${kubectl} -n demo get svc ${svc} -o jsonpath='{.status.loadBalancer.ingress[0].ip}')`;
  return {
    title: "Who does the backend think you are?",
    task: "Ask the echo pods for the client address they saw, once through each LoadBalancer Service.",
    code: [
      `curl -s http://${ip("echo-lb")}/clientip; echo`,
      `curl -s http://${ip("echo-lb-local")}/clientip; echo`,
    ].join("\n"),
    question: "Why do the two answers differ?",
    answer: `${cluster.expect.reason}. ${local.expect.reason}.`,
  };
}

function compare(lab: ResolvedLab, siblings: string[]): Exercise | undefined {
  const other = siblings.find((s) => s !== lab.spec.name);
  if (!other) return undefined;
  return {
    title: `Compare with ${other}`,
    task: "Let labs tell you what another lab changes, object by object and probe by probe.",
    code: `labs diff ${lab.spec.name} ${other}`,
    question: "Which expected probe outcomes differ, and which capability explains each?",
    answer: `The "expected probe outcomes" section lists every check whose outcome differs; the "capabilities" section above it gives the reason each side claims. Checks that only change their "why" keep their outcome.`,
  };
}

/** Catalogue labs that differ from this one in one choice: same CNI first, then same proxy mode. */
export function siblingsOf(
  lab: ResolvedLab,
  catalogue: { name: string; cni: string; proxy: string }[],
): string[] {
  const me = { cni: lab.spec.cni.name, proxy: lab.spec.kubeProxyMode };
  const others = catalogue.filter((c) => c.name !== lab.spec.name);
  return [
    ...others.filter((c) => c.cni === me.cni && c.proxy !== me.proxy),
    ...others.filter((c) => c.cni !== me.cni && c.proxy === me.proxy),
  ].map((c) => c.name);
}

/**
 * @param kubectl how the learner calls kubectl for this lab (kubectl.ts); default: against its
 *   kubeconfig where `labs up` writes it
 */
export function exercisesOf(
  lab: ResolvedLab,
  plan: ProbesPlan,
  siblings: string[] = [],
  kubectl: string = labKubectl(defaultKubeconfig(plan.lab)),
): Exercise[] {
  return [
    denyAll(lab, plan, kubectl),
    dataplaneGrows(lab, plan, kubectl),
    sourceIp(plan, kubectl),
    compare(lab, siblings),
  ].filter((e): e is Exercise => !!e);
}
