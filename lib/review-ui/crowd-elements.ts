import { answerContent } from './answer-content';

/**
 * Local stand-ins for https://assets.crowd.aws/crowd-html-elements.js: custom elements with the same
 * tag names and attributes, rendered in light DOM, plain styling. On submit, crowd-form reads every
 * field into a FieldState list, builds answerContent with the very `answerContent` function the unit
 * tests exercise (embedded below through Function.prototype.toString), dispatches a cancelable
 * `submit` event on itself (so a template's `onsubmit` attribute or `addEventListener('submit', …)`
 * may `preventDefault()`), then POSTs `{"answerContent": …}` as JSON to the URL in
 * `<meta name="a2i-submit-url">`.
 *
 * The page loads this script with `defer`, so the elements are defined once the document is parsed
 * and every element upgrades with its children in place; then, as the real script does, it dispatches
 * `all-crowd-elements-ready` on the document. `window.crowdElements` exposes `answerContent` and
 * `collectFields(form)` for browser tests; `crowdForm.collect()` returns `{answerContent, missing}`
 * without submitting. A successful POST whose JSON body has a string `redirect` navigates there;
 * otherwise `data-crowd-submitted="true"` is set on <body> and `crowd-submitted` is dispatched.
 *
 * Browser code is written as a string (the project compiles without the DOM lib); keep it ES2020 and
 * free of backticks and dollar-brace sequences.
 */
