import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { isUnsafeUrl, trimControlsAndSpaces } from '../../lib/review-ui/neutralise';
import { genericAnswerPage, renderTaskPage, renderTemplate, type RenderOptions } from '../../lib/review-ui/render-task';
import { countScriptTags, scriptBody, startTags } from './html';

interface Payload {
  name: string;
  payload: string;
}

const corpus: Payload[] = JSON.parse(readFileSync(join(__dirname, '../fixtures/review-ui/xss-corpus.json'), 'utf8'));

const options: RenderOptions = {
  grantReadAccess: (uri) => `http://127.0.0.1:4566/_a2i/objects?uri=${encodeURIComponent(uri)}`,
  submitUrl: '/review/loops/loop-1/answer',
};

/** Every place a template puts input, escaped (the default) or through A2I's filters. */
const TEMPLATE = `<crowd-form>
<p id="text">{{ task.input.v }}</p>
<span id="dq" title="{{ task.input.v }}"></span>
<span id="sq" title='{{ task.input.v }}'></span>
<span id="uq" title={{ task.input.v }}></span>
<a id="link" href="{{ task.input.v }}">link</a>
<a id="link-escape" href="{{ task.input.v | escape }}">link</a>
<a id="link-once" href="{{ task.input.v | escape_once }}">link</a>
<a id="link-prefixed" href="{{ task.input.v }}/path">link</a>
<img id="img" src="{{ task.input.v }}">
<iframe id="frame" srcdoc="<p>{{ task.input.v }}</p>"></iframe>
<crowd-input id="input" name="answer" value="{{ task.input.v }}"></crowd-input>
<textarea id="ta" name="t">{{ task.input.v }}</textarea>
<div id="json-attr" data-json="{{ task.input | to_json }}"></div>
<!-- {{ task.input.v }} -->
</crowd-form>
<script id="data">var input = {{ task.input | to_json | skip_autoescape }};</script>
<script id="str">var v = "{{ task.input.v }}";</script>
<button id="handler" onclick="say('{{ task.input.v }}')">say</button>`;

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  'crowd-form': [],
  p: ['id'],
  span: ['id', 'title'],
  a: ['id', 'href'],
  img: ['id', 'src'],
  iframe: ['id', 'srcdoc'],
  'crowd-input': ['id', 'name', 'value'],
  textarea: ['id', 'name'],
  div: ['id', 'data-json'],
  script: ['id'],
  button: ['id', 'onclick'],
};
const IDS = ['text', 'dq', 'sq', 'uq', 'link', 'link-escape', 'link-once', 'link-prefixed', 'img', 'frame', 'input', 'ta', 'json-attr', 'data', 'str', 'handler'];
const URL_IDS = ['link', 'link-escape', 'link-once', 'img'];

