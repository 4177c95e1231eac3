import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { answerContent, type FieldState } from '../../lib/review-ui/answer-content';
import { CROWD_ELEMENTS_SCRIPT } from '../../lib/review-ui/crowd-elements';
import { renderTaskPage } from '../../lib/review-ui/render-task';
import { fakeWindow, FakeEvent, type FakeElement, type FakeWindow } from './fake-dom';

const invoiceTemplate = readFileSync(join(__dirname, '../../workflows/templates/invoice-extraction.liquid.html'), 'utf8');
const invoiceInput = JSON.parse(readFileSync(join(__dirname, '../fixtures/review-ui/invoice-input.json'), 'utf8'));

const SUBMIT_URL = '/review/loops/loop-1/answer';

/** Loads a rendered page into the fake DOM and runs the shims, as the deferred script would. */
async function load(template: string, input: unknown = {}): Promise<FakeWindow> {
  const page = await renderTaskPage(template, input, { grantReadAccess: (u) => `http://local/${u}`, submitUrl: SUBMIT_URL });
  const head = page.slice(page.indexOf('<head>') + 6, page.indexOf('</head>'));
  const body = page.slice(page.indexOf('<body>') + 6, page.indexOf('</body>'));
  const win = fakeWindow(body, head);
  vm.runInNewContext(CROWD_ELEMENTS_SCRIPT, win.sandbox);
  return win;
}

const form = (win: FakeWindow) => win.document.querySelector('crowd-form') as FakeElement;
const byName = (win: FakeWindow, tag: string, name: string, value?: string) =>
  win.document.querySelectorAll(tag).find((el) => el.getAttribute('name') === name && (value === undefined || el.getAttribute('value') === value)) as FakeElement;
const submitButton = (win: FakeWindow) =>
  form(win).querySelectorAll('button').find((b) => b.parentNode?.tagName === 'CROWD-BUTTON') as FakeElement;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CROWD_ELEMENTS_SCRIPT', () => {
  it('embeds the answerContent function the unit tests exercise', () => {
    expect(CROWD_ELEMENTS_SCRIPT).toContain(answerContent.toString());
    expect(() => new vm.Script(CROWD_ELEMENTS_SCRIPT)).not.toThrow();
  });

  it('defines every crowd element the templates use and says when they are ready', async () => {
    const page = await renderTaskPage('<crowd-form></crowd-form>', {}, { grantReadAccess: (u) => u, submitUrl: SUBMIT_URL });
    const win = fakeWindow(page.slice(page.indexOf('<body>') + 6, page.indexOf('</body>')));
    const ready = jest.fn();
    win.document.addEventListener('all-crowd-elements-ready', ready);

    vm.runInNewContext(CROWD_ELEMENTS_SCRIPT, win.sandbox);

    expect(ready).toHaveBeenCalledTimes(1);
    const defined = (win.sandbox.customElements as { get(tag: string): unknown });

    for (const tag of [
      'crowd-form', 'crowd-button', 'crowd-input', 'crowd-text-area', 'crowd-checkbox', 'crowd-radio-group', 'crowd-radio-button',
      'crowd-classifier', 'crowd-classifier-multi-select', 'crowd-toggle-button', 'crowd-alert', 'crowd-instructions', 'crowd-bounding-box',
    ]) {
      expect(defined.get(tag)).toBeDefined();
    }
  });

  it('gives the browser the same answerContent as the module', async () => {
    const win = await load('');
    const fields: FieldState[] = [
      { kind: 'text', name: 'a', value: 'x' },
      { kind: 'checkbox', name: 'c', checked: false },
      { kind: 'radio', name: 'r', value: 'v', checked: true },
      { kind: 'classifier-multi', name: 'm', labels: ['l'] },
    ];
    const shim = (win.sandbox.window as { crowdElements: { answerContent: typeof answerContent } }).crowdElements;

    expect(JSON.stringify(shim.answerContent(fields))).toBe(JSON.stringify(answerContent(fields)));
  });
});

