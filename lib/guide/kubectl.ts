/**
 * The kubectl a learner types for a lab: always against the lab's own kubeconfig. `labs up`
 * writes it into the lab's state folder and never edits ~/.kube/config (kind's context
 * `kind-<cluster>` lands there only with `labs up --export-kubeconfig`), so `--context kind-…`
 * would name a context the learner does not have, or, worse, one of another cluster.
 */
import { shellWord } from "./try-it.ts";

/**
 * Where `labs up` writes a lab's kubeconfig when neither LABS_STATE_DIR nor XDG_STATE_HOME is set
 * (lib/runtime/state.ts): what a handout shows when it is written for no machine in particular.
 */
export const defaultKubeconfig = (lab: string) => `~/.local/state/labs/${lab}/kubeconfig`;

/** A path as a shell word, `~/…` under the home directory (tilde-expanded where it starts a word). */
export function pathWord(path: string, home?: string): string {
  if (path.startsWith("~/")) return `~/${shellWord(path.slice(2))}`;
  if (home && path.startsWith(`${home.replace(/\/$/, "")}/`))
    return `~/${shellWord(path.slice(home.replace(/\/$/, "").length + 1))}`;
  return shellWord(path);
}

/** `kubectl --kubeconfig <the lab's kubeconfig>`, to paste as it is. */
export function labKubectl(kubeconfig: string, home?: string): string {
  return `kubectl --kubeconfig ${pathWord(kubeconfig, home)}`;
}
