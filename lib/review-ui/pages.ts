/**
 * The review UI's own pages (DESIGN.md §4): the list of open tasks at `/` and the live pipeline status at
 * `/status`. Pure functions from the status model to complete HTML documents: no external assets, every
 * value from data HTML-escaped into element content or a double-quoted attribute. The status page is
 * rendered on the server (works without JavaScript) and kept live by a small inline script that polls
 * `/status.json` every 2 seconds and rebuilds the tables with textContent and setAttribute only.
 */
import type { Outcome } from '../messages/review-message';
import type { RecordJourney, StatusSnapshot, TaskSummary, WorkflowCounts } from '../local/status-model';
import { escapeHtml } from './render-task';

/** The outcome columns, in the order the status page shows them. */
export const OUTCOMES = ['reviewed', 'auto-accepted', 'failed', 'invalid'] as const satisfies readonly Outcome[];

/** How often the status page polls /status.json. */
export const STATUS_REFRESH_MS = 2000;

const CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.45; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; }
nav { display: flex; gap: 1rem; padding: .75rem 0; border-bottom: 1px solid #8884; margin-bottom: 1rem; }
nav a { font-weight: 600; text-decoration: none; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8883; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
ul.tasks { list-style: none; padding: 0; margin: 0; }
ul.tasks li { padding: .4rem 0; border-bottom: 1px solid #8883; }
a.task { font-family: ui-monospace, monospace; }
.meta, .empty { color: #888; }
.meta span { margin-right: 1rem; }
ol.steps { list-style: none; padding: 0; margin: 0; font-size: .9em; }
ol.steps time { font-family: ui-monospace, monospace; color: #888; margin-right: .5rem; }
code { font-family: ui-monospace, monospace; }
`;

/** A complete HTML document: shared style, the nav, `body` (trusted markup) and an optional inline script (trusted, static). */
export function pageShell(title: string, body: string, script?: string): string {
  if (script !== undefined && /<\/script|<!--/i.test(script)) throw new Error('inline script must not contain </script or <!--');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    '<nav><a href="/">Tasks</a><a href="/status">Status</a></nav>',
    `<main>${body}</main>`,
    script === undefined ? '' : `<script id="page-script">${script}</script>`,
    '</body></html>',
  ].join('\n');
}

/** "2024-05-01T10:00:00.123Z" → "2024-05-01 10:00:00Z"; anything else as given. */
function displayTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+(?=Z|[+-]\d\d:?\d\d$|$)/, '');
}

/** The clock time of an ISO 8601 timestamp (the client script does the same). */
function clockTime(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}

/** Task URLs are the server's own paths; anything else (another origin, a scheme) is not linked. */
function localHref(url: string): string {
  return url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') ? url : '#';
}

function taskRow(task: TaskSummary): string {
  const record = task.recordId === undefined ? '' : `<span>record ${escapeHtml(task.recordId)}</span>`;
  return (
    `<li><a class="task" data-loop="${escapeHtml(task.humanLoopName)}" href="${escapeHtml(localHref(task.url))}">${escapeHtml(task.humanLoopName)}</a>` +
    `<div class="meta">${record}<span>${task.answersSoFar} / ${task.taskCount} answers</span>` +
    `<span>created <time datetime="${escapeHtml(task.creationTime)}">${escapeHtml(displayTime(task.creationTime))}</time></span></div></li>`
  );
}

/** The open tasks, grouped per workflow (workflows in name order, tasks as given), or how to add work. */
export function taskListPage(tasks: TaskSummary[], options: { title?: string } = {}): string {
  const groups = new Map<string, TaskSummary[]>();
  for (const task of tasks) groups.set(task.workflow, [...(groups.get(task.workflow) ?? []), task]);
  const sections = [...groups.keys()]
    .sort()
    .map((workflow) => {
      const rows = groups.get(workflow)!;
      const label = `${rows.length} open ${rows.length === 1 ? 'task' : 'tasks'}`;
      return (
        `<section data-workflow="${escapeHtml(workflow)}"><h2>${escapeHtml(workflow)} <span class="count">(${label})</span></h2>` +
        `<ul class="tasks">${rows.map(taskRow).join('')}</ul></section>`
      );
    });
  const content =
    sections.length > 0
      ? sections.join('\n')
      : '<p class="empty" id="empty">Nothing to review. To add work, drop a file into <code>inbox/</code> or run <code>npx a2i-orchestrator dev upload FILE</code>.</p>';
  const body =
    `<h1>Open tasks</h1>\n<p class="meta">${tasks.length} open ${tasks.length === 1 ? 'task' : 'tasks'} · <a href="/status">pipeline status</a></p>\n` +
    `<div id="tasks">${content}</div>`;
  return pageShell(options.title ?? 'Open tasks', body);
}

function countsRow(w: WorkflowCounts): string {
  const outcomes = OUTCOMES.map((o) => `<td class="n" data-outcome="${o}">${w.outcomes[o] ?? 0}</td>`).join('');
  return (
    `<tr data-workflow="${escapeHtml(w.workflow)}"><th scope="row">${escapeHtml(w.workflow)}</th>` +
    `<td class="n" data-count="records">${w.records}</td><td class="n" data-count="open-loops">${w.openLoops}</td>${outcomes}</tr>`
  );
}

function queueRows(w: WorkflowCounts): string[] {
  return Object.keys(w.queues)
    .sort()
    .map(
      (queue) =>
        `<tr data-queue="${escapeHtml(queue)}"><th scope="row">${escapeHtml(queue)}</th><td>${escapeHtml(w.workflow)}</td>` +
        `<td class="n" data-count="delivered">${w.queues[queue]}</td></tr>`,
    );
}

/** What the outcome column says: the outcome, else the loop's status, else that it is on its way. */
function journeyState(j: RecordJourney): string {
  return j.outcome ?? (j.loopStatus !== undefined ? `loop ${j.loopStatus}` : 'in progress');
}

function journeyRow(j: RecordJourney): string {
  const steps = j.steps
    .map((s) => `<li><time datetime="${escapeHtml(s.at)}">${escapeHtml(clockTime(s.at))}</time><span>${escapeHtml(`${s.step}: ${s.detail}`)}</span></li>`)
    .join('');
  const cells = [j.reviewId, j.workflow, j.recordId ?? '—', journeyState(j), j.queue ?? '—'].map((v) => `<td>${escapeHtml(v)}</td>`).join('');
  return `<tr data-review-id="${escapeHtml(j.reviewId)}">${cells}<td><ol class="steps">${steps}</ol></td></tr>`;
}

function emptyRow(columns: number, text: string): string {
  return `<tr class="empty"><td colspan="${columns}">${text}</td></tr>`;
}

const COUNT_COLUMNS = 3 + OUTCOMES.length;

/**
 * Refreshes the status page from /status.json, mirroring the server-side rows above. Static text: no data
 * is ever put into it; data reaches the page only through textContent and setAttribute.
 */
const STATUS_SCRIPT = `
(function () {
  'use strict';
  var OUTCOMES = ${JSON.stringify(OUTCOMES)};
  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (typeof content === 'string') node.textContent = content;
    else (content || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  function clock(iso) { var m = /T(\\d\\d:\\d\\d:\\d\\d)/.exec(iso); return m ? m[1] : String(iso); }
  function fill(id, rows, columns, emptyText) {
    var tbody = document.getElementById(id);
    if (!tbody) return;
    tbody.textContent = '';
    if (rows.length === 0) rows = [el('tr', { class: 'empty' }, [el('td', { colspan: String(columns) }, emptyText)])];
    rows.forEach(function (row) { tbody.appendChild(row); });
  }
  function num(value) { return String(value === undefined || value === null ? 0 : value); }
  function render(snapshot) {
    var workflows = snapshot.workflows || [];
    fill('counts-body', workflows.map(function (w) {
      var cells = [el('th', { scope: 'row' }, String(w.workflow)),
        el('td', { class: 'n', 'data-count': 'records' }, num(w.records)),
        el('td', { class: 'n', 'data-count': 'open-loops' }, num(w.openLoops))];
      OUTCOMES.forEach(function (o) { cells.push(el('td', { class: 'n', 'data-outcome': o }, num((w.outcomes || {})[o]))); });
      return el('tr', { 'data-workflow': String(w.workflow) }, cells);
    }), ${COUNT_COLUMNS}, 'No workflows yet.');
    var queues = [];
    workflows.forEach(function (w) {
      Object.keys(w.queues || {}).sort().forEach(function (q) {
        queues.push(el('tr', { 'data-queue': q }, [el('th', { scope: 'row' }, q), el('td', {}, String(w.workflow)),
          el('td', { class: 'n', 'data-count': 'delivered' }, num(w.queues[q]))]));
      });
    });
    fill('queues-body', queues, 3, 'Nothing delivered yet.');
    fill('journeys-body', (snapshot.records || []).map(function (j) {
      var state = j.outcome ? j.outcome : (j.loopStatus ? 'loop ' + j.loopStatus : 'in progress');
      var cells = [j.reviewId, j.workflow, j.recordId || '\\u2014', state, j.queue || '\\u2014'].map(function (v) { return el('td', {}, String(v)); });
      cells.push(el('td', {}, [el('ol', { class: 'steps' }, (j.steps || []).map(function (s) {
        return el('li', {}, [el('time', { datetime: String(s.at) }, clock(s.at)), el('span', {}, s.step + ': ' + s.detail)]);
      }))]));
      return el('tr', { 'data-review-id': String(j.reviewId) }, cells);
    }), 6, 'No records yet.');
    var updated = document.getElementById('updated');
    if (updated) updated.textContent = 'Updated ' + clock(snapshot.generatedAt) + ' \\u00b7 refreshes every 2 s';
  }
  function refresh() {
    return fetch('/status.json', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (response) { if (!response.ok) throw new Error('HTTP ' + response.status); return response.json(); })
      .then(render)
      .catch(function () {
        var updated = document.getElementById('updated');
        if (updated) updated.textContent = 'Cannot reach the server \\u00b7 retrying every 2 s';
      })
      .then(function () { setTimeout(refresh, ${STATUS_REFRESH_MS}); });
  }
  setTimeout(refresh, ${STATUS_REFRESH_MS});
})();
`;

/** Live counts per workflow, outcome and queue, and the recent record journeys. */
export function statusPage(snapshot: StatusSnapshot): string {
  const counts = snapshot.workflows.map(countsRow);
  const queues = snapshot.workflows.flatMap(queueRows);
  const journeys = snapshot.records.map(journeyRow);
  const outcomeHeads = OUTCOMES.map((o) => `<th scope="col">${o}</th>`).join('');
  const body = [
    '<h1>Pipeline status</h1>',
    `<p class="meta" id="updated">Updated ${escapeHtml(clockTime(snapshot.generatedAt))} · refreshes every 2 s</p>`,
    '<h2>Workflows</h2>',
    `<table id="counts"><thead><tr><th scope="col">Workflow</th><th scope="col">Records</th><th scope="col">Open loops</th>${outcomeHeads}</tr></thead>`,
    `<tbody id="counts-body">${counts.join('') || emptyRow(COUNT_COLUMNS, 'No workflows yet.')}</tbody></table>`,
    '<h2>Queues</h2>',
    '<table id="queues"><thead><tr><th scope="col">Queue</th><th scope="col">Workflow</th><th scope="col">Delivered</th></tr></thead>',
    `<tbody id="queues-body">${queues.join('') || emptyRow(3, 'Nothing delivered yet.')}</tbody></table>`,
    '<h2>Recent records</h2>',
    '<table id="journeys"><thead><tr><th scope="col">Review id</th><th scope="col">Workflow</th><th scope="col">Record id</th>' +
      '<th scope="col">Outcome</th><th scope="col">Queue</th><th scope="col">Steps</th></tr></thead>',
    `<tbody id="journeys-body">${journeys.join('') || emptyRow(6, 'No records yet.')}</tbody></table>`,
  ].join('\n');
  return pageShell('Pipeline status', body, STATUS_SCRIPT);
}