describe('crowd-form on the invoice template', () => {
  it('posts answerContent as A2I records it', async () => {
    // Prepare
    const win = await load(invoiceTemplate, invoiceInput);
    byName(win, 'crowd-input', 'iban').control.value = 'DE89 3704 0044 0532 0130 01';
    byName(win, 'crowd-radio-button', 'verdict', 'corrected').control.click();

    // Act
    submitButton(win).click();
    await settle();

    // Assess
    expect(win.posts).toEqual([
      {
        url: SUBMIT_URL,
        body: {
          answerContent: {
            invoice_date: '2026-11-02',
            iban: 'DE89 3704 0044 0532 0130 01',
            total_amount: '1234.5',
            verdict: { correct: false, corrected: true },
          },
        },
      },
    ]);
    expect(win.document.body.getAttribute('data-crowd-submitted')).toBe('true');
  });

  it('adds a submit button when the template has none', async () => {
    const win = await load(invoiceTemplate, invoiceInput);

    const buttons = form(win).querySelectorAll('crowd-button');
    expect(buttons).toHaveLength(1);
    expect(buttons[0].getAttribute('form-action')).toBe('submit');
    expect(submitButton(win).textContent).toBe('Submit');
  });

  it('does not add one when the template has its own', async () => {
    const win = await load('<crowd-form><crowd-input name="a"></crowd-input><crowd-button form-action="submit">Send</crowd-button></crowd-form>');

    expect(form(win).querySelectorAll('crowd-button')).toHaveLength(1);
    expect(submitButton(win).textContent).toBe('Send');
  });

  it('refuses to submit while a required field is empty, with a visible message', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    byName(win, 'crowd-input', 'total_amount').control.value = '';

    submitButton(win).click();
    await settle();

    expect(win.posts).toEqual([]);
    const message = form(win).querySelector('.crowd-form-error') as FakeElement;
    expect(message.hidden).toBe(false);
    expect(message.textContent).toContain('total_amount');
    expect(byName(win, 'crowd-input', 'total_amount').control.getAttribute('aria-invalid')).toBe('true');
  });

  it('lets a template submit handler preventDefault()', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    const handler = jest.fn((event: FakeEvent) => event.preventDefault());
    form(win).addEventListener('submit', handler);

    submitButton(win).click();
    await settle();

    expect(handler).toHaveBeenCalledTimes(1);
    expect(win.posts).toEqual([]);
  });

  it('lets an onsubmit handler returning false stop the submission', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    form(win).onsubmit = () => false;

    submitButton(win).click();
    await settle();

    expect(win.posts).toEqual([]);
  });

  it('posts once when an onsubmit handler lets it through', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    form(win).onsubmit = () => undefined;

    submitButton(win).click();
    submitButton(win).click();
    await settle();

    expect(win.posts).toHaveLength(1);
  });

  it('follows a redirect the server answers with', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    win.respond = { ok: true, status: 200, body: { redirect: '/review' } };

    submitButton(win).click();
    await settle();

    expect((win.sandbox.window as { navigatedTo?: string }).navigatedTo).toBe('/review');
  });

  it('shows the server error and stays on the page', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    win.respond = { ok: false, status: 409, body: { message: 'loop already completed' } };

    submitButton(win).click();
    await settle();

    expect((form(win).querySelector('.crowd-form-error') as FakeElement).textContent).toContain('409');
  });
});

