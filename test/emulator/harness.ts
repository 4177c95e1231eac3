import { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { CreateFlowDefinitionCommand, type CreateFlowDefinitionCommandInput, CreateHumanTaskUiCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { A2iEmulator, type A2iStatusEvent, type EmulatorOptions } from '../../lib/emulator/a2i-emulator';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };
/** 2024-05-02T14:03:11.402Z: creation times with milliseconds show the wire formats exactly. */
export const START_TIME = Date.UTC(2024, 4, 2, 14, 3, 11, 402);

const FIXTURES = join(__dirname, '..', 'fixtures', 'emulator');
export const fixtureText = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
export const fixtureJson = <T>(name: string) => JSON.parse(fixtureText(name)) as T;

type HumanLoopConfigInput = NonNullable<CreateFlowDefinitionCommandInput['HumanLoopConfig']>;
export type FlowDefinitionOverrides = Omit<Partial<CreateFlowDefinitionCommandInput>, 'HumanLoopConfig'> & { HumanLoopConfig?: Partial<HumanLoopConfigInput> };

/**
 * The emulator behind a node:http server on a free loopback port (404 for what it does not handle), the
 * real SDK clients pointed at it, a movable clock, the output.json writes and the status events it emitted.
 * `restart()` replaces the emulator with a new one on the same state directory, as a process restart would.
 */
export class EmulatorHarness {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'a2i-emulator-'));
  readonly outputs = new Map<string, string>();
  readonly events: A2iStatusEvent[] = [];
  /** `METHOD url` of every request the server received. */
  readonly requests: string[] = [];
  private eventWaiters: Array<(event: A2iStatusEvent) => void> = [];
  time = START_TIME;
  emulator: A2iEmulator;
  endpoint = '';
  /** Set by start(), once the port is known. */
  a2i!: SageMakerA2IRuntimeClient;
  sagemaker!: SageMakerClient;
  private readonly server: Server;

  private constructor(private readonly extraOptions: Partial<EmulatorOptions>) {
    this.emulator = this.newEmulator();
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      this.emulator.handle(req, res).then(
        (handled) => {
          if (handled) return;
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('not the emulator');
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
    });
  }

  static async start(options: Partial<EmulatorOptions> = {}): Promise<EmulatorHarness> {
    const harness = new EmulatorHarness(options);
    await new Promise<void>((resolve) => harness.server.listen(0, '127.0.0.1', resolve));
    harness.endpoint = `http://127.0.0.1:${(harness.server.address() as AddressInfo).port}`;
    const clientConfig = { endpoint: harness.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
    harness.a2i = new SageMakerA2IRuntimeClient(clientConfig);
    harness.sagemaker = new SageMakerClient(clientConfig);
    return harness;
  }

  /** Resolves with the next status event: for what the emulator's own timer does, without sleeping. */
  nextEvent(): Promise<A2iStatusEvent> {
    return new Promise((resolve) => this.eventWaiters.push(resolve));
  }

  advance(milliseconds: number): void {
    this.time += milliseconds;
  }

  /** A clock on the emulator's time: a sleep moves it on at once, so a poller sees A2I's timed changes (a deletion finishing) without waiting. */
  clock(): { now(): number; sleep(milliseconds: number): Promise<void>; sleeps: number[] } {
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => this.time,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
        this.advance(milliseconds);
      },
    };
  }

  restart(): void {
    this.emulator.close();
    this.emulator = this.newEmulator();
  }

  async stop(): Promise<void> {
    this.emulator.close();
    this.a2i.destroy();
    this.sagemaker.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** A worker task template and a flow definition (TaskCount 2, 1 h availability, from the fixture). */
  async createFlowDefinition(overrides: FlowDefinitionOverrides = {}): Promise<string> {
    const base = fixtureJson<CreateFlowDefinitionCommandInput>('create-flow-definition.json');
    const uiName = `${overrides.FlowDefinitionName ?? base.FlowDefinitionName}-ui`;
    const { HumanTaskUiArn } = await this.sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: uiName, UiTemplate: { Content: fixtureText('invoice-review-template.liquid') } }));
    const input = {
      ...base,
      ...overrides,
      HumanLoopConfig: { ...base.HumanLoopConfig, HumanTaskUiArn, ...overrides.HumanLoopConfig },
    } as CreateFlowDefinitionCommandInput;
    const { FlowDefinitionArn } = await this.sagemaker.send(new CreateFlowDefinitionCommand(input));
    return FlowDefinitionArn as string;
  }

  private newEmulator(): A2iEmulator {
    return new A2iEmulator({
      stateDir: this.stateDir,
      outputs: {
        put: async (uri, body) => {
          this.outputs.set(uri, body);
        },
      },
      onStatusChange: (event) => {
        this.events.push(event);
        const waiters = this.eventWaiters;
        this.eventWaiters = [];
        for (const resolve of waiters) resolve(event);
      },
      now: () => this.time,
      ...this.extraOptions,
    });
  }
}

/** The rejection of `promise`, for assertions on the SDK's exception. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
