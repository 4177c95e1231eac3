import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileEventPattern, EventPatternError, eventPatternProblems } from '../lib/event-pattern';

/** The example events of the EventBridge user guide (and of Event Ruler's README, the engine's documentation). */
function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'event-patterns', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function matches(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

function problems(pattern: unknown): string[] {
  return eventPatternProblems(pattern).map((problem) => `${problem.path}: ${problem.message}`);
}

describe('documented examples: event patterns, null values, arrays', () => {
  const terminated = fixture('ec2-instance-terminated');

  test('the EC2 instance-termination pattern matches the EC2 example event, every field being required', () => {
    // Prepare
    const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };

    // Act
    const test = compileEventPattern(pattern);

    // Assess
    expect(test(terminated)).toBe(true);
    expect(test({ ...terminated, detail: { state: 'running' } })).toBe(false);
    expect(test({ ...terminated, source: 'aws.fargate' })).toBe(false);
    const { source: _source, ...withoutSource } = terminated;
    expect(test(withoutSource)).toBe(false);
  });

  test('the values of a field are alternatives: "aws.ec2" or "aws.fargate"', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, terminated)).toBe(true);
    expect(matches({ source: ['aws.fargate'] }, terminated)).toBe(false);
  });

  test('fields the pattern does not name are ignored, and strings match exactly, without case folding', () => {
    expect(matches({ region: ['us-west-1'] }, terminated)).toBe(true);
    expect(matches({ region: ['US-WEST-1'] }, terminated)).toBe(false);
    expect(matches({ region: ['us-west'] }, terminated)).toBe(false);
  });

  test('null and the empty string are matched, and are not interchangeable', () => {
    const launch = fixture('autoscaling-launch-successful');

    expect(matches({ source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Successful'], detail: { responseElements: [null] } }, launch)).toBe(true);
    expect(matches({ detail: { eventVersion: [''] } }, launch)).toBe(true);
    expect(matches({ detail: { responseElements: [''] } }, launch)).toBe(false);
    expect(matches({ detail: { eventVersion: [null] } }, launch)).toBe(false);
  });

  test('numbers and nested objects: a Macie alert with risk score 80 and trigger risk 8', () => {
    const alert = fixture('macie-alert');
    const pattern = { source: ['aws.macie'], 'detail-type': ['Macie Alert'], detail: { 'risk-score': [80], trigger: { risk: [8] } } };

    expect(matches(pattern, alert)).toBe(true);
    expect(matches({ ...pattern, detail: { 'risk-score': [81], trigger: { risk: [8] } } }, alert)).toBe(false);
    expect(matches({ ...pattern, detail: { 'risk-score': ['80'], trigger: { risk: [8] } } }, alert)).toBe(false);
  });

  test('an array in the event matches when it shares a value with the pattern array', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };

    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [event.resources[0]] })).toBe(false);
    expect(matches(pattern, { resources: [] })).toBe(false);
  });
});

