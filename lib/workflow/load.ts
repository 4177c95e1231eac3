import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConditionDocumentError, compileConditions } from '../conditions';
import { eventPatternProblems } from '../event-pattern';
import { activationConfigIssues } from '../flows/validate';
import { compileJmesPath, JmesPathSyntaxError } from '../jmespath';
import { compileWorkflow, type CompiledWorkflow } from './compiled';
import { type ConfigIssue, WorkflowConfigError } from './errors';
import { validateWorkflowSchema } from './schema-validation';
import { isFlowSpec, isS3Source, type Workflow } from './types';

const WORKFLOW_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Loads every workflow file named by `paths` (a directory means the workflow files directly inside it),
 * compiling each one. Throws WorkflowConfigError listing every problem of every file at once.
 */
export function loadWorkflows(paths: string[]): CompiledWorkflow[] {
  const issues: ConfigIssue[] = [];
  const files = paths.flatMap((path) => expand(path, issues));
  const workflows: CompiledWorkflow[] = [];
  for (const file of files) {
    const result = loadWorkflowFile(file);
    issues.push(...result.issues);
    if (result.workflow) workflows.push(result.workflow);
  }
  const byName = new Map<string, string>();
  for (const workflow of workflows) {
    const { name, file } = workflow.definition;
    const other = byName.get(name);
    if (other) issues.push({ file, location: 'name', message: `workflow name "${name}" is already used by ${other}` });
    else byName.set(name, file);
  }
  if (issues.length > 0) throw new WorkflowConfigError(issues);
  return workflows;
}

function expand(path: string, issues: ConfigIssue[]): string[] {
  if (!existsSync(path)) {
    issues.push({ file: path, location: '(file)', message: 'no such file or directory' });
    return [];
  }
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((name) => WORKFLOW_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
  if (files.length === 0) issues.push({ file: path, location: '(directory)', message: 'contains no workflow files (*.yaml, *.yml, *.json)' });
  return files;
}

/** Loads one workflow file; `issues` is empty exactly when `workflow` is set. */
export function loadWorkflowFile(file: string): { workflow?: CompiledWorkflow; issues: ConfigIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { issues: [{ file, location: '(file)', message: `cannot be read: ${(error as Error).message}` }] };
  }
  return parseWorkflow(text, file);
}

export function parseWorkflow(text: string, file: string): { workflow?: CompiledWorkflow; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      issues: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { file, location: '(syntax)', line: position.line, column: position.col, message: error.message.split('\n')[0] };
      }),
    };
  }
  const locate = locator(file, document, lineCounter);
  const data: unknown = document.toJS();
  const issues = validateWorkflowSchema(data).map((problem) => locate(problem.path, problem.message));
  // Checks beyond the schema run on whatever is well-formed, so one run reports every problem.
  if (isObject(data)) issues.push(...checkSemantics(data, file, locate));
  if (issues.length > 0) return { issues };
  return { workflow: compileWorkflow(normalize(data as Record<string, unknown>, file)), issues: [] };
}

type Locate = (path: (string | number)[], message: string) => ConfigIssue;

function locator(file: string, document: Document, lineCounter: LineCounter): Locate {
  return (path, message) => {
    const issue: ConfigIssue = { file, location: formatPath(path), message };
    // The deepest node that exists: a missing property is reported where its parent is.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        const position = lineCounter.linePos(node.range[0]);
        issue.line = position.line;
        issue.column = position.col;
        break;
      }
    }
    return issue;
  };
}