const SHIMS = String.raw`
(function () {
  'use strict';
  if (window.__crowdElementsShim) return;
  window.__crowdElementsShim = true;

  var style = document.createElement('style');
  style.textContent = [
    'crowd-form{display:block}',
    'crowd-input,crowd-text-area,crowd-checkbox,crowd-radio-button,crowd-toggle-button{display:block;margin:.4em 0}',
    'crowd-input label,crowd-text-area label{display:block;font-size:.9em;color:#444}',
    'crowd-input input,crowd-text-area textarea{width:100%;max-width:40em;box-sizing:border-box;padding:.3em}',
    'crowd-alert{display:block;padding:.6em;border:1px solid #c90;background:#fff8e1;margin:.4em 0}',
    'crowd-alert[type=error]{border-color:#c00;background:#fdecea}',
    'crowd-alert[type=success]{border-color:#090;background:#e8f5e9}',
    'crowd-alert[type=info]{border-color:#06c;background:#e3f2fd}',
    'crowd-instructions{display:block;border:1px solid #ccc;padding:.6em;margin:.4em 0}',
    'crowd-instructions detailed-instructions,crowd-instructions positive-example,crowd-instructions negative-example{display:none}',
    'crowd-instructions.crowd-open detailed-instructions,crowd-instructions.crowd-open positive-example,crowd-instructions.crowd-open negative-example{display:block}',
    'crowd-toggle-button button[aria-pressed=true]{background:#06c;color:#fff}',
    '.crowd-form-error{color:#b00;font-weight:bold;margin:.5em 0}',
    '[aria-invalid=true]{outline:2px solid #b00}',
    'crowd-bounding-box .crowd-bb-stage{position:relative;display:inline-block;user-select:none}',
    'crowd-bounding-box .crowd-bb-box{position:absolute;border:2px solid #e00;box-sizing:border-box;pointer-events:none}',
    'crowd-bounding-box .crowd-bb-box span{background:#e00;color:#fff;font-size:11px;position:absolute;top:-1.4em;left:0;white-space:nowrap}'
  ].join('\n');
  (document.head || document.documentElement).appendChild(style);

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + '-' + uid; }
  function attr(el, name, fallback) { var v = el.getAttribute(name); return v === null ? fallback : v; }
  function flag(el, name) { return el.hasAttribute(name) && el.getAttribute(name) !== 'false'; }
  /** Category lists are written as JSON or, in AWS samples, with single quotes: ['a', 'b']. */
  function parseList(text) {
    if (!text) return [];
    try { var v = JSON.parse(text); return Array.isArray(v) ? v.map(String) : []; } catch (e) { /* fall through */ }
    try { var w = JSON.parse(text.replace(/'/g, '"')); return Array.isArray(w) ? w.map(String) : []; } catch (e) { return []; }
  }
  function labelled(el, control) {
    var text = el.getAttribute('label');
    if (text === null) return;
    var label = document.createElement('label');
    label.textContent = text;
    if (!control.id) control.id = nextId('crowd');
    label.htmlFor = control.id;
    el.insertBefore(label, el.firstChild);
  }

  function define(tag, cls) { if (!customElements.get(tag)) customElements.define(tag, cls); }

  class CrowdField extends HTMLElement {
    connectedCallback() { if (!this.__built) { this.__built = true; this.build(); } }
    build() {}
  }

  class CrowdInput extends CrowdField {
    build() {
      var input = document.createElement('input');
      input.type = attr(this, 'type', 'text');
      input.value = attr(this, 'value', '');
      ['placeholder', 'min', 'max', 'step', 'maxlength', 'minlength', 'pattern'].forEach(function (a) {
        if (this.hasAttribute(a)) input.setAttribute(a, this.getAttribute(a));
      }, this);
      input.disabled = flag(this, 'disabled');
      if (flag(this, 'auto-focus')) input.autofocus = true;
      this.control = input;
      this.appendChild(input);
      labelled(this, input);
    }
    get value() { return this.control ? this.control.value : attr(this, 'value', ''); }
    set value(v) { if (this.control) this.control.value = v; else this.setAttribute('value', v); }
  }

  class CrowdTextArea extends CrowdField {
    build() {
      var area = document.createElement('textarea');
      var initial = attr(this, 'value', null);
      area.value = initial === null ? this.textContent.trim() : initial;
      this.textContent = '';
      area.rows = Number(attr(this, 'rows', '3')) || 3;
      if (this.hasAttribute('placeholder')) area.placeholder = this.getAttribute('placeholder');
      area.disabled = flag(this, 'disabled');
      this.control = area;
      this.appendChild(area);
      labelled(this, area);
    }
    get value() { return this.control ? this.control.value : attr(this, 'value', ''); }
    set value(v) { if (this.control) this.control.value = v; else this.setAttribute('value', v); }
  }

  class CrowdCheckbox extends CrowdField {
    build() {
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = flag(this, 'checked');
      box.disabled = flag(this, 'disabled');
      this.control = box;
      var label = document.createElement('label');
      label.appendChild(box);
      while (this.firstChild) label.appendChild(this.firstChild);
      this.appendChild(label);
    }
    get checked() { return this.control ? this.control.checked : flag(this, 'checked'); }
    set checked(v) { if (this.control) this.control.checked = !!v; }
  }

  class CrowdRadioGroup extends HTMLElement {
    connectedCallback() { if (!this.__group) this.__group = nextId('crowd-radio'); }
  }

  class CrowdRadioButton extends CrowdField {
    build() {
      var radio = document.createElement('input');
      radio.type = 'radio';
      var group = this.closest('crowd-radio-group');
      if (group && !group.__group) group.__group = nextId('crowd-radio');
      // The native name only groups the buttons for exclusivity; it is never read as a field.
      radio.setAttribute('data-crowd-group', group ? group.__group : 'crowd-radio-' + attr(this, 'name', ''));
      radio.checked = flag(this, 'checked');
      radio.disabled = flag(this, 'disabled');
      var self = this;
      radio.addEventListener('change', function () {
        var key = radio.getAttribute('data-crowd-group');
        document.querySelectorAll('input[data-crowd-group]').forEach(function (other) {
          if (other !== radio && other.getAttribute('data-crowd-group') === key) other.checked = false;
        });
        self.dispatchEvent(new Event('change', { bubbles: true }));
      });
      this.control = radio;
      var label = document.createElement('label');
      label.appendChild(radio);
      while (this.firstChild) label.appendChild(this.firstChild);
      this.appendChild(label);
    }
    get checked() { return this.control ? this.control.checked : flag(this, 'checked'); }
    set checked(v) { if (this.control) this.control.checked = !!v; }
  }

  class CrowdToggleButton extends CrowdField {
    build() {
      var button = document.createElement('button');
      button.type = 'button';
      var pressed = flag(this, 'checked');
      button.setAttribute('aria-pressed', String(pressed));
      button.disabled = flag(this, 'disabled');
      button.textContent = attr(this, 'label', '') || this.textContent.trim() || attr(this, 'name', 'toggle');
      this.textContent = '';
      button.addEventListener('click', function () {
        button.setAttribute('aria-pressed', String(button.getAttribute('aria-pressed') !== 'true'));
      });
      this.control = button;
      this.appendChild(button);
    }
    get checked() { return this.control ? this.control.getAttribute('aria-pressed') === 'true' : flag(this, 'checked'); }
    set checked(v) { if (this.control) this.control.setAttribute('aria-pressed', String(!!v)); }
  }

  function buildChoices(el, multiple) {
    var categories = parseList(el.getAttribute('categories'));
    var header = el.getAttribute('header');
    var wrapper = document.createElement('div');
    wrapper.className = 'crowd-classifier';
    if (header !== null) {
      var h = document.createElement('h3');
      h.textContent = header;
      wrapper.appendChild(h);
    }
    var target = el.querySelector('classification-target');
    if (target) wrapper.appendChild(target);
    var group = nextId('crowd-classifier');
    el.controls = categories.map(function (category) {
      var label = document.createElement('label');
      label.style.display = 'block';
      var input = document.createElement('input');
      input.type = multiple ? 'checkbox' : 'radio';
      input.setAttribute('data-crowd-group', group);
      input.value = category;
      if (!multiple) {
        input.addEventListener('change', function () {
          el.controls.forEach(function (other) { if (other !== input) other.checked = false; });
        });
      }
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + category));
      wrapper.appendChild(label);
      return input;
    });
    var instructions = el.querySelectorAll('short-instructions, full-instructions');
    instructions.forEach(function (node) { wrapper.appendChild(node); });
    el.appendChild(wrapper);
  }

  class CrowdClassifier extends CrowdField {
    build() { buildChoices(this, false); }
    get value() {
      var chosen = (this.controls || []).filter(function (c) { return c.checked; })[0];
      return chosen ? chosen.value : null;
    }
  }

  class CrowdClassifierMulti extends CrowdField {
    build() { buildChoices(this, true); }
    get value() {
      return (this.controls || []).filter(function (c) { return c.checked; }).map(function (c) { return c.value; });
    }
  }

  class CrowdButton extends CrowdField {
    build() {
      var button = document.createElement('button');
      button.type = 'button';
      button.disabled = flag(this, 'disabled');
      while (this.firstChild) button.appendChild(this.firstChild);
      if (!button.textContent.trim()) button.textContent = attr(this, 'form-action', '') === 'submit' ? 'Submit' : 'Button';
      var self = this;
      button.addEventListener('click', function () {
        if (attr(self, 'form-action', '') !== 'submit') return;
        var form = self.closest('crowd-form');
        if (form && form.submit) form.submit();
      });
      this.appendChild(button);
    }
  }

  class CrowdAlert extends HTMLElement {
    connectedCallback() {
      if (!this.hasAttribute('role')) this.setAttribute('role', 'alert');
      if (flag(this, 'dismissible') && !this.__built) {
        this.__built = true;
        var close = document.createElement('button');
        close.type = 'button';
        close.textContent = '×';
        close.setAttribute('aria-label', 'Dismiss');
        var self = this;
        close.addEventListener('click', function () { self.remove(); });
        this.appendChild(close);
      }
    }
  }

  class CrowdInstructions extends CrowdField {
    build() {
      var button = document.createElement(attr(this, 'link-type', 'link') === 'button' ? 'button' : 'a');
      if (button.tagName === 'A') button.href = '#';
      else button.type = 'button';
      button.textContent = attr(this, 'link-text', 'Instructions');
      var self = this;
      button.addEventListener('click', function (event) {
        event.preventDefault();
        self.classList.toggle('crowd-open');
      });
      this.insertBefore(button, this.firstChild);
      ['positive-example', 'negative-example'].forEach(function (tag) {
        self.querySelectorAll(tag).forEach(function (node) {
          var heading = document.createElement('h4');
          heading.textContent = tag === 'positive-example' ? 'Good example' : 'Bad example';
          node.insertBefore(heading, node.firstChild);
        });
      });
    }
  }

  class CrowdBoundingBox extends CrowdField {
    build() {
      var self = this;
      this.boxes = [];
      var labels = parseList(this.getAttribute('labels'));
      if (this.hasAttribute('initial-value')) {
        try {
          var initial = JSON.parse(this.getAttribute('initial-value'));
          if (Array.isArray(initial)) this.boxes = initial.map(function (b) {
            return { height: +b.height, label: String(b.label || labels[0] || ''), left: +b.left, top: +b.top, width: +b.width };
          });
        } catch (e) { /* ignore */ }
      }
      var header = this.getAttribute('header');
      if (header !== null) {
        var h = document.createElement('h3');
        h.textContent = header;
        this.appendChild(h);
      }
      var select = document.createElement('select');
      labels.forEach(function (l) { var o = document.createElement('option'); o.value = l; o.textContent = l; select.appendChild(o); });
      this.labelSelect = select;
      var undo = document.createElement('button');
      undo.type = 'button';
      undo.textContent = 'Remove last box';
      undo.addEventListener('click', function () { self.boxes.pop(); self.draw(); });
      var tools = document.createElement('div');
      tools.appendChild(select);
      tools.appendChild(undo);
      this.appendChild(tools);
      var stage = document.createElement('div');
      stage.className = 'crowd-bb-stage';
      var img = document.createElement('img');
      img.draggable = false;
      img.alt = '';
      if (this.hasAttribute('src')) img.src = this.getAttribute('src');
      img.addEventListener('load', function () { self.draw(); });
      stage.appendChild(img);
      this.appendChild(stage);
      this.img = img;
      this.stage = stage;
      var start = null;
      function point(event) {
        var rect = img.getBoundingClientRect();
        var sx = img.naturalWidth && rect.width ? img.naturalWidth / rect.width : 1;
        var sy = img.naturalHeight && rect.height ? img.naturalHeight / rect.height : 1;
        return { x: Math.round((event.clientX - rect.left) * sx), y: Math.round((event.clientY - rect.top) * sy) };
      }
      stage.addEventListener('mousedown', function (event) { event.preventDefault(); start = point(event); });
      window.addEventListener('mouseup', function (event) {
        if (!start) return;
        var end = point(event);
        var box = {
          height: Math.abs(end.y - start.y), label: select.value || labels[0] || '',
          left: Math.min(start.x, end.x), top: Math.min(start.y, end.y), width: Math.abs(end.x - start.x)
        };
        start = null;
        if (box.width > 0 && box.height > 0) { self.boxes.push(box); self.draw(); }
      });
      this.draw();
    }
    draw() {
      if (!this.stage) return;
      this.stage.querySelectorAll('.crowd-bb-box').forEach(function (n) { n.remove(); });
      var img = this.img;
      var rect = { width: img.clientWidth || img.naturalWidth || 1, height: img.clientHeight || img.naturalHeight || 1 };
      var sx = img.naturalWidth ? rect.width / img.naturalWidth : 1;
      var sy = img.naturalHeight ? rect.height / img.naturalHeight : 1;
      var stage = this.stage;
      this.boxes.forEach(function (b) {
        var div = document.createElement('div');
        div.className = 'crowd-bb-box';
        div.style.left = b.left * sx + 'px';
        div.style.top = b.top * sy + 'px';
        div.style.width = b.width * sx + 'px';
        div.style.height = b.height * sy + 'px';
        var tag = document.createElement('span');
        tag.textContent = b.label;
        div.appendChild(tag);
        stage.appendChild(div);
      });
    }
    get value() {
      return {
        boxes: (this.boxes || []).slice(),
        image: { height: this.img ? this.img.naturalHeight : 0, width: this.img ? this.img.naturalWidth : 0 }
      };
    }
  }

  var CROWD_FIELDS = 'crowd-input,crowd-text-area,crowd-checkbox,crowd-radio-button,crowd-toggle-button,' +
    'crowd-classifier,crowd-classifier-multi-select,crowd-bounding-box';
  var SKIPPED_TYPES = ['submit', 'button', 'reset', 'image', 'file'];

  /** Reads each named field of the form, in document order, into the FieldState list answerContent takes. */
  function collectFields(form) {
    var fields = [];
    var missing = [];
    var nodes = form.querySelectorAll(CROWD_FIELDS + ',input,select,textarea');
    nodes.forEach(function (el) {
      var tag = el.tagName.toLowerCase();
      var native = tag === 'input' || tag === 'select' || tag === 'textarea';
      // Controls our shims create carry no name; a named native control inside a crowd element is the template's own.
      var name = el.getAttribute('name');
      if (!name) return;
      var required = el.hasAttribute('required');
      var state = null;
      var empty = false;
      if (native) {
        var type = (el.getAttribute('type') || '').toLowerCase();
        if (tag === 'input' && SKIPPED_TYPES.indexOf(type) >= 0) return;
        if (tag === 'input' && (type === 'checkbox' || type === 'radio')) {
          if (el.checked) state = { kind: 'text', name: name, value: el.value };
          empty = !form.querySelector('input[name="' + CSS.escape(name) + '"]:checked');
        } else if (tag === 'select' && el.multiple) {
          var chosen = Array.prototype.filter.call(el.options, function (o) { return o.selected; })[0];
          state = { kind: 'text', name: name, value: chosen ? chosen.value : '' };
          empty = !chosen;
        } else {
          state = { kind: 'text', name: name, value: el.value };
          empty = el.value === '';
        }
      } else if (tag === 'crowd-input' || tag === 'crowd-text-area') {
        state = { kind: 'text', name: name, value: String(el.value) };
        empty = state.value === '';
      } else if (tag === 'crowd-checkbox') {
        state = { kind: 'checkbox', name: name, value: el.getAttribute('value') || 'on', checked: !!el.checked };
        empty = !el.checked;
      } else if (tag === 'crowd-radio-button') {
        state = { kind: 'radio', name: name, value: el.getAttribute('value') || 'on', checked: !!el.checked };
        var group = el.closest('crowd-radio-group') || form;
        var buttons = Array.prototype.filter.call(group.querySelectorAll('crowd-radio-button'), function (b) { return b.getAttribute('name') === name; });
        empty = !buttons.some(function (b) { return b.checked; });
        required = required || buttons.some(function (b) { return b.hasAttribute('required'); }) ||
          (el.closest('crowd-radio-group') !== null && el.closest('crowd-radio-group').hasAttribute('required'));
      } else if (tag === 'crowd-toggle-button') {
        state = { kind: 'toggle', name: name, checked: !!el.checked };
        empty = !el.checked;
      } else if (tag === 'crowd-classifier') {
        state = { kind: 'classifier', name: name, label: el.value };
        empty = el.value === null;
      } else if (tag === 'crowd-classifier-multi-select') {
        state = { kind: 'classifier-multi', name: name, labels: el.value };
        empty = el.value.length === 0;
      } else if (tag === 'crowd-bounding-box') {
        var v = el.value;
        state = { kind: 'bounding-box', name: name, boxes: v.boxes, image: v.image };
        empty = v.boxes.length === 0;
      }
      if (state) fields.push(state);
      var target = el.control || el;
      if (required && empty) {
        if (missing.indexOf(name) < 0) missing.push(name);
        target.setAttribute('aria-invalid', 'true');
      } else if (target.removeAttribute) {
        target.removeAttribute('aria-invalid');
      }
    });
    return { fields: fields, missing: missing };
  }

  function submitUrl() {
    var meta = document.querySelector('meta[name="a2i-submit-url"]');
    return meta ? meta.getAttribute('content') : 'submit';
  }

  class CrowdForm extends HTMLElement {
    connectedCallback() {
      if (this.__built) return;
      this.__built = true;
      var self = this;
      this.message = document.createElement('div');
      this.message.className = 'crowd-form-error';
      this.message.setAttribute('role', 'alert');
      this.message.hidden = true;
      var hasSubmit = this.querySelector('crowd-button[form-action="submit"], button[type="submit"], input[type="submit"], button:not([type])');
      if (!hasSubmit) {
        var button = document.createElement('crowd-button');
        button.setAttribute('form-action', 'submit');
        button.setAttribute('variant', 'primary');
        button.textContent = 'Submit';
        this.appendChild(button);
      }
      this.appendChild(this.message);
      // Native submit controls and Enter in a native form inside crowd-form go through our submit.
      this.addEventListener('click', function (event) {
        var t = event.target;
        if (!t || !t.closest) return;
        var control = t.closest('button, input[type="submit"]');
        if (!control || !self.contains(control) || control.closest('crowd-button')) return;
        var type = (control.getAttribute('type') || (control.tagName === 'BUTTON' ? 'submit' : '')).toLowerCase();
        if (type !== 'submit') return;
        event.preventDefault();
        self.submit();
      });
      this.addEventListener('keydown', function (event) {
        var t = event.target;
        if (event.key === 'Enter' && t && t.tagName === 'INPUT' && SKIPPED_TYPES.indexOf(t.type) < 0) {
          event.preventDefault();
          self.submit();
        }
      });
    }
    showMessage(text) {
      this.message.textContent = text;
      this.message.hidden = !text;
    }
    /** Builds answerContent without submitting (used by tests and by submit). */
    collect() {
      var collected = collectFields(this);
      return { answerContent: answerContent(collected.fields), missing: collected.missing };
    }
    submit() {
      if (this.__submitting) return Promise.resolve(false);
      var collected = this.collect();
      if (collected.missing.length > 0) {
        this.showMessage('Please complete the required fields: ' + collected.missing.join(', '));
        return Promise.resolve(false);
      }
      this.showMessage('');
      var event = new Event('submit', { bubbles: true, cancelable: true });
      if (!this.dispatchEvent(event)) return Promise.resolve(false);
      var self = this;
      self.__submitting = true;
      return fetch(submitUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ answerContent: collected.answerContent })
      }).then(function (response) {
        self.__submitting = false;
        if (!response.ok) {
          return response.text().then(function (text) {
            self.showMessage('Submission failed (' + response.status + '): ' + text);
            return false;
          });
        }
        self.dispatchEvent(new CustomEvent('crowd-submitted', { bubbles: true, detail: collected.answerContent }));
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (body && typeof body.redirect === 'string') window.location.assign(body.redirect);
          else document.body.setAttribute('data-crowd-submitted', 'true');
          return true;
        });
      }, function (error) {
        self.__submitting = false;
        self.showMessage('Submission failed: ' + error);
        return false;
      });
    }
  }

  define('crowd-form', CrowdForm);
  define('crowd-button', CrowdButton);
  define('crowd-input', CrowdInput);
  define('crowd-text-area', CrowdTextArea);
  define('crowd-checkbox', CrowdCheckbox);
  define('crowd-radio-group', CrowdRadioGroup);
  define('crowd-radio-button', CrowdRadioButton);
  define('crowd-toggle-button', CrowdToggleButton);
  define('crowd-classifier', CrowdClassifier);
  define('crowd-classifier-multi-select', CrowdClassifierMulti);
  define('crowd-alert', CrowdAlert);
  define('crowd-instructions', CrowdInstructions);
  define('crowd-bounding-box', CrowdBoundingBox);

  // For tests and tooling: the same answer-building function the unit tests exercise, and the field reader.
  window.crowdElements = { answerContent: answerContent, collectFields: collectFields };
  // As crowd-html-elements.js does, tell templates the elements are ready.
  document.dispatchEvent(new Event('all-crowd-elements-ready'));
})();
`;

/** The shims as one static script: the shared answerContent function, then the elements that use it. */
export const CROWD_ELEMENTS_SCRIPT: string =
  `/* a2i-orchestrator: local crowd-html-elements shims */\n(function () {\nvar answerContent = ${answerContent.toString()};\n${SHIMS}\n})();\n`;