describe('documented examples: content filtering', () => {
  const running = fixture('ec2-instance-running');
  const pending = fixture('ec2-instance-pending');

  test('prefix matching on "time"', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, running)).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-03' }] }, running)).toBe(false);
  });

  test('prefix matching while ignoring case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };

    expect(matches(pattern, { detail: { service: 'EventBridge' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'eventb' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'Events' } })).toBe(false);
  });

  test('suffix matching, and suffix matching while ignoring case', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'image.PNG' } })).toBe(true);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'image.jpg' } })).toBe(false);
  });

  test('anything-but with a string and with a number', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, running)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } }, running)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, running)).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, running)).toBe(false);
  });

  test('anything-but with a list of strings and with a list of numbers', () => {
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, running)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { detail: { state: 'stopped' } })).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, running)).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { detail: { 'x-limit': 200 } })).toBe(false);
  });

  test('anything-but with a prefix', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };

    expect(matches(pattern, running)).toBe(true);
    expect(matches(pattern, { detail: { state: 'initializing' } })).toBe(false);
  });

  test('numeric matching: every field must hold', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    const detail = running.detail as Record<string, unknown>;

    expect(matches(pattern, running)).toBe(true);
    expect(matches(pattern, { detail: { ...detail, 'c-count': 6 } })).toBe(false);
    expect(matches(pattern, { detail: { ...detail, 'c-count': 0 } })).toBe(false);
    expect(matches(pattern, { detail: { ...detail, 'd-count': 10 } })).toBe(false);
    expect(matches(pattern, { detail: { ...detail, 'x-limit': 301.9 } })).toBe(false);
    expect(matches(pattern, { detail: { ...detail, 'x-limit': '301.8' } })).toBe(false);
  });

  test('IP address matching with a CIDR block', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.0' } })).toBe(true);
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
    expect(matches(pattern, { detail: { sourceIPAddress: 'not an address' } })).toBe(false);
  });

  test('exists: true matches an event with detail.state, and not one without it', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const withoutState = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { 'c-count': { c1: 100 } },
    };

    expect(matches(pattern, pending)).toBe(true);
    expect(matches(pattern, withoutState)).toBe(false);
  });

  test('exists: false matches an event without detail.c-count, and one where c-count is not a leaf', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const withoutCount = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    const withObjectCount = { ...withoutCount, detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } };

    expect(matches(pattern, withoutCount)).toBe(true);
    expect(matches(pattern, withObjectCount)).toBe(true);
    expect(matches(pattern, running)).toBe(false);
  });

  test('the complex example combining prefix, anything-but and numeric', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };

    expect(matches(pattern, running)).toBe(true);
    expect(matches(pattern, { ...running, detail: { ...(running.detail as object), state: 'initializing' } })).toBe(false);
    expect(matches({ ...pattern, detail: { ...pattern.detail, 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, running)).toBe(true);
  });

  test('a key written twice: the last one is the one evaluated', () => {
    // The user guide's note, as JSON text: the duplicate "location" replaces the first.
    const pattern: unknown = JSON.parse('{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}');
    const test = compileEventPattern(pattern);

    expect(test({ detail: { location: 'eu-west' } })).toBe(true);
    expect(test({ detail: { location: 'us-east' } })).toBe(false);
  });
});

