import '../promise-with-resolvers';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DefinitionError } from '../state-machine-definition';
import { readJsonLines } from './durable-logs';

/** A Task state's local implementation: called with the task's effective input (Parameters applied). */
export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalStateMachine {
  arn: string;
  definition: object;
  /** Task handlers by state name; every Task state (nested ones included) needs one. */
  tasks: Record<string, TaskHandler>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  error?: string;
  cause?: string;
  /** States entered, as Step Functions bills them. */
  transitions: number;
}

export interface LocalStepFunctionsOptions {
  region?: string;
  accountId?: string;
  /** Called once per execution when it stops; an exception it throws is ignored. */
  onExecutionEnd?(summary: ExecutionSummary): void;
  /**
   * Where each execution's start and end are journaled (JSON Lines, appended before the API answers): with it,
   * executions survive a restart. Those that had not ended are run again from their start by `resume()`, under
   * the same name and input (the review loop's tasks are idempotent through the ledger); their old task tokens
   * are answered TaskTimedOut, as for a wait that ended.
   */
  journalPath?: string;
}

type JournalLine =
  | { op: 'start'; arn: string; machine: string; name: string; input: string; startDate: number }
  | { op: 'end'; arn: string; status: ExecutionStatus; stopDate: number; output?: string; error?: string; cause?: string; transitions: number };

/** Rewrite the journal at start when it holds this many times more lines than executions. */
const COMPACT_RATIO = 3;

/** A Step Functions API error: `name` is the `__type` the SDK maps to its exception class. */
export class StepFunctionsError extends Error {
  override readonly name: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

/** The `Resource` of a task that waits for SendTaskSuccess/SendTaskFailure after its handler returns. */
const WAIT_FOR_TASK_TOKEN = /^arn:[^:]+:states:::.+\.waitForTaskToken$/;
/** The engine's default when a Task has neither TimeoutSeconds nor TimeoutSecondsPath (aws-local-stepfunctions v3). */
const ENGINE_DEFAULT_TIMEOUT_SECONDS = 60;
const STATE_MACHINE_ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:.{1,80}$/;
/** Names may not contain white space, brackets, wildcards or these special characters (StartExecution docs)... */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
/** ...nor control characters (U+0000–U+001F, U+007F–U+009F). */
const hasControlCharacter = (name: string): boolean => [...name].some((char) => char.charCodeAt(0) <= 0x1f || (char.charCodeAt(0) >= 0x7f && char.charCodeAt(0) <= 0x9f));
const TOKEN = /^lsf1\.([A-Za-z0-9_-]+)\.\d+\.[0-9a-f]{24}$/;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

interface TaskState {
  Type: 'Task';
  Resource: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
}

interface Machine {
  arn: string;
  name: string;
  engine: StateMachine;
  tasks: Record<string, TaskHandler>;
  taskStates: Map<string, TaskState>;
}

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  /** The input as normalised JSON text: what StartExecution's idempotency compares. */
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  transitions: number;
  /** `$$.Task.Token`: the token the next waitForTaskToken task (or retry) takes; rotated as each one starts. */
  task: { Token: string };
  issued: number;
  abort(): void;
  done: Promise<void>;
}

interface Waiter {
  execution: Execution;
  resolve(output: unknown): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

type Body = Record<string, unknown>;

/**
 * The Step Functions API on loopback (AWS JSON 1.0: `POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`), executing
 * state machines with aws-local-stepfunctions, each Task bound to a local handler by state name, so handlers use the
 * unchanged `SFNClient` with an endpoint override.
 *
 * Task tokens: each execution's context object carries a mutable `Task` whose `Token` is the execution's current token.
 * The engine resolves `$$.Task.Token` while applying Parameters, synchronously before it calls the task's override;
 * the override of a waitForTaskToken state takes that token, registers it as waiting and rotates `Token` to a fresh one
 * (execution + counter + random), so every wait (and every retry of one) has its own token. A token is released when
 * SendTaskSuccess/SendTaskFailure uses it, when the task's own timeout elapses (a timer with the same duration the engine
 * uses, set just before the engine's, so no callback can slip between the invalidation and the engine's States.Timeout)
 * and when its execution stops. A well-formed token that is no longer waiting is TaskTimedOut, anything else InvalidToken.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executionsByArn = new Map<string, Execution>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly running = new Set<Execution>();
  private readonly region: string;
  private readonly accountId: string;
  private fd?: number;
  /** Executions journaled as started and never ended, by a process that is gone. */
  private unfinished: { machine: Machine; name: string; input: string; startDate: Date; arn: string }[] = [];

