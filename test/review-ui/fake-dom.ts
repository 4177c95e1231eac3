/**
 * Just enough DOM to run CROWD_ELEMENTS_SCRIPT in node:vm against a rendered template: elements with
 * attributes and the properties the shims use, simple selectors (tag, [attr], [attr="v"], .class,
 * :checked, :not([attr]), comma lists), bubbling events, custom elements upgraded when the script
 * defines them (like a deferred script), and a fetch that records what the page posts.
 */
import { decode } from './html';

type Listener = (event: FakeEvent) => unknown;

export class FakeEvent {
  defaultPrevented = false;
  target: FakeNode | null = null;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly detail: unknown;
  key?: string;
  clientX = 0;
  clientY = 0;
  constructor(
    readonly type: string,
    init: { bubbles?: boolean; cancelable?: boolean; detail?: unknown } = {},
  ) {
    this.bubbles = !!init.bubbles;
    this.cancelable = !!init.cancelable;
    this.detail = init.detail;
  }
  preventDefault() {
    if (this.cancelable) this.defaultPrevented = true;
  }
}

const REFLECTED = ['id', 'type', 'name', 'placeholder', 'src', 'alt', 'href'];

export class FakeNode {
  parentNode: FakeNode | null = null;
  childNodes: FakeNode[] = [];
  nodeText = '';
  tagName = '#text';
  private readonly listeners = new Map<string, Listener[]>();
  [key: string]: any;

