/** A small start-tag reader for the tests: enough to see which elements and attributes a page has. */
export interface Tag {
  name: string;
  attributes: Record<string, string>;
  attributeNames: string[];
}

const REFERENCES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", colon: ':' };

export function decode(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return REFERENCES[ref.toLowerCase()] ?? whole;
  });
}

const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title']);

/** Start tags in document order; the content of script, style, textarea and title is skipped, as a browser does. */
export function startTags(html: string): Tag[] {
  const tags: Tag[] = [];
  const tagPattern = /<!--[\s\S]*?-->|<([a-zA-Z][^\s/>]*)((?:\s*[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?|\s*\/)*)\s*>/g;
  let match: RegExpExecArray | null;
  while ((match = tagPattern.exec(html)) !== null) {
    if (match[1] === undefined) continue;
    const name = match[1].toLowerCase();
    const attributes: Record<string, string> = {};
    const attributeNames: string[] = [];
    const attrPattern = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
    let a: RegExpExecArray | null;
    while ((a = attrPattern.exec(match[2])) !== null) {
      const attrName = a[1].toLowerCase();
      attributeNames.push(attrName);
      attributes[attrName] = decode(a[2] ?? a[3] ?? a[4] ?? '');
    }
    tags.push({ name, attributes, attributeNames });
    if (RAW_TEXT.has(name)) {
      const close = html.toLowerCase().indexOf(`</${name}`, tagPattern.lastIndex);
      if (close < 0) break;
      tagPattern.lastIndex = close;
    }
  }
  return tags;
}

/** The text between `<script id="…">` and its `</script>`. */
export function scriptBody(html: string, id: string): string {
  const open = html.indexOf(`<script id="${id}">`);
  if (open < 0) throw new Error(`no script ${id}`);
  const start = open + `<script id="${id}">`.length;
  return html.slice(start, html.toLowerCase().indexOf('</script', start));
}

/** Counts `<script` openings, case-insensitive. */
export function countScriptTags(html: string): number {
  return (html.match(/<script/gi) ?? []).length;
}
