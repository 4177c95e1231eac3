import vm from 'node:vm';
import type { StatusSnapshot, TaskSummary } from '../../lib/local/status-model';
import { OUTCOMES, pageShell, statusPage, taskListPage } from '../../lib/review-ui/pages';
import { fakeWindow, type FakeNode } from './fake-dom';
import { countScriptTags, scriptBody, startTags } from './html';

const SCRIPT = '<script>alert(1)</script>';
const BREAKOUT = '"><img src=x onerror=alert(1)>';

function task(overrides: Partial<TaskSummary> = {}): TaskSummary {
  const humanLoopName = overrides.humanLoopName ?? 'loop-1';
  return {
    humanLoopName,
    workflow: 'invoices',
    recordId: 'rec-1',
    answersSoFar: 0,
    taskCount: 1,
    creationTime: '2024-05-01T10:00:00.000Z',
    url: `/tasks/${encodeURIComponent(humanLoopName)}`,
    ...overrides,
  };
}

function snapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    generatedAt: '2024-05-01T10:05:00.000Z',
    workflows: [
      { workflow: 'invoices', records: 7, openLoops: 2, outcomes: { reviewed: 3, 'auto-accepted': 1, failed: 0, invalid: 1 }, queues: { 'invoices-reviewed': 4, 'invoices-failed': 1 } },
      { workflow: 'claims', records: 1, openLoops: 0, outcomes: { reviewed: 0, 'auto-accepted': 1, failed: 0, invalid: 0 }, queues: { 'claims-reviewed': 1 } },
    ],
    records: [
      {
        reviewId: 'r-2',
        workflow: 'invoices',
        recordId: 'inv-9',
        outcome: 'reviewed',
        queue: 'invoices-reviewed',
        loopStatus: 'Completed',
        steps: [
          { at: '2024-05-01T10:01:00.000Z', step: 'ingested', detail: 'from inbox/a.json' },
          { at: '2024-05-01T10:01:01.000Z', step: 'decision', detail: 'activated: FieldConfidenceCheck' },
          { at: '2024-05-01T10:04:00.000Z', step: 'delivered', detail: 'queue invoices-reviewed' },
        ],
      },
      { reviewId: 'r-1', workflow: 'claims', loopStatus: 'InProgress', steps: [] },
    ],
    ...overrides,
  };
}

const hostile = (): StatusSnapshot =>
  snapshot({
    workflows: [{ workflow: SCRIPT, records: 1, openLoops: 1, outcomes: { reviewed: 1, 'auto-accepted': 0, failed: 0, invalid: 0 }, queues: { [BREAKOUT]: 1 } }],
    records: [{ reviewId: BREAKOUT, workflow: SCRIPT, recordId: BREAKOUT, queue: SCRIPT, steps: [{ at: BREAKOUT, step: 'status', detail: SCRIPT }] }],
  });

/** The page's body parsed into the fake DOM. */
function dom(html: string) {
  const body = html.slice(html.indexOf('<body>') + '<body>'.length, html.indexOf('</body>'));
  return fakeWindow(body).document;
}

/** Cells' text, row by row, of a table body. */
function table(root: FakeNode, id: string): string[][] {
  return root.querySelector(`[id="${id}"]`)!.querySelectorAll('tr').map((tr) => tr.childNodes.map((cell) => cell.textContent));
}

describe('pageShell', () => {
  it('is a complete document with the nav, escaped title and no external assets', () => {
    // Act
    const html = pageShell('<b>Title</b>', '<p>body</p>');

    // Assess
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>&lt;b&gt;Title&lt;/b&gt;</title>');
    const links = startTags(html).filter((t) => t.name === 'a').map((t) => [t.attributes.href, t.attributeNames]);
    expect(links).toEqual([
      ['/', ['href']],
      ['/status', ['href']],
    ]);
    expect(startTags(html).some((t) => t.name === 'link' || t.attributes.src !== undefined)).toBe(false);
    expect(countScriptTags(html)).toBe(0);
  });

  it('refuses a script that would end its own element', () => {
    expect(() => pageShell('t', '', 'var a = "</script>";')).toThrow(/<\/script/);
  });
});

