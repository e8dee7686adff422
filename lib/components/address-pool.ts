import { type Cidr, formatIPv4, type IpFamily, parseAddress, parseCidr } from "../model/cidr.ts";
import { EXIT, LabError } from "../model/errors.ts";

import type { AddressPool } from "./component.ts";

/**
 * An address pool a component hands out on the `kind` Docker network (a load balancer's), written
 * as a CIDR (`172.18.255.192/27`) or a range (`172.18.255.200-172.18.255.250`). Its addresses are
 * announced on the nodes' network (MetalLB's L2 speaker answers ARP for them), so the pool must
 * lie inside the `kind` network and clear of the addresses Docker hands to containers (from the
 * bottom of the subnet up). `labs doctor` and `labs up` check it against the real network.
 */

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
export function checkPoolInNetwork(addressPool: AddressPool, networkSubnets: readonly string[]): PoolCheck {
  const { range: pool, what } = addressPool;
  const range = parsePool(pool);
  const inspect = "docker network inspect kind --format '{{json .IPAM.Config}}'";
  if (!range) {
    return {
      ok: false,
      problem: `${what} "${pool}" is neither a CIDR nor a first-last address range`,
      fix: `write it like "${addressPool.example}" (${addressPool.option})`,
    };
  }
  const subnets = networkSubnets.map((s) => parseCidr(s.trim())).filter((c): c is Cidr => !!c);
  const sameFamily = subnets.filter((s) => s.family === range.family);
  const home = sameFamily.find((s) => s.first <= range.first && range.last <= s.last);
  if (home) {
    if (range.first === home.first || range.last === home.last) {
      return {
        ok: false,
        problem: `${what} ${pool} includes the network or broadcast address of ${home.text}`,
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
    problem: `${what} ${pool} is outside the kind Docker network (${shown}): the host and nodes could not reach its addresses`,
    fix: suggestion
      ? `set ${addressPool.setting(suggestion)} in the lab (subnets: \`${inspect}\`)`
      : `pick a pool inside one of the kind network's ${range.family} subnets (\`${inspect}\`)`,
    suggestion,
  };
}

/** checkPoolInNetwork for the runtime: throws a LabError with the fix when the pool does not fit. */
export function assertPoolInNetwork(pool: AddressPool, networkSubnets: readonly string[]): string {
  const check = checkPoolInNetwork(pool, networkSubnets);
  if (check.ok) return check.subnet;
  throw new LabError(check.problem, check.fix, EXIT.environment);
}
