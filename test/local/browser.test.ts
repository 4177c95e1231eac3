/**
 * The review UI in a real browser: local mode's whole stack (the local S3, SQS and DynamoDB, the A2I emulator, local Step
 * Functions, the UI server) on 127.0.0.1, driven through Debian's chromium with playwright-core.
 *
 * CI installs chromium with apt; without /usr/bin/chromium these tests fail, unless A2I_SKIP_BROWSER=1.
 */
import '../support/quiet-env';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { OpenTask } from '../../lib/emulator/a2i-emulator';
import { type Delivery, LocalStack } from '../../lib/local/stack';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = process.env.A2I_SKIP_BROWSER === '1';
const REPO = join(__dirname, '..', '..');
const WORKFLOW = 'invoice-extraction';
/** How long an event in the pipeline may take before the test gives up (a deadline, never a sleep). */
const DEADLINE_MS = 30_000;

jest.setTimeout(60_000);

/** Items as they arrive; `waitFor` resolves once enough of them match, or rejects at the deadline. */
class Arrivals<T> {
  readonly items: T[] = [];
  private waiters: { check(): void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) waiter.check();
  }

  waitFor(what: string, match: (item: T) => boolean, count = 1, timeoutMs = DEADLINE_MS): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const waiter = {
        check: () => {
          const found = this.items.filter(match);
          if (found.length < count) return;
          this.waiters = this.waiters.filter((other) => other !== waiter);
          clearTimeout(timer);
          resolve(found);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`gave up after ${timeoutMs} ms waiting for ${count} × ${what}; saw ${this.items.length} item(s)`));
      }, timeoutMs);
      this.waiters.push(waiter);
      waiter.check();
    });
  }
}

/** A stack with its events recorded, and a temp state dir removed on close. */
interface Harness {
  stack: LocalStack;
  loops: Arrivals<OpenTask>;
  deliveries: Arrivals<Delivery>;
  problems: string[];
  close(): Promise<void>;
}

