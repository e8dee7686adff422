import { type Finding, warning } from "./findings.ts";
import type { LabSpec } from "./lab-spec.ts";

/**
 * A lab's nodes against the memory of the machine that runs them. A kind node with a CNI and
 * the lab's apps settles around 0.7–1 GiB (the same estimate `labs doctor` uses for Docker's
 * memory), and the host needs room of its own; a lab that does not fit still starts, then
 * pods get evicted or the machine swaps, so this is a warning, not an error.
 */
export const GIB = 1024 ** 3;
export const NODE_MEMORY_BYTES = 1 * GIB;
export const HOST_RESERVE_BYTES = 2 * GIB;

export function nodeMemoryFindings(nodes: LabSpec["nodes"], hostMemoryBytes: number): Finding[] {
  const count = nodes.controlPlanes + nodes.workers;
  const want = count * NODE_MEMORY_BYTES + HOST_RESERVE_BYTES;
  if (!(hostMemoryBytes > 0) || want <= hostMemoryBytes) return [];
  const gib = (b: number) => (b / GIB).toFixed(1);
  return [
    warning(
      "nodes",
      `${count} nodes need about ${gib(want)} GiB of memory (about 1 GiB each, plus room for the host); this machine has ${gib(hostMemoryBytes)} GiB`,
      `use fewer nodes (at most ${Math.max(1, Math.floor((hostMemoryBytes - HOST_RESERVE_BYTES) / NODE_MEMORY_BYTES))} here), or run the lab on a bigger machine`,
    ),
  ];
}
