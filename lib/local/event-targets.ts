/**
 * What an EventBridge rule's target receives, made from the matched event as EventBridge makes it: the
 * target's `Input` (constant JSON text), `InputPath` (a JSONPath into the event), `InputTransformer`
 * (variables taken from the event by JSONPath, put into a template), or else the event itself.
 *
 * From the EventBridge API reference (Target, InputTransformer: limits, placeholders, "the placeholder
 * cannot be used as an object key") and user guide (input transformation: predefined variables, the worked
 * examples, "EventBridge doesn't escape values extracted by Input Path", quotes go around variables that
 * refer to strings, not around objects or arrays, the JSON passed on is minified), and where the guide is
 * silent, from behaviour recorded against AWS (LocalStack's validated snapshots): `<aws.events.event>` is
 * the event without `detail` and with `detail-type` as `detailType`; a variable whose path matches nothing
 * is the empty string; a placeholder that names no variable is refused when the target is created.
 */

import { deepJsonText } from './deep-json';

/** A target's input settings, as AWS::Events::Rule Target (and PutTargets) take them. */
export interface TargetInputSettings {
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

/** The rule a target belongs to: the values of `<aws.events.rule-name>` and `<aws.events.rule-arn>`. */
export interface RuleIdentity {
  ruleName: string;
  ruleArn: string;
}

/** The event as the rule matched it (EventBridge's envelope: version, id, detail-type, …, detail). */
export type MatchedEvent = Record<string, unknown>;

/** The text EventBridge sends the target, or why it sends nothing. */
export type RenderedInput = { text: string } | { nothing: string };

/** What PutTargets answers with a ValidationException: the rule cannot be created as written. */
export class TargetInputError extends Error {
  override readonly name = 'TargetInputError';
}

/** Lambda's answer to an Invoke whose payload is not JSON (HTTP 400, so EventBridge does not retry it). */
export class InvalidRequestContentException extends Error {
  override readonly name = 'InvalidRequestContentException';
  readonly statusCode = 400;
}

/** PutTargets' limits (API reference: InputTransformer, TransformerPaths, TargetInput, TargetInputPath). */
export const TARGET_INPUT_LIMITS = { variables: 100, variableNameLength: 256, pathLength: 256, templateLength: 8192, inputLength: 8192 } as const;

const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
const PREDEFINED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json'] as const;
type Predefined = (typeof PREDEFINED)[number];
const isPredefined = (name: string): name is Predefined => (PREDEFINED as readonly string[]).includes(name);

/**
 * Checks a target's input settings as PutTargets does (a problem throws TargetInputError) and returns
 * what the target gets for each matched event; `ingestionTime` is when EventBridge received the event.
 */
export function compileTargetInput(targetId: string, settings: TargetInputSettings, rule: RuleIdentity): (event: MatchedEvent, ingestionTime: string) => RenderedInput {
  const given = (['Input', 'InputPath', 'InputTransformer'] as const).filter((key) => settings[key] !== undefined);
  if (given.length > 1) throw new TargetInputError(`Only one of Input, InputPath, or InputTransformer must be provided for target ${targetId}.`);
  if (settings.Input !== undefined) return constantInput(targetId, settings.Input);
  if (settings.InputPath !== undefined) return pathInput(targetId, settings.InputPath);
  if (settings.InputTransformer !== undefined) return transformedInput(targetId, settings.InputTransformer, rule);
  return (event) => ({ text: deepJsonText(event) });
}

/** The Invoke payload as the Lambda runtime hands it to the handler: JSON, or Lambda refuses the invocation. */
export function lambdaPayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidRequestContentException(`Could not parse request body into json: ${(error as Error).message}`);
  }
}

function constantInput(targetId: string, input: string): () => RenderedInput {
  if (input.length > TARGET_INPUT_LIMITS.inputLength) throw new TargetInputError(`Input for target ${targetId} is longer than ${TARGET_INPUT_LIMITS.inputLength} characters.`);
  try {
    JSON.parse(input);
  } catch {
    throw new TargetInputError(`Input for target ${targetId} is not a valid JSON text.`);
  }
  return () => ({ text: input });
}