describe.each(corpus)('XSS corpus: $name', ({ payload }) => {
  const input = { v: payload };
  let html: string;

  beforeAll(async () => {
    html = await renderTemplate(TEMPLATE, input, options);
  });

  it('adds no element and no <script> of its own', () => {
    const tags = startTags(html);

    expect(tags.map((t) => t.name)).toEqual(['crowd-form', 'p', 'span', 'span', 'span', 'a', 'a', 'a', 'a', 'img', 'iframe', 'crowd-input', 'textarea', 'div', 'script', 'script', 'button']);
    expect(countScriptTags(html)).toBe(2);
  });

  it('breaks no attribute: every tag keeps exactly the template attributes', () => {
    for (const tag of startTags(html)) {
      expect(tag.attributeNames.every((name) => ALLOWED_ATTRIBUTES[tag.name].includes(name))).toBe(true);
      if (tag.name !== 'crowd-form') expect(tag.attributeNames).toContain('id');
    }
    expect(startTags(html).map((t) => t.attributes.id).slice(1)).toEqual(IDS);
  });

  it('shows the input as text in content and quoted attributes', () => {
    const byId = new Map(startTags(html).map((t) => [t.attributes.id, t]));

    expect(byId.get('dq')?.attributes.title).toBe(payload.replace(/[\uE000\uE001]/g, '\uFFFD'));
    expect(byId.get('sq')?.attributes.title).toBe(payload.replace(/[\uE000\uE001]/g, '\uFFFD'));
    expect(byId.get('uq')?.attributes.title).toBe(payload.replace(/[\uE000\uE001]/g, '\uFFFD'));
    expect(byId.get('input')?.attributes.value).toBe(payload.replace(/[\uE000\uE001]/g, '\uFFFD'));
  });

  it('leaves no URL attribute that runs script', () => {
    const byId = new Map(startTags(html).map((t) => [t.attributes.id, t]));

    for (const id of URL_IDS) {
      const tag = byId.get(id)!;
      const url = tag.attributes.href ?? tag.attributes.src;
      // The attribute value as the browser has it (already decoded), as its URL parser reads the scheme.
      const scheme = /^([^/?#]*?):/.exec(trimControlsAndSpaces(url).replace(/[\t\n\r]/g, ''))?.[1].toLowerCase();
      expect(scheme === undefined || ['http', 'https', 'unsafe'].includes(scheme)).toBe(true);
    }
  });

  it('keeps srcdoc free of markup from the input', () => {
    const frame = startTags(html).find((t) => t.name === 'iframe')!;

    expect(startTags(frame.attributes.srcdoc).map((t) => t.name)).toEqual(['p']);
  });

  it('keeps the to_json data intact in a script and in an attribute', () => {
    const data = scriptBody(html, 'data');
    const json = startTags(html).find((t) => t.name === 'div')!.attributes['data-json'];

    expect(data).not.toMatch(/[<>]/);
    expect(JSON.parse(data.replace(/^var input = /, '').replace(/;$/, ''))).toEqual(input);
    expect(JSON.parse(json)).toEqual(input);
  });

  it('keeps a quoted script string from being closed, and gives the script the input itself', () => {
    const body = scriptBody(html, 'str');

    expect(body).toMatch(/^var v = "[^"'<>]*";$/);
    expect(vm.runInNewContext(`${body}; v`)).toBe(payload.replace(/[\uE000\uE001]/g, '\uFFFD'));
  });

  it('gives an event handler the input as its string argument, nothing more', () => {
    const handler = startTags(html).find((t) => t.name === 'button')!.attributes.onclick;
    const said: unknown[] = [];

    vm.runInNewContext(handler, { say: (x: unknown) => said.push(x) });

    expect(said).toEqual([payload.replace(/[\uE000\uE001]/g, '\uFFFD')]);
  });

  it('keeps the comment closed', () => {
    expect(html.match(/<!--/g)).toHaveLength(1);
    expect(html.match(/-->/g)).toHaveLength(1);
  });

  it('escapes everything on the generic page', () => {
    const page = genericAnswerPage({ v: payload, [payload]: 1 }, options);

    expect(countScriptTags(page)).toBe(1);
    expect(startTags(page).map((t) => t.name)).toEqual(['html', 'head', 'meta', 'meta', 'title', 'meta', 'body', 'h1', 'h2', 'pre', 'form', 'label', 'br', 'textarea', 'div', 'button', 'script']);
  });
});

describe('XSS: page level', () => {
  it('the invoice template with every field hostile keeps its own markup', async () => {
    const template = readFileSync(join(__dirname, '../../workflows/templates/invoice-extraction.liquid.html'), 'utf8');
    const hostile = (i: number) => corpus[i % corpus.length].payload;
    const input = {
      record: {
        documentId: hostile(0),
        documentUri: 'javascript:alert(1)',
        vendor: { name: hostile(5) },
        totalAmount: hostile(7),
        currency: hostile(2),
        fields: corpus.map((c, i) => ({ name: c.payload, value: hostile(i + 1), confidence: hostile(i + 2) })),
      },
    };

    const page = await renderTaskPage(template, input, { ...options, grantReadAccess: (uri) => uri });

    expect(countScriptTags(page)).toBe(1);
    const tags = startTags(page);
    expect(tags.find((t) => t.name === 'a')?.attributes.href).toBe('unsafe:javascript:alert(1)');
    const inputs = tags.filter((t) => t.name === 'crowd-input');
    expect(inputs).toHaveLength(corpus.length + 1);
    for (const tag of inputs.slice(0, -1)) expect(tag.attributeNames).toEqual(['name', 'label', 'value']);
    expect(inputs.map((t) => t.attributes.name).slice(0, -1)).toEqual(corpus.map((c) => c.payload.replace(/[\uE000\uE001]/g, '\uFFFD')));
    expect(new Set(tags.map((t) => t.name))).toEqual(
      new Set(['html', 'head', 'meta', 'title', 'script', 'body', 'crowd-form', 'crowd-instructions', 'short-summary', 'detailed-instructions', 'p', 'em', 'h2', 'a', 'crowd-input', 'crowd-radio-group', 'crowd-radio-button', 'crowd-text-area']),
    );
  });

  it('a page with every payload has only the shim script', async () => {
    const input = { values: corpus.map((c) => c.payload) };
    const template = '{% for v in task.input.values %}<a href="{{ v }}" title="{{ v }}">{{ v }}</a>{% endfor %}';

    const page = await renderTaskPage(template, input, options);

    expect(countScriptTags(page)).toBe(1);
    const links = startTags(page).filter((t) => t.name === 'a');
    expect(links).toHaveLength(corpus.length);
    for (const link of links) expect(link.attributeNames).toEqual(['href', 'title']);
  });

  it('skip_autoescape is the template taking responsibility: raw HTML stays raw', async () => {
    const html = await renderTemplate('<div>{{ task.input.v | skip_autoescape }}</div>', { v: '<b onclick="x()">b</b>' }, options);

    expect(html).toBe('<div><b onclick="x()">b</b></div>');
  });

  it('an event-handler attribute name written by the input is renamed', async () => {
    const html = await renderTemplate('<input {{ task.input.attr }}=1 {{ task.input.flag }}>', { attr: 'onfocus', flag: 'checked' }, options);

    expect(startTags(html)[0].attributeNames).toEqual(['data-unsafe-onfocus', 'checked']);
  });

  it('a backslash from the input cannot end a script string early', async () => {
    const html = await renderTemplate('<script id="s">var a = "{{ task.input.x }}", b = "{{ task.input.y }}";</script>', { x: '\\', y: ';ran = true;//' }, options);
    const context: { ran?: boolean; a?: string; b?: string } = {};

    vm.runInNewContext(`${scriptBody(html, 's')}; this.a = a; this.b = b;`, context);

    expect(context).toEqual({ a: '\\', b: ';ran = true;//' });
  });

  it('input outside a string in a script cannot call anything', async () => {
    const html = await renderTemplate('<script id="s">var n = {{ task.input.n }}; var m = {{ task.input.m }};</script>', { n: -1.5, m: 'alert(1)' }, options);

    expect(scriptBody(html, 's')).toBe('var n = -1.5; var m = alert\\x281\\x29;');
  });

  it('leaves non-JavaScript script blocks and styles HTML-escaped', async () => {
    const html = await renderTemplate('<script type="text/x-template" id="t"><b>{{ task.input.v }}</b></script><style>.x{content:"{{ task.input.v }}"}</style>', { v: '<i>"' }, options);

    expect(html).toBe('<script type="text/x-template" id="t"><b>&lt;i&gt;&#34;</b></script><style>.x{content:"&lt;i&gt;&#34;"}</style>');
  });

  it('escape then other filters, and escape then skip_autoescape, print no stray marks', async () => {
    const html = await renderTemplate('{{ task.input.v | escape | skip_autoescape }}|{{ task.input.v | escape | truncate: 6, "" }}', { v: '<b>' }, options);

    expect(html).toBe('&lt;b&gt;|&amp;lt;b&amp;');
  });

  it('an unquoted href holding input is quoted and neutralised', async () => {
    const html = await renderTemplate('<a href={{ task.input.v }}>x</a>', { v: 'javascript:alert(1) onclick=alert(2)' }, options);

    expect(html).toBe('<a href="unsafe:javascript:alert(1) onclick=alert(2)">x</a>');
  });

  it('an input-built scheme is checked as a whole', async () => {
    const html = await renderTemplate('<a href="{{ task.input.s }}:alert(1)">x</a><a href="https://{{ task.input.s }}">y</a>', { s: 'javascript' }, options);

    expect(startTags(html).map((t) => t.attributes.href)).toEqual(['unsafe:javascript:alert(1)', 'https://javascript']);
  });

  it('safe and relative URLs from the input are kept as they are', () => {
    for (const url of ['https://example.com/a?b=c', 'http://x', 'mailto:a@b.c', 'tel:+49', '/relative/path', '?q=1', '#frag', 'page.html', 'a/b:c']) {
      expect(isUnsafeUrl(url)).toBe(false);
    }
    for (const url of ['javascript:x', ' javascript:x', 'java\nscript:x', 'JAVASCRIPT:x', 'data:text/html,x', 'vbscript:x', 's3://b/k', '&#x6a;avascript:x', 'javascript&colon;x']) {
      expect(isUnsafeUrl(url)).toBe(true);
    }
  });
});
