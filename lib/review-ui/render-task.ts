/**
 * The local review UI's rendering core: a worker template rendered as A2I renders it (DESIGN.md §4,
 * "Worker-template fidelity"), inside a page that loads our crowd-element shims instead of AWS's CDN.
 *
 * - `task.input` is the parsed InputContent; liquidjs with every output HTML-escaped by default.
 * - A2I's filters: `escape` and `escape_once` (escaped once, not again by the default), `skip_autoescape`
 *   (raw output; there is no `skip_encoding`, and liquidjs's own `raw` is refused), `to_json` (see toJson)
 *   and `grant_read_access` (RenderOptions.grantReadAccess). Unknown filters are errors.
 * - Past A2I, safe by default (neutralise.ts): input cannot put a javascript:/data:/… URL in an href or
 *   src (prefixed `unsafe:`), cannot leave an unquoted attribute, cannot name an event handler, and is
 *   JavaScript-escaped inside scripts and event handlers. The template's own markup is never rewritten.
 * - Errors are TemplateRenderError (name "TemplateRenderError", `cause` the Liquid error).
 */
import { Liquid } from 'liquidjs';
import { neutraliseInputInMarkup, MARK_CLOSE, MARK_OPEN, stripMarks } from './neutralise';

export { answerContent } from './answer-content';
export type { BoundingBox, FieldState } from './answer-content';
export { CROWD_ELEMENTS_SCRIPT } from './crowd-elements';

/** Where the page loads the shims from unless RenderOptions says otherwise; the review server serves CROWD_ELEMENTS_SCRIPT there. */
export const DEFAULT_CROWD_ELEMENTS_URL = '/crowd-elements.js';

export interface RenderOptions {
  /** grant_read_access: turns an s3:// URI into a URL the browser can open (locally, a URL served by the emulator). */
  grantReadAccess(s3Uri: string): string;
  /** Where the page posts the answer (JSON {answerContent}) */
  submitUrl: string;
  /** Where the page loads CROWD_ELEMENTS_SCRIPT from; defaults to DEFAULT_CROWD_ELEMENTS_URL. */
  crowdElementsUrl?: string;
  /** The page's <title>; defaults to "Review task". */
  title?: string;
}

/**
 * The real templates load AWS's elements from the CDN; locally that tag is replaced by a comment and the
 * page loads our shims instead (no network). Matched in the template source, before rendering, so no
 * input can take part in it.
 */
