import type { RunningKubeProxyMode } from "../../model/kube-proxy-mode.ts";
import { kubeProxyRulesFlushed, kubeProxyServiceUnprogrammed } from "./kube-proxy-faults.ts";
import { kubeProxyGate } from "./kube-proxy-gate.ts";

/**
 * What every mode in which kube-proxy runs declares alike: no options, kind told the mode, the
 * gate on kube-proxy's DaemonSet and the two kube-proxy faults. A mode component spreads this and
 * says only what is its own (its capability, its dataplane, its inspections after the mode proof).
 */
export function runningKubeProxy(mode: RunningKubeProxyMode) {
  return {
    kind: "proxy" as const,
    name: mode,
    title: `kube-proxy (${mode})`,
    gates: () => [kubeProxyGate(mode)],
    kindConfig: () => ({ kubeProxyMode: mode }),
    faults: () => ({ faults: [kubeProxyRulesFlushed(mode), kubeProxyServiceUnprogrammed(mode)] }),
  };
}
