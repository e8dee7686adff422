import { pin } from "../../upstream/pins.ts";
import type { ArtifactRef, HostPathVariable, KindPatch } from "../component.ts";
import { extractedTarballVariable, placeholder } from "../host-paths.ts";

/**
 * The containernetworking plugins release (v1.9.1), for CNIs that delegate to them. kind nodes
 * ship only host-local, loopback, ptp and portmap; Flannel hands each pod to the `bridge`
 * plugin, so labs extracts the pinned release tarball into the artifact cache and mounts it on
 * every node.
 */

export const CNI_PLUGINS = {
  amd64: pin("cni-plugins/linux-amd64"),
  arm64: pin("cni-plugins/linux-arm64"),
} as const;

export const CNI_PLUGINS_VARIABLE = "LABS_CNI_PLUGINS";

/** Both architectures: the lock lists both so it is the same on every machine. */
export const cniPluginsArtifacts = (): ArtifactRef[] => [CNI_PLUGINS.amd64, CNI_PLUGINS.arm64];

export const cniPluginsVariable = (): HostPathVariable =>
  extractedTarballVariable(
    CNI_PLUGINS_VARIABLE,
    `containernetworking plugins ${CNI_PLUGINS.amd64.version} extracted from the tarball of the nodes' architecture`,
    CNI_PLUGINS,
  );

/**
 * Mounts single plugins from the extracted release at /opt/cni/bin/<plugin>, read-only. Not the
 * whole folder: /opt/cni/bin stays the node's own, so CNI installers that copy their binary
 * into it (Flannel's init container) write into the node, never into the user's cache, and the
 * plugins kind ships stay in place.
 */
export function cniPluginMounts(plugins: readonly string[]): KindPatch {
  return {
    extraMounts: plugins.map((plugin) => ({
      hostPath: `${placeholder(CNI_PLUGINS_VARIABLE)}/${plugin}`,
      containerPath: `/opt/cni/bin/${plugin}`,
      readOnly: true,
    })),
    hostPathVariables: [cniPluginsVariable()],
  };
}
