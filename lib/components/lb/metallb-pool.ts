import { type Cidr, formatIPv4, type IpFamily, parseAddress, parseCidr } from "../../model/cidr.ts";
import { EXIT, LabError } from "../../model/errors.ts";

/**
 * MetalLB's address pool, as MetalLB writes it: a CIDR (`172.18.255.192/27`) or a range
 * (`172.18.255.200-172.18.255.250`). In L2 mode the speaker answers ARP for these addresses on
 * the nodes' network, so the pool must lie inside the `kind` Docker network and clear of the
 * addresses Docker hands to containers (from the bottom of the subnet up).
 */

/** Inside Docker's usual 172.18.0.0/16 kind network, at its top end, far from the node IPs. */
export const DEFAULT_METALLB_POOL = "172.18.255.200-172.18.255.250";

export interface PoolRange {
  text: string;
  family: IpFamily;
  first: bigint;
  last: bigint;
}

/** Parses a pool written as a CIDR or as `first-last`; undefined when it is neither. */
export function parsePool(text: string): PoolRange | undefined {
  const trimmed = text.trim();
  if (trimmed.includes("/")) {
    const cidr = parseCidr(trimmed);
    return cidr && { text: trimmed, family: cidr.family, first: cidr.first, last: cidr.last };
  }
  const parts = trimmed.split("-").map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const [a, b] = parts.map((p) => parseAddress(p!));
  if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
  return { text: trimmed, family: a.family, first: a.value, last: b.value };
}

export type PoolCheck =
  | { ok: true; subnet: string }
  | { ok: false; problem: string; fix: string; suggestion?: string };

/** The last address of an IPv4 pool (a break-fix fault leaves only it in the pool), or undefined. */
export function lastPoolAddress(pool: string): string | undefined {
  const range = parsePool(pool);
  if (range?.family !== "ipv4") return undefined;
  // MetalLB hands out a pool's addresses from the bottom up, so the last is the one still free.
  return formatIPv4(range.last);
}

/** A pool of 51 addresses near the top of an IPv4 subnet (what the default is for 172.18.0.0/16). */
export function suggestPool(subnet: Cidr): string | undefined {
  if (subnet.family !== "ipv4" || subnet.prefix > 24) return undefined;
  const top = subnet.last;
  return `${formatIPv4(top - 55n)}-${formatIPv4(top - 5n)}`;
}

/**
 * Checks a pool against the subnets of the `kind` Docker network (as `docker network inspect
 * kind` reports them). The runtime calls it at `labs up`, once the network exists.
 */
export function checkPoolInNetwork(pool: string, networkSubnets: readonly string[]): PoolCheck {
  const range = parsePool(pool);
  const inspect = "docker network inspect kind --format '{{json .IPAM.Config}}'";
  if (!range) {
    return {
      ok: false,
      problem: `MetalLB pool "${pool}" is neither a CIDR nor a first-last address range`,
      fix: `write it like "${DEFAULT_METALLB_POOL}" (loadBalancer.options.pool)`,
    };
  }
  const subnets = networkSubnets.map((s) => parseCidr(s.trim())).filter((c): c is Cidr => !!c);
  const sameFamily = subnets.filter((s) => s.family === range.family);
  const home = sameFamily.find((s) => s.first <= range.first && range.last <= s.last);
  if (home) {
    if (range.first === home.first || range.last === home.last) {
      return {
        ok: false,
        problem: `MetalLB pool ${pool} includes the network or broadcast address of ${home.text}`,
        fix: "keep the pool strictly inside the subnet",
        suggestion: suggestPool(home),
      };
    }
    return { ok: true, subnet: home.text };
  }
  const shown = networkSubnets.length ? networkSubnets.join(", ") : "no subnet";
  const target = sameFamily[0];
  const suggestion = target ? suggestPool(target) : undefined;
  return {
    ok: false,
    problem: `MetalLB pool ${pool} is outside the kind Docker network (${shown}): the host and nodes could not reach its addresses`,
    fix: suggestion
      ? `set loadBalancer: { name: "metallb", options: { pool: "${suggestion}" } } in the lab (subnets: \`${inspect}\`)`
      : `pick a pool inside one of the kind network's ${range.family} subnets (\`${inspect}\`)`,
    suggestion,
  };
}

/** checkPoolInNetwork for the runtime: throws a LabError with the fix when the pool does not fit. */
export function assertPoolInNetwork(pool: string, networkSubnets: readonly string[]): string {
  const check = checkPoolInNetwork(pool, networkSubnets);
  if (check.ok) return check.subnet;
  throw new LabError(check.problem, check.fix, EXIT.environment);
}
