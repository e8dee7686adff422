/** IPv4 and IPv6 CIDR arithmetic on bigints: enough to check containment and overlap. */

export type IpFamily = "ipv4" | "ipv6";

export interface Cidr {
  /** The text as written, e.g. `10.244.0.0/16`. */
  readonly text: string;
  readonly family: IpFamily;
  readonly prefix: number;
  /** First and last address of the range. */
  readonly first: bigint;
  readonly last: bigint;
}

const V4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => V4_OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => {
    if (s === "") return [];
    const g = s.split(":");
    const last = g[g.length - 1]!;
    if (last.includes(".")) {
      const v4 = parseIPv4(last);
      if (v4 === undefined) return undefined;
      g.splice(g.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    }
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : undefined;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Parses `addr/prefix`; returns undefined when it is not a CIDR. Host bits must be zero. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const [, addrText, prefixText] = m;
  const prefix = Number(prefixText);
  const v4 = parseIPv4(addrText!);
  const family: IpFamily | undefined =
    v4 !== undefined ? "ipv4" : parseIPv6(addrText!) !== undefined ? "ipv6" : undefined;
  if (!family) return undefined;
  const bits = family === "ipv4" ? 32 : 128;
  if (prefix > bits) return undefined;
  const addr = family === "ipv4" ? v4! : parseIPv6(addrText!)!;
  const hostBits = BigInt(bits - prefix);
  const mask = (1n << hostBits) - 1n;
  if ((addr & mask) !== 0n) return undefined;
  return { text, family, prefix, first: addr, last: addr | mask };
}

/** Why `text` is not a CIDR, for error messages. */
export function explainBadCidr(text: string): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return `"${text}" is not a CIDR (expected address/prefix, e.g. 10.244.0.0/16)`;
  const [, addrText, prefixText] = m;
  const v4 = parseIPv4(addrText!);
  const v6 = v4 === undefined ? parseIPv6(addrText!) : undefined;
  if (v4 === undefined && v6 === undefined)
    return `"${addrText}" in "${text}" is not an IPv4 or IPv6 address`;
  const bits = v4 !== undefined ? 32 : 128;
  if (Number(prefixText) > bits) return `prefix /${prefixText} in "${text}" is longer than ${bits} bits`;
  return `"${text}" has host bits set: the address must be the first of its /${prefixText} range`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

/** Parses a single address (no prefix) of either family. */
export function parseAddress(text: string): { family: IpFamily; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: "ipv4", value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: "ipv6", value: v6 };
}

export function containsAddress(outer: Cidr, address: string): boolean {
  const a = parseAddress(address);
  return !!a && a.family === outer.family && outer.first <= a.value && a.value <= outer.last;
}

/** An IPv4 address as dotted text (IPv4 is enough for host-side pools). */
export function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 255n).toString()).join(".");
}