function pathInput(targetId: string, path: string): (event: MatchedEvent) => RenderedInput {
  if (path.length > TARGET_INPUT_LIMITS.pathLength) throw new TargetInputError(`InputPath for target ${targetId} is longer than ${TARGET_INPUT_LIMITS.pathLength} characters.`);
  // InputPath takes dot or bracket notation (API reference: Target.InputPath).
  const select = compileJsonPath(path, `InputPath for target ${targetId}`, { quotedNames: true });
  return (event) => {
    const selected = select(event);
    // What AWS sends then is not documented: local mode sends nothing and says so.
    return selected.found ? { text: JSON.stringify(selected.value) } : { nothing: `InputPath ${path} matches nothing in event ${String(event.id)}` };
  };
}

// InputTransformer --------------------------------------------------------------------------------

type Piece = { literal: string } | { variable: string; inString: boolean };

function transformedInput(targetId: string, transformer: NonNullable<TargetInputSettings['InputTransformer']>, rule: RuleIdentity): (event: MatchedEvent, ingestionTime: string) => RenderedInput {
  const where = `InputTemplate for target ${targetId}`;
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template.length === 0) throw new TargetInputError(`${where} is required and must not be empty.`);
  if (template.length > TARGET_INPUT_LIMITS.templateLength) throw new TargetInputError(`${where} is longer than ${TARGET_INPUT_LIMITS.templateLength} characters.`);
  const paths = Object.entries(transformer.InputPathsMap ?? {});
  if (paths.length > TARGET_INPUT_LIMITS.variables) throw new TargetInputError(`InputPathsMap for target ${targetId} has ${paths.length} variables: at most ${TARGET_INPUT_LIMITS.variables}.`);
  const variables = new Map<string, ReturnType<typeof compileJsonPath>>();
  for (const [name, path] of paths) {
    // The key pattern leaves no room for the predefined names (they hold dots) or an "AWS." prefix.
    if (!VARIABLE_NAME.test(name) || name.length > TARGET_INPUT_LIMITS.variableNameLength) throw new TargetInputError(`InputPathsMap for target ${targetId}: variable name ${JSON.stringify(name)} must match [A-Za-z0-9_-]+ (at most ${TARGET_INPUT_LIMITS.variableNameLength} characters).`);
    if (typeof path !== 'string' || path.length > TARGET_INPUT_LIMITS.pathLength) throw new TargetInputError(`InputPathsMap for target ${targetId}: the path of ${name} must be a JSONPath of at most ${TARGET_INPUT_LIMITS.pathLength} characters.`);
    // "You must use JSON dot notation, not bracket notation" (array indices are brackets all the same).
    variables.set(name, compileJsonPath(path, `InputPathsMap for target ${targetId}: ${name}`, { quotedNames: false }));
  }
  const json = /^\s*[{[]/.test(template);
  const pieces = templatePieces(template);
  for (const [index, piece] of pieces.entries()) {
    if (!('variable' in piece)) continue;
    if (!variables.has(piece.variable) && !isPredefined(piece.variable)) throw new TargetInputError(`${where} contains invalid placeholder ${piece.variable}.`);
    const next = pieces[index + 1];
    if (json && !piece.inString && next && 'literal' in next && /^\s*:/.test(next.literal)) throw new TargetInputError(`${where} uses <${piece.variable}> as an object key: a placeholder cannot be one.`);
  }
  return (event, ingestionTime) => {
    const values = new Map<string, { found: boolean; value?: unknown }>([...variables].map(([name, select]) => [name, select(event)]));
    let text = '';
    for (const piece of pieces) {
      if ('literal' in piece) text += piece.literal;
      else if (isPredefined(piece.variable)) text += predefinedText(piece.variable, piece.inString, json, event, ingestionTime, rule);
      else text += variableText(values.get(piece.variable) as { found: boolean; value?: unknown }, piece.inString, json);
    }
    // "The JSON that is passed to the target is minified"; text that is not JSON goes as it is.
    return { text: json ? minifyJson(text) ?? text : text };
  };
}

function predefinedText(name: Predefined, inString: boolean, json: boolean, event: MatchedEvent, ingestionTime: string, rule: RuleIdentity): string {
  switch (name) {
    case 'aws.events.rule-arn':
      return variableText({ found: true, value: rule.ruleArn }, inString, json);
    case 'aws.events.rule-name':
      return variableText({ found: true, value: rule.ruleName }, inString, json);
    case 'aws.events.event.ingestion-time':
      return variableText({ found: true, value: ingestionTime }, inString, json);
    // Both are JSON "not escaped": usable only as a field's value; inside a string they break it.
    case 'aws.events.event':
      return deepJsonText(eventWithoutDetail(event, ingestionTime));
    case 'aws.events.event.json':
      return deepJsonText(event);
  }
}

/** `<aws.events.event>` as AWS renders it: no `detail`, `detailType` for `detail-type`, the ingestion time. */
function eventWithoutDetail(event: MatchedEvent, ingestionTime: string): Record<string, unknown> {
  const { id, account, source, region, resources, version } = event;
  return { id, account, detailType: event['detail-type'], time: ingestionTime, source, region, resources, version };
}

function variableText(selected: { found: boolean; value?: unknown }, inString: boolean, json: boolean): string {
  if (!selected.found) return json && !inString ? '""' : '';
  const { value } = selected;
  if (inString) {
    // Not escaped; an object or array loses its quotes so that the string stays a string.
    if (typeof value === 'string') return value;
    return value !== null && typeof value === 'object' ? JSON.stringify(value).replaceAll('"', '') : JSON.stringify(value);
  }
  if (!json && typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The template cut into literal text and `<placeholders>`, each knowing whether it sits inside a JSON string. */
function templatePieces(template: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index];
    if (char === '<') {
      const end = template.indexOf('>', index + 1);
      const name = end < 0 ? '' : template.slice(index + 1, end);
      if (name !== '' && !/[<"\s]/.test(name)) {
        if (literal) pieces.push({ literal });
        literal = '';
        pieces.push({ variable: name, inString });
        index = end;
        continue;
      }
    }
    literal += char;
    if (inString && char === '\\' && index + 1 < template.length) literal += template[++index];
    else if (char === '"') inString = !inString;
  }
  if (literal) pieces.push({ literal });
  return pieces;
}

/** JSON text without whitespace outside strings (textually: numbers keep every digit), or undefined if not JSON. */
function minifyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  let out = '';
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      out += char;
      if (char === '\\') out += text[++index];
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (!/\s/.test(char)) out += char;
  }
  return out;
}

