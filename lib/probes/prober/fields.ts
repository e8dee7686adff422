/** Reading a named value (backend name, client address) out of an HTTP response. */
import type { IncomingHttpHeaders } from "node:http";
import type { FieldSource, HttpRequestSpec } from "./plan.ts";

export interface ResponseView {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The source of the backend name: the plan's `backendFrom`, else the body of an agnhost
 * `/hostname` (or `/hostName`) request.
 */
export function backendSource(spec: HttpRequestSpec): FieldSource | undefined {
  return spec.backendFrom ?? (pathEndsWith(spec.url, "/hostname") ? { from: "body" } : undefined);
}

/** The source of the client address: `clientIpFrom`, else the body of an agnhost `/clientip` request. */
export function clientIpSource(spec: HttpRequestSpec): FieldSource | undefined {
  return spec.clientIpFrom ?? (pathEndsWith(spec.url, "/clientip") ? { from: "body" } : undefined);
}

/** The value at `source`, trimmed; undefined when absent or not a scalar. */
export function readField(source: FieldSource, response: ResponseView): string | undefined {
  switch (source.from) {
    case "body":
      return nonEmpty(response.body.trim());
    case "header": {
      const value = response.headers[source.name.toLowerCase()];
      return nonEmpty((Array.isArray(value) ? value.join(", ") : (value ?? "")).trim());
    }
    case "json":
      return readJsonPath(response.body, source.path);
  }
}

function readJsonPath(body: string, path: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "string") return nonEmpty(value.trim());
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function pathEndsWith(url: string, suffix: string): boolean {
  try {
    return new URL(url).pathname.toLowerCase().endsWith(suffix);
  } catch {
    return false;
  }
}

function nonEmpty(text: string): string | undefined {
  return text === "" ? undefined : text;
}
