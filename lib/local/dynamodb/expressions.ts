/**
 * DynamoDB's condition and update expressions, parsed once per text (the ledger sends the same few texts for
 * every record) and evaluated on items in the wire format (`{ S: "x" }`, `{ N: "1" }`, `{ M: {...} }`).
 * The grammar is DynamoDB's; what is not implemented is refused with a ValidationException, never guessed.
 */

export type AttributeValue = { S: string } | { N: string } | { B: string } | { BOOL: boolean } | { NULL: true } | { M: Item } | { L: AttributeValue[] } | { SS: string[] } | { NS: string[] } | { BS: string[] };
export type Item = Record<string, AttributeValue>;

/** DynamoDB's error for a request it refuses: `name` is the error's `__type`. */
export class DynamoDbError extends Error {
  override readonly name: string;
  constructor(
    code: string,
    message: string,
    /** ReturnValuesOnConditionCheckFailure: ALL_OLD. */
    readonly item?: Item,
    /** More members of the error's body (a TransactionCanceledException's CancellationReasons). */
    readonly fields?: Record<string, unknown>,
  ) {
    super(message);
    this.name = code;
  }
}

const validation = (message: string) => new DynamoDbError('ValidationException', message);

/** A path element: an attribute name (already resolved from `#name`) or a list index. */
type PathElement = string | number;
type Path = { kind: 'path'; elements: PathElement[]; names: string[] };
type Operand = Path | { kind: 'value'; name: string } | { kind: 'size'; path: Path };
type Condition =
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; value: Operand; low: Operand; high: Operand }
  | { kind: 'in'; value: Operand; list: Operand[] }
  | { kind: 'exists'; path: Path; negated: boolean }
  | { kind: 'type'; path: Path; type: Operand }
  | { kind: 'begins'; path: Operand; prefix: Operand }
  | { kind: 'contains'; path: Operand; operand: Operand }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition };
type SetValue =
  | { kind: 'operand'; operand: Operand | IfNotExists | ListAppend }
  | { kind: 'plus' | 'minus'; left: Operand | IfNotExists | ListAppend; right: Operand | IfNotExists | ListAppend };
type IfNotExists = { kind: 'if_not_exists'; path: Path; value: Operand | IfNotExists | ListAppend };
type ListAppend = { kind: 'list_append'; left: Operand | IfNotExists | ListAppend; right: Operand | IfNotExists | ListAppend };
interface Update {
  set: { path: Path; value: SetValue }[];
  remove: Path[];
  add: { path: Path; value: Operand }[];
  delete: { path: Path; value: Operand }[];
}

/** A parsed expression with the placeholders it uses (DynamoDB refuses unused and undefined ones). */
interface Parsed<T> {
  tree: T;
  names: Set<string>;
  values: Set<string>;
}

type Token = { type: 'name' | 'placeholder' | 'value' | 'number' | 'op' | 'punct'; text: string };

const TOKEN = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|=|<|>|\+|-)|([(),.[\]]))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (!match) throw validation(`Invalid expression: Syntax error; token: "${text.slice(position, position + 10).trim()}", near: "${text.slice(Math.max(0, position - 5), position + 10)}"`);
    position = TOKEN.lastIndex;
    if (match[1]) tokens.push({ type: 'placeholder', text: match[1] });
    else if (match[2]) tokens.push({ type: 'value', text: match[2] });
    else if (match[3]) tokens.push({ type: 'name', text: match[3] });
    else if (match[4]) tokens.push({ type: 'number', text: match[4] });
    else if (match[5]) tokens.push({ type: 'op', text: match[5] });
    else tokens.push({ type: 'punct', text: match[6] });
  }
  return tokens;
}

const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

