/**
 * A small authoritative DNS server on a UDP socket, enough to prove the dns probe's outcomes:
 * A, AAAA and SRV answers from a table; NXDOMAIN for unknown names; NOERROR with no answers for a
 * known name without records of the asked type; SERVFAIL and silence for names listed for that.
 * With `forward`, it is a CoreDNS stand-in: names outside its `authoritative` zones go upstream.
 */

import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";

export interface Zone {
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  srv?: Record<string, { priority: number; weight: number; port: number; target: string }[]>;
  servfail?: string[];
  /** Names the server never answers: the client sees a timeout. */
  silent?: string[];
  /**
   * `host:port` every name outside `authoritative` goes to, as CoreDNS's `forward` plugin sends
   * it: the upstream's answer is relayed; no answer within `forwardTimeoutMs` is a SERVFAIL.
   */
  forward?: string;
  /** Zones answered from the tables alone (NXDOMAIN for unknown names), e.g. `cluster.local`. */
  authoritative?: string[];
  /** @default 2000 */
  forwardTimeoutMs?: number;
}

const TYPE = { A: 1, AAAA: 28, SRV: 33 } as const;
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export interface DnsServer {
  /** `127.0.0.1:port`, as a dns probe's `server` field takes it. */
  address: string;
  port: number;
  /** Queries received, as `name TYPE`. */
  queries: string[];
  close: () => Promise<void>;
}

export async function startDnsServer(zone: Zone, host = "127.0.0.1", bindPort = 0): Promise<DnsServer> {
  const socket = dgram.createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (message, from) => {
    const query = parseQuery(message);
    if (!query) return;
    queries.push(`${query.name} ${typeName(query.type)}`);
    if (zone.silent?.includes(query.name)) return;
    const reply = (m: Buffer) => socket.send(m, from.port, from.address);
    if (zone.forward && !inZones(query.name, zone)) forward(message, query, zone, reply);
    else reply(answer(message, query, zone));
  });
  socket.bind(bindPort, host);
  await once(socket, "listening");
  const port = socket.address().port;
  return {
    address: `${host}:${port}`,
    port,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

const inZones = (name: string, zone: Zone) =>
  [zone.a, zone.aaaa, zone.srv].some((table) => table && name in table) ||
  (zone.authoritative ?? []).some((z) => name === z || name.endsWith(`.${z}`));

/** The query as it came, to the upstream; its answer back, or SERVFAIL when none comes in time. */
function forward(message: Buffer, query: Query, zone: Zone, reply: (m: Buffer) => void): void {
  const [host, port] = [
    zone.forward!.slice(0, zone.forward!.lastIndexOf(":")),
    zone.forward!.split(":").pop(),
  ];
  const upstream = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  let done = false;
  const finish = (m: Buffer) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    upstream.close();
    reply(m);
  };
  const timer = setTimeout(
    () => finish(answer(message, query, { servfail: [query.name] })),
    zone.forwardTimeoutMs ?? 2000,
  );
  upstream.on("message", (m) => finish(m));
  // An unreachable upstream (ICMP) is no answer either: CoreDNS answers SERVFAIL all the same.
  upstream.on("error", () => finish(answer(message, query, { servfail: [query.name] })));
  upstream.send(message, Number(port), host);
}

interface Query {
  id: number;
  flags: number;
  name: string;
  type: number;
  /** Byte offset just past the question section. */
  end: number;
}

function parseQuery(message: Buffer): Query | undefined {
  if (message.length < 12 || message.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < message.length) {
    const length = message[offset]!;
    offset++;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString("ascii"));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  return {
    id: message.readUInt16BE(0),
    flags: message.readUInt16BE(2),
    name: labels.join(".").toLowerCase(),
    type: message.readUInt16BE(offset),
    end: offset + 4,
  };
}

function answer(message: Buffer, query: Query, zone: Zone): Buffer {
  const known = [zone.a, zone.aaaa, zone.srv].some((table) => table && query.name in table);
  let rcode: number = known ? RCODE.NOERROR : RCODE.NXDOMAIN;
  if (zone.servfail?.includes(query.name)) rcode = RCODE.SERVFAIL;
  const records = rcode === RCODE.NOERROR ? recordsFor(query, zone) : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  // QR=1, AA=1, RD copied from the query, RA=1, then the rcode.
  header.writeUInt16BE(0x8000 | 0x0400 | (query.flags & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const question = message.subarray(12, query.end);
  return Buffer.concat([header, question, ...records.map((rdata) => resourceRecord(query.type, rdata))]);
}

function recordsFor(query: Query, zone: Zone): Buffer[] {
  if (query.type === TYPE.A) return (zone.a?.[query.name] ?? []).map(ipv4Bytes);
  if (query.type === TYPE.AAAA) return (zone.aaaa?.[query.name] ?? []).map(ipv6Bytes);
  if (query.type === TYPE.SRV) {
    return (zone.srv?.[query.name] ?? []).map((srv) => {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(srv.priority, 0);
      fixed.writeUInt16BE(srv.weight, 2);
      fixed.writeUInt16BE(srv.port, 4);
      return Buffer.concat([fixed, nameBytes(srv.target)]);
    });
  }
  return [];
}

function resourceRecord(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the name in the question
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // class IN
  head.writeUInt32BE(30, 6); // TTL
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function nameBytes(name: string): Buffer {
  const parts = name.split(".").filter(Boolean);
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, "ascii")])),
    Buffer.from([0]),
  ]);
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}

function ipv6Bytes(ip: string): Buffer {
  if (net.isIP(ip) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => {
    bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  });
  return bytes;
}

function typeName(type: number): string {
  return Object.entries(TYPE).find(([, value]) => value === type)?.[0] ?? String(type);
}
