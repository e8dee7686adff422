import type { RunningKubeProxyMode } from "../../model/kube-proxy-mode.ts";
import {
  type BrokenInspection,
  type Fault,
  type FaultLook,
  type FaultStep,
  kubectlStep,
  onNode,
  pauseDaemonSet,
  serviceUnprogrammed,
} from "../fault.ts";

/** What each mode leaves on a node, how labs removes it, and what a learner looks at. */
interface ModeRules {
  /** Node commands that remove kube-proxy's Service translation, once kube-proxy no longer runs. */
  flush: FaultStep[];
  removed: string;
  look: FaultLook[];
  /** The mode's own inspections that fail once the rules are gone (the mode proof fails in every mode). */
  breaks: string[];
  nodePortsMayAnswer?: string;
}

/** iptables and ipvs mode both enter their nat rules through KUBE-SERVICES; flushing it cuts them off. */
const flushKubeServices = (what: string): FaultStep =>
  onNode("every", what, ["iptables", "-t", "nat", "-F", "KUBE-SERVICES"]);

const MODES: Record<RunningKubeProxyMode, ModeRules> = {
  // KUBE-SERVICES (nat) is where PREROUTING and OUTPUT enter kube-proxy's rules for every ClusterIP,
  // LoadBalancer IP and, through its last rule, KUBE-NODEPORTS (kubernetes pkg/proxy/iptables/proxier.go).
  iptables: {
    flush: [flushKubeServices("flush kube-proxy's entry chain KUBE-SERVICES in the nat table")],
    removed:
      "its nat chain KUBE-SERVICES is flushed on every node: the KUBE-SVC-* chains stay, but nothing jumps to them any more",
    look: [
      {
        run: { node: 0, command: ["iptables", "-t", "nat", "-L", "KUBE-SERVICES", "-n"] },
        shows: "an empty KUBE-SERVICES chain: no Service address is translated",
      },
    ],
    breaks: [],
  },
  // The ipvs proxier binds every ClusterIP and LoadBalancer IP to the dummy kube-ipvs0 so IPVS (which
  // hooks LOCAL_IN) sees them, and marks for masquerade from its KUBE-SERVICES chain (pkg/proxy/ipvs).
  // kind nodes have no ipvsadm, so the virtual servers themselves cannot be flushed from the node.
  ipvs: {
    flush: [
      onNode(
        "every",
        "delete kube-ipvs0: ClusterIPs and LoadBalancer IPs stop being local addresses, so IPVS never sees them",
        ["ip", "link", "delete", "kube-ipvs0"],
        "Cannot find device",
      ),
      flushKubeServices("flush kube-proxy's KUBE-SERVICES chain (its masquerade marks)"),
    ],
    removed:
      "kube-ipvs0 is deleted on every node and its KUBE-SERVICES chain flushed; the IPVS virtual servers stay in the kernel (kind nodes have no ipvsadm to remove them)",
    look: [
      {
        run: { node: 0, command: ["ip", "-brief", "address", "show", "kube-ipvs0"] },
        shows: "no kube-ipvs0 device: no Service address is local, so IPVS never sees a packet for one",
      },
    ],
    breaks: ["ipvs-device"],
    nodePortsMayAnswer:
      "the IPVS virtual servers on the node IPs stay, so a node port still DNATs, without the masquerade mark: the reply only finds its way back when the backend runs on the node that was asked",
  },
  // All of kube-proxy's nftables state is one table, `ip kube-proxy` (pkg/proxy/nftables/proxier.go).
  nftables: {
    flush: [
      onNode(
        "every",
        "delete kube-proxy's nftables table",
        ["nft", "delete", "table", "ip", "kube-proxy"],
        "No such file or directory",
      ),
    ],
    removed: "its nftables table `ip kube-proxy` is deleted on every node",
    look: [
      {
        run: { node: 0, command: ["nft", "list", "tables"] },
        shows: "no `ip kube-proxy` table any more",
      },
    ],
    breaks: ["nftables-kube-proxy-table"],
  },
};

