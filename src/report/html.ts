/** HTML for the report: escaping, number formatting, sortable tables and the page shell. */

/**
 * A cell shown as more than its value (a figure with its interval), sorted by the value; `title`
 * is shown on hover, and a `flagged` cell is marked as a figure not to take at face value.
 */
export interface Annotated {
  value: number | string | null;
  text: string;
  title: string | null;
  flagged: boolean;
}

export type Cell = string | number | boolean | null | undefined | unknown[] | Annotated;

const isAnnotated = (v: Cell): v is Annotated => typeof v === 'object' && v !== null && !Array.isArray(v);

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number with 6 significant digits (integers in full). */
export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e7 ? String(Number(v.toPrecision(6))) : v.toExponential(5);
}

/** A cell's text and its sort key, which keeps the exact value. */
function show(v: Cell): { text: string; key: string } {
  if (v === null || v === undefined) return { text: '', key: '' };
  if (isAnnotated(v)) return { text: v.text, key: show(v.value).key };
  if (typeof v === 'number') return { text: formatNumber(v), key: String(v) };
  if (Array.isArray(v)) return { text: v.join(', '), key: v.join(', ') };
  return { text: String(v), key: String(v) };
}

/** A table whose headers sort it (numbers numerically, the rest as text; click again to reverse). */
export function sortableTable(id: string, rows: Record<string, Cell>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length === 0) return `<p class="empty">no rows</p>`;
  const head = cols.map((c, i) => `<th data-col="${i}" title="sort by ${esc(c)}">${esc(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cols.map((c) => {
    const v = r[c];
    const { text, key } = show(v);
    const classes = [
      ...(typeof (isAnnotated(v) ? v.value : v) === 'number' ? ['num'] : []),
      ...(isAnnotated(v) && v.flagged ? ['flagged'] : []),
    ];
    const title = isAnnotated(v) && v.title ? ` title="${esc(v.title)}"` : '';
    return `<td${classes.length ? ` class="${classes.join(' ')}"` : ''}${title} data-v="${esc(key)}">${esc(text)}</td>`;
  }).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="sortable" id="${esc(id)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th) {
    th.addEventListener('click', function () {
      var col = Number(th.dataset.col);
      var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (x === '' || y === '') ? (x === '' ? 1 : 0) - (y === '' ? 1 : 0)
          : (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny : x.localeCompare(y);
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1180px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; } h3 { margin-top: 1.5em; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; border: 1px solid #eee; padding: .5em; }
figcaption { max-width: 560px; color: #555; font-size: .9em; }
.scroll { overflow-x: auto; max-height: 32em; overflow-y: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #ddd; padding: 2px 6px; white-space: nowrap; }
th { background: #f4f4f4; cursor: pointer; position: sticky; top: 0; }
th[data-dir=asc]::after { content: ' ▲'; } th[data-dir=desc]::after { content: ' ▼'; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.flagged { background: #ffe9c2; } td.flagged::before { content: '⚠ '; color: #b35c00; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; } dt { color: #666; }
.empty { color: #888; }`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>${STYLE}</style></head>
<body>
${body}
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}