const CROWD_CDN_SCRIPT =
  /<script\b[^>]*\bsrc\s*=\s*["']?https?:\/\/assets\.crowd\.aws\/crowd-html-elements\.js["']?[^>]*>\s*<\/script\s*>/gi;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Like escape, but leaves character references already in the text alone (`&amp;` stays `&amp;`), as Shopify Liquid's escape_once. */
function escapeOnce(text: string): string {
  return text.replace(/["<>']|&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#\d+|#[xX][0-9a-fA-F]+);)/g, (c) => HTML_ESCAPES[c]);
}

/** What `{{ value }}` prints before escaping, as liquidjs prints it: nil → "", arrays joined, objects through String(). */
function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(stringify).join('');
  return String(value);
}

/**
 * to_json: JSON with `<`, `>`, `&`, `'`, U+2028 and U+2029 written as \u escapes (the JSON means the same),
 * so `{{ x | to_json | skip_autoescape }}` inside <script> can never close the script or open a comment.
 * Without skip_autoescape the output is HTML-escaped like any other output, ready for an attribute.
 */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value === undefined ? null : value) ?? 'null';
  return json.replace(/[<>&'\u2028\u2029\uE000\uE001]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const marked = (escaped: string): string => `${MARK_OPEN}${escaped}${MARK_CLOSE}`;

/** What escape and escape_once return: HTML already escaped, so the output step does not escape it again. */
class Escaped {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

function engine(options: RenderOptions): Liquid {
  const liquid = new Liquid({
    // Every output is escaped unless its last filter is raw (escape, escape_once, skip_autoescape);
    // escaped input is marked so the post-pass knows which parts of the page came from the input.
    outputEscape: (value: unknown) => marked(value instanceof Escaped ? value.html : escapeHtml(stripMarks(stringify(value)))),
    strictFilters: true,
    ownPropertyOnly: true,
  });
  // A2I: "You can explicitly add the escape filter" — the output is escaped once, not twice. Filters after
  // escape see the escaped text, as in Shopify Liquid.
  liquid.registerFilter('escape', (value: unknown) => new Escaped(escapeHtml(stripMarks(stringify(value)))));
  liquid.registerFilter('escape_once', (value: unknown) => new Escaped(escapeOnce(stripMarks(stringify(value)))));
  // Raw output: the template says this input is HTML; no escaping and no neutralising (marks removed).
  liquid.registerFilter('skip_autoescape', { raw: true, handler: (value: unknown) => stringify(value).replace(/[\uE000\uE001]/g, '') });
  // liquidjs's own `raw` filter would print input unescaped; A2I has no such filter (skip_autoescape is the way).
  liquid.registerFilter('raw', () => {
    throw new Error('there is no raw filter in A2I templates: use skip_autoescape');
  });
  liquid.registerFilter('to_json', (value: unknown) => toJson(value));
  liquid.registerFilter('grant_read_access', (value: unknown) => {
    const uri = stringify(value);
    return uri === '' ? '' : options.grantReadAccess(uri);
  });
  return liquid;
}

/**
 * A template that does not parse or render: Liquid syntax, an unknown filter (liquidjs's strictFilters —
 * a typo such as `skip_encoding` fails here rather than printing the value as lax Liquid would), a
 * grant_read_access failure. `cause` is the underlying error.
 */
export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Renders the template body (no page around it) with `task.input` bound to the parsed InputContent. */
export async function renderTemplate(template: string, input: unknown, options: RenderOptions): Promise<string> {
  // A mark character written in the template itself is kept as a character reference.
  const source = template
    .replace(/\uE000/g, '&#xE000;')
    .replace(/\uE001/g, '&#xE001;')
    .replace(CROWD_CDN_SCRIPT, '<!-- crowd-html-elements.js: replaced by the local shims this page loads -->');
  let rendered: string;
  try {
    rendered = await engine(options).parseAndRender(source, { task: { input } });
  } catch (error) {
    throw new TemplateRenderError(`worker template: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return neutraliseInputInMarkup(rendered);
}

function page(title: string, head: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    head,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Renders a worker template (Liquid) for one task: `task.input` is the parsed InputContent. Returns a whole HTML page: the rendered template inside a page that loads the crowd-element shims. */
export async function renderTaskPage(template: string, input: unknown, options: RenderOptions): Promise<string> {
  const body = await renderTemplate(template, input, options);
  const head = [
    `<meta name="a2i-submit-url" content="${escapeHtml(options.submitUrl)}">`,
    `<script src="${escapeHtml(options.crowdElementsUrl ?? DEFAULT_CROWD_ELEMENTS_URL)}" defer></script>`,
  ].join('\n');
  return page(options.title ?? 'Review task', head, body);
}

/** The generic page's own script: reads the JSON answer, checks it is an object, posts {answerContent}. */
const GENERIC_SCRIPT = `
(function () {
  var form = document.getElementById('answer-form');
  var area = document.getElementById('answer');
  var message = document.getElementById('answer-error');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var answer;
    try { answer = JSON.parse(area.value); } catch (e) { answer = undefined; }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
      message.textContent = 'The answer must be a JSON object.';
      message.hidden = false;
      return;
    }
    message.hidden = true;
    var url = document.querySelector('meta[name="a2i-submit-url"]').getAttribute('content');
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answerContent: answer }) })
      .then(function (response) {
        if (!response.ok) return response.text().then(function (t) { message.textContent = 'Submission failed (' + response.status + '): ' + t; message.hidden = false; });
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (body && typeof body.redirect === 'string') window.location.assign(body.redirect);
          else document.body.setAttribute('data-crowd-submitted', 'true');
        });
      }, function (error) { message.textContent = 'Submission failed: ' + error; message.hidden = false; });
  });
})();
`;

/** The page for a workflow without a template: the input pretty-printed (escaped) and a JSON textarea for the answer. */
export function genericAnswerPage(input: unknown, options: RenderOptions): string {
  const pretty = JSON.stringify(input === undefined ? null : input, null, 2) ?? 'null';
  const head = `<meta name="a2i-submit-url" content="${escapeHtml(options.submitUrl)}">`;
  const body = [
    '<h1>Review task</h1>',
    '<h2>Input</h2>',
    `<pre id="input">${escapeHtml(pretty)}</pre>`,
    '<form id="answer-form">',
    '<label for="answer">Answer (a JSON object, recorded as answerContent)</label><br>',
    '<textarea id="answer" name="answer" rows="12" cols="80" spellcheck="false">{}</textarea>',
    '<div id="answer-error" role="alert" hidden></div>',
    '<button type="submit">Submit</button>',
    '</form>',
    `<script>${GENERIC_SCRIPT}</script>`,
  ].join('\n');
  return page(options.title ?? 'Review task', head, body);
}