describe('taskListPage', () => {
  it('groups tasks per workflow with counts, each row linking to its task', () => {
    // Prepare
    const tasks = [
      task({ humanLoopName: 'loop-a', answersSoFar: 1, taskCount: 3 }),
      task({ humanLoopName: 'loop-b', workflow: 'claims', recordId: undefined }),
      task({ humanLoopName: 'loop-c' }),
    ];

    // Act
    const document = dom(taskListPage(tasks));

    // Assess
    const sections = document.querySelector('[id="tasks"]')!.querySelectorAll('section');
    expect(sections.map((s) => [s.getAttribute('data-workflow'), s.querySelector('h2')!.textContent])).toEqual([
      ['claims', 'claims (1 open task)'],
      ['invoices', 'invoices (2 open tasks)'],
    ]);
    const links = document.querySelectorAll('a.task');
    expect(links.map((a) => [a.getAttribute('data-loop'), a.getAttribute('href'), a.textContent])).toEqual([
      ['loop-b', '/tasks/loop-b', 'loop-b'],
      ['loop-a', '/tasks/loop-a', 'loop-a'],
      ['loop-c', '/tasks/loop-c', 'loop-c'],
    ]);
    const rowA = links[1].parentNode!.textContent;
    expect(rowA).toContain('record rec-1');
    expect(rowA).toContain('1 / 3 answers');
    expect(rowA).toContain('2024-05-01 10:00:00Z');
    expect(links[0].parentNode!.textContent).not.toContain('record');
    expect(document.querySelector('[id="empty"]')).toBeNull();
    expect(document.querySelectorAll('a').some((a) => a.getAttribute('href') === '/status' && a.textContent === 'pipeline status')).toBe(true);
  });

  it('says there is nothing to review and how to add work when empty', () => {
    // Act
    const document = dom(taskListPage([], { title: 'Review — demo' }));

    // Assess
    expect(document.querySelector('[id="tasks"]')).not.toBeNull();
    expect(document.querySelectorAll('a.task')).toHaveLength(0);
    const empty = document.querySelector('[id="empty"]')!.textContent;
    expect(empty).toContain('Nothing to review');
    expect(empty).toContain('inbox/');
    expect(empty).toContain('npx a2i-orchestrator dev upload FILE');
    expect(taskListPage([], { title: 'Review — demo' })).toContain('<title>Review — demo</title>');
  });

  it('escapes hostile workflow names, loop names and record ids', () => {
    // Prepare
    const tasks = [task({ humanLoopName: BREAKOUT, workflow: SCRIPT, recordId: SCRIPT, creationTime: BREAKOUT })];

    // Act
    const html = taskListPage(tasks);

    // Assess
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toContain(BREAKOUT);
    expect(countScriptTags(html)).toBe(0);
    expect(startTags(html).some((t) => t.name === 'img' || t.attributeNames.includes('onerror'))).toBe(false);
    const link = dom(html).querySelector('a.task')!;
    expect(link.getAttribute('data-loop')).toBe(BREAKOUT);
    expect(link.textContent).toBe(BREAKOUT);
    expect(dom(html).querySelector('section')!.getAttribute('data-workflow')).toBe(SCRIPT);
  });

  it('does not link a task URL that leaves the server', () => {
    for (const url of ['javascript:alert(1)', '//evil.example/x', 'https://evil.example/']) {
      expect(dom(taskListPage([task({ url })])).querySelector('a.task')!.getAttribute('href')).toBe('#');
    }
  });
});

describe('statusPage', () => {
  it('renders counts per workflow and outcome, deliveries per queue', () => {
    // Act
    const document = dom(statusPage(snapshot()));

    // Assess
    const row = document.querySelector('[id="counts"]')!.querySelector('[data-workflow="invoices"]')!;
    expect(OUTCOMES.map((o) => row.querySelector(`[data-outcome="${o}"]`)!.textContent)).toEqual(['3', '1', '0', '1']);
    expect(row.querySelector('[data-count="records"]')!.textContent).toBe('7');
    expect(row.querySelector('[data-count="open-loops"]')!.textContent).toBe('2');
    expect(table(document, 'counts-body')).toEqual([
      ['invoices', '7', '2', '3', '1', '0', '1'],
      ['claims', '1', '0', '0', '1', '0', '0'],
    ]);
    expect(table(document, 'queues-body')).toEqual([
      ['invoices-failed', 'invoices', '1'],
      ['invoices-reviewed', 'invoices', '4'],
      ['claims-reviewed', 'claims', '1'],
    ]);
  });

  it('lists record journeys with their steps as a timeline', () => {
    // Act
    const document = dom(statusPage(snapshot()));

    // Assess
    const rows = document.querySelector('[id="journeys"]')!.querySelectorAll('tr[data-review-id]');
    expect(rows.map((r) => r.getAttribute('data-review-id'))).toEqual(['r-2', 'r-1']);
    expect(rows[0].childNodes.slice(0, 5).map((c) => c.textContent)).toEqual(['r-2', 'invoices', 'inv-9', 'reviewed', 'invoices-reviewed']);
    expect(rows[0].querySelectorAll('li').map((li) => li.textContent)).toEqual([
      '10:01:00ingested: from inbox/a.json',
      '10:01:01decision: activated: FieldConfidenceCheck',
      '10:04:00delivered: queue invoices-reviewed',
    ]);
    expect(rows[0].querySelector('time')!.getAttribute('datetime')).toBe('2024-05-01T10:01:00.000Z');
    expect(rows[1].childNodes.slice(0, 5).map((c) => c.textContent)).toEqual(['r-1', 'claims', '—', 'loop InProgress', '—']);
    expect(document.querySelector('[id="updated"]')!.textContent).toContain('10:05:00');
  });

  it('shows empty tables when nothing has happened yet', () => {
    const document = dom(statusPage({ generatedAt: '2024-05-01T10:05:00.000Z', workflows: [], records: [] }));
    expect(table(document, 'counts-body')).toEqual([['No workflows yet.']]);
    expect(table(document, 'queues-body')).toEqual([['Nothing delivered yet.']]);
    expect(table(document, 'journeys-body')).toEqual([['No records yet.']]);
  });

  it('escapes hostile workflow names, queue names, ids and journey details', () => {
    // Act
    const html = statusPage(hostile());

    // Assess
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toContain(BREAKOUT);
    expect(countScriptTags(html)).toBe(1);
    expect(startTags(html).some((t) => t.name === 'img' || t.attributeNames.includes('onerror'))).toBe(false);
    const document = dom(html);
    expect(document.querySelector('[data-workflow]')!.getAttribute('data-workflow')).toBe(SCRIPT);
    expect(document.querySelector('[data-review-id]')!.getAttribute('data-review-id')).toBe(BREAKOUT);
    expect(table(document, 'journeys-body')[0].slice(0, 5)).toEqual([BREAKOUT, SCRIPT, BREAKOUT, 'in progress', SCRIPT]);
  });
});