describe('documented comparison operators', () => {
  // [operator, rule from the operators table, an event it matches, an event it does not match]
  const operators: [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
    ['And', { Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Monday' }, { Location: 'New York', Day: 'Tuesday' }],
    ['Anything-but', { state: [{ 'anything-but': 'initializing' }] }, { state: 'running' }, { state: 'initializing' }],
    ['Anything-but (begins with)', { Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' }, { Region: 'us-east-1' }],
    ['Anything-but (ends with)', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.jpg' }, { FileName: 'a.png' }],
    ['Anything-but (ignore case)', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'running' }, { state: 'INITIALIZING' }],
    ['Anything-but using a wildcard', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/env' }, { FilePath: '/usr/lib/x.so' }],
    ['Begins with', { Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' }, { Region: 'eu-west-1' }],
    ['Begins with (ignore case)', { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'EventBridge' }, { service: 'Lambda' }],
    ['Empty', { LastName: [''] }, { LastName: '' }, { LastName: 'Smith' }],
    ['Equals', { Name: ['Alice'] }, { Name: 'Alice' }, { Name: 'alice' }],
    ['Equals (ignore case)', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }, { Name: 'Alicia' }],
    ['Ends with', { FileName: [{ suffix: '.png' }] }, { FileName: 'a.png' }, { FileName: 'a.jpg' }],
    ['Ends with (ignore case)', { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] }, { service: 'EVENTBRIDGE' }, { service: 'EventBus' }],
    ['Exists', { ProductName: [{ exists: true }] }, { ProductName: 'Widget' }, { Price: 1 }],
    ['Does not exist', { ProductName: [{ exists: false }] }, { Price: 1 }, { ProductName: 'Widget' }],
    ['Not', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }, { Weather: 'Raining' }],
    ['Null', { UserID: [null] }, { UserID: null }, { UserID: 'u-1' }],
    ['Numeric (equals)', { Price: [{ numeric: ['=', 100] }] }, { Price: 100 }, { Price: 101 }],
    ['Numeric (range)', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 }, { Price: 10 }],
    ['Or', { PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Debit' }, { PaymentType: 'Cash' }],
    ['Or (multiple fields)', { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] }, { Location: 'Boston', Day: 'Monday' }, { Location: 'Boston', Day: 'Friday' }],
    ['Wildcard', { FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/a/b.png' }, { FileName: 'other/b.png' }],
  ];

  test.each(operators)('%s', (_name, pattern, matching, notMatching) => {
    // Act
    const test = compileEventPattern(pattern);

    // Assess
    expect(test(matching)).toBe(true);
    expect(test(notMatching)).toBe(false);
  });
});

describe('$or', () => {
  test('$or inside detail: any of three numeric conditions', () => {
    const pattern = {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }],
      },
    };

    expect(matches(pattern, { detail: { 'c-count': 5 } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 50, 'd-count': 9 } })).toBe(true);
    expect(matches(pattern, { detail: { 'x-limit': 301.8 } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 50, 'd-count': 50, 'x-limit': 1 } })).toBe(false);
  });

  test('"source" and ("metricName" or "namespace")', () => {
    const pattern = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] };

    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'WriteLatency' })).toBe(false);
  });

  test('nested $or and And: source and (metricName or (metricType and namespace and (metricId or spaceId)) or scope)', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' };

    expect(matches(pattern, { ...base, spaceId: 1000 })).toBe(true);
    expect(matches(pattern, { ...base, metricId: 1234 })).toBe(true);
    expect(matches(pattern, base)).toBe(false);
    expect(matches(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  test('parallel $or at two levels: both must hold', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };

    expect(matches(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } })).toBe(true);
    expect(matches(pattern, { namespace: 'AWS/EC2', detail: { source: 'other' } })).toBe(false);
    expect(matches(pattern, { namespace: 'AWS/ES', detail: { source: 'aws.cloudwatch' } })).toBe(false);
  });

  test('a field constrained inside and outside $or keeps the last write, in document order (as the engine)', () => {
    // Alternative 1 overwrites "a"; alternative 2 keeps a = "1" and adds b = "3".
    const pattern = { a: ['1'], $or: [{ a: ['2'] }, { b: ['3'] }] };

    expect(matches(pattern, { a: '2' })).toBe(true);
    expect(matches(pattern, { a: '1' })).toBe(false);
    expect(matches(pattern, { a: '1', b: '3' })).toBe(true);
  });

  test('an alternative may be "does not exist": field absent or, if present, a given value', () => {
    const pattern = { $or: [{ 'replay-name': [{ exists: false }] }, { 'replay-name': ['nightly'] }] };

    expect(matches(pattern, { source: 'x' })).toBe(true);
    expect(matches(pattern, { 'replay-name': 'nightly' })).toBe(true);
    expect(matches(pattern, { 'replay-name': 'other' })).toBe(false);
  });
});

