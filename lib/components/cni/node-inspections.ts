import type { Inspection } from "../component.ts";

/**
 * The three things every CNI leaves on a node that a learner can look at with one command: a
 * tunnel device, routes to the other nodes' pods, and an nftables table of its own. Each CNI
 * says only which device, which table and what the output means; the commands are the same.
 */

interface Shown {
  id: string;
  title: string;
  /** What the output shows, for learners. */
  explains: string;
}

/** A device on every node whose `ip -d link` details name its link type (vxlan, wireguard). */
export const tunnelDevice = (p: Shown & { device: string; linkType: string }): Inspection => ({
  id: p.id,
  title: p.title,
  on: "every-node",
  command: ["ip", "-d", "link", "show", p.device],
  explains: p.explains,
  expectContains: p.linkType,
});

/** The control plane's routing table, where a CNI's routes to the other nodes' pods show. */
export const podRoutes = (p: Shown): Inspection => ({
  id: p.id,
  title: p.title,
  on: "control-plane",
  command: ["ip", "route", "show"],
  explains: p.explains,
});

/** An nftables table the CNI writes on the control plane (any family), found by its name. */
export const nftablesTable = (p: Shown & { table: string }): Inspection => ({
  id: p.id,
  title: p.title,
  on: "control-plane",
  command: ["nft", "list", "tables"],
  explains: p.explains,
  expectContains: p.table,
});