  constructor(
    machines: LocalStateMachine[],
    private readonly options: LocalStepFunctionsOptions = {},
  ) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    for (const machine of machines) {
      const match = STATE_MACHINE_ARN.exec(machine.arn);
      if (!match) throw new DefinitionError(`not a state machine ARN: ${machine.arn}`);
      const taskStates = new Map<string, TaskState>();
      collectTaskStates(machine.definition as StateMachineDefinition, taskStates);
      const unbound = [...taskStates.keys()].filter((name) => !machine.tasks[name]);
      const unknown = Object.keys(machine.tasks).filter((name) => !taskStates.has(name));
      if (unbound.length > 0) throw new DefinitionError(`${machine.arn}: no handler for Task state(s) ${unbound.join(', ')}`);
      if (unknown.length > 0) throw new DefinitionError(`${machine.arn}: handler(s) for unknown Task state(s) ${unknown.join(', ')}`);
      const engine = new StateMachine(machine.definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
      this.machines.set(machine.arn, { arn: machine.arn, name: match[1], engine, tasks: machine.tasks, taskStates });
    }
    if (options.journalPath) this.load(options.journalPath);
  }

  /** Runs again, from their start, the executions an earlier process had journaled as started and not ended. */
  resume(): number {
    const unfinished = this.unfinished;
    this.unfinished = [];
    for (const { machine, name, input, startDate, arn } of unfinished) this.launch(machine, arn, name, input, startDate);
    return unfinished.length;
  }

  /** True when an execution of this name exists (running or ended, in this process or journaled by an earlier one). */
  hasExecution(stateMachineArn: string, name: string): boolean {
    const machine = this.machines.get(stateMachineArn);
    return machine !== undefined && this.executionsByArn.has(this.executionArn(machine, name));
  }

  /** Serves a Step Functions API call; false, with `res` untouched, when the request is not one. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith('AWSStepFunctions.')) return false;
    const requestId = randomUUID();
    let status = 200;
    let payload: unknown;
    try {
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text.length === 0 ? {} : JSON.parse(text);
      } catch {
        throw new StepFunctionsError('SerializationException', 'The request body is not valid JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new StepFunctionsError('SerializationException', 'The request body must be a JSON object');
      payload = await this.dispatch(target.slice('AWSStepFunctions.'.length), body as Body);
    } catch (error) {
      if (error instanceof StepFunctionsError) {
        status = 400;
        payload = { __type: error.name, message: error.message };
      } else {
        status = 500;
        payload = { __type: 'InternalFailure', message: 'Internal error' };
      }
    }
    const out = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': requestId });
    res.end(out);
    return true;
  }

  /** What StartExecution does, callable in-process. */
  async start(arn: string, name: string | undefined, input: unknown): Promise<{ executionArn: string; startDate: Date }> {
    const text = JSON.stringify(input === undefined ? {} : input);
    return this.startExecution(arn, name, text);
  }

  executions(): ExecutionSummary[] {
    return [...this.executionsByArn.values()].map((execution) => summarise(execution));
  }