  get firstChild(): FakeNode | null {
    return this.childNodes[0] ?? null;
  }
  get textContent(): string {
    return this.tagName === '#text' ? this.nodeText : this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(text: string) {
    this.childNodes.forEach((c) => (c.parentNode = null));
    this.childNodes = [];
    if (text !== '') this.appendChild(textNode(text));
  }
  appendChild<T extends FakeNode>(child: T): T {
    return this.insertBefore(child, null);
  }
  insertBefore<T extends FakeNode>(child: T, ref: FakeNode | null): T {
    child.remove();
    const at = ref ? this.childNodes.indexOf(ref) : -1;
    if (at < 0) this.childNodes.push(child);
    else this.childNodes.splice(at, 0, child);
    child.parentNode = this;
    if (this.isConnected) connectTree(child);
    return child;
  }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
  get isConnected(): boolean {
    return this.root().tagName === '#document';
  }
  root(): FakeNode {
    return this.parentNode ? this.parentNode.root() : this;
  }
  contains(other: FakeNode | null): boolean {
    for (let node = other; node; node = node.parentNode) if (node === this) return true;
    return false;
  }
  addEventListener(type: string, listener: Listener) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  dispatchEvent(event: FakeEvent): boolean {
    event.target = this;
    const path: FakeNode[] = [];
    for (let node = this.parentNode; node && event.bubbles; node = node.parentNode) path.push(node);
    for (const node of [this as FakeNode, ...path]) {
      for (const listener of node.listeners.get(event.type) ?? []) listener.call(node, event);
      const handler: unknown = node[`on${event.type}`];
      if (typeof handler === 'function' && handler.call(node, event) === false) event.preventDefault();
    }
    return !event.defaultPrevented;
  }
  elements(): FakeNode[] {
    const out: FakeNode[] = [];
    const walk = (node: FakeNode) => {
      for (const child of node.childNodes) {
        if (child.tagName === '#text') continue;
        out.push(child);
        walk(child);
      }
    };
    walk(this);
    return out;
  }
  querySelectorAll(selector: string): FakeNode[] & { forEach: FakeNode[]['forEach'] } {
    return this.elements().filter((el) => matches(el, selector));
  }
  querySelector(selector: string): FakeNode | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

export class FakeElement extends FakeNode {
  attrs = new Map<string, string>();
  style: Record<string, string> = {};
  hidden = false;
  disabled = false;
  autofocus = false;
  draggable = true;
  naturalWidth = 0;
  naturalHeight = 0;
  rows = 0;
  multiple = false;
  private valueProp: string | undefined;
  private checkedProp: boolean | undefined;
  constructor() {
    super();
    // A custom element class is constructed by customElements: its tag name comes from the registry.
    this.tagName = (new.target as { tagNameForConstruction?: string }).tagNameForConstruction ?? 'DIV';
  }
  getAttribute(name: string): string | null {
    return this.attrs.get(name.toLowerCase()) ?? null;
  }
  setAttribute(name: string, value: unknown) {
    this.attrs.set(name.toLowerCase(), String(value));
  }
  hasAttribute(name: string): boolean {
    return this.attrs.has(name.toLowerCase());
  }
  removeAttribute(name: string) {
    this.attrs.delete(name.toLowerCase());
  }
  get classList() {
    const classes = () => (this.getAttribute('class') ?? '').split(/\s+/).filter(Boolean);
    return {
      contains: (c: string) => classes().includes(c),
      toggle: (c: string) => {
        const list = classes();
        this.setAttribute('class', (list.includes(c) ? list.filter((x) => x !== c) : [...list, c]).join(' '));
      },
    };
  }
  get className() {
    return this.getAttribute('class') ?? '';
  }
  set className(v: string) {
    this.setAttribute('class', v);
  }
  get htmlFor() {
    return this.getAttribute('for') ?? '';
  }
  set htmlFor(v: string) {
    this.setAttribute('for', v);
  }
  get value(): string {
    if (this.tagName === 'TEXTAREA') return this.valueProp ?? this.textContent;
    if (this.tagName === 'SELECT') {
      const chosen = this.options.find((o) => o.selected) ?? this.options[0];
      return chosen ? chosen.value : '';
    }
    return this.valueProp ?? this.getAttribute('value') ?? (this.getAttribute('type') === 'checkbox' || this.getAttribute('type') === 'radio' ? 'on' : '');
  }
  set value(v: string) {
    this.valueProp = String(v);
  }
  get checked(): boolean {
    return this.checkedProp ?? this.hasAttribute('checked');
  }
  set checked(v: boolean) {
    this.checkedProp = !!v;
  }
  get selected(): boolean {
    return this.checkedProp ?? this.hasAttribute('selected');
  }
  set selected(v: boolean) {
    this.checkedProp = !!v;
  }
  get options(): FakeElement[] {
    return this.querySelectorAll('option') as FakeElement[];
  }
  closest(selector: string): FakeNode | null {
    if (matches(this, selector)) return this;
    for (let node = this.parentNode; node && node.tagName !== '#document'; node = node.parentNode) {
      if (matches(node, selector)) return node;
    }
    return null;
  }
  getBoundingClientRect() {
    return { left: 0, top: 0, width: this.naturalWidth, height: this.naturalHeight };
  }
  get clientWidth() {
    return this.naturalWidth;
  }
  get clientHeight() {
    return this.naturalHeight;
  }
  click() {
    if (this.tagName === 'INPUT' && (this.type === 'checkbox' || this.type === 'radio')) {
      this.checked = this.type === 'radio' ? true : !this.checked;
      this.dispatchEvent(new FakeEvent('change', { bubbles: true }));
    }
    this.dispatchEvent(new FakeEvent('click', { bubbles: true, cancelable: true }));
  }
}
for (const name of REFLECTED) {
  Object.defineProperty(FakeElement.prototype, name, {
    get(this: FakeElement) {
      return this.getAttribute(name) ?? '';
    },
    set(this: FakeElement, v: unknown) {
      this.setAttribute(name, v);
    },
  });
}

function textNode(text: string): FakeNode {
  const node = new FakeNode();
  node.nodeText = text;
  return node;
}

/** One compound selector: tag, [attr], [attr="v"], .class, :checked, :not([attr]). */
function matchesCompound(el: FakeNode, selector: string): boolean {
  if (!(el instanceof FakeElement)) return false;
  const parts = selector.trim().match(/^[a-zA-Z][\w-]*|\[[^\]]+\]|\.[\w-]+|:not\(\[[^\]]+\]\)|:checked/g) ?? [];
  if (parts.join('') !== selector.trim()) throw new Error(`fake-dom cannot match selector ${selector}`);
  return parts.every((part) => {
    if (part === ':checked') return el.checked;
    if (part.startsWith(':not(')) return !matchesCompound(el, part.slice(5, -1));
    if (part.startsWith('.')) return el.classList.contains(part.slice(1));
    if (part.startsWith('[')) {
      const m = /^\[([^=\]]+)(?:="([^"]*)")?\]$/.exec(part)!;
      return m[2] === undefined ? el.hasAttribute(m[1]) : el.getAttribute(m[1]) === m[2];
    }
    return el.tagName.toLowerCase() === part.toLowerCase();
  });
}

function matches(el: FakeNode, selector: string): boolean {
  return selector.split(',').some((s) => matchesCompound(el, s));
}

type Constructor = new () => FakeElement;

export interface FakeWindow {
  document: FakeNode & { body: FakeElement; head: FakeElement; documentElement: FakeElement; createElement(tag: string): FakeElement; createTextNode(t: string): FakeNode };
  posts: Array<{ url: string; body: unknown }>;
  sandbox: Record<string, unknown>;
  respond: { ok: boolean; status: number; body: unknown };
}

let registry = new Map<string, Constructor>();