class Parser {
  private index = 0;
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token?.type === 'name' && token.text.toUpperCase() === word) {
      this.index++;
      return true;
    }
    return false;
  }

  private expect(text: string): void {
    const token = this.tokens[this.index++];
    if (token?.text !== text) throw this.syntax(token);
  }

  private punct(text: string): boolean {
    const token = this.peek();
    if ((token?.type === 'punct' || token?.type === 'op') && token.text === text) {
      this.index++;
      return true;
    }
    return false;
  }

  syntax(token = this.peek()): DynamoDbError {
    return validation(`Invalid expression: Syntax error; token: "${token?.text ?? '<EOF>'}", near: "${this.text}"`);
  }

  end(): void {
    if (this.index < this.tokens.length) throw this.syntax();
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.keyword('AND')) left = { kind: 'and', left, right: this.negation() };
    return left;
  }

  private negation(): Condition {
    if (this.keyword('NOT')) return { kind: 'not', operand: this.negation() };
    return this.primary();
  }

  private primary(): Condition {
    if (this.punct('(')) {
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const token = this.peek();
    const next = this.peek(1);
    if (token?.type === 'name' && next?.text === '(') {
      const fn = token.text;
      if (fn === 'attribute_exists' || fn === 'attribute_not_exists') {
        this.index += 2;
        const path = this.path();
        this.expect(')');
        return { kind: 'exists', path, negated: fn === 'attribute_not_exists' };
      }
      if (fn === 'attribute_type' || fn === 'begins_with' || fn === 'contains') {
        this.index += 2;
        const first = fn === 'attribute_type' ? this.path() : this.operand();
        this.expect(',');
        const second = this.operand();
        this.expect(')');
        if (fn === 'attribute_type') return { kind: 'type', path: first as Path, type: second };
        if (fn === 'begins_with') return { kind: 'begins', path: first, prefix: second };
        return { kind: 'contains', path: first, operand: second };
      }
      if (fn !== 'size') throw validation(`Invalid ConditionExpression: Invalid function name; function: ${fn}`);
    }
    const left = this.operand();
    const op = this.peek();
    if (op?.type === 'op' && COMPARATORS.has(op.text)) {
      this.index++;
      return { kind: 'compare', op: op.text as '=', left, right: this.operand() };
    }
    if (this.keyword('BETWEEN')) {
      const low = this.operand();
      if (!this.keyword('AND')) throw this.syntax();
      return { kind: 'between', value: left, low, high: this.operand() };
    }
    if (this.keyword('IN')) {
      this.expect('(');
      const list = [this.operand()];
      while (this.punct(',')) list.push(this.operand());
      this.expect(')');
      return { kind: 'in', value: left, list };
    }
    throw this.syntax(op);
  }

  operand(): Operand {
    const token = this.peek();
    if (token?.type === 'value') {
      this.index++;
      this.values.add(token.text);
      return { kind: 'value', name: token.text };
    }
    if (token?.type === 'name' && token.text === 'size' && this.peek(1)?.text === '(') {
      this.index += 2;
      const path = this.path();
      this.expect(')');
      return { kind: 'size', path };
    }
    return this.path();
  }

  path(): Path {
    const elements: PathElement[] = [this.pathName()];
    for (;;) {
      if (this.punct('.')) elements.push(this.pathName());
      else if (this.punct('[')) {
        const token = this.tokens[this.index++];
        if (token?.type !== 'number') throw this.syntax(token);
        elements.push(Number(token.text));
        this.expect(']');
      } else break;
    }
    return { kind: 'path', elements, names: [] };
  }

  private pathName(): string {
    const token = this.tokens[this.index++];
    if (token?.type === 'placeholder') {
      this.names.add(token.text);
      return token.text;
    }
    if (token?.type === 'name') {
      if (RESERVED.has(token.text.toUpperCase())) throw validation(`Invalid expression: Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      return token.text;
    }
    throw this.syntax(token);
  }

  update(): Update {
    const update: Update = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index++];
      const clause = token?.type === 'name' ? token.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) throw this.syntax(token);
      if (seen.has(clause)) throw validation(`Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      do {
        const path = this.path();
        if (clause === 'SET') {
          this.expect('=');
          update.set.push({ path, value: this.setValue() });
        } else if (clause === 'REMOVE') update.remove.push(path);
        else update[clause === 'ADD' ? 'add' : 'delete'].push({ path, value: this.operand() });
      } while (this.punct(','));
    }
    return update;
  }

  private setValue(): SetValue {
    const left = this.setOperand();
    if (this.punct('+')) return { kind: 'plus', left, right: this.setOperand() };
    if (this.punct('-')) return { kind: 'minus', left, right: this.setOperand() };
    return { kind: 'operand', operand: left };
  }

  private setOperand(): Operand | IfNotExists | ListAppend {
    const token = this.peek();
    if (token?.type === 'name' && this.peek(1)?.text === '(' && (token.text === 'if_not_exists' || token.text === 'list_append')) {
      this.index += 2;
      if (token.text === 'if_not_exists') {
        const path = this.path();
        this.expect(',');
        const value = this.setOperand();
        this.expect(')');
        return { kind: 'if_not_exists', path, value };
      }
      const left = this.setOperand();
      this.expect(',');
      const right = this.setOperand();
      this.expect(')');
      return { kind: 'list_append', left, right };
    }
    return this.operand();
  }
}

/** Some of DynamoDB's reserved words (the full list has 573): the ones a caller here could plausibly use bare. */
const RESERVED = new Set(['STATE', 'STATUS', 'NAME', 'DATA', 'KEY', 'VALUE', 'VALUES', 'TIMESTAMP', 'TTL', 'COUNT', 'SIZE', 'TYPE', 'USER', 'DATE', 'TIME', 'OUTPUT', 'INPUT', 'RESULT', 'SOURCE', 'ITEMS', 'ORDER', 'GROUP', 'RANGE', 'HASH', 'INDEX', 'TABLE', 'LIMIT', 'SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'TOKEN', 'LEVEL', 'ZONE']);

const CACHE_LIMIT = 1000;
const conditionCache = new Map<string, Parsed<Condition>>();
const updateCache = new Map<string, Parsed<Update>>();

function cached<T>(cache: Map<string, Parsed<T>>, text: string, parse: (parser: Parser) => T): Parsed<T> {
  const hit = cache.get(text);
  if (hit) return hit;
  if (text.trim() === '') throw validation('Invalid expression: The expression can not be empty;');
  const parser = new Parser(tokenize(text), text);
  const tree = parse(parser);
  parser.end();
  const parsed = { tree, names: parser.names, values: parser.values };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, parsed);
  return parsed;
}

export const parseCondition = (text: string): Parsed<Condition> => cached(conditionCache, text, (parser) => parser.condition());
export const parseUpdate = (text: string): Parsed<Update> => cached(updateCache, text, (parser) => parser.update());

/** The placeholders a request gives, checked against what its expressions use, as DynamoDB checks them. */
export interface Placeholders {
  names: Record<string, string>;
  values: Item;
}

export function checkPlaceholders(parsed: Parsed<unknown>[], placeholders: Placeholders, given: { names: boolean; values: boolean }): void {
  const usedNames = new Set(parsed.flatMap((p) => [...p.names]));
  const usedValues = new Set(parsed.flatMap((p) => [...p.values]));
  for (const name of usedNames) if (!(name in placeholders.names)) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: An expression attribute name used in the document path is not defined; attribute name: ${name}`);
  for (const value of usedValues) if (!(value in placeholders.values)) throw validation(`Invalid expression: An expression attribute value used in expression is not defined; attribute value: ${value}`);
  const unusedNames = Object.keys(placeholders.names).filter((name) => !usedNames.has(name));
  if (given.names && unusedNames.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
  const unusedValues = Object.keys(placeholders.values).filter((value) => !usedValues.has(value));
  if (given.values && unusedValues.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
}

function resolve(path: Path, placeholders: Placeholders): PathElement[] {
  return path.elements.map((element) => (typeof element === 'string' && element.startsWith('#') ? placeholders.names[element] : element));
}

function get(item: Item | undefined, elements: PathElement[]): AttributeValue | undefined {
  let current: AttributeValue | undefined = item ? { M: item } : undefined;
  for (const element of elements) {
    if (!current) return undefined;
    if (typeof element === 'number') current = 'L' in current ? (current.L as AttributeValue[])[element] : undefined;
    else current = 'M' in current ? current.M[element] : undefined;
  }
  return current;
}

function operandValue(operand: Operand, item: Item | undefined, placeholders: Placeholders): AttributeValue | undefined {
  if (operand.kind === 'value') return placeholders.values[operand.name];
  if (operand.kind === 'path') return get(item, resolve(operand, placeholders));
  const value = get(item, resolve(operand.path, placeholders));
  if (!value) return undefined;
  return { N: String(sizeOf(value)) };
}

function sizeOf(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S);
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('M' in value) return Object.keys(value.M).length;
  if ('L' in value) return value.L.length;
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  throw validation('Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size');
}

const typeOf = (value: AttributeValue): string => Object.keys(value)[0];

/** Equal as DynamoDB compares: same type, same value (numbers by value, sets regardless of order). */
export function equal(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const x = (a as Record<string, unknown>)[type];
  const y = (b as Record<string, unknown>)[type];
  if (type === 'N') return compareNumbers(x as string, y as string) === 0;
  if (type === 'M') {
    const left = x as Item;
    const right = y as Item;
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => key in right && equal(left[key], right[key]));
  }
  if (type === 'L') return (x as AttributeValue[]).length === (y as AttributeValue[]).length && (x as AttributeValue[]).every((value, index) => equal(value, (y as AttributeValue[])[index]));
  if (type === 'SS' || type === 'BS') return sameSet(x as string[], y as string[], (p, q) => p === q);
  if (type === 'NS') return sameSet(x as string[], y as string[], (p, q) => compareNumbers(p, q) === 0);
  return x === y;
}

function sameSet(a: string[], b: string[], same: (p: string, q: string) => boolean): boolean {
  return a.length === b.length && a.every((value) => b.some((other) => same(value, other)));
}

/** DynamoDB numbers are decimals of up to 38 digits: compared exactly, not as doubles. */
export function compareNumbers(a: string, b: string): number {
  const x = decimal(a);
  const y = decimal(b);
  if (x.negative !== y.negative) return x.zero && y.zero ? 0 : x.negative ? -1 : 1;
  const magnitude = x.exponent !== y.exponent ? (x.exponent < y.exponent ? -1 : 1) : x.digits < y.digits ? -1 : x.digits > y.digits ? 1 : 0;
  if (x.zero || y.zero) return x.zero && y.zero ? 0 : x.zero ? (y.negative ? 1 : -1) : x.negative ? -1 : 1;
  return x.negative ? -magnitude : magnitude;
}

function decimal(text: string): { negative: boolean; zero: boolean; digits: string; exponent: number } {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw validation(`The parameter cannot be converted to a numeric value: ${text}`);
  const whole = match[2];
  const fraction = match[3] ?? '';
  const all = `${whole}${fraction}`;
  const leading = all.length - all.replace(/^0+/, '').length;
  const significant = all.slice(leading).replace(/0+$/, '');
  if (significant === '') return { negative: false, zero: true, digits: '', exponent: 0 };
  // Position of the first significant digit relative to the decimal point.
  const exponent = whole.length - leading + Number(match[4] ?? 0);
  return { negative: match[1] === '-', zero: false, digits: significant, exponent };
}

function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (type === 'S') return Buffer.compare(Buffer.from((a as { S: string }).S), Buffer.from((b as { S: string }).S));
  if (type === 'B') return Buffer.compare(Buffer.from((a as { B: string }).B, 'base64'), Buffer.from((b as { B: string }).B, 'base64'));
  return undefined;
}

export function evaluateCondition(condition: Condition, item: Item | undefined, placeholders: Placeholders): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluateCondition(condition.left, item, placeholders) && evaluateCondition(condition.right, item, placeholders);
    case 'or':
      return evaluateCondition(condition.left, item, placeholders) || evaluateCondition(condition.right, item, placeholders);
    case 'not':
      return !evaluateCondition(condition.operand, item, placeholders);
    case 'exists':
      return (get(item, resolve(condition.path, placeholders)) !== undefined) !== condition.negated;
    case 'type': {
      const value = get(item, resolve(condition.path, placeholders));
      const type = operandValue(condition.type, item, placeholders);
      return value !== undefined && type !== undefined && 'S' in type && typeOf(value) === type.S;
    }
    case 'begins': {
      const value = operandValue(condition.path, item, placeholders);
      const prefix = operandValue(condition.prefix, item, placeholders);
      if (!value || !prefix) return false;
      if ('S' in value && 'S' in prefix) return value.S.startsWith(prefix.S);
      if ('B' in value && 'B' in prefix) return Buffer.from(value.B, 'base64').subarray(0, Buffer.from(prefix.B, 'base64').length).equals(Buffer.from(prefix.B, 'base64'));
      return false;
    }
    case 'contains': {
      const value = operandValue(condition.path, item, placeholders);
      const operand = operandValue(condition.operand, item, placeholders);
      if (!value || !operand) return false;
      if ('S' in value && 'S' in operand) return value.S.includes(operand.S);
      if ('SS' in value && 'S' in operand) return value.SS.includes(operand.S);
      if ('NS' in value && 'N' in operand) return value.NS.some((n) => compareNumbers(n, operand.N) === 0);
      if ('L' in value) return value.L.some((element) => equal(element, operand));
      return false;
    }
    case 'in': {
      const value = operandValue(condition.value, item, placeholders);
      return value !== undefined && condition.list.some((candidate) => {
        const other = operandValue(candidate, item, placeholders);
        return other !== undefined && equal(value, other);
      });
    }
    case 'between': {
      const value = operandValue(condition.value, item, placeholders);
      const low = operandValue(condition.low, item, placeholders);
      const high = operandValue(condition.high, item, placeholders);
      if (!value || !low || !high) return false;
      const above = compare(value, low);
      const below = compare(value, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case 'compare': {
      const left = operandValue(condition.left, item, placeholders);
      const right = operandValue(condition.right, item, placeholders);
      if (!left || !right) return false;
      if (condition.op === '=') return equal(left, right);
      if (condition.op === '<>') return !equal(left, right);
      const order = compare(left, right);
      if (order === undefined) return false;
      if (condition.op === '<') return order < 0;
      if (condition.op === '<=') return order <= 0;
      if (condition.op === '>') return order > 0;
      return order >= 0;
    }
  }
}

/** Applies an update to a copy of the item (or a new one with the key); returns the new item and the top-level attributes it touched. */
export function applyUpdate(update: Update, old: Item | undefined, key: Item, placeholders: Placeholders): { item: Item; touched: Set<string> } {
  // A shallow copy: an attribute changed inside (a nested path) is deep-copied first, the others are shared.
  const item: Item = { ...(old ?? key) };
  const touched = new Set<string>();
  const copied = new Set<string>();
  const keyNames = new Set(Object.keys(key));
  const target = (path: Path): PathElement[] => {
    const elements = resolve(path, placeholders);
    const top = String(elements[0]);
    if (elements.length === 1 && keyNames.has(top)) throw validation(`One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`);
    if (elements.length > 1 && !copied.has(top) && item[top] !== undefined) item[top] = structuredClone(item[top]);
    copied.add(top);
    touched.add(top);
    return elements;
  };
  // Every value is read from the item as it was before the update, as DynamoDB does.
  const valueOf = (operand: Operand | IfNotExists | ListAppend): AttributeValue => {
    if (operand.kind === 'if_not_exists') return get(old, resolve(operand.path, placeholders)) ?? valueOf(operand.value);
    if (operand.kind === 'list_append') {
      const left = valueOf(operand.left);
      const right = valueOf(operand.right);
      if (!('L' in left) || !('L' in right)) throw validation('Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append');
      return { L: [...left.L, ...right.L] };
    }
    if (operand.kind === 'size') throw validation('Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: size');
    const value = operand.kind === 'value' ? placeholders.values[operand.name] : get(old, resolve(operand, placeholders));
    if (!value) throw validation('The provided expression refers to an attribute that does not exist in the item');
    return value;
  };
  for (const { path, value } of update.set) {
    let result: AttributeValue;
    if (value.kind === 'operand') result = valueOf(value.operand);
    else {
      const left = valueOf(value.left);
      const right = valueOf(value.right);
      if (!('N' in left) || !('N' in right)) throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${value.kind === 'plus' ? '+' : '-'}`);
      result = { N: addNumbers(left.N, value.kind === 'plus' ? right.N : negate(right.N)) };
    }
    put(item, target(path), result);
  }
  for (const path of update.remove) remove(item, target(path));
  for (const { path, value } of update.add) {
    const elements = target(path);
    const current = get(item, elements);
    const operand = valueOf(value);
    if ('N' in operand && (!current || 'N' in current)) put(item, elements, { N: addNumbers(current && 'N' in current ? current.N : '0', operand.N) });
    else if ('SS' in operand && (!current || 'SS' in current)) put(item, elements, { SS: [...new Set([...(current && 'SS' in current ? current.SS : []), ...operand.SS])] });
    else if ('NS' in operand && (!current || 'NS' in current)) put(item, elements, { NS: [...new Set([...(current && 'NS' in current ? current.NS : []), ...operand.NS])] });
    else throw validation('Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD');
  }
  for (const { path, value } of update.delete) {
    const elements = target(path);
    const current = get(item, elements);
    const operand = valueOf(value);
    if (!current) continue;
    if ('SS' in current && 'SS' in operand) put(item, elements, { SS: current.SS.filter((s) => !operand.SS.includes(s)) });
    else if ('NS' in current && 'NS' in operand) put(item, elements, { NS: current.NS.filter((n) => !operand.NS.some((m) => compareNumbers(m, n) === 0)) });
    else throw validation('Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE');
    const after = get(item, elements) as { SS?: string[]; NS?: string[] };
    if ((after.SS ?? after.NS ?? []).length === 0) remove(item, elements);
  }
  return { item, touched };
}