describe('crowd elements → answerContent', () => {
  const collect = (win: FakeWindow) => (form(win).collect() as { answerContent: Record<string, unknown> }).answerContent;

  it('reads checkboxes, toggles, classifiers and native fields', async () => {
    const win = await load(`<crowd-form>
      <crowd-checkbox name="issues" value="blurry" checked>Blurry</crowd-checkbox>
      <crowd-checkbox name="issues" value="cropped">Cropped</crowd-checkbox>
      <crowd-checkbox name="agree">I agree</crowd-checkbox>
      <crowd-toggle-button name="urgent"></crowd-toggle-button>
      <crowd-classifier name="sentiment" categories="['Positive', 'Negative']" header="How does it sound?">
        <classification-target>{{ task.input.text }}</classification-target>
      </crowd-classifier>
      <crowd-classifier-multi-select name="topics" categories='["billing","tax","other"]'></crowd-classifier-multi-select>
      <input name="native_text" value="typed">
      <input type="checkbox" name="native_box" checked>
      <select name="native_select"><option value="a">A</option><option value="b" selected>B</option></select>
      <textarea name="native_area"></textarea>
      <crowd-text-area name="comment"></crowd-text-area>
    </crowd-form>`, { text: 'Great service' });
    const classifier = byName(win, 'crowd-classifier', 'sentiment');
    classifier.controls[1].click();
    byName(win, 'crowd-classifier-multi-select', 'topics').controls[0].click();
    byName(win, 'crowd-classifier-multi-select', 'topics').controls[1].click();
    byName(win, 'crowd-toggle-button', 'urgent').querySelector('button')!.dispatchEvent(new FakeEvent('click', { bubbles: true }));

    const answer = collect(win);

    expect(answer).toEqual({
      issues: { blurry: true, cropped: false },
      agree: { on: false },
      urgent: { on: true },
      sentiment: { label: 'Negative' },
      topics: { labels: ['billing', 'tax'] },
      native_text: 'typed',
      native_box: 'on',
      native_select: 'b',
    });
    expect(classifier.textContent).toContain('Great service');
  });

  it('leaves an unanswered classifier and an empty radio group as the spec says', async () => {
    const win = await load(`<crowd-form>
      <crowd-classifier name="sentiment" categories='["a","b"]'></crowd-classifier>
      <crowd-radio-group>
        <crowd-radio-button name="verdict" value="yes">Yes</crowd-radio-button>
        <crowd-radio-button name="verdict" value="no">No</crowd-radio-button>
      </crowd-radio-group>
    </crowd-form>`);

    expect(collect(win)).toEqual({ verdict: { yes: false, no: false } });
  });

  it('keeps one radio button chosen per group', async () => {
    const win = await load(`<crowd-form><crowd-radio-group>
      <crowd-radio-button name="v" value="a" checked>A</crowd-radio-button>
      <crowd-radio-button name="v" value="b">B</crowd-radio-button>
    </crowd-radio-group></crowd-form>`);

    byName(win, 'crowd-radio-button', 'v', 'b').control.click();

    expect(collect(win)).toEqual({ v: { a: false, b: true } });
  });

  it('reads crowd-bounding-box boxes and the image size', async () => {
    const win = await load(`<crowd-form>
      <crowd-bounding-box name="annotated" src="{{ task.input.uri | grant_read_access }}" labels="['total', 'date']"
        initial-value='[{"left":10,"top":20,"width":30,"height":40,"label":"date"}]'></crowd-bounding-box>
    </crowd-form>`, { uri: 's3://b/scan.png' });
    const box = byName(win, 'crowd-bounding-box', 'annotated');
    box.img.naturalWidth = 800;
    box.img.naturalHeight = 600;

    expect(box.img.getAttribute('src')).toBe('http://local/s3://b/scan.png');
    expect(collect(win)).toEqual({
      annotated: {
        boundingBoxes: [{ height: 40, label: 'date', left: 10, top: 20, width: 30 }],
        inputImageProperties: { height: 600, width: 800 },
      },
    });
  });

  it('honours required on a radio group and a crowd-checkbox', async () => {
    const win = await load(`<crowd-form>
      <crowd-radio-group required><crowd-radio-button name="v" value="a">A</crowd-radio-button></crowd-radio-group>
      <crowd-checkbox name="agree" required>Agree</crowd-checkbox>
    </crowd-form>`);

    expect(form(win).collect().missing).toEqual(['v', 'agree']);
  });

  it('renders crowd-instructions with a toggle for the details', async () => {
    const win = await load(invoiceTemplate, invoiceInput);
    const instructions = win.document.querySelector('crowd-instructions') as FakeElement;
    const toggle = instructions.querySelector('button') as FakeElement;

    toggle.click();

    expect(toggle.textContent).toBe('View instructions');
    expect(instructions.classList.contains('crowd-open')).toBe(true);
  });
});