/**
 * kube-proxy stopped and its rules flushed. Flushing alone does not hold: kube-proxy rewrites its
 * rules on its next sync (seconds), so its DaemonSet is paused first (a nodeSelector no node has),
 * which deletes its pods; kube-proxy does not remove its rules when it stops, so labs removes them.
 */
export function kubeProxyRulesFlushed(mode: RunningKubeProxyMode): Fault {
  const m = MODES[mode];
  const pause = pauseDaemonSet(
    "kube-system",
    "kube-proxy",
    "kube-proxy would rewrite its rules within seconds",
  );
  const breaksInspections: BrokenInspection[] = [
    { id: "kube-proxy-mode" },
    ...m.breaks.map((id) => ({ id })),
  ];
  return {
    id: "kube-proxy-rules-flushed",
    layer: "service",
    title: `kube-proxy (${mode}) stopped, its rules flushed`,
    does: `pauses kube-proxy's DaemonSet so it cannot resync, then flushes its rules: ${m.removed}`,
    undo: "un-pauses the DaemonSet: kube-proxy starts on every node and writes all its rules again in its first sync",
    effect: {
      kind: "service-proxy-down",
      ...(m.nodePortsMayAnswer ? { nodePortsMayAnswer: m.nodePortsMayAnswer } : {}),
    },
    breaksInspections,
    observe:
      "Everything that goes through a Service address fails, names included (the pods ask CoreDNS through the kube-dns ClusterIP); pod-to-pod by IP and pod-to-node keep working. On the nodes, kube-proxy no longer answers its mode on :10249.",
    look: [
      {
        run: { kubectl: ["--namespace", "kube-system", "get", "daemonset", "kube-proxy"] },
        shows: "DESIRED 0: the DaemonSet's nodeSelector matches no node",
      },
      ...m.look,
      {
        run: { node: 0, command: ["curl", "-s", "--max-time", "5", "http://127.0.0.1:10249/proxyMode"] },
        shows: "nothing: kube-proxy is not running",
      },
    ],
    apply: [
      ...pause.apply,
      kubectlStep("wait until every kube-proxy pod is gone", [
        "--namespace",
        "kube-system",
        "wait",
        "--for=delete",
        "pod",
        "--selector",
        "k8s-app=kube-proxy",
        "--timeout=120s",
      ]),
      ...m.flush,
    ],
    revert: pause.revert,
    source:
      "kubernetes pkg/proxy/{iptables,ipvs,nftables}/proxier.go (where each mode keeps its rules); kube-proxy leaves its rules in place when it stops",
  };
}

/** The same Service left out of kube-proxy's rules, with the mode's own way to see it. */
export function kubeProxyServiceUnprogrammed(mode: RunningKubeProxyMode): Fault {
  const look: Record<RunningKubeProxyMode, FaultLook> = {
    iptables: {
      run: {
        node: 0,
        command: ["sh", "-c", 'iptables-save -t nat | grep -c "${NAMESPACE}/${SERVICE}:" || true'],
      },
      shows: "0: no KUBE-SERVICES rule names the Service any more",
    },
    ipvs: {
      run: { node: 0, command: ["ip", "-brief", "address", "show", "kube-ipvs0"] },
      shows: "the Service's ClusterIP is no longer bound to kube-ipvs0",
    },
    nftables: {
      run: {
        node: 0,
        command: ["sh", "-c", 'nft list table ip kube-proxy | grep -c "${NAMESPACE}/${SERVICE}" || true'],
      },
      shows: "0: no element of the service-ips map names the Service any more",
    },
  };
  return serviceUnprogrammed(
    `kube-proxy (${mode})`,
    [look[mode]],
    "kubernetes cmd/kube-proxy/app/server.go (noProxyName)",
  );
}
