import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CROWD_ELEMENTS_SCRIPT,
  DEFAULT_CROWD_ELEMENTS_URL,
  genericAnswerPage,
  renderTaskPage,
  renderTemplate,
  TemplateRenderError,
  toJson,
  type RenderOptions,
} from '../../lib/review-ui/render-task';
import { countScriptTags, decode, scriptBody, startTags } from './html';

const invoiceTemplate = readFileSync(join(__dirname, '../../workflows/templates/invoice-extraction.liquid.html'), 'utf8');
const invoiceInput = JSON.parse(readFileSync(join(__dirname, '../fixtures/review-ui/invoice-input.json'), 'utf8'));

const options = (overrides: Partial<RenderOptions> = {}): RenderOptions => ({
  grantReadAccess: (uri) => `http://127.0.0.1:4566/_a2i/objects?uri=${encodeURIComponent(uri)}&expires=300`,
  submitUrl: '/review/loops/loop-1/answer',
  ...overrides,
});

const render = (template: string, input: unknown, overrides: Partial<RenderOptions> = {}) =>
  renderTemplate(template, input, options(overrides));

describe('renderTemplate: Liquid as A2I runs it', () => {
  it('binds task.input to the parsed InputContent', async () => {
    const html = await render('{{ task.input.a.b }}|{% for x in task.input.list %}{{ x }},{% endfor %}', { a: { b: 'deep' }, list: [1, 2] });

    expect(html).toBe('deep|1,2,');
  });

  it('HTML-escapes output by default', async () => {
    const html = await render('<p title="{{ task.input.t }}">{{ task.input.t }}</p>', { t: `<b>"Tom" & 'Jerry'</b>` });

    expect(html).toBe('<p title="&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;">&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;</p>');
  });

  it('escapes the result of other filters too', async () => {
    const html = await render('{{ task.input.t | upcase }}{{ task.input.t | append: "<i>" }}', { t: '<b>' });

    expect(html).toBe('&lt;B&gt;&lt;b&gt;&lt;i&gt;');
  });

  it('escape escapes once, not twice (A2I: explicit escape only documents the default)', async () => {
    const html = await render('{{ task.input.t | escape }}', { t: '<a & b>' });

    expect(html).toBe('&lt;a &amp; b&gt;');
  });

  it('escape_once leaves character references already escaped', async () => {
    const html = await render('{{ task.input.t | escape_once }}', { t: '&amp; &lt;b&gt; & <i> &middot; &#169;' });

    expect(html).toBe('&amp; &lt;b&gt; &amp; &lt;i&gt; &middot; &#169;');
  });

  it('skip_autoescape prints raw HTML', async () => {
    const html = await render('{{ task.input.html | skip_autoescape }}', { html: '<b class="x">bold</b>' });

    expect(html).toBe('<b class="x">bold</b>');
  });

  it('has no skip_encoding filter: an unknown filter is a TemplateRenderError', async () => {
    const rendering = render('{{ task.input.t | skip_encoding }}', { t: 'x' });

    await expect(rendering).rejects.toBeInstanceOf(TemplateRenderError);
    await expect(rendering).rejects.toMatchObject({ name: 'TemplateRenderError', message: expect.stringMatching(/skip_encoding/) });
  });

  it("has no liquidjs raw filter (it would print input unescaped)", async () => {
    await expect(render('{{ task.input.t | raw }}', { t: '<b>' })).rejects.toThrow(/skip_autoescape/);
  });

  it('reports Liquid syntax errors as TemplateRenderError', async () => {
    await expect(render('{% if %}', {})).rejects.toMatchObject({ name: 'TemplateRenderError' });
  });

  it('reports a grant_read_access failure as TemplateRenderError', async () => {
    const grantReadAccess = () => {
      throw new Error('not an S3 URI');
    };

    await expect(render('{{ task.input.u | grant_read_access }}', { u: 'x' }, { grantReadAccess })).rejects.toThrow(/not an S3 URI/);
  });

  it('reads only own properties of the input', async () => {
    const html = await render('[{{ task.input.constructor }}][{{ task.input.a.length }}]', { a: 'abc' });

    expect(html).toBe('[][3]');
  });

  it('to_json serialises an object, HTML-escaped for an attribute by default', async () => {
    const input = { labels: ['a', "b'c"], n: 1, nested: { ok: true } };

    const html = await render('<div data-x="{{ task.input | to_json }}"></div>', input);

    const [tag] = startTags(html);
    expect(JSON.parse(tag.attributes['data-x'])).toEqual(input);
    expect(html).not.toMatch(/data-x="[^"]*"[^>]/);
  });

  it('to_json | skip_autoescape is raw JSON that cannot close a <script>', async () => {
    const input = { text: '</script><script>alert(1)</script> <!-- & \u2028' };

    const html = await render('<script id="d">var data = {{ task.input | to_json | skip_autoescape }};</script>', input);

    expect(countScriptTags(html)).toBe(1);
    const body = scriptBody(html, 'd');
    expect(body).not.toMatch(/[<>]/);
    expect(JSON.parse(body.replace(/^var data = /, '').replace(/;$/, ''))).toEqual(input);
  });

  it('to_json of nothing is null', () => {
    expect(toJson(undefined)).toBe('null');
    expect(toJson({ a: '<&>' })).toBe('{"a":"\\u003c\\u0026\\u003e"}');
  });

  it('grant_read_access turns an S3 URI into the URL the options give', async () => {
    const html = await render('<img src="{{ task.input.uri | grant_read_access }}">', { uri: 's3://bucket/key one.png' });

    expect(startTags(html)[0].attributes.src).toBe('http://127.0.0.1:4566/_a2i/objects?uri=s3%3A%2F%2Fbucket%2Fkey%20one.png&expires=300');
    expect(html).toContain('&amp;expires=300');
  });

  it('grant_read_access of a missing value prints nothing', async () => {
    const grantReadAccess = jest.fn((uri: string) => uri);

    const html = await render('[{{ task.input.none | grant_read_access }}]', {}, { grantReadAccess });

    expect(html).toBe('[]');
    expect(grantReadAccess).not.toHaveBeenCalled();
  });

  it('replaces the crowd-html-elements CDN script with a comment', async () => {
    const template = [
      '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>',
      "<SCRIPT defer src='https://assets.crowd.aws/crowd-html-elements.js' ></SCRIPT >",
      '<crowd-form></crowd-form>',
    ].join('\n');

    const html = await render(template, {});

    expect(html).not.toContain('assets.crowd.aws');
    expect(countScriptTags(html)).toBe(0);
    expect(html).toContain('<crowd-form></crowd-form>');
  });

  it('keeps a template literal href such as javascript:void(0) as written', async () => {
    const html = await render('<a href="javascript:void(0)">{{ task.input.t }}</a>', { t: 'x' });

    expect(html).toBe('<a href="javascript:void(0)">x</a>');
  });

  it('keeps private-use characters written in the template as character references', async () => {
    const html = await render('\uE000{{ task.input.t }}\uE001', { t: 'x' });

    expect(html).toBe('&#xE000;x&#xE001;');
  });

  it('does not evaluate Liquid written in the input', async () => {
    const html = await render('{{ task.input.t }}', { t: '{{ 7 | times: 7 }}{% raw %}' });

    expect(html).toBe('{{ 7 | times: 7 }}{% raw %}');
  });
});