// JSONPath --------------------------------------------------------------------------------------

type Step = { name: string } | { index: number } | { wildcard: true };

/**
 * The JSONPath EventBridge evaluates: `$`, `.name` (letters, digits, `-`, `_`, `/`), `[index]`, `.*` and
 * `[*]` (a wildcard gives the array of what it matches), and for InputPath `['name']`. Anything else is
 * refused here rather than guessed at.
 */
function compileJsonPath(path: string, where: string, options: { quotedNames: boolean }): (document: unknown) => { found: boolean; value?: unknown } {
  const steps = parseJsonPath(path, where, options);
  const wildcard = steps.some((step) => 'wildcard' in step);
  return (document) => {
    let nodes: unknown[] = [document];
    for (const step of steps) nodes = nodes.flatMap((node) => stepInto(node, step));
    if (wildcard) return nodes.length > 0 ? { found: true, value: nodes } : { found: false };
    return nodes.length > 0 ? { found: true, value: nodes[0] } : { found: false };
  };
}

function parseJsonPath(path: string, where: string, options: { quotedNames: boolean }): Step[] {
  const refuse = (why: string): never => {
    throw new TargetInputError(`${where}: ${JSON.stringify(path)} is not a JSONPath EventBridge evaluates (${why}).`);
  };
  if (!path.startsWith('$')) refuse('it must start with $');
  const steps: Step[] = [];
  let rest = path.slice(1);
  while (rest !== '') {
    let match: RegExpMatchArray | null;
    if ((match = rest.match(/^\.\*/))) steps.push({ wildcard: true });
    else if ((match = rest.match(/^\.([A-Za-z0-9_\-/]+)/))) steps.push({ name: match[1] });
    else if ((match = rest.match(/^\[(\d+)\]/))) steps.push({ index: Number(match[1]) });
    else if ((match = rest.match(/^\[\*\]/))) steps.push({ wildcard: true });
    else if (options.quotedNames && (match = rest.match(/^\['([^']*)'\]/) ?? rest.match(/^\["([^"]*)"\]/))) steps.push({ name: match[1] });
    else return refuse(`cannot read ${JSON.stringify(rest)}`);
    rest = rest.slice(match[0].length);
  }
  return steps;
}

function stepInto(node: unknown, step: Step): unknown[] {
  if ('wildcard' in step) {
    if (Array.isArray(node)) return node;
    return node !== null && typeof node === 'object' ? Object.values(node) : [];
  }
  if ('index' in step) return Array.isArray(node) && step.index < node.length ? [node[step.index]] : [];
  return node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, step.name) ? [(node as Record<string, unknown>)[step.name]] : [];
}
