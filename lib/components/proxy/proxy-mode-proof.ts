import type { RunningKubeProxyMode } from "../../model/kube-proxy-mode.ts";
import type { Inspection } from "../component.ts";

/** kube-proxy answers its own mode on its metrics port: the simplest proof the mode is in effect. */
export function proxyModeProof(mode: RunningKubeProxyMode): Inspection {
  return {
    id: "kube-proxy-mode",
    title: "kube-proxy reports its mode",
    on: "every-node",
    command: ["curl", "-s", "--max-time", "5", "http://127.0.0.1:10249/proxyMode"],
    explains: `kube-proxy serves its mode on 127.0.0.1:10249/proxyMode; it must say ${mode}.`,
    expectContains: mode,
  };
}