export function formatPath(path: (string | number)[]): string {
  if (path.length === 0) return '(workflow)';
  return path.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`;
    const name = /^[A-Za-z_$][\w$-]*$/.test(segment) ? segment : JSON.stringify(segment);
    return out === '' ? name : `${out}.${name}`;
  }, '');
}

/** Parses `Conditions[0].Or[1]` back into path segments. */
function parseLocation(location: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of location.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segments.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  return segments;
}

function normalize(data: Record<string, unknown>, file: string): Workflow {
  const workflow = structuredClone(data) as unknown as Workflow & { $schema?: string };
  delete workflow.$schema;
  workflow.file = file;
  if (isS3Source(workflow.source)) {
    const suffix = workflow.source.s3.suffix as unknown;
    workflow.source.s3.suffix = suffix === undefined ? [] : Array.isArray(suffix) ? suffix : [suffix as string];
  }
  workflow.invalid ??= { ...workflow.failures };
  workflow.onConditionError ??= 'invalid';
  workflow.duplicateKeys ??= 'invalid';
  if (isFlowSpec(workflow.flowDefinition)) {
    workflow.flowDefinition.templateFile = resolve(dirname(file), workflow.flowDefinition.template);
  }
  return workflow;
}

function checkSemantics(data: Record<string, unknown>, file: string, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const checkPath = (path: (string | number)[], expression: unknown): void => {
    if (typeof expression !== 'string' || expression === '') return;
    try {
      compileJmesPath(expression);
    } catch (error) {
      if (!(error instanceof JmesPathSyntaxError)) throw error;
      issues.push(locate(path, error.message));
    }
  };

  if (isObject(data.activation)) {
    try {
      compileConditions(data.activation);
    } catch (error) {
      if (!(error instanceof ConditionDocumentError)) throw error;
      for (const issue of error.issues) {
        const path = issue.location === '(document)' ? ['activation'] : ['activation', ...parseLocation(issue.location)];
        issues.push(locate(path, issue.message));
      }
    }
  }

  checkPath(['records'], data.records);
  checkPath(['recordId'], data.recordId);
  const input = isObject(data.input) ? data.input : {};
  checkPath(['input', 'projection'], input.projection);
  const consolidation = isObject(data.consolidation) ? data.consolidation : {};
  if (Array.isArray(consolidation.fields)) consolidation.fields.forEach((field, index) => checkPath(['consolidation', 'fields', index], field));

  const source = isObject(data.source) ? data.source : {};
  const s3 = isObject(source.s3) ? source.s3 : undefined;
  const eventBridge = isObject(source.eventBridge) ? source.eventBridge : undefined;
  if (typeof s3?.prefix === 'string' && s3.prefix.startsWith('/')) issues.push(locate(['source', 's3', 'prefix'], 'S3 keys do not start with "/"'));
  if (eventBridge) {
    checkPath(['source', 'eventBridge', 'record'], eventBridge.record);
    if (isObject(eventBridge.pattern)) {
      for (const problem of eventPatternProblems(eventBridge.pattern)) {
        issues.push(locate(['source', 'eventBridge', 'pattern', ...parseLocation(problem.path)], `event pattern: ${problem.message}`));
      }
    }
    if (data.format !== undefined) issues.push(locate(['format'], 'applies to S3 sources only (an event is one JSON document)'));
  }
  if (data.format === 'jsonl' && data.records !== undefined) {
    issues.push(locate(['records'], 'applies to JSON documents only: in JSON Lines every line is a record'));
  }

  const queues = isObject(data.queues) ? data.queues : {};
  const declared = Object.keys(queues);
  const checkQueue = (path: (string | number)[], queue: unknown): void => {
    if (typeof queue === 'string' && !Object.hasOwn(queues, queue)) {
      issues.push(locate(path, `unknown queue "${queue}" (declared in queues: ${declared.join(', ') || 'none'})`));
    }
  };
  const routes = Array.isArray(data.routes) ? data.routes : [];
  routes.forEach((route: unknown, index) => {
    if (!isObject(route)) return;
    checkQueue(['routes', index, 'queue'], route.queue);
    checkPath(['routes', index, 'when'], route.when);
    const last = index === routes.length - 1;
    if (last && route.when !== undefined) {
      issues.push(locate(['routes', index], 'the last route must have no "when", so that every reviewed record has a destination'));
    }
    if (!last && route.when === undefined) {
      issues.push(locate(['routes', index], 'a route without "when" matches everything: the routes after it could never be reached'));
    }
  });
  for (const destination of ['autoAccepted', 'failures', 'invalid']) {
    const target = data[destination];
    if (isObject(target)) checkQueue([destination, 'queue'], target.queue);
  }

  const tracking = isObject(data.tracking) ? data.tracking : {};
  if (typeof tracking.initialPollSeconds === 'number' && typeof tracking.maxPollSeconds === 'number' && tracking.initialPollSeconds > tracking.maxPollSeconds) {
    issues.push(locate(['tracking', 'initialPollSeconds'], `must not exceed maxPollSeconds (${tracking.maxPollSeconds})`));
  }
  const flow = isObject(data.flowDefinition) ? data.flowDefinition : {};
  if (typeof flow.template === 'string' && flow.template !== '') {
    const templateFile = resolve(dirname(file), flow.template);
    if (!existsSync(templateFile) || !statSync(templateFile).isFile()) {
      issues.push(locate(['flowDefinition', 'template'], `worker template not found: ${templateFile}`));
    }
  }
  // A2I's built-in integrations: activation conditions only with a request source, ≤ 10,240 characters, valid.
  if (isObject(flow.humanLoopActivationConfig)) {
    const spec = { humanLoopRequestSource: flow.humanLoopRequestSource as string | undefined, humanLoopActivationConfig: flow.humanLoopActivationConfig };
    for (const issue of activationConfigIssues(spec)) issues.push(locate(parseLocation(issue.location), issue.message));
  }
  return issues;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
