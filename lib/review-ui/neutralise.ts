/**
 * The post-pass over a rendered worker template that makes escaped input safe where HTML escaping alone
 * is not enough. Every escaped output is wrapped in two private-use marks while rendering (input cannot
 * carry them: they are stripped from every value), so this pass knows which characters of the page came
 * from InputContent and which from the template. A2I documents no such rules; they are ours, safe by
 * default, and touch only the places where input landed:
 *
 * - a URL attribute (href, src, action, formaction, …) whose value, decoded as the browser decodes it,
 *   has a scheme other than http, https, mailto, tel or ftp (javascript:, vbscript:, data:, an entity-
 *   obfuscated scheme, …) is prefixed with `unsafe:` — the link stays visible but goes nowhere
 *   (Angular's convention). The template's own literal URLs are left alone.
 * - input inside an iframe's `srcdoc` (HTML the frame parses once more) is escaped a second time;
 * - an unquoted attribute value that contains input is quoted, so a space in the input cannot start a
 *   new attribute;
 * - an attribute whose *name* comes from input and starts with `on` (an event handler) is renamed
 *   `data-unsafe-…`;
 * - input inside JavaScript — a <script> element (no type or a JavaScript type) or an event-handler
 *   attribute the template wrote — has its HTML escaping undone and every character but letters, digits
 *   and `. _ + -` written as a \xHH / \uHHHH escape (OWASP's rule). In a string literal the script sees
 *   the input's own text (A2I would show it HTML-escaped, `&amp;`); outside one it cannot run. Without
 *   this, `var a = "{{ x }}", b = "{{ y }}"` lets x = `\` and y = `;alert(1)//` run code;
 * - input in a <style> element is left HTML-escaped (CSS is not rewritten).
 *
 * Output through `skip_autoescape` is the template's explicit choice of raw HTML and is not marked, so
 * none of this applies to it (`{{ x | to_json | skip_autoescape }}` in a script stays plain JSON; to_json
 * escapes `<`, `>`, `&` itself).
 */

export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';

/** Replaces any mark in a value with U+FFFD before it is printed (input cannot forge them). */
export function stripMarks(text: string): string {
  return text.replace(/[\uE000\uE001]/g, '\uFFFD');
}

const URL_ATTRIBUTES = new Set([
  'href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'background', 'cite', 'data', 'codebase',
  'manifest', 'longdesc', 'lowsrc', 'dynsrc', 'ping',
]);
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel', 'ftp']);
const RAW_TEXT_ELEMENTS = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);

const NAMED_REFERENCES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", colon: ':', tab: '\t', newline: '\n', sol: '/', period: '.',
  lpar: '(', rpar: ')', nbsp: '\u00a0', num: '#', quest: '?', semi: ';', excl: '!', equals: '=',
};

/** Decodes character references the way an attribute value is decoded; unknown named ones stay as written. */
function decodeReferences(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z][a-zA-Z0-9]*);?/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
    }
    return NAMED_REFERENCES[ref.toLowerCase()] ?? whole;
  });
}

/** Trims C0 controls and spaces from both ends, as the URL parser does. */
export function trimControlsAndSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

/** True when a URL attribute value could run script or load something other than a web or mail link. */
export function isUnsafeUrl(attributeValue: string): boolean {
  // As the URL parser does: trim C0 controls and spaces, drop tabs and newlines anywhere.
  const url = trimControlsAndSpaces(decodeReferences(attributeValue)).replace(/[\t\n\r]/g, '');
  const scheme = /^([^/?#]*?):/.exec(url);
  if (!scheme) return false; // relative: no scheme before the first / ? or #
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme[1])) return true; // anything odd before the colon
  return !SAFE_SCHEMES.has(scheme[1].toLowerCase());
}

/**
 * Input inside JavaScript (a script element, an event-handler attribute): the HTML escaping is undone and
 * every character but letters, digits and `. _ + -` is written as a \xHH or \uHHHH escape. Inside a string
 * literal that is the same text; outside one it cannot call, close or start anything.
 */
