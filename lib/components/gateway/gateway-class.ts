import {
  GatewayClass,
  type IGatewayClass,
} from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass";
import { routeBackends } from "../apps/route-backends.ts";
import type { BuildContext, Gate, LabView } from "../component.ts";
import { addAppGateway, addModel, appGatewayProgrammedGate } from "./app-routes.ts";
import { ensureGatewayApiCrds, gatewayApiCrdsGate } from "./gateway-api-crds.ts";

/**
 * What every Gateway API implementation declares alike, around its own GatewayClass: the
 * standard CRDs, the class its controller must accept, and the lab's Gateway and HTTPRoutes.
 * A gateway component says only what is its own (its controller, its class, its objects).
 */
export interface GatewayClassOf {
  name: string;
  controllerName: string;
  description: string;
  parametersRef?: NonNullable<IGatewayClass["spec"]>["parametersRef"];
  /** How long its controller may take to accept the class. */
  acceptedWithinSeconds: number;
  /** What the acceptance gate waits for, in words. */
  accepted: string;
}

export function gatewayClass(c: GatewayClassOf): GatewayClass {
  return new GatewayClass({
    metadata: { name: c.name, labels: { "app.kubernetes.io/part-of": "labs" } },
    spec: {
      controllerName: c.controllerName,
      description: c.description,
      ...(c.parametersRef ? { parametersRef: c.parametersRef } : {}),
    },
  });
}

/**
 * In order: the CRDs are served, the implementation's own gates (its controller running), its
 * GatewayClass Accepted, and the lab's Gateway Programmed.
 */
export function gatewayGates(lab: LabView, c: GatewayClassOf, own: Gate[] = []): Gate[] {
  return [
    gatewayApiCrdsGate(),
    ...own,
    {
      stage: "platform",
      kind: "condition",
      resource: `gatewayclass/${c.name}`,
      condition: "Accepted",
      timeoutSeconds: c.acceptedWithinSeconds,
      description: c.accepted,
    },
    appGatewayProgrammedGate(routeBackends(lab).namespace),
  ];
}

export interface GatewayBuild {
  /** The implementation's own objects, written after the CRDs and before its GatewayClass. */
  own?: (ctx: BuildContext) => void;
  /** False when the implementation's own manifests already hold the class. @default true */
  writeClass?: boolean;
  /** Construct id of the GatewayClass. */
  classId: string;
}

export function buildGateway(ctx: BuildContext, c: GatewayClassOf, b: GatewayBuild): void {
  ensureGatewayApiCrds(ctx);
  b.own?.(ctx);
  if (b.writeClass ?? true) addModel(ctx.stage("platform"), b.classId, gatewayClass(c));
  addAppGateway(ctx, c.name);
}
