/**
 * docs/SCHEMA.md against src/results/schema.ts: every table has its section, and each section's
 * column table lists exactly the schema's columns, with their types, in file order.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { columnOf, TABLES, type ColumnDefs } from '../../src/results/schema.js';

const DOC = path.resolve(import.meta.dirname, '../../docs/SCHEMA.md');

/**
 * Each `## \`<table>.parquet\`` section's [column, type] rows (the first table headed
 * `| column | type |`), keyed by table name: `predictions/<model>/...` is the predictions table.
 */
function documentedColumns(doc: string): Map<string, [string, string][]> {
  const tables = new Map<string, [string, string][]>();
  for (const section of doc.split(/^## /m).slice(1)) {
    const title = /^`([^`]+\.parquet)`/.exec(section)?.[1];
    if (!title) continue;
    const name = title.split('/')[0]!.replace(/\.parquet$/, '');
    const lines = section.split('\n');
    const head = lines.findIndex((l) => /^\| column \| type \|/.test(l));
    const rows: [string, string][] = [];
    for (const line of head < 0 ? [] : lines.slice(head + 2)) {
      if (!line.startsWith('|')) break;
      const [column, type] = line.split('|').slice(1, 3).map((c) => c.trim());
      rows.push([column!.replace(/^`|`$/g, ''), type!]);
    }
    tables.set(name, rows);
  }
  return tables;
}

/** Every way the doc and the definitions disagree, in words. */
function disagreements(doc: string, tables: Readonly<Record<string, ColumnDefs>>): string[] {
  const documented = documentedColumns(doc);
  const problems: string[] = [];
  for (const [name, defs] of Object.entries(tables)) {
    const rows = documented.get(name);
    if (!rows) {
      problems.push(`no section for table ${name}`);
      continue;
    }
    const want = Object.entries(defs).map(([c, d]) => [c, columnOf(d).type] as const);
    const types = new Map(rows);
    for (const [c, t] of want) {
      if (!types.has(c)) problems.push(`${name}.${c} (${t}) is not documented`);
      else if (types.get(c) !== t) problems.push(`${name}.${c} is ${t}, documented as ${types.get(c)}`);
    }
    for (const [c] of rows) if (!Object.hasOwn(defs, c)) problems.push(`${name}.${c} is documented but not a column`);
    if (!problems.some((p) => p.startsWith(`${name}.`))) {
      const order = rows.map(([c]) => c).join(', ');
      if (order !== want.map(([c]) => c).join(', ')) problems.push(`${name}: documented in the order ${order}, written in the order ${want.map(([c]) => c).join(', ')}`);
    }
  }
  for (const name of documented.keys()) if (!Object.hasOwn(tables, name)) problems.push(`section ${name}.parquet documents no table of the schema`);
  return problems;
}

test('docs/SCHEMA.md documents every table and column of src/results/schema.ts, with its type, and nothing else', async () => {
  const doc = await readFile(DOC, 'utf8');
  assert.deepEqual(disagreements(doc, TABLES), []);
  assert.equal(documentedColumns(doc).size, Object.keys(TABLES).length);
});

test('the check fails on a missing column, a wrong type, an extra column, an extra table and a reordering', async () => {
  const doc = await readFile(DOC, 'utf8');
  const drop = doc.replace(/^\| `attempt` \| int32 \|.*\n/m, '');
  assert.deepEqual(disagreements(drop, TABLES), ['accuracy.attempt (int32) is not documented']);
  const retype = doc.replace(/^\| `runs` \| int32 \|/m, '| `runs` | int64 |');
  assert.deepEqual(disagreements(retype, TABLES), ['latency.runs is int32, documented as int64']);
  const extra = doc.replace(/^(\| `run_index` \| int32 \|.*\n)/m, '$1| `phase` | utf8 | | warm-up or timed |\n');
  assert.deepEqual(disagreements(extra, TABLES), ['latency_samples.phase is documented but not a column']);
  const table = `${doc}\n## \`latency_phases.parquet\`\n\n| column | type | unit | meaning |\n|---|---|---|---|\n| \`model_id\` | utf8 | | model id |\n`;
  assert.deepEqual(disagreements(table, TABLES), ['section latency_phases.parquet documents no table of the schema']);
  const swap = doc.replace(/^(\| `op_type` \| utf8 \|.*\n)(\| `count` \| int32 \|.*\n)/m, '$2$1');
  assert.equal(disagreements(swap, TABLES).length, 1);
  assert.match(disagreements(swap, TABLES)[0]!, /^model_ops: documented in the order model_id, count, op_type/);
  const { frontiers: _gone, ...withoutFrontiers } = TABLES;
  assert.deepEqual(disagreements(doc, { ...withoutFrontiers, frontiers_v2: TABLES.frontiers }),
    ['no section for table frontiers_v2', 'section frontiers.parquet documents no table of the schema']);
});