export function escapeForJavaScript(escapedHtml: string): string {
  let out = '';
  for (const char of decodeReferences(escapedHtml)) {
    if (/^[A-Za-z0-9._+-]$/.test(char)) {
      out += char;
      continue;
    }
    const code = char.codePointAt(0)!;
    if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else for (const unit of char.split('').map((c) => c.charCodeAt(0))) out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** Edits that replace each marked (input) segment in html[start, end) with its JavaScript-escaped form. */
function javaScriptEdits(html: string, start: number, end: number): Edit[] {
  const edits: Edit[] = [];
  const segment = /\uE000([^\uE001]*)\uE001/g;
  const text = html.slice(start, end);
  let m: RegExpExecArray | null;
  while ((m = segment.exec(text)) !== null) {
    edits.push({ start: start + m.index, end: start + m.index + m[0].length, text: escapeForJavaScript(m[1]) });
  }
  return edits;
}

const JAVASCRIPT_TYPES = new Set(['', 'module', 'text/javascript', 'application/javascript', 'text/ecmascript', 'application/ecmascript']);

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Applies the rules above to a rendered template, then removes every mark. */
export function neutraliseInputInMarkup(html: string): string {
  if (!html.includes(MARK_OPEN)) return html;
  const edits: Edit[] = [];
  let i = 0;
  const n = html.length;
  // fromInput[x] is 1 where character x lies inside a marked (input) segment.
  const fromInput = new Uint8Array(n);
  for (let x = 0, depth = 0; x < n; x++) {
    if (html[x] === MARK_OPEN) depth++;
    else if (html[x] === MARK_CLOSE) depth = Math.max(0, depth - 1);
    fromInput[x] = depth > 0 || html[x] === MARK_CLOSE ? 1 : 0;
  }
  let lower: string | undefined;
  const anyFromInput = (start: number, end: number) => fromInput.subarray(start, end).includes(1);
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?' || html[lt + 1] === '/') {
      const end = html.indexOf('>', lt + 1);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (!/[a-zA-Z]/.test(html[lt + 1] ?? '')) {
      i = lt + 1;
      continue;
    }
    // A start tag: its name, then its attributes.
    let j = lt + 1;
    while (j < n && !/[\s/>]/.test(html[j])) j++;
    const tagName = stripMarks(html.slice(lt + 1, j)).toLowerCase();
    let scriptType = '';
    for (;;) {
      while (j < n && /[\s/]/.test(html[j])) j++;
      if (j >= n || html[j] === '>') break;
      const nameStart = j;
      while (j < n && !/[\s/>=]/.test(html[j])) j++;
      if (j === nameStart) j++; // a stray "=": skip it
      const rawName = html.slice(nameStart, j);
      let k = j;
      while (k < n && /\s/.test(html[k])) k++;
      let valueStart = -1;
      let valueEnd = -1;
      let quoted = false;
      if (html[k] === '=') {
        k++;
        while (k < n && /\s/.test(html[k])) k++;
        const quote = html[k];
        if (quote === '"' || quote === "'") {
          const close = html.indexOf(quote, k + 1);
          valueStart = k + 1;
          valueEnd = close < 0 ? n : close;
          quoted = true;
          j = close < 0 ? n : close + 1;
        } else {
          valueStart = k;
          // An unquoted value runs to a space or ">" written by the template: input is all value.
          while (k < n && (fromInput[k] === 1 || !/[\s>]/.test(html[k]))) k++;
          valueEnd = k;
          j = k;
        }
      }
      const name = rawName.replace(/[\uE000\uE001]/g, '').toLowerCase();
      if (anyFromInput(nameStart, nameStart + rawName.length) && name.startsWith('on')) {
        edits.push({ start: nameStart, end: nameStart, text: 'data-unsafe-' });
      }
      if (name === 'type' && valueStart >= 0) scriptType = html.slice(valueStart, valueEnd).trim().toLowerCase();
      if (valueStart >= 0 && name.startsWith('on') && !anyFromInput(nameStart, nameStart + rawName.length)) {
        // An event handler the template wrote: the input in it is JavaScript-escaped.
        const value = html.slice(valueStart, valueEnd);
        const escaped = value.replace(/\uE000([^\uE001]*)\uE001/g, (_m, part: string) => escapeForJavaScript(part));
        if (escaped !== value) edits.push({ start: valueStart, end: valueEnd, text: quoted ? escaped : `"${escaped}"` });
      } else if (valueStart >= 0) {
        const value = html.slice(valueStart, valueEnd);
        if (anyFromInput(valueStart, valueEnd)) {
          const unsafe = URL_ATTRIBUTES.has(name) && isUnsafeUrl(value.replace(/[\uE000\uE001]/g, ''));
          const prefix = unsafe ? 'unsafe:' : '';
          if (name === 'srcdoc') {
            // srcdoc is HTML that the iframe parses after the attribute is decoded: escape input once more.
            const doubled = value.replace(/\uE000([^\uE001]*)\uE001/g, (_m, part: string) => part.replace(/&/g, '&amp;'));
            edits.push({ start: valueStart, end: valueEnd, text: quoted ? doubled : `"${doubled.replace(/"/g, '&#34;')}"` });
          } else if (!quoted) {
            edits.push({ start: valueStart, end: valueEnd, text: `"${prefix}${value.replace(/"/g, '&#34;')}"` });
          } else if (prefix) {
            edits.push({ start: valueStart, end: valueStart, text: prefix });
          }
        }
      }
    }
    i = j + 1;
    if (RAW_TEXT_ELEMENTS.has(tagName)) {
      lower ??= html.toLowerCase();
      const close = lower.indexOf(`</${tagName}`, i);
      const end = close < 0 ? n : close;
      if (tagName === 'script' && JAVASCRIPT_TYPES.has(scriptType.replace(/[\uE000\uE001]/g, ''))) edits.push(...javaScriptEdits(html, i, end));
      i = end;
    }
  }
  let out = '';
  let at = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    out += html.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  out += html.slice(at);
  return out.replace(/[\uE000\uE001]/g, '');
}