describe('the status page script', () => {
  /** Runs the page's script against its own server-rendered DOM, with /status.json answering `next`. */
  function run(initial: StatusSnapshot, next: { ok: boolean; body?: unknown }) {
    const html = statusPage(initial);
    const document = dom(html);
    document.getElementById = (id: string) => document.querySelector(`[id="${id}"]`);
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const fetched: string[] = [];
    vm.runInNewContext(scriptBody(html, 'page-script'), {
      document,
      setTimeout: (fn: () => void, ms: number) => timers.push({ fn, ms }),
      fetch: async (url: string) => {
        fetched.push(url);
        return { ok: next.ok, status: next.ok ? 200 : 503, json: async () => next.body };
      },
    });
    const tick = async () => {
      timers.shift()!.fn();
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    return { document, timers, fetched, tick };
  }

  it('is static and builds the DOM without innerHTML', () => {
    const script = scriptBody(statusPage(hostile()), 'page-script');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script).toContain('textContent');
    expect(script).toBe(scriptBody(statusPage(snapshot()), 'page-script'));
  });

  it('polls /status.json every 2 seconds and re-renders what the server renders', async () => {
    // Prepare
    const empty = { generatedAt: '2024-05-01T09:00:00.000Z', workflows: [], records: [] };
    const { document, timers, fetched, tick } = run(empty, { ok: true, body: snapshot() });
    const expected = dom(statusPage(snapshot()));

    // Act
    expect(timers.map((t) => t.ms)).toEqual([2000]);
    await tick();

    // Assess
    expect(fetched).toEqual(['/status.json']);
    for (const id of ['counts-body', 'queues-body', 'journeys-body']) expect(table(document, id)).toEqual(table(expected, id));
    const hooks = (root: FakeNode) =>
      root.querySelectorAll('[data-workflow],[data-outcome],[data-review-id],[data-queue],[data-count]').map((n) => [...n.attrs.entries()].join());
    expect(hooks(document)).toEqual(hooks(expected));
    expect(document.querySelector('[id="updated"]')!.textContent).toBe(expected.querySelector('[id="updated"]')!.textContent);
    expect(timers.map((t) => t.ms)).toEqual([2000]);
  });

  it('puts hostile data in as text, never as markup', async () => {
    // Prepare
    const { document, tick } = run(snapshot(), { ok: true, body: hostile() });

    // Act
    await tick();

    // Assess
    expect(document.querySelector('main')!.querySelectorAll('img,script')).toHaveLength(0);
    expect(document.querySelector('[data-workflow]')!.getAttribute('data-workflow')).toBe(SCRIPT);
    expect(table(document, 'journeys-body')[0].slice(0, 5)).toEqual([BREAKOUT, SCRIPT, BREAKOUT, 'in progress', SCRIPT]);
    expect(document.querySelector('[id="journeys-body"]')!.querySelector('span')!.textContent).toBe(`status: ${SCRIPT}`);
  });

  it('keeps the last counts and says so when the server cannot be reached, then retries', async () => {
    // Prepare
    const { document, timers, tick } = run(snapshot(), { ok: false });

    // Act
    await tick();

    // Assess
    expect(document.querySelector('[id="updated"]')!.textContent).toContain('Cannot reach the server');
    expect(table(document, 'counts-body')[0]).toEqual(['invoices', '7', '2', '3', '1', '0', '1']);
    expect(timers.map((t) => t.ms)).toEqual([2000]);
  });
});
