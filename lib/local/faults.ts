import type { IncomingMessage, ServerResponse } from 'node:http';

/** The services local mode can make fail, as the handlers' SDK clients see them. */
export const FAULT_SERVICES = ['a2i', 's3', 'sqs', 'sfn'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];
export type FaultKind = 'throttle' | 'error';

/** The share of calls to each service that is throttled or fails with a 5xx. */
export type FaultSpec = Record<FaultService, Record<FaultKind, number>>;

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** `a2i.throttle=0.3,a2i.error=0.05,s3.error=0.05` → a spec; every other share is 0. */
export function parseFaultSpec(text: string): FaultSpec {
  const spec = Object.fromEntries(FAULT_SERVICES.map((service) => [service, { throttle: 0, error: 0 }])) as FaultSpec;
  for (const part of text.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const match = /^([a-z0-9]+)\.([a-z]+)=(.+)$/.exec(part);
    if (!match) throw new FaultSpecError(`"${part}" is not <service>.<kind>=<share> (e.g. a2i.throttle=0.3)`);
    const [, service, kind, value] = match;
    if (!(FAULT_SERVICES as readonly string[]).includes(service)) throw new FaultSpecError(`unknown service "${service}" in "${part}": one of ${FAULT_SERVICES.join(', ')}`);
    if (kind !== 'throttle' && kind !== 'error') throw new FaultSpecError(`unknown fault "${kind}" in "${part}": throttle or error`);
    const share = Number(value);
    if (!Number.isFinite(share) || share < 0 || share > 1) throw new FaultSpecError(`the share in "${part}" must be a number from 0 to 1`);
    spec[service as FaultService][kind] = share;
  }
  for (const service of FAULT_SERVICES) {
    if (spec[service].throttle + spec[service].error > 1) throw new FaultSpecError(`${service}: throttle and error shares add up to more than 1`);
  }
  return spec;
}

/** A share of 0–1, for --duplicate-events. */
export function parseShare(name: string, text: string): number {
  const share = Number(text);
  if (text.trim() === '' || !Number.isFinite(share) || share < 0 || share > 1) throw new FaultSpecError(`${name} must be a number from 0 to 1, got ${JSON.stringify(text)}`);
  return share;
}

/**
 * Decides, call by call, which fail, and answers them as the real service would: throttling and 5xx errors in
 * each protocol's shape, so the SDK's retry logic and ours see exactly what AWS would send. Counts what it did.
 */
export class FaultInjector {
  readonly injected: Record<string, number> = {};

  constructor(
    private readonly spec: FaultSpec,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether this call fails, and how. */
  decide(service: FaultService): FaultKind | undefined {
    const { throttle, error } = this.spec[service];
    if (throttle === 0 && error === 0) return undefined;
    const draw = this.random();
    const kind: FaultKind | undefined = draw < throttle ? 'throttle' : draw < throttle + error ? 'error' : undefined;
    if (kind) this.injected[`${service}.${kind}`] = (this.injected[`${service}.${kind}`] ?? 0) + 1;
    return kind;
  }

  /** Fails the request if the draw says so (draining its body first); true when it answered. */
  failIfDrawn(service: FaultService, req: IncomingMessage, res: ServerResponse): boolean {
    const kind = this.decide(service);
    if (!kind) return false;
    req.resume();
    const { status, headers, body } = faultResponse(service, kind);
    res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': `fault-${Date.now()}` });
    res.end(body);
    return true;
  }
}

interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What each service answers when it throttles or fails (error codes from the services' models). */
export function faultResponse(service: FaultService, kind: FaultKind): FaultResponse {
  switch (service) {
    case 'a2i': {
      // restJson1: the error type in a header, the shape's HTTP status (ThrottlingException 429, InternalServerException 500).
      const [type, status] = kind === 'throttle' ? ['ThrottlingException', 429] : ['InternalServerException', 500];
      return { status, headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type }, body: JSON.stringify({ Message: `injected fault: ${type}` }) };
    }
    case 'sfn': {
      const [type, status] = kind === 'throttle' ? ['ThrottlingException', 400] : ['InternalFailure', 500];
      return { status, headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ __type: type, message: `injected fault: ${type}` }) };
    }
    case 'sqs': {
      const [type, status] = kind === 'throttle' ? ['com.amazonaws.sqs#RequestThrottled', 400] : ['com.amazonaws.sqs#InternalError', 500];
      return { status, headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${type.split('#')[1]};Sender` }, body: JSON.stringify({ __type: type, message: `injected fault` }) };
    }
    case 's3': {
      const [code, status] = kind === 'throttle' ? ['SlowDown', 503] : ['InternalError', 500];
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected fault: ${code}</Message><RequestId>fault</RequestId></Error>`;
      return { status, headers: { 'Content-Type': 'application/xml' }, body };
    }
  }
}