async function startHarness(workflowsDir: string): Promise<Harness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-browser-state-'));
  const loops = new Arrivals<OpenTask>();
  const deliveries = new Arrivals<Delivery>();
  const problems: string[] = [];
  let stack: LocalStack;
  try {
    stack = await LocalStack.start({
      workflows: workflowsDir,
      stateDir,
      onLoopStarted: (task) => loops.push(task),
      onDelivered: (delivery) => deliveries.push(delivery),
      onProblem: (text) => problems.push(text),
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  return {
    stack,
    loops,
    deliveries,
    problems,
    close: async () => {
      try {
        await stack.close();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}

/** Page errors and console errors, collected per page; each test fails on any it did not expect. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
}

const describeBrowser = SKIP ? describe.skip : describe;

describeBrowser('review UI in chromium', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it (apt-get install chromium) or set A2I_SKIP_BROWSER=1 to skip the browser tests`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh context and page per test, with errors recorded. */
  async function openPage(errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
    if (!browser) throw new Error('chromium did not start');
    const context = await browser.newContext();
    const page = await context.newPage();
    watchErrors(page, errors);
    return { context, page };
  }

  describe('a person reviews an invoice', () => {
    let harness: Harness | undefined;
    let context: BrowserContext | undefined;
    const errors: string[] = [];

    beforeAll(async () => {
      harness = await startHarness(join(REPO, 'workflows'));
    });

    afterAll(async () => {
      await context?.close().catch(() => undefined);
      await harness?.close();
    });

    it('corrects the total through the task page and the answer is routed to corrections', async () => {
      // Prepare: 3 of the 5 sample invoices need a person, 2 are auto-accepted
      const { stack, loops, deliveries, problems } = harness!;
      await stack.upload('invoices.jsonl', readFileSync(join(REPO, 'samples', 'invoices.jsonl')));
      const started = await loops.waitFor('loop started', () => true, 3);
      await deliveries.waitFor('auto-accepted delivery', (d) => d.message.outcome === 'auto-accepted', 2);
      expect(stack.emulator.openTasks()).toHaveLength(3);
      const opened = await openPage(errors);
      context = opened.context;
      const { page } = opened;

      // Act: open the task list and pick a task
      await page.goto(`${stack.url}/`);
      const links = page.locator('a.task[data-loop]');
      await expect(links.count()).resolves.toBe(3);
      const listed = await Promise.all((await links.all()).map(async (link) => (await link.getAttribute('data-loop')) ?? ''));
      expect([...listed].sort()).toEqual(started.map((task) => task.humanLoopName).sort());
      const loopName = listed[0];
      await links.first().click();
      await page.waitForURL(`${stack.url}/tasks/${loopName}`);
      await page.waitForFunction('window.__crowdElementsShim === true && !!customElements.get("crowd-form")');

      // Act: correct the total, say so, add a note, and submit as a person would
      const total = page.getByLabel('Total amount as printed', { exact: true });
      await total.fill('1999.99');
      await page.getByRole('radio', { name: 'I corrected one or more fields' }).check();
      await page.getByLabel('Notes (optional)', { exact: true }).fill('Total was misread: printed 1,999.99');
      await page.getByRole('button', { name: 'Submit', exact: true }).click();
      await page.waitForURL(`${stack.url}/`);

      // Assess: the routed message for this loop
      const [delivery] = await deliveries.waitFor(`delivery for ${loopName}`, (d) => d.message.reviewId === loopName);
      expect(delivery.workflow).toBe(WORKFLOW);
      expect(delivery.queue).toBe('corrections');
      const { message } = delivery;
      expect(message.outcome).toBe('reviewed');
      expect(message.reviewId).toBe(loopName);
      expect(message.review?.humanLoopName).toBe(loopName);
      expect(message.review?.status).toBe('Completed');
      const answer = (message.review?.answers?.[0] ?? {}) as { answerContent?: Record<string, unknown> };
      expect(answer.answerContent).toMatchObject({
        total_amount: '1999.99',
        notes: 'Total was misread: printed 1,999.99',
        verdict: { correct: false, corrected: true },
      });
      expect(message.review?.consolidated).toMatchObject({ total_amount: '1999.99', verdict: { correct: false, corrected: true } });

      // Assess: back on the task list, without the reviewed task
      await expect(page.locator('a.task[data-loop]').count()).resolves.toBe(2);
      await expect(page.locator(`a.task[data-loop="${loopName}"]`).count()).resolves.toBe(0);
      expect(stack.emulator.openTasks().map((task) => task.humanLoopName)).not.toContain(loopName);

      // Assess: the status page counts the review
      await page.goto(`${stack.url}/status`);
      await expect(page.locator(`[data-workflow="${WORKFLOW}"] [data-outcome="reviewed"]`).textContent()).resolves.toBe('1');
      await expect(page.locator(`[data-workflow="${WORKFLOW}"] [data-outcome="auto-accepted"]`).textContent()).resolves.toBe('2');
      expect(errors).toEqual([]);
      expect(problems).toEqual([]);
    });
  });

  describe('hostile input', () => {
    const SCRIPT = '<script>window.__xss=1</script>';
    const IMG = '"><img src=x onerror="window.__xss=2">';
    const URI = 'javascript:window.__xss=3';
    let harness: Harness | undefined;
    let context: BrowserContext | undefined;
    let workflowsDir: string | undefined;
    const errors: string[] = [];

    beforeAll(async () => {
      workflowsDir = mkdtempSync(join(tmpdir(), 'a2i-browser-workflows-'));
      mkdirSync(join(workflowsDir, 'templates'));
      copyFileSync(join(REPO, 'workflows', 'invoice-extraction.yaml'), join(workflowsDir, 'invoice-extraction.yaml'));
      copyFileSync(join(REPO, 'workflows', 'templates', 'invoice-extraction.liquid.html'), join(workflowsDir, 'templates', 'invoice-extraction.liquid.html'));
      harness = await startHarness(workflowsDir);
    });

    afterAll(async () => {
      await context?.close().catch(() => undefined);
      try {
        await harness?.close();
      } finally {
        if (workflowsDir) rmSync(workflowsDir, { recursive: true, force: true });
      }
    });

    it('shows hostile record values as text and runs none of them', async () => {
      // Prepare: a record that activates (low confidence) with markup and a javascript: URI in what the template shows
      const { stack, loops, problems } = harness!;
      const record = {
        documentId: `inv-${SCRIPT}`,
        documentUri: URI,
        vendor: { name: `${SCRIPT}${IMG}`, trust: 'new' },
        currency: 'EUR',
        totalAmount: 12,
        fields: [
          { name: 'vendor_name', value: IMG, confidence: 0.1 },
          { name: 'invoice_number', value: SCRIPT, confidence: 0.99 },
          { name: 'total_amount', value: '12.00', confidence: 0.99 },
        ],
      };
      await stack.upload('hostile.jsonl', Buffer.from(`${JSON.stringify(record)}\n`));
      const [task] = await loops.waitFor('loop started', () => true);
      const opened = await openPage(errors);
      context = opened.context;
      const { page } = opened;
      const popups: Page[] = [];
      context.on('page', (popup) => {
        popups.push(popup);
        watchErrors(popup, errors);
      });
      const imgRequests: string[] = [];
      context.on('request', (request) => {
        if (request.resourceType() === 'image') imgRequests.push(request.url());
      });

      // Act: open the task page
      await page.goto(`${stack.url}/tasks/${task.humanLoopName}`, { waitUntil: 'load' });
      await page.waitForFunction('window.__crowdElementsShim === true && !!customElements.get("crowd-form")');

      // Assess: nothing ran, nothing was injected, the text is shown as text
      await expect(page.evaluate('typeof window.__xss')).resolves.toBe('undefined');
      await expect(page.locator('img').count()).resolves.toBe(0);
      await expect(page.locator('main script, body script:not([src])').count()).resolves.toBe(0);
      await expect(page.locator('h2').first().textContent()).resolves.toBe(`Invoice inv-${SCRIPT}`);
      await expect(page.getByText(`Vendor: ${SCRIPT}${IMG}`).count()).resolves.toBe(1);
      await expect(page.getByLabel('vendor_name (model confidence 0.1)', { exact: true }).inputValue()).resolves.toBe(IMG);
      await expect(page.getByLabel('invoice_number (model confidence 0.99)', { exact: true }).inputValue()).resolves.toBe(SCRIPT);

      // Act: follow the document link
      const link = page.getByRole('link', { name: 'Open the scanned invoice' });
      const href = await link.getAttribute('href');
      // neutralise.ts prefixes input URLs with a script scheme by `unsafe:`: the link is shown but goes nowhere
      expect(href).toBe(`unsafe:${URI}`);
      expect(new URL(href ?? '', stack.url).protocol).toBe('unsafe:');
      await link.click();
      await page.waitForLoadState('load');
      await Promise.all(popups.map((popup) => popup.waitForLoadState('load').catch(() => undefined)));

      // Assess: still nothing ran, here or in any window the click opened
      await expect(page.evaluate('typeof window.__xss')).resolves.toBe('undefined');
      for (const popup of popups) {
        await expect(popup.evaluate('typeof window.__xss').catch(() => 'undefined')).resolves.toBe('undefined');
        expect(popup.url()).not.toMatch(/^javascript:/i);
      }
      await expect(page.locator('img').count()).resolves.toBe(0);
      expect(imgRequests).toEqual([]);
      expect(errors).toEqual([]);
      expect(problems).toEqual([]);
    });
  });
});