describe('arrays in events', () => {
  const employees = {
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
  };

  test('objects in an array are matched as if each were the value of the field', () => {
    expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
  });

  test('fields taken from different elements of one array never combine (array-consistent matching)', () => {
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
  });

  test('multi-level arrays are crushed out too, still element-consistent', () => {
    const nested = { employees: [[employees.employees[0], employees.employees[1]], [employees.employees[2]]] };

    expect(matches({ employees: { firstName: ['Peter'], lastName: ['Jones'] } }, nested)).toBe(true);
    expect(matches({ employees: { firstName: ['John'], lastName: ['Jones'] } }, nested)).toBe(false);
  });

  test('fields in unrelated arrays combine freely', () => {
    const event = { a: [{ x: 1 }, { x: 2 }], b: [{ y: 3 }, { y: 4 }] };

    expect(matches({ a: { x: [2] }, b: { y: [3] } }, event)).toBe(true);
  });

  test('anything-but matches when any element of the array is not excluded', () => {
    expect(matches({ price: [{ 'anything-but': [100, 500] }] }, { price: [100, 50] })).toBe(true);
    expect(matches({ price: [{ 'anything-but': [100, 500] }] }, { price: [100, 500] })).toBe(false);
  });

  test('exists: false on a field inside an array of objects means absent from every element', () => {
    const pattern = { items: { discount: [{ exists: false }] } };

    expect(matches(pattern, { items: [{ sku: 'a' }, { sku: 'b' }] })).toBe(true);
    expect(matches(pattern, { items: [{ sku: 'a' }, { sku: 'b', discount: 5 }] })).toBe(false);
  });

  test('exists: false next to a value condition is checked in the element that satisfied it', () => {
    // Sorted paths: items.discount comes after items.code, so it sees the element items.code chose.
    const pattern = { items: { code: ['X'], discount: [{ exists: false }] } };

    expect(matches(pattern, { items: [{ code: 'X' }, { code: 'Y', discount: 5 }] })).toBe(true);
    expect(matches(pattern, { items: [{ code: 'X', discount: 1 }, { code: 'Y' }] })).toBe(false);
  });

  test('an empty array holds no value: exists is false, and no value can match', () => {
    expect(matches({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
    expect(matches({ resources: [{ 'anything-but': 'x' }] }, { resources: [] })).toBe(false);
  });
});

describe('types and edge semantics', () => {
  test('matching is type-aware: "5" is not 5, "true" is not true', () => {
    expect(matches({ n: ['5'] }, { n: 5 })).toBe(false);
    expect(matches({ n: [5] }, { n: '5' })).toBe(false);
    expect(matches({ b: [true] }, { b: 'true' })).toBe(false);
    expect(matches({ b: [true] }, { b: true })).toBe(true);
    expect(matches({ b: [false] }, { b: true })).toBe(false);
  });

  test('numbers compare as numbers: 300 matches 300.0 and 3.0e2', () => {
    const event = (text: string): unknown => JSON.parse(`{"n": ${text}}`);

    expect(matches({ n: [300] }, event('300.0'))).toBe(true);
    expect(matches({ n: [300] }, event('3.0e2'))).toBe(true);
    expect(matches({ n: [{ numeric: ['=', 300] }] }, event('3.0e2'))).toBe(true);
    expect(matches({ n: [{ 'anything-but': 300 }] }, event('300.0'))).toBe(false);
  });

  test('exact numbers beyond the numeric range still match, such as a 12-digit account number', () => {
    expect(matches({ account: [123456789012] }, { account: 123456789012 })).toBe(true);
    expect(matches({ account: [123456789012] }, { account: 123456789013 })).toBe(false);
  });

  test('string operators never match other types', () => {
    expect(matches({ n: [{ prefix: '1' }] }, { n: 123 })).toBe(false);
    expect(matches({ n: [{ suffix: '' }] }, { n: null })).toBe(false);
    expect(matches({ n: [{ wildcard: '*' }] }, { n: true })).toBe(false);
    expect(matches({ n: [{ 'equals-ignore-case': 'null' }] }, { n: null })).toBe(false);
    expect(matches({ n: [{ cidr: '10.0.0.0/8' }] }, { n: 10 })).toBe(false);
  });

  test('anything-but matches any present leaf value not excluded, and never a missing field or an object', () => {
    const pattern = { state: [{ 'anything-but': { prefix: 'init' } }] };

    expect(matches(pattern, { state: 7 })).toBe(true);
    expect(matches(pattern, { state: null })).toBe(true);
    expect(matches({ state: [{ 'anything-but': 5 }] }, { state: '5' })).toBe(true);
    expect(matches(pattern, {})).toBe(false);
    expect(matches(pattern, { state: { name: 'initializing' } })).toBe(false);
  });

  test('exists: true matches any leaf value, null included, but not an object', () => {
    const pattern = { value: [{ exists: true }] };

    expect(matches(pattern, { value: null })).toBe(true);
    expect(matches(pattern, { value: false })).toBe(true);
    expect(matches(pattern, { value: '' })).toBe(true);
    expect(matches(pattern, { value: { nested: 1 } })).toBe(false);
  });

  test('exists: false on a nested field matches when its parent is missing altogether', () => {
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { source: 'x' })).toBe(true);
  });

  test('numeric ranges: open and closed bounds', () => {
    const between = (operand: unknown[], value: number) => matches({ n: [{ numeric: operand }] }, { n: value });

    expect(between(['>', 0, '<', 5], 0)).toBe(false);
    expect(between(['>=', 0, '<', 5], 0)).toBe(true);
    expect(between(['>=', 0, '<', 5], 5)).toBe(false);
    expect(between(['>=', 0, '<=', 5], 5)).toBe(true);
    expect(between(['<=', -1.5], -1.5)).toBe(true);
    expect(between(['>', -1.5], -1.5)).toBe(false);
  });

  test('numbers EventBridge cannot compare (beyond ±5e9, or more than 6 decimals) never satisfy numeric', () => {
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 5e9 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 6e9 })).toBe(false);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 0.000001 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 0.0000001 })).toBe(false);
  });

  test('wildcard: "*" matches any run of characters, the empty one included', () => {
    const wildcard = (pattern: string, value: string) => matches({ v: [{ wildcard: pattern }] }, { v: value });

    expect(wildcard('Simple*Service', 'SimpleNotificationService')).toBe(true);
    expect(wildcard('Simple*Service', 'SimpleService')).toBe(true);
    expect(wildcard('Simple*Service', 'SimpleServices')).toBe(false);
    expect(wildcard('arn:aws:events:us-east-1:*:event-bus/*', 'arn:aws:events:us-east-1:123456789012:event-bus/default')).toBe(true);
    expect(wildcard('arn:aws:events:us-east-1:*:event-bus/*', 'arn:aws:events:us-west-2:123456789012:event-bus/default')).toBe(false);
    expect(wildcard('*', '')).toBe(true);
    expect(wildcard('a*b*c', 'abc')).toBe(true);
    expect(wildcard('a*b*c', 'acb')).toBe(false);
    expect(wildcard('a*a', 'a')).toBe(false);
    expect(wildcard('*ab*ab*', 'xabyab')).toBe(true);
    expect(wildcard('*ab*ab*', 'xaby')).toBe(false);
  });

  test('wildcard: \\* is a literal asterisk and \\\\ a literal backslash', () => {
    const wildcard = (pattern: string, value: string) => matches({ v: [{ wildcard: pattern }] }, { v: value });

    expect(wildcard('a\\*b', 'a*b')).toBe(true);
    expect(wildcard('a\\*b', 'axb')).toBe(false);
    expect(wildcard('C:\\\\*', 'C:\\Windows')).toBe(true);
    expect(wildcard('\\**', '*anything')).toBe(true);
    expect(wildcard('\\**', 'anything')).toBe(false);
  });

  test('equals-ignore-case follows per-character case mapping, as the engine does', () => {
    expect(matches({ v: [{ 'equals-ignore-case': 'straße' }] }, { v: 'STRASSE' })).toBe(true);
    expect(matches({ v: [{ 'equals-ignore-case': 'ÉTÉ' }] }, { v: 'été' })).toBe(true);
    expect(matches({ v: [{ 'equals-ignore-case': 'a.c' }] }, { v: 'abc' })).toBe(false);
  });

  test('cidr with IPv6, separate address families, and a base address with host bits set', () => {
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:0:0:1::1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
    expect(matches({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '::1' })).toBe(false);
    expect(matches({ ip: [{ cidr: '10.0.0.7/24' }] }, { ip: '10.0.0.1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '::ffff:a00:1' })).toBe(true);
  });

  test('an exact value that is an IP address matches the same address however it is written', () => {
    expect(matches({ ip: ['::1'] }, { ip: '0:0:0:0:0:0:0:1' })).toBe(true);
    expect(matches({ ip: ['10.0.0.1'] }, { ip: '10.0.0.1' })).toBe(true);
    expect(matches({ ip: ['10.0.0.1'] }, { ip: '10.0.0.2' })).toBe(false);
  });

  test('dotted keys and nested objects name the same field, as in the engine', () => {
    expect(matches({ 'detail.state': ['running'] }, { detail: { state: 'running' } })).toBe(true);
    expect(matches({ detail: { state: ['running'] } }, { 'detail.state': 'running' })).toBe(true);
  });

  test('only JSON objects can be events', () => {
    const test = compileEventPattern({ a: [{ exists: false }] });

    expect(test({})).toBe(true);
    expect(test([])).toBe(false);
    expect(test(null)).toBe(false);
    expect(test('{}')).toBe(false);
  });

  test('a deeply nested event cannot exhaust the stack', () => {
    // Prepare
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100000; i++) deep = [deep];

    // Act
    const result = matches({ detail: { x: ['leaf'] } }, { detail: { x: deep } });

    // Assess
    expect(result).toBe(true);
  });

  test('values in unrelated arrays do not multiply the work', () => {
    // Without memoisation this is 1000 × 1000 × 1000 attempts.
    const many = (key: string, value: number) => Array.from({ length: 1000 }, () => ({ [key]: value }));
    const event = { a: many('x', 1), b: many('y', 1), c: many('z', 1) };

    expect(matches({ a: { x: [1] }, b: { y: [1] }, c: { z: [2] } }, event)).toBe(false);
    expect(matches({ a: { x: [1] }, b: { y: [1] }, c: { z: [1] } }, event)).toBe(true);
  });
});