describe('renderTaskPage', () => {
  it('renders the invoice template inside a page that loads the local shims', async () => {
    // Act
    const page = await renderTaskPage(invoiceTemplate, invoiceInput, options());

    // Assess
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).not.toContain('assets.crowd.aws');
    const tags = startTags(page);
    const scripts = tags.filter((t) => t.name === 'script');
    expect(scripts).toEqual([{ name: 'script', attributes: { src: DEFAULT_CROWD_ELEMENTS_URL, defer: '' }, attributeNames: ['src', 'defer'] }]);
    const meta = tags.find((t) => t.name === 'meta' && t.attributes.name === 'a2i-submit-url');
    expect(meta?.attributes.content).toBe('/review/loops/loop-1/answer');
    expect(page).toContain('<h2>Invoice INV-2026-0042</h2>');
    expect(page).toContain('Vendor: Acme &amp; Sons &middot;');
    const link = tags.find((t) => t.name === 'a');
    expect(link?.attributes.href).toBe(
      'http://127.0.0.1:4566/_a2i/objects?uri=s3%3A%2F%2Finvoices-bucket%2Fscans%2FINV-2026-0042.pdf&expires=300',
    );
    const inputs = tags.filter((t) => t.name === 'crowd-input');
    expect(inputs.map((t) => [t.attributes.name, t.attributes.value])).toEqual([
      ['invoice_date', '2026-11-02'],
      ['iban', 'DE89 3704 0044 0532 0130 00'],
      ['total_amount', '1234.5'],
    ]);
    expect(inputs[1].attributes.label).toBe('iban (model confidence 0.42)');
    expect(inputs[2].attributeNames).toContain('required');
    expect(tags.filter((t) => t.name === 'crowd-radio-button').map((t) => t.attributes.value)).toEqual(['correct', 'corrected']);
  });

  it('uses the shim URL and title the options give, escaped', async () => {
    const page = await renderTaskPage('<p>x</p>', {}, options({ crowdElementsUrl: '/static/crowd.js?v="1"', title: 'Invoice <1>' }));

    expect(page).toContain('<script src="/static/crowd.js?v=&#34;1&#34;" defer></script>');
    expect(page).toContain('<title>Invoice &lt;1&gt;</title>');
  });

  it('escapes the submit URL', async () => {
    const page = await renderTaskPage('', {}, options({ submitUrl: '/a"><script>alert(1)</script>' }));

    expect(countScriptTags(page)).toBe(1);
  });
});

describe('genericAnswerPage', () => {
  it('shows the input pretty-printed and escaped, with a JSON answer box', () => {
    const input = { text: '</pre><script>alert(1)</script>', n: 1 };

    const page = genericAnswerPage(input, options());

    const pre = /<pre id="input">([\s\S]*?)<\/pre>/.exec(page);
    expect(pre).not.toBeNull();
    expect(JSON.parse(decode(pre![1]))).toEqual(input);
    expect(pre![1]).toContain('\n  &#34;n&#34;: 1');
    expect(countScriptTags(page)).toBe(1); // the page's own script only
    const tags = startTags(page);
    expect(tags.find((t) => t.name === 'textarea')?.attributes.id).toBe('answer');
    expect(tags.find((t) => t.name === 'meta' && t.attributes.name === 'a2i-submit-url')?.attributes.content).toBe(
      '/review/loops/loop-1/answer',
    );
    expect(page).toContain('answerContent: answer');
  });

  it('handles an input that is not an object', () => {
    expect(genericAnswerPage(undefined, options())).toContain('<pre id="input">null</pre>');
    expect(genericAnswerPage('<x>', options())).toContain('<pre id="input">&#34;&lt;x&gt;&#34;</pre>');
  });
});

describe('CROWD_ELEMENTS_SCRIPT', () => {
  it('is the re-export of the shims', () => {
    expect(typeof CROWD_ELEMENTS_SCRIPT).toBe('string');
  });
});
