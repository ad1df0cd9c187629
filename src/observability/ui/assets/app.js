// The dashboard's page: plain JavaScript the browser runs as it is, no build
// step and nothing loaded from elsewhere. It reads the JSON API under
// /ui/api/ (src/observability/ui/ui-routes.ts) every few seconds and draws
// the overview (#/), with the node list's filters in the address so a view
// can be shared, or one node's page (#/node/<id>). Text from the data is only
// ever set as text, never parsed as HTML.
(() => {
  const STATES = ['Progressing', 'Ready', 'Failed', 'Conflict', 'Skipped', 'Deleted'];
  const REFRESH_MS = 2000;
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** An error's message without the code it starts with (the code is shown beside it). */
  function errorMessage(error) {
    const prefix = `${error.code}: `;
    return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  }

  function stateBadge(state) {
    return el('span', { class: `state state-${state}` }, state);
  }

  function pad(n, width) {
    return String(n).padStart(width || 2, '0');
  }

  /** A time of day in the browser's zone, with milliseconds: what a person compares with logs. */
  function clock(ms) {
    if (ms === null || ms === undefined) return '—';
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function age(ms, now) {
    const seconds = Math.max(0, Math.round((now - ms) / 1000));
    if (seconds < 90) return `${seconds}s`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 90) return `${minutes}m`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return `${hours}h`;
    return `${Math.round(hours / 24)}d`;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    return `${(ms / 60000).toFixed(1)} min`;
  }

  async function getJson(path) {
    const response = await fetch(path, { cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
    return body;
  }

  function notice(text) {
    const p = $('notice');
    p.textContent = text || '';
    p.hidden = !text;
  }

  // --- the address: #/?state=…&form=…&q=… or #/node/<id> ---

  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    if (hash.startsWith('/node/'))
      return { page: 'node', id: decodeURIComponent(hash.slice('/node/'.length)) };
    const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
    return { page: 'overview', filter: new URLSearchParams(query) };
  }

  function nodeHref(id) {
    return `#/node/${encodeURIComponent(id)}`;
  }

  function overviewHref(filter) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
    const text = query.toString();
    return text === '' ? '#/' : `#/?${text}`;
  }

  // --- overview: hubs and forms, the chart, the node list ---

  function drawSummary(summary) {
    $('prefix').textContent = `topics ${summary.prefix}.*`;
    const head = $('summary').tHead;
    head.replaceChildren(
      el(
        'tr',
        {},
        el('th', {}, 'Hub'),
        el('th', {}, 'Form'),
        ...STATES.map((state) => el('th', { class: 'num' }, state)),
        el('th', { class: 'num' }, 'Total'),
      ),
    );
    const rows = [];
    for (const hub of summary.hubs) {
      for (const form of hub.forms) {
        const cells = STATES.map((state) => {
          const count = form.states[state];
          const link = el(
            'a',
            {
              class: `count-link${count === 0 ? ' zero' : ''}`,
              href: overviewHref({ state, form: form.form }),
            },
            count,
          );
          return el('td', { class: 'num', 'data-state': state }, link);
        });
        rows.push(
          el(
            'tr',
            { 'data-hub': hub.hub, 'data-form': form.form },
            el('td', {}, hub.hub),
            el('td', {}, el('a', { href: overviewHref({ form: form.form }) }, form.form)),
            ...cells,
            el('td', { class: 'num' }, form.total),
          ),
        );
      }
    }
    $('summary').tBodies[0].replaceChildren(...rows);
    $('summary-empty').hidden = rows.length > 0;
    // The form filter offers every form the summary knows.
    const select = $('filter-form');
    const chosen = route().filter?.get('form') || '';
    const forms = [...new Set(summary.hubs.flatMap((hub) => hub.forms.map((form) => form.form)))].sort();
    if (chosen && !forms.includes(chosen)) forms.push(chosen);
    const wanted = ['', ...forms].join('\n');
    const present = [...select.options].map((option) => option.value).join('\n');
    if (wanted !== present) {
      select.replaceChildren(
        el('option', { value: '' }, 'any'),
        ...forms.map((f) => el('option', { value: f }, f)),
      );
    }
    select.value = chosen;
  }

  function drawNodes(list, now) {
    const rows = list.nodes.map((node) =>
      el(
        'tr',
        { 'data-node': node.nodeId },
        el('td', {}, el('a', { href: nodeHref(node.nodeId), class: 'mono' }, node.nodeId)),
        el('td', {}, node.form),
        el('td', {}, stateBadge(node.state)),
        el('td', { class: 'num' }, `${node.objectsReady}/${node.objectsTotal}`),
        el('td', { title: clock(node.stateSinceMs) }, age(node.stateSinceMs, now)),
        el(
          'td',
          { class: 'error' },
          node.error ? el('code', {}, node.error.code) : '',
          node.error ? ` ${errorMessage(node.error)}` : '',
        ),
      ),
    );
    $('nodes').tBodies[0].replaceChildren(...rows);
    const shown = list.nodes.length < list.matched ? `, the first ${list.nodes.length} shown` : '';
    $('node-count').textContent =
      list.matched === list.total
        ? `${list.total} node${list.total === 1 ? '' : 's'}${shown}`
        : `${list.matched} of ${list.total} nodes match${shown}`;
  }

  /** Minutes as an SVG: a grey bar per minute for the writes, lines for p50 and p95. */
  function drawChart(latency) {
    const width = 720;
    const height = 220;
    const left = 56;
    const right = 12;
    const top = 12;
    const bottom = 28;
    const minutes = latency.minutes;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const maxMs = Math.max(1, ...minutes.map((m) => m.p95Ms || 0));
    const niceMax = niceCeiling(maxMs);
    const maxCount = Math.max(1, ...minutes.map((m) => m.count));
    // One slot per minute, each point in the middle of its slot, so the bars stay inside the plot.
    const slot = plotW / Math.max(1, minutes.length);
    const x = (i) => left + slot * (i + 0.5);
    const y = (ms) => top + plotH - (ms / niceMax) * plotH;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' });
    for (const fraction of [0, 0.5, 1]) {
      const ms = niceMax * fraction;
      root.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(ms), y2: y(ms) }));
      root.append(
        svg('text', { class: 'label', x: left - 6, y: y(ms) + 4, 'text-anchor': 'end' }, duration(ms)),
      );
    }
    const barW = Math.max(1, slot - 2);
    minutes.forEach((minute, i) => {
      if (minute.count === 0) return;
      const h = (minute.count / maxCount) * plotH * 0.35;
      const bar = svg('rect', {
        class: 'count',
        x: x(i) - barW / 2,
        y: top + plotH - h,
        width: barW,
        height: h,
      });
      bar.append(
        svg(
          'title',
          {},
          `${clock(minute.startMs).slice(11, 16)}: ${minute.count} writes, p50 ${duration(minute.p50Ms)}, p95 ${duration(minute.p95Ms)}, max ${duration(minute.maxMs)}`,
        ),
      );
      root.append(bar);
    });
    for (const [key, name] of [
      ['p50Ms', 'p50'],
      ['p95Ms', 'p95'],
    ]) {
      let path = '';
      let pen = 'M';
      minutes.forEach((minute, i) => {
        if (minute[key] === null) {
          pen = 'M';
          return;
        }
        path += `${pen}${x(i).toFixed(1)},${y(minute[key]).toFixed(1)} `;
        pen = 'L';
      });
      if (path !== '') root.append(svg('path', { class: name, d: path }));
      // A minute alone between empty ones has no line: mark every point.
      minutes.forEach((minute, i) => {
        if (minute[key] !== null)
          root.append(svg('circle', { class: name, cx: x(i), cy: y(minute[key]), r: 2 }));
      });
    }
    const labelY = height - 8;
    root.append(svg('text', { class: 'label', x: left, y: labelY }, '−60 min'));
    root.append(
      svg('text', { class: 'label', x: left + plotW / 2, y: labelY, 'text-anchor': 'middle' }, '−30 min'),
    );
    root.append(svg('text', { class: 'label', x: width - right, y: labelY, 'text-anchor': 'end' }, 'now'));
    root.append(svg('text', { class: 'label p50-label', x: left + 8, y: top + 10 }, 'p50'));
    root.append(svg('text', { class: 'label p95-label', x: left + 40, y: top + 10 }, 'p95'));
    $('chart').replaceChildren(root);
    const writes = minutes.reduce((sum, m) => sum + m.count, 0);
    const last = [...minutes].reverse().find((m) => m.count > 0);
    $('chart-note').textContent = !latency.fed
      ? 'This process runs no sink: the chart is drawn by the process that runs `rowkube apply` (or `run`).'
      : writes === 0
        ? 'No object written in the last hour (since this process started).'
        : `${writes} objects written in the last hour; latest minute p50 ${duration(last.p50Ms)}, p95 ${duration(last.p95Ms)} (grey: writes per minute).`;
  }

  function niceCeiling(value) {
    const power = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
    return 10 * power;
  }

  /** Reads the overview's data and draws it, unless a newer refresh started meanwhile (`current()` false). */
  async function refreshOverview(current) {
    const { filter } = route();
    const query = new URLSearchParams();
    for (const name of ['state', 'form', 'q']) if (filter.get(name)) query.set(name, filter.get(name));
    const [summary, list, latency] = await Promise.all([
      getJson('api/summary'),
      getJson(`api/nodes?${query}`),
      getJson('api/latency'),
    ]);
    if (!current()) return list.generatedAtMs;
    notice(
      summary.problem ||
        (summary.ready
          ? ''
          : `Reading ${summary.prefix}.status: the list fills in as the status topic is read.`),
    );
    drawSummary(summary);
    drawNodes(list, list.generatedAtMs);
    drawChart(latency);
    return list.generatedAtMs;
  }

  // --- one node ---

  function fact(name, ...value) {
    return [el('dt', {}, name), el('dd', {}, ...value)];
  }

  function drawNode(answer, id) {
    const node = answer.node;
    $('node-title').textContent = id;
    $('node-state').replaceChildren(
      node ? stateBadge(node.state) : el('span', { class: 'muted' }, 'no status'),
    );
    const facts = [];
    if (node) {
      facts.push(
        ...fact('Hub', node.hub),
        ...fact('Form', node.form),
        ...fact(
          'State since',
          `${clock(node.stateSinceMs)} (${age(node.stateSinceMs, answer.generatedAtMs)} ago)`,
        ),
        ...fact('Row', `${node.source} / ${node.table}`),
        ...fact('Position', el('code', {}, node.position || '—')),
        ...fact('Committed', clock(node.commitTsMs)),
        ...fact('Content hash', el('code', {}, node.contentHash || '—')),
        ...fact('Status written', clock(node.updatedAtMs)),
        ...fact(
          'Last error',
          node.error
            ? el(
                'span',
                { class: 'error-text' },
                el('code', {}, node.error.code),
                ` ${errorMessage(node.error)}`,
              )
            : 'none',
        ),
      );
    }
    $('node-facts').replaceChildren(...facts);
    const objects = node ? node.objects : [];
    $('node-objects').tBodies[0].replaceChildren(
      ...objects.map((object) =>
        el(
          'tr',
          {},
          el('td', {}, object.kind),
          el('td', {}, object.namespace || '—'),
          el('td', { class: 'mono' }, object.name),
          el('td', {}, object.resourceId),
          el('td', { class: `action-${object.lastAction}` }, object.lastAction),
          el('td', {}, object.ready ? 'yes' : 'no'),
        ),
      ),
    );
    const transactions = [...answer.history].reverse();
    const blocks = transactions.map((tx) => {
      const actions = tx.actions.map((action) =>
        el(
          'tr',
          {},
          el('td', {}, clock(action.appliedAtMs).slice(11)),
          el('td', { class: `action-${action.action}` }, action.action),
          el(
            'td',
            { class: 'mono' },
            action.object || (action.resourceId ? `(resource ${action.resourceId})` : '(the node)'),
          ),
          el('td', { class: 'num' }, action.latencyMs === null ? '—' : `+${duration(action.latencyMs)}`),
          el(
            'td',
            {},
            action.errorCode ? el('code', {}, action.errorCode) : '',
            action.errorCode ? ' ' : '',
            action.reason,
          ),
        ),
      );
      return el(
        'div',
        { class: 'transaction' },
        el(
          'h3',
          {},
          tx.commitTsMs === null
            ? 'Transaction (commit time unknown)'
            : `Transaction committed ${clock(tx.commitTsMs)}`,
          el(
            'span',
            { class: 'muted' },
            ` — ${tx.source} / ${tx.table}, position `,
            el('code', {}, tx.position || '—'),
          ),
        ),
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'Applied'),
              el('th', {}, 'Action'),
              el('th', {}, 'Object'),
              el('th', { class: 'num' }, 'After commit'),
              el('th', {}, 'Why'),
            ),
          ),
          el('tbody', {}, ...actions),
        ),
      );
    });
    const history = $('node-history');
    if (answer.historyProblem) history.replaceChildren(el('p', { class: 'notice' }, answer.historyProblem));
    else if (blocks.length === 0)
      history.replaceChildren(el('p', { class: 'muted' }, 'No audit event for this node.'));
    else history.replaceChildren(...blocks);
  }

  async function refreshNode(id, current) {
    const answer = await getJson(`api/node?id=${encodeURIComponent(id)}`);
    if (!current()) return answer.generatedAtMs;
    notice('');
    drawNode(answer, id);
    return answer.generatedAtMs;
  }

  // --- the loop ---

  let timer;
  let generation = 0;

  async function refresh() {
    clearTimeout(timer);
    const mine = ++generation;
    const where = route();
    $('overview-page').hidden = where.page !== 'overview';
    $('node-page').hidden = where.page !== 'node';
    if (where.page === 'node' && $('node-title').textContent !== where.id) {
      // Another node: nothing of the last one stays on screen while this one loads.
      $('node-title').textContent = where.id;
      for (const id of ['node-state', 'node-facts', 'node-history']) $(id).replaceChildren();
      $('node-objects').tBodies[0].replaceChildren();
    }
    try {
      const current = () => mine === generation;
      const at =
        where.page === 'node' ? await refreshNode(where.id, current) : await refreshOverview(current);
      if (mine === generation) $('updated').textContent = `updated ${clock(at).slice(11, 19)}`;
    } catch (error) {
      if (mine === generation) notice(error.message);
    }
    if (mine === generation) timer = setTimeout(refresh, REFRESH_MS);
  }

  function syncFilterInputs() {
    const { filter } = route();
    if (!filter) return;
    $('filter-state').value = filter.get('state') || '';
    $('filter-form').value = filter.get('form') || '';
    if (document.activeElement !== $('filter-text')) $('filter-text').value = filter.get('q') || '';
  }

  function onFilterChange() {
    location.hash = overviewHref({
      state: $('filter-state').value,
      form: $('filter-form').value,
      q: $('filter-text').value.trim(),
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('filter-state').append(...STATES.map((state) => el('option', { value: state }, state)));
    $('filter-state').addEventListener('change', onFilterChange);
    $('filter-form').addEventListener('change', onFilterChange);
    $('filter-text').addEventListener('input', onFilterChange);
    $('filters').addEventListener('submit', (event) => event.preventDefault());
    window.addEventListener('hashchange', () => {
      syncFilterInputs();
      refresh();
    });
    syncFilterInputs();
    refresh();
  });
})();
