import type { Context } from 'aws-lambda';
import { EventPatternError } from '../../../lib/event-pattern';
import { type BridgeEvent, type BusRule, type BusTarget, type DeadLetter, type DeliveryFailure, LocalEventBus, LocalEventBusError, type TargetHandler } from '../../../lib/local/event-bus';
import { TargetInputError } from '../../../lib/local/event-targets';
import { within } from './support';

/** A rule with one Lambda target named after the rule. */
function rule(name: string, pattern: BusRule['pattern'], invoke: TargetHandler, target: Partial<BusTarget> = {}): BusRule {
  return { name, pattern, targets: [{ id: `${name}-target`, arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`, invoke, ...target }] };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const noWait = { sleep: async () => undefined };

describe('LocalEventBus', () => {
  it('routes each event to every rule whose pattern matches, in EventBridge\'s event shape', async () => {
    // Prepare
    const bus = new LocalEventBus({ region: 'eu-west-1', account: '123456789012' });
    const received: Record<string, unknown[]> = { orders: [], bigOrders: [], status: [] };
    const contexts: Context[] = [];
    bus.addRule(rule('orders', { source: ['shop'], 'detail-type': ['Order placed'] }, async (input, context) => {
      received.orders.push(input);
      contexts.push(context);
    }));
    bus.addRule(rule('bigOrders', { source: ['shop'], detail: { total: [{ numeric: ['>', 100] }] } }, async (input) => void received.bigOrders.push(input)));
    bus.addRule(rule('status', { source: ['aws.sagemaker'] }, async (input) => void received.status.push(input)));

    // Act
    const result = bus.put([
      { source: 'shop', 'detail-type': 'Order placed', detail: { total: 250 }, resources: ['arn:aws:shop:::order/1'] },
      { source: 'shop', 'detail-type': 'Order placed', detail: { total: 5 }, id: 'given-id', time: '2026-01-02T03:04:05Z' },
    ]);
    const deliveredDuringPut = received.orders.length;
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(deliveredDuringPut).toBe(0);
    expect(result.failedEntryCount).toBe(0);
    const [first, second] = result.entries as { eventId: string }[];
    expect(first.eventId).toMatch(UUID);
    expect(second.eventId).toBe('given-id');
    expect(received.orders).toHaveLength(2);
    expect(received.bigOrders).toHaveLength(1);
    expect(received.status).toHaveLength(0);
    const big = received.bigOrders[0] as BridgeEvent;
    expect(Object.keys(big)).toEqual(['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
    expect(big).toEqual({
      version: '0',
      id: first.eventId,
      'detail-type': 'Order placed',
      source: 'shop',
      account: '123456789012',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'eu-west-1',
      resources: ['arn:aws:shop:::order/1'],
      detail: { total: 250 },
    });
    expect(received.orders).toContainEqual(expect.objectContaining({ id: 'given-id', time: '2026-01-02T03:04:05Z', resources: [] }));
    expect(contexts[0]).toMatchObject({ functionName: 'orders', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders' });
    expect(contexts[0].awsRequestId).toMatch(UUID);
  });

  it('hands each target what its InputTransformer makes of the event, with the rule\'s name and ARN', async () => {
    // Prepare
    const bus = new LocalEventBus({ region: 'eu-west-1', account: '123456789012' });
    const inputs: unknown[] = [];
    bus.addRule({
      name: 'wf-claims',
      pattern: { source: ['claims'] },
      targets: [
        { id: 'whole', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:a', invoke: async (input) => void inputs.push(input), input: { InputTransformer: { InputTemplate: '{"workflow": "claims", "event": <aws.events.event.json>, "rule": <aws.events.rule-arn>}' } } },
        { id: 'part', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:b', invoke: async (input) => void inputs.push(input), input: { InputPath: '$.detail.claim' } },
      ],
    });

    // Act
    bus.put([{ source: 'claims', 'detail-type': 'Claim', detail: { claim: 7 }, id: 'e1' }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(inputs).toContainEqual({ workflow: 'claims', event: expect.objectContaining({ id: 'e1', source: 'claims', detail: { claim: 7 } }), rule: 'arn:aws:events:eu-west-1:123456789012:rule/wf-claims' });
    expect(inputs).toContainEqual(7);
    expect(inputs).toHaveLength(2);
  });

  it('does not invoke a target Lambda would refuse: the event goes to its DLQ, unretried', async () => {
    // Prepare
    const letters: DeadLetter[] = [];
    let calls = 0;
    const bus = new LocalEventBus({ clock: noWait, onDeadLetter: (letter) => letters.push(letter) });
    const count: TargetHandler = async () => void calls++;
    const dlq = 'arn:aws:sqs:us-east-1:000000000000:events-dlq';
    bus.addRule(rule('not-json', { source: ['s'] }, count, { input: { InputTransformer: { InputPathsMap: { text: '$.detail.text' }, InputTemplate: '{"text": "<text>"}' } }, deadLetterArn: dlq }));
    bus.addRule(rule('no-function', { source: ['s'] }, count, { invoke: undefined }));
    bus.addRule(rule('no-permission', { source: ['s'] }, count, { permitted: false, deadLetterArn: dlq }));

    // Act: a quote in a value is not escaped inside a string, so the payload is not JSON.
    bus.put([{ source: 's', 'detail-type': 't', detail: { text: 'say "hi"' }, id: 'e3' }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(calls).toBe(0);
    const byRule = Object.fromEntries(letters.map((letter) => [letter.rule, letter]));
    expect(Object.keys(byRule).sort()).toEqual(['no-function', 'no-permission', 'not-json']);
    expect(byRule['not-json']).toMatchObject({ errorCode: 'InvalidRequestContentException', deadLetterArn: dlq, target: 'not-json-target', ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/not-json', event: expect.objectContaining({ id: 'e3' }) });
    expect(byRule['no-function']).toMatchObject({ errorCode: 'ResourceNotFoundException' });
    expect(byRule['no-function']).not.toHaveProperty('deadLetterArn');
    expect(byRule['no-permission']).toMatchObject({ errorCode: 'AccessDeniedException', deadLetterArn: dlq });
  });

  it('refuses a rule whose target input EventBridge would refuse', () => {
    const bus = new LocalEventBus();
    expect(() => bus.addRule(rule('bad', { source: ['s'] }, async () => undefined, { input: { InputTransformer: { InputTemplate: '{"a": <undefined-variable>}' } } }))).toThrow(TargetInputError);
  });

  it('retries a failing target with backoff, then reports it to onFailure', async () => {
    // Prepare
    const delays: number[] = [];
    const failures: [BridgeEvent, unknown, DeliveryFailure][] = [];
    const bus = new LocalEventBus({
      maxAttempts: 3,
      baseDelayMs: 100,
      clock: { sleep: async (ms) => void delays.push(ms) },
      onFailure: (event, error, failure) => failures.push([event, error, failure]),
    });
    let flakyCalls = 0;
    let brokenCalls = 0;
    bus.addRule(rule('flaky', { source: ['s'] }, async () => {
      if (++flakyCalls < 2) throw new Error('transient');
    }));
    bus.addRule(rule('broken', { source: ['s'] }, async () => {
      brokenCalls++;
      throw new Error('permanent');
    }));

    // Act
    bus.put([{ source: 's', 'detail-type': 't', detail: {}, id: 'e2' }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(flakyCalls).toBe(2);
    expect(brokenCalls).toBe(3);
    expect(delays.sort((a, b) => a - b)).toEqual([100, 100, 200]);
    expect(failures).toHaveLength(1);
    const [event, error, failure] = failures[0];
    expect(event.id).toBe('e2');
    expect((error as Error).message).toBe('permanent');
    expect(failure).toEqual({ rule: 'broken', target: 'broken-target', attempts: 3 });
  });

  it('reports malformed entries without delivering them, and refuses invalid patterns', async () => {
    // Prepare
    const bus = new LocalEventBus({ clock: noWait });
    let calls = 0;
    bus.addRule(rule('all', { source: [{ prefix: '' }] }, async () => void calls++));

    // Act
    const result = bus.put([{ source: 'ok', 'detail-type': 't', detail: {} }, { source: '', 'detail-type': 't', detail: {} }, { source: 'x', 'detail-type': 't', detail: 'text' as unknown as object }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(result.failedEntryCount).toBe(2);
    expect(result.entries[1]).toEqual({ errorCode: 'InvalidArgument', errorMessage: 'source must be a non-empty string' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(bus.put([{ source: 'x', 'detail-type': 't', detail: circular }]).entries[0]).toMatchObject({ errorCode: 'MalformedDetail' });
    expect(bus.put([{ source: 'x', 'detail-type': 't', detail: { text: 'x'.repeat(256 * 1024) } }]).entries[0]).toMatchObject({ errorCode: 'InvalidArgument' });
    expect(calls).toBe(1);
    expect(() => bus.addRule(rule('bad', { source: [{ nope: 1 }] }, async () => undefined))).toThrow(EventPatternError);
    expect(() => new LocalEventBus({ maxAttempts: 0 })).toThrow(LocalEventBusError);
  });

  it('gives each target its own copy of the event', async () => {
    // Prepare
    const bus = new LocalEventBus();
    const seen: unknown[] = [];
    bus.addRule(rule('mutator', { source: ['s'] }, async (input) => {
      (input as BridgeEvent<{ n: number }>).detail.n = 99;
    }));
    bus.addRule(rule('reader', { source: ['s'] }, async (input) => void seen.push((input as BridgeEvent).detail)));
    const detail = { n: 1 };

    // Act
    bus.put([{ source: 's', 'detail-type': 't', detail }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(seen).toEqual([{ n: 1 }]);
    expect(detail).toEqual({ n: 1 });
  });

  it('idle() resolves at once when nothing is in flight', async () => {
    await within(new LocalEventBus().idle(), 1000, 'idle');
  });
});