function put(item: Item, elements: PathElement[], value: AttributeValue): void {
  let container: AttributeValue = { M: item };
  for (const [index, element] of elements.entries()) {
    const last = index === elements.length - 1;
    if (typeof element === 'number') {
      if (!('L' in container)) throw validation('The document path provided in the update expression is invalid for update');
      if (last) {
        if (element >= container.L.length) container.L.push(value);
        else container.L[element] = value;
        return;
      }
      container = (container.L as AttributeValue[])[element];
    } else {
      if (!('M' in container)) throw validation('The document path provided in the update expression is invalid for update');
      if (last) {
        container.M[element] = value;
        return;
      }
      container = container.M[element];
    }
    if (!container) throw validation('The document path provided in the update expression is invalid for update');
  }
}

function remove(item: Item, elements: PathElement[]): void {
  const parent = elements.length === 1 ? ({ M: item } as AttributeValue) : get(item, elements.slice(0, -1));
  const last = elements[elements.length - 1];
  if (!parent) return;
  if (typeof last === 'number' && 'L' in parent) parent.L.splice(last, 1);
  else if (typeof last === 'string' && 'M' in parent) delete parent.M[last];
}

function negate(n: string): string {
  return n.startsWith('-') ? n.slice(1) : `-${n}`;
}

/** Exact for integers (what counters hold); other decimals through doubles. */
function addNumbers(a: string, b: string): string {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return (BigInt(a) + BigInt(b)).toString();
  return String(Number(a) + Number(b));
}
