/**
 * What resolving a lab gives (lib/components/resolve.ts): the components it chose, with their
 * options, and the capabilities they claim. Apart from the resolver so that components can take a
 * resolved lab without importing the resolver, which imports every component through the registry.
 */
import type { Finding } from "../model/findings.ts";
import type { Capabilities, CapabilityClaim, CapabilityName, Component, LabView } from "./component.ts";

/** A component chosen by a lab, with its parsed options and where in the spec it was chosen. */
export interface Selected {
  // biome-ignore lint/suspicious/noExplicitAny: options are typed by each component
  component: Component<any>;
  options: unknown;
  /** LabSpec path, e.g. `northSouth.ingress`. */
  path: string;
  /** The upstream version the options pick (versionOf), else the component's pinned version. */
  version?: string;
}

/** A lab with its components resolved, capabilities merged and rules checked. */
export interface ResolvedLab extends LabView {
  components: Selected[];
  /** Each capability with its value, the component that set it, and why. */
  claims: ResolvedClaims;
  /** Warnings (errors are thrown by resolveLab, returned by checkLab). */
  findings: Finding[];
}

/** Each capability's claim, typed per capability, with the component that made it (`labs` for the baseline). */
export type ResolvedClaims = { [K in CapabilityName]: CapabilityClaim<Capabilities[K]> & { by: string } };
