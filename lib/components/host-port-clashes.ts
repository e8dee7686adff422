import { DEFAULT_HOST_PORTS } from "../model/defaults.ts";
import { error, type Finding } from "../model/findings.ts";
import type { LabView } from "./component.ts";
import type { Selected } from "./resolved-lab.ts";

type HostPortField = keyof typeof DEFAULT_HOST_PORTS;

/**
 * Two port mappings of one host port fail `kind create cluster` (Docker cannot bind the port
 * twice). Only the ports the lab's components really map can clash, so a lab without a gateway
 * may give `hostPorts.ingressHttp` the gateway's default 8080. The finding names the field the
 * user can change, and says when the other one is only a default.
 */
export function hostPortClashes(lab: LabView, components: readonly Selected[]): Finding[] {
  const used = new Map<number, string>();
  for (const s of components) {
    for (const m of s.component.kindConfig?.(s.options, lab).extraPortMappings ?? []) {
      const owner = `${s.component.title} (container port ${m.containerPort}${m.protocol === "UDP" ? "/UDP" : ""})`;
      const other = used.get(m.hostPort);
      if (other === undefined) {
        used.set(m.hostPort, owner);
        continue;
      }
      return [clash(lab, m.hostPort, other, owner)];
    }
  }
  return [];
}

function clash(lab: LabView, port: number, first: string, second: string): Finding {
  const ports = lab.spec.hostPorts;
  const fields = (Object.keys(ports) as HostPortField[]).filter((f) => ports[f] === port);
  const set = fields.filter((f) => DEFAULT_HOST_PORTS[f] !== port);
  const blame = set[0] ?? fields[fields.length - 1];
  const others = fields
    .filter((f) => f !== blame)
    .map((f) => `hostPorts.${f}${DEFAULT_HOST_PORTS[f] === port ? " (its default)" : ""}`);
  const path = blame ? `hostPorts.${blame}` : "hostPorts";
  return error(
    path,
    `host port ${port} would be mapped twice, for ${first} and ${second}${others.length ? `: it is also ${others.join(" and ")}` : ""}`,
    blame ? `give ${path} another port` : "give each mapping its own port in hostPorts",
  );
}