describe('validation', () => {
  test('documented patterns are valid', () => {
    const documented = [
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } },
      { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] },
      { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } },
      { prefix: ['a field named like an operator is fine outside $or'] },
    ];

    for (const pattern of documented) expect(problems(pattern)).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['a string', 'source', ': an event pattern must be a JSON object such as {"source": ["aws.s3"]}, not the string "source"'],
    ['an array', [], ': an event pattern must be a JSON object such as {"source": ["aws.s3"]}, not an array'],
    ['null', null, ': an event pattern must be a JSON object such as {"source": ["aws.s3"]}, not null'],
    ['an empty object', {}, ': must not be an empty object: name at least one field'],
  ])('the pattern must be a non-empty object: %s', (_name, pattern, expected) => {
    expect(problems(pattern)).toEqual([expected]);
  });

  test.each<[string, unknown, string, RegExp]>([
    ['a leaf that is not an array', { source: 'aws.ec2' }, 'source', /must be an array of values to match \(e\.g\. \["aws\.ec2"\]\) or an object/],
    ['a leaf that is a number', { detail: { count: 5 } }, 'detail.count', /must be an array of values .* not number 5/],
    ['an empty nested object', { detail: {} }, 'detail', /must not be an empty object/],
    ['an empty array', { source: [] }, 'source', /must not be an empty array/],
    ['an array inside the values', { source: [['aws.ec2']] }, 'source[0]', /must be a string, number, boolean, null or an operator object/],
    ['a non-finite number', { n: [Number.POSITIVE_INFINITY] }, 'n[0]', /must be a finite number/],
    ['an unknown operator', { detail: { status: [{ regex: 'a.*' }] } }, 'detail.status[0].regex', /unknown operator "regex"; EventBridge's operators are prefix, suffix/],
    ['an empty operator object', { detail: { status: [{}] } }, 'detail.status[0]', /exactly one operator, found none/],
    ['two operators in one object', { detail: { status: [{ prefix: 'a', suffix: 'b' }] } }, 'detail.status[0]', /exactly one operator, found "prefix", "suffix"/],
    ['a prefix that is a number', { detail: { status: [{ prefix: 5 }] } }, 'detail.status[0].prefix', /must be a string, or \{"equals-ignore-case": "<string>"\}, not number 5/],
    ['a prefix wrapping another operator', { s: [{ prefix: { wildcard: 'a*' } }] }, 's[0].prefix', /must be a string, or \{"equals-ignore-case"/],
    ['a prefix ignoring the case of a number', { s: [{ prefix: { 'equals-ignore-case': 5 } }] }, 's[0].prefix.equals-ignore-case', /must be a string, not number 5/],
    ['a suffix that is null', { s: [{ suffix: null }] }, 's[0].suffix', /must be a string, or .* not null/],
    ['equals-ignore-case with a number', { s: [{ 'equals-ignore-case': 1 }] }, 's[0].equals-ignore-case', /must be a string, not number 1/],
    ['a wildcard with "**"', { s: [{ wildcard: 'a**b' }] }, 's[0].wildcard', /consecutive wildcard characters "\*\*" at position 1/],
    ['a wildcard escaping a letter', { s: [{ wildcard: 'a\\b' }] }, 's[0].wildcard', /invalid escape at position 1: "\\" may only escape "\*" or "\\"/],
    ['a wildcard ending with a backslash', { s: [{ wildcard: 'a\\' }] }, 's[0].wildcard', /invalid escape at position 1/],
    ['a wildcard that is not a string', { s: [{ wildcard: ['a*'] }] }, 's[0].wildcard', /must be a string, not an array/],
    ['anything-but true', { s: [{ 'anything-but': true }] }, 's[0].anything-but', /must be a string, a number, an array of strings or of numbers/],
    ['anything-but null', { s: [{ 'anything-but': null }] }, 's[0].anything-but', /not null/],
    ['anything-but an empty list', { s: [{ 'anything-but': [] }] }, 's[0].anything-but', /must not be an empty array/],
    ['anything-but a mixed list', { s: [{ 'anything-but': ['a', 1] }] }, 's[0].anything-but', /only strings or only numbers, not both/],
    ['anything-but a list holding null', { s: [{ 'anything-but': ['a', null] }] }, 's[0].anything-but[1]', /only strings or only numbers, not null/],
    ['anything-but a number out of range', { s: [{ 'anything-but': [1, 6e9] }] }, 's[0].anything-but[1]', /outside EventBridge's numeric range/],
    ['anything-but an unsupported operator', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }, 's[0].anything-but', /must hold exactly one of "prefix", "suffix", "equals-ignore-case", "wildcard", found "numeric"/],
    ['anything-but an empty prefix', { s: [{ 'anything-but': { prefix: '' } }] }, 's[0].anything-but.prefix', /an anything-but prefix must not be empty/],
    ['anything-but a suffix list holding a number', { s: [{ 'anything-but': { suffix: ['.png', 5] } }] }, 's[0].anything-but.suffix[1]', /must be a string, not number 5/],
    ['anything-but an empty equals-ignore-case list', { s: [{ 'anything-but': { 'equals-ignore-case': [] } }] }, 's[0].anything-but.equals-ignore-case', /must not be an empty array/],
    ['anything-but a bad wildcard in a list', { s: [{ 'anything-but': { wildcard: ['*/lib/*', 'a**'] } }] }, 's[0].anything-but.wildcard[1]', /consecutive wildcard characters/],
    ['numeric that is not an array', { n: [{ numeric: '>5' }] }, 'n[0].numeric', /must be an array of comparisons such as \[">", 0, "<=", 5\]/],
    ['numeric that is empty', { n: [{ numeric: [] }] }, 'n[0].numeric', /must be an array of comparisons/],
    ['numeric with "!="', { n: [{ numeric: ['!=', 5] }] }, 'n[0].numeric[0]', /must be one of "=", "<", "<=", ">", ">=", not the string "!="/],
    ['numeric with a string bound', { n: [{ numeric: ['>', '5'] }] }, 'n[0].numeric[1]', /the bound of ">" must be a number, not the string "5"/],
    ['numeric with a missing bound', { n: [{ numeric: ['>'] }] }, 'n[0].numeric[1]', /the bound of ">" must be a number, not undefined/],
    ['numeric beyond 5e9', { n: [{ numeric: ['<', 6e9] }] }, 'n[0].numeric[1]', /6000000000 is outside EventBridge's numeric range, -5e9 to 5e9/],
    ['numeric with 7 decimals', { n: [{ numeric: ['=', 0.1234567] }] }, 'n[0].numeric[1]', /more than 6 digits after the decimal point/],
    ['numeric "=" with a range', { n: [{ numeric: ['=', 1, '<', 5] }] }, 'n[0].numeric', /has 4 elements; expected \["=", n\]/],
    ['numeric with three elements', { n: [{ numeric: ['>', 1, '<'] }] }, 'n[0].numeric', /has 3 elements; expected \[">", n\] or a range/],
    ['numeric range closed by ">"', { n: [{ numeric: ['>', 1, '>', 5] }] }, 'n[0].numeric[2]', /must be one of "<", "<=", not the string ">"/],
    ['numeric range upside down', { n: [{ numeric: ['>=', 5, '<=', 5] }] }, 'n[0].numeric[3]', /the upper bound 5 must be greater than the lower bound 5/],
    ['exists with a string', { n: [{ exists: 'true' }] }, 'n[0].exists', /must be true or false, not the string "true"/],
    ['cidr with a number', { ip: [{ cidr: 10 }] }, 'ip[0].cidr', /must be a string, not number 10/],
    ['cidr without a mask', { ip: [{ cidr: '10.0.0.0' }] }, 'ip[0].cidr', /is not a CIDR block: expected one "\/"/],
    ['cidr with a word for a mask', { ip: [{ cidr: '10.0.0.0/abc' }] }, 'ip[0].cidr', /the mask in "10\.0\.0\.0\/abc" must be an integer/],
    ['cidr with a negative mask', { ip: [{ cidr: '10.0.0.0/-1' }] }, 'ip[0].cidr', /must not be negative/],
    ['cidr with a bad address', { ip: [{ cidr: '999.0.0.0/8' }] }, 'ip[0].cidr', /"999\.0\.0\.0" is not an IPv4 or IPv6 address/],
    ['cidr /32', { ip: [{ cidr: '10.0.0.1/32' }] }, 'ip[0].cidr', /must be below 32 \(EventBridge refuses \/32\)/],
    ['cidr /128', { ip: [{ cidr: '2001:db8::1/128' }] }, 'ip[0].cidr', /must be below 128/],
    ['$or that is not an array', { $or: { a: ['x'] } }, '$or', /must be an array of at least 2 alternative patterns, not an object/],
    ['$or with one alternative', { $or: [{ a: ['x'] }] }, '$or', /must hold at least 2 alternative patterns, found 1/],
    ['$or holding a non-object', { $or: [{ a: ['x'] }, ['b']] }, '$or[1]', /an alternative must be an object of fields, not an array/],
    ['$or holding an empty object', { $or: [{ a: ['x'] }, {}] }, '$or[1]', /must not be an empty object/],
    ['an operator name as a field inside $or', { $or: [{ prefix: ['x'] }, { b: ['y'] }] }, '$or[0].prefix', /"prefix" is an operator name, which EventBridge refuses as a field name inside \$or/],
    ['an operator name deeper inside $or', { detail: { $or: [{ a: { numeric: [1] } }, { b: [1] }] } }, 'detail.$or[0].a.numeric', /"numeric" is an operator name/],
    ['a key with a dot', { 'a.b': 'x' }, '["a.b"]', /must be an array of values/],
  ])('%s', (_name, pattern, path, message) => {
    // Act
    const found = eventPatternProblems(pattern);

    // Assess
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe(path);
    expect(found[0].message).toMatch(message);
  });

  test('$or alternatives multiplying out past 1000 rule combinations are refused', () => {
    // Prepare
    const eleven = (field: string) => Array.from({ length: 11 }, (_, i) => ({ [field]: [i] }));
    const pattern = { $or: eleven('a'), detail: { $or: eleven('b') }, other: { $or: eleven('c') } };

    // Act
    const found = problems(pattern);

    // Assess
    expect(found).toEqual([': its $or alternatives multiply out to more than 1000 rule combinations, EventBridge\'s limit']);
    expect(problems({ $or: eleven('a'), detail: { $or: eleven('b') } })).toEqual([]);
  });

  test('every problem is reported at once, in document order', () => {
    const pattern = { source: 'aws.ec2', detail: { status: [{ prefix: 1 }, { numeric: ['>', 'x'] }], $or: [{ a: [] }] } };

    expect(problems(pattern)).toEqual([
      'source: must be an array of values to match (e.g. ["aws.ec2"]) or an object of nested fields, not the string "aws.ec2"',
      'detail.status[0].prefix: must be a string, or {"equals-ignore-case": "<string>"}, not number 1',
      'detail.status[1].numeric[1]: the bound of ">" must be a number, not the string "x"',
      'detail.$or: must hold at least 2 alternative patterns, found 1',
      'detail.$or[0].a: must not be an empty array: list at least one value to match',
    ]);
  });

  test('compileEventPattern throws an EventPatternError carrying every problem', () => {
    // Act
    let error: unknown;
    try {
      compileEventPattern({ source: 'aws.ec2', detail: { n: [{ numeric: ['!=', 1] }] } });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(EventPatternError);
    const patternError = error as EventPatternError;
    expect(patternError.name).toBe('EventPatternError');
    expect(patternError.problems.map((problem) => problem.path)).toEqual(['source', 'detail.n[0].numeric[0]']);
    expect(patternError.message.split('\n')).toEqual([
      'source: must be an array of values to match (e.g. ["aws.ec2"]) or an object of nested fields, not the string "aws.ec2"',
      'detail.n[0].numeric[0]: must be one of "=", "<", "<=", ">", ">=", not the string "!="',
    ]);
    expect(() => compileEventPattern(42)).toThrow('(pattern): an event pattern must be a JSON object');
  });
});