function connectTree(node: FakeNode) {
  const todo = [node, ...node.elements()];
  for (const el of todo) {
    const cls = registry.get(el.tagName.toLowerCase());
    if (cls && !(el instanceof cls)) upgrade(el as FakeElement, cls);
    else if (cls && typeof el.connectedCallback === 'function') el.connectedCallback();
  }
}

function upgrade(el: FakeElement, cls: Constructor) {
  Object.setPrototypeOf(el, cls.prototype);
  if (typeof el.connectedCallback === 'function' && el.isConnected) el.connectedCallback();
}

/** Parses well-formed HTML (what the renderer produces) into fake nodes. */
function parseInto(parent: FakeNode, html: string, create: (tag: string) => FakeElement) {
  const VOID = new Set(['input', 'img', 'br', 'meta', 'link', 'hr']);
  const RAW = new Set(['script', 'style', 'textarea', 'title']);
  const token = /<!--[\s\S]*?-->|<\/([a-zA-Z][\w-]*)\s*>|<([a-zA-Z][\w-]*)((?:\s*[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?|\s*\/)*)\s*>|[^<]+|</g;
  const stack: FakeNode[] = [parent];
  let m: RegExpExecArray | null;
  while ((m = token.exec(html)) !== null) {
    const top = stack[stack.length - 1];
    if (m[0].startsWith('<!--')) continue;
    if (m[1] !== undefined) {
      const name = m[1].toUpperCase();
      const at = stack.map((n) => n.tagName).lastIndexOf(name);
      if (at > 0) stack.length = at;
      continue;
    }
    if (m[2] !== undefined) {
      const tag = m[2].toLowerCase();
      const el = create(tag);
      const attrPattern = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
      let a: RegExpExecArray | null;
      while ((a = attrPattern.exec(m[3])) !== null) el.setAttribute(a[1], decode(a[2] ?? a[3] ?? a[4] ?? ''));
      top.appendChild(el);
      if (RAW.has(tag)) {
        const close = html.toLowerCase().indexOf(`</${tag}`, token.lastIndex);
        const end = close < 0 ? html.length : close;
        const text = html.slice(token.lastIndex, end);
        if (text) el.appendChild(textNode(tag === 'textarea' || tag === 'title' ? decode(text) : text));
        token.lastIndex = end;
        continue;
      }
      if (!VOID.has(tag)) stack.push(el);
      continue;
    }
    top.appendChild(textNode(decode(m[0])));
  }
}

/**
 * A window whose body holds `bodyHtml` (and whose head holds `headHtml`), with the elements not yet
 * defined: run the shims with runScript to upgrade them, as the deferred script does.
 */
export function fakeWindow(bodyHtml: string, headHtml = ''): FakeWindow {
  registry = new Map();
  const create = (tag: string): FakeElement => {
    const el = new FakeElement();
    el.tagName = tag.toUpperCase();
    return el;
  };
  const document = new FakeNode() as FakeWindow['document'];
  document.tagName = '#document';
  const html = create('html');
  const head = create('head');
  const body = create('body');
  document.appendChild(html);
  html.appendChild(head);
  html.appendChild(body);
  Object.assign(document, {
    documentElement: html,
    head,
    body,
    createElement: (tag: string) => {
      const cls = registry.get(tag.toLowerCase());
      if (!cls) return create(tag);
      (cls as unknown as { tagNameForConstruction?: string }).tagNameForConstruction = tag.toUpperCase();
      return new cls();
    },
    createTextNode: textNode,
  });
  parseInto(head, headHtml, create);
  parseInto(body, bodyHtml, create);
  const win: FakeWindow = { document, posts: [], sandbox: {}, respond: { ok: true, status: 200, body: {} } };
  const window: Record<string, unknown> = {
    location: { assign: (url: string) => (window.navigatedTo = url) },
    addEventListener: () => undefined,
  };
  win.sandbox = {
    window,
    document,
    HTMLElement: FakeElement,
    Event: FakeEvent,
    CustomEvent: FakeEvent,
    CSS: { escape: (s: string) => s.replace(/["\\]/g, '\\$&') },
    customElements: {
      get: (tag: string) => registry.get(tag),
      define: (tag: string, cls: Constructor) => {
        registry.set(tag, cls);
        for (const el of document.elements()) if (el.tagName.toLowerCase() === tag) upgrade(el as FakeElement, cls);
      },
    },
    fetch: async (url: string, init: { body: string }) => {
      win.posts.push({ url, body: JSON.parse(init.body) });
      const { ok, status, body: responseBody } = win.respond;
      return { ok, status, json: async () => responseBody, text: async () => JSON.stringify(responseBody) };
    },
  };
  return win;
}
