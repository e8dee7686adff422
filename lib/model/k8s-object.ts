/**
 * A Kubernetes object as plain JSON: what components write, synth orders and lint checks. It is
 * model vocabulary, below lib/components and lib/validate, so components need not import the
 * validator to name what they build.
 */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON
  [key: string]: any;
}
