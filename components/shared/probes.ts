import * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

/** Probe timings; the platform's services share these (Story 23.2). */
export interface ProbeTiming {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** Startup: up to 60 s (5 s + 12 × 5 s) before liveness takes over. */
export const STARTUP: ProbeTiming = {
  initialDelaySeconds: 5,
  periodSeconds: 5,
  timeoutSeconds: 1,
  failureThreshold: 12,
};
export const LIVENESS: ProbeTiming = {
  initialDelaySeconds: 10,
  periodSeconds: 15,
  timeoutSeconds: 5,
  failureThreshold: 3,
};
export const READINESS: ProbeTiming = {
  initialDelaySeconds: 5,
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 3,
};

export function httpGetProbe(path: string, port: string | number, timing: ProbeTiming): Probe {
  return { httpGet: { path, port }, ...timing };
}

export function tcpProbe(port: string | number, timing: ProbeTiming): Probe {
  return { tcpSocket: { port }, ...timing };
}

/** Runs `command` in the container; exit 0 is healthy. For containers that listen on no port. */
export function execProbe(command: readonly string[], timing: ProbeTiming): Probe {
  return { exec: { command: [...command] }, ...timing };
}