  /** Resolves when no execution is running, including executions started while waiting. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running].map((execution) => execution.done));
  }

  /** Aborts running executions and releases their tokens. With a journal they are not journaled as ended: the next start resumes them. */
  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) closeSync(fd);
    for (const execution of [...this.running]) this.stop(execution, 'ABORTED');
  }

  private async dispatch(operation: string, body: Body): Promise<unknown> {
    switch (operation) {
      case 'StartExecution': {
        const input = optionalString(body, 'input') ?? '{}';
        let parsed: unknown;
        try {
          parsed = JSON.parse(input);
        } catch {
          throw new StepFunctionsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
        }
        const started = await this.startExecution(requiredString(body, 'stateMachineArn'), optionalString(body, 'name'), JSON.stringify(parsed));
        return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
      }
      case 'DescribeExecution':
        return this.describe(this.execution(requiredString(body, 'executionArn')));
      case 'StopExecution': {
        const execution = this.execution(requiredString(body, 'executionArn'));
        if (execution.status === 'RUNNING') this.stop(execution, 'ABORTED', optionalString(body, 'error'), optionalString(body, 'cause'));
        return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
      }
      case 'ListExecutions':
        return this.list(body);
      case 'SendTaskSuccess': {
        const token = requiredString(body, 'taskToken');
        const text = requiredString(body, 'output');
        let output: unknown;
        try {
          output = JSON.parse(text);
        } catch {
          throw new StepFunctionsError('InvalidOutput', 'Invalid Task Output: not valid JSON');
        }
        const waiter = this.take(token);
        waiter.resolve(output);
        return {};
      }
      case 'SendTaskFailure': {
        const token = requiredString(body, 'taskToken');
        const waiter = this.take(token);
        const failure = new Error(optionalString(body, 'cause') ?? '');
        failure.name = optionalString(body, 'error') ?? '';
        waiter.reject(failure);
        return {};
      }
      case 'SendTaskHeartbeat':
        this.waiter(requiredString(body, 'taskToken'));
        return {};
      default:
        throw new StepFunctionsError('UnknownOperationException', `Operation ${operation} is not supported locally`);
    }
  }

  private async startExecution(arn: string, name: string | undefined, input: string): Promise<{ executionArn: string; startDate: Date }> {
    if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    const executionName = name ?? randomUUID();
    if (executionName.length < 1 || executionName.length > 80 || INVALID_NAME.test(executionName) || hasControlCharacter(executionName)) throw new StepFunctionsError('InvalidName', `Invalid Name: '${executionName}'`);
    const executionArn = this.executionArn(machine, executionName);
    const existing = this.executionsByArn.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input as a running execution returns that execution; otherwise the name is taken.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: existing.startDate };
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = new Date();
    // Journaled before StartExecution answers: an execution the caller was told about survives a kill.
    this.write({ op: 'start', arn: executionArn, machine: machine.arn, name: executionName, input, startDate: startDate.getTime() });
    this.launch(machine, executionArn, executionName, input, startDate);
    return { executionArn, startDate };
  }

  private executionArn(machine: Machine, name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
  }

  private launch(machine: Machine, executionArn: string, executionName: string, input: string, startDate: Date): void {
    const execution: Execution = {
      arn: executionArn,
      name: executionName,
      machine,
      input,
      status: 'RUNNING',
      startDate,
      transitions: 0,
      task: { Token: '' },
      issued: 0,
      abort: () => undefined,
      done: Promise.resolve(),
    };
    execution.task.Token = this.issueToken(execution);
    this.executionsByArn.set(executionArn, execution);
    this.running.add(execution);
    execution.done = this.run(execution);
  }

  private write(line: JournalLine): void {
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  private load(path: string): void {
    const started = new Map<string, Extract<JournalLine, { op: 'start' }>>();
    const ended = new Map<string, Extract<JournalLine, { op: 'end' }>>();
    const lines = readJsonLines<JournalLine>(path, (line) => {
      if (line.op === 'start') {
        started.set(line.arn, line);
        ended.delete(line.arn);
      } else ended.set(line.arn, line);
    });
    for (const [arn, start] of started) {
      const machine = this.machines.get(start.machine);
      if (!machine) continue;
      const end = ended.get(arn);
      if (!end) {
        this.unfinished.push({ machine, name: start.name, input: start.input, startDate: new Date(start.startDate), arn });
        continue;
      }
      this.executionsByArn.set(arn, {
        arn,
        name: start.name,
        machine,
        input: start.input,
        status: end.status,
        startDate: new Date(start.startDate),
        stopDate: new Date(end.stopDate),
        ...(end.output !== undefined ? { output: end.output } : {}),
        ...(end.error !== undefined ? { error: end.error } : {}),
        ...(end.cause !== undefined ? { cause: end.cause } : {}),
        transitions: end.transitions,
        task: { Token: '' },
        issued: 0,
        abort: () => undefined,
        done: Promise.resolve(),
      });
    }
    if (lines > COMPACT_RATIO * started.size + 100) {
      const temporary = `${path}.compacting`;
      const fd = openSync(temporary, 'w');
      try {
        for (const [arn, start] of started) {
          writeSync(fd, `${JSON.stringify(start)}\n`);
          const end = ended.get(arn);
          if (end) writeSync(fd, `${JSON.stringify(end)}\n`);
        }
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
    }
    this.fd = openSync(path, 'a');
  }

  private async run(execution: Execution): Promise<void> {
    const { machine } = execution;
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [stateName, state] of machine.taskStates) {
      const handler = machine.tasks[stateName];
      const wait = WAIT_FOR_TASK_TOKEN.test(state.Resource);
      // The engine keeps retrying a state after an abort: a stopped execution calls no handler.
      handlers[stateName] = (input) => {
        if (execution.status !== 'RUNNING') return observed(Promise.reject(stopped(execution)));
        return observed(wait ? this.waitForToken(execution, state, handler, input) : call(handler, input));
      };
    }
    const run = machine.engine.run(JSON.parse(execution.input), {
      context: {
        Execution: { Id: execution.arn, Name: execution.name, StartTime: execution.startDate.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: execution.task,
      },
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    execution.abort = run.abort;
    const counting = (async () => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') execution.transitions++;
    })();
    try {
      const output = await run.result;
      this.finish(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
    } catch (failure) {
      const name = failure instanceof Error ? failure.name : '';
      if (name === 'ExecutionAbortedError') this.finish(execution, 'ABORTED', {});
      else if (name === 'ExecutionTimeoutError') this.finish(execution, 'TIMED_OUT', { error: 'States.Timeout' });
      else {
        const cause = failure instanceof Error && failure.cause instanceof Error ? failure.cause : failure;
        this.finish(execution, 'FAILED', cause instanceof Error ? { error: cause.name, cause: cause.message } : { error: 'States.Runtime', cause: String(cause) });
      }
    }
    await counting.catch(() => undefined);
    if (this.running.delete(execution)) {
      // An execution aborted by close() is not journaled as ended: it is resumed at the next start.
      this.write({ op: 'end', arn: execution.arn, status: execution.status, stopDate: (execution.stopDate ?? new Date()).getTime(), output: execution.output, error: execution.error, cause: execution.cause, transitions: execution.transitions });
      this.notify(execution);
    }
  }

  /** A waitForTaskToken task: takes the execution's current token, calls the handler, and waits for the token to come back. */
  private waitForToken(execution: Execution, state: TaskState, handler: TaskHandler, input: unknown): Promise<unknown> {
    const token = execution.task.Token;
    execution.task.Token = this.issueToken(execution);
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((onSuccess, onFailure) => {
      resolve = onSuccess;
      reject = onFailure;
    });
    const waiter: Waiter = { execution, resolve, reject };
    this.waiters.set(token, waiter);
    const timeoutSeconds = taskTimeoutSeconds(state, input);
    // Set before the engine's own timer of the same duration: the token is invalid by the time States.Timeout is raised.
    if (timeoutSeconds !== undefined) waiter.timer = setTimeout(() => this.release(token), timeoutSeconds * 1000);
    call(handler, input).catch((error: unknown) => {
      if (this.waiters.get(token) !== waiter) return;
      this.release(token);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
    return promise;
  }

  private issueToken(execution: Execution): string {
    execution.issued++;
    return `lsf1.${Buffer.from(execution.arn).toString('base64url')}.${execution.issued}.${randomBytes(12).toString('hex')}`;
  }

  private waiter(token: string): Waiter {
    const waiter = this.waiters.get(token);
    if (waiter) return waiter;
    const match = TOKEN.exec(token);
    if (match && this.executionsByArn.has(Buffer.from(match[1], 'base64url').toString())) {
      throw new StepFunctionsError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    throw new StepFunctionsError('InvalidToken', 'Invalid Token');
  }

  private take(token: string): Waiter {
    const waiter = this.waiter(token);
    this.release(token);
    return waiter;
  }

  private release(token: string): void {
    const waiter = this.waiters.get(token);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiters.delete(token);
  }

  private stop(execution: Execution, status: ExecutionStatus, error?: string, cause?: string): void {
    this.finish(execution, status, { error, cause });
    execution.abort();
  }

  private finish(execution: Execution, status: ExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = new Date();
    if (result.output !== undefined) execution.output = result.output;
    if (result.error !== undefined) execution.error = result.error;
    if (result.cause !== undefined) execution.cause = result.cause;
    // Settle what is still waiting, so the engine's own task timers are cleared instead of outliving the execution.
    for (const [token, waiter] of [...this.waiters]) {
      if (waiter.execution !== execution) continue;
      this.release(token);
      waiter.reject(stopped(execution));
    }
  }

  private notify(execution: Execution): void {
    try {
      this.options.onExecutionEnd?.(summarise(execution));
    } catch {
      // A listener's failure must not affect the execution or the API.
    }
  }

  private execution(arn: string): Execution {
    if (!EXECUTION_ARN.test(arn)) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
    const execution = this.executionsByArn.get(arn);
    if (!execution) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private describe(execution: Execution): Body {
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: epochSeconds(execution.startDate),
      ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output !== undefined ? { output: execution.output, outputDetails: { included: true } } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  private list(body: Body): Body {
    const arn = requiredString(body, 'stateMachineArn');
    if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (!this.machines.has(arn)) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    const filter = optionalString(body, 'statusFilter');
    const maxResults = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
    const offset = Number(optionalString(body, 'nextToken') ?? '0');
    if (!Number.isInteger(offset) || offset < 0) throw new StepFunctionsError('InvalidToken', 'Invalid nextToken');
    const matching = [...this.executionsByArn.values()]
      .filter((execution) => execution.machine.arn === arn && (!filter || execution.status === filter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const page = matching.slice(offset, offset + maxResults);
    return {
      executions: page.map((execution) => ({
        executionArn: execution.arn,
        stateMachineArn: arn,
        name: execution.name,
        status: execution.status,
        startDate: epochSeconds(execution.startDate),
        ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      })),
      ...(offset + maxResults < matching.length ? { nextToken: String(offset + maxResults) } : {}),
    };
  }
}

function summarise(execution: Execution): ExecutionSummary {
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.toISOString(),
    ...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
    ...(execution.error !== undefined ? { error: execution.error } : {}),
    ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    transitions: execution.transitions,
  };
}

/** Task states by name, in Parallel branches and Map iterators too (the engine's overrides are by state name). */
function collectTaskStates(definition: StateMachineDefinition, into: Map<string, TaskState>): void {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type === 'Task') into.set(name, state as TaskState);
    if (state.Type === 'Parallel') for (const branch of state.Branches) collectTaskStates(branch as StateMachineDefinition, into);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) collectTaskStates(processor as StateMachineDefinition, into);
    }
  }
}

/** The task's timeout as the engine computes it (TimeoutSecondsPath is read from the effective input); undefined if unresolvable. */
function taskTimeoutSeconds(state: TaskState, input: unknown): number | undefined {
  if (state.TimeoutSeconds) return state.TimeoutSeconds;
  if (!state.TimeoutSecondsPath) return ENGINE_DEFAULT_TIMEOUT_SECONDS;
  const value = simplePath(state.TimeoutSecondsPath, input);
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** `$.a.b`, `$['a'][0]`: the reference paths a TimeoutSecondsPath uses. */
function simplePath(path: string, input: unknown): unknown {
  if (!path.startsWith('$') || path.startsWith('$$')) return undefined;
  let value = input;
  for (const [, dotted, quoted, index] of path.slice(1).matchAll(/\.([^.[\]]+)|\['([^']*)'\]|\[(\d+)\]/g)) {
    if (typeof value !== 'object' || value === null) return undefined;
    const key = dotted ?? quoted ?? Number(index);
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** Settles what a stopped execution still runs: neither Retry nor Catch may match it (the engine honours these flags). */
function stopped(execution: Execution): Error {
  return Object.assign(new Error(`Execution ${execution.status}`), { name: 'States.Runtime', isRetryable: false, isCatchable: false });
}

/** Calls a handler, turning a synchronous throw into a rejection. */
function call(handler: TaskHandler, input: unknown): Promise<unknown> {
  try {
    return Promise.resolve(handler(input));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The engine may never observe a task's promise (it can throw before racing it, or stop listening): a late rejection must not crash the process. */
function observed(promise: Promise<unknown>): Promise<never> {
  promise.catch(() => undefined);
  return promise as Promise<never>;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function requiredString(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0) throw new StepFunctionsError('ValidationException', `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new StepFunctionsError('SerializationException', `'${key}' must be a string`);
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
