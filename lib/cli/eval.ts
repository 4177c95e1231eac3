import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { compileConditions, ConditionDocumentError, conditionErrors, type Decision } from '../conditions';
import { samplingIdentity } from '../record-identity';
import { formatIssue, loadWorkflowFile } from '../workflow';
import { type Io, UsageError } from './io';

export const EVAL_USAGE = [
  'a2i-orchestrator eval --conditions FILE --input FILE.json|FILE.jsonl',
  'a2i-orchestrator eval --workflow FILE --input FILE.json|FILE.jsonl',
].join('\n');

/** Exit 2 when the input or the conditions are invalid (see CONDITIONS_INVALID). */
export const CONDITIONS_INVALID = 2;

interface Evaluator {
  /** `text`: the record's JSON, from which a number `recordId` is read as written (as ingest reads it). */
  decide(record: unknown, text: string): Decision;
}

/**
 * Prints one decision per record. Exit 0 when every record was evaluated (activated or not), 1 when a
 * line of a .jsonl input was not JSON (it prints {"error": …} there and goes on) or a condition could not be
 * evaluated on a record (its decision gets `errors`: ingest would not auto-accept it), 2 when the conditions or
 * the workflow are invalid (nothing on stdout; the reasons on stderr).
 */
export async function evalCommand(options: { conditions?: string; workflow?: string; input?: string }, io: Io): Promise<number> {
  const { conditions, workflow, input } = options;
  if ((conditions === undefined) === (workflow === undefined)) throw new UsageError('give exactly one of --conditions FILE or --workflow FILE');
  if (input === undefined) throw new UsageError('--input FILE is required');
  const kind = input.endsWith('.jsonl') ? 'jsonl' : input.endsWith('.json') ? 'json' : undefined;
  if (!kind) throw new UsageError(`--input must end in .json (one record) or .jsonl (one record per line): ${input}`);
  if (!existsSync(input)) throw new UsageError(`--input: no such file: ${input}`);

  const evaluator = conditions !== undefined ? conditionsEvaluator(conditions, io) : workflowEvaluator(workflow as string, io);
  if (!evaluator) return CONDITIONS_INVALID;

  if (kind === 'json') {
    const text = stripBom(readFileSync(input, 'utf8'));
    const record = parseJson(text);
    if (record.error !== undefined) {
      await io.out(`${JSON.stringify({ error: record.error })}\n`);
      return 1;
    }
    const printed = printDecision(evaluator.decide(record.value, text));
    await io.out(printed.line);
    return printed.evaluable ? 0 : 1;
  }

  let failed = false;
  let lineNumber = 0;
  let batch = '';
  const lines = createInterface({ input: createReadStream(input, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const rawLine of lines) {
    lineNumber++;
    const line = lineNumber === 1 ? stripBom(rawLine) : rawLine;
    const record = line.trim() === '' ? { error: 'empty line' } : parseJson(line);
    if (record.error !== undefined) {
      failed = true;
      batch += `${JSON.stringify({ error: `line ${lineNumber}: ${record.error}` })}\n`;
    } else {
      const printed = printDecision(evaluator.decide(record.value, line));
      if (!printed.evaluable) failed = true;
      batch += printed.line;
    }
    if (batch.length > 65536) {
      await io.out(batch);
      batch = '';
    }
  }
  if (batch) await io.out(batch);
  return failed ? 1 : 0;
}

/**
 * A decision as one line: A2I's shape, plus `errors` ([{location, message}]) when a condition could not be
 * evaluated on the record (its node also says so in `EvaluationError`).
 */
function printDecision(decision: Decision): { line: string; evaluable: boolean } {
  const errors = conditionErrors(decision.humanTaskActivationConditionResults.Conditions);
  if (errors.length === 0) return { line: `${JSON.stringify(decision)}\n`, evaluable: true };
  return { line: `${JSON.stringify({ ...decision, errors })}\n`, evaluable: false };
}

function conditionsEvaluator(file: string, io: Io): Evaluator | undefined {
  if (!existsSync(file)) throw new UsageError(`--conditions: no such file: ${file}`);
  let document: unknown;
  try {
    document = parseYaml(stripBom(readFileSync(file, 'utf8')));
  } catch (error) {
    io.err(`${file}: cannot parse as JSON or YAML: ${(error as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
  try {
    const compiled = compileConditions(document);
    return { decide: (record) => compiled.evaluate(record, () => samplingIdentity(record)) };
  } catch (error) {
    if (!(error instanceof ConditionDocumentError)) throw error;
    for (const issue of error.issues) io.err(`${file}: ${issue.location}: ${issue.message}\n`);
    return undefined;
  }
}

function workflowEvaluator(file: string, io: Io): Evaluator | undefined {
  if (!existsSync(file)) throw new UsageError(`--workflow: no such file: ${file}`);
  const { workflow, issues } = loadWorkflowFile(file);
  if (!workflow) {
    for (const issue of issues) io.err(`${formatIssue(issue)}\n`);
    return undefined;
  }
  const name = workflow.definition.name;
  return {
    decide: (record, text) => workflow.decide(record, () => samplingIdentity(record, name, workflow.recordIdOf(record, text))),
  };
}

function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `not valid JSON: ${(error as Error).message}` };
  }
}

const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
