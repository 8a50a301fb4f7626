/** The figures' CSVs: RFC 4180 quoting, checked against a hand-written file and by reading it back with a separate parser. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { deviceFolder, toCsv, writeFigureCsvs } from '../../src/report/figure-csv.js';

/** RFC 4180, read: fields split on commas outside quotes, "" inside quotes is a quote, records end with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let fieldText = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { fieldText += '"'; i++; } else if (c === '"') quoted = false; else fieldText += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(fieldText); fieldText = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(fieldText); records.push(record); record = []; fieldText = ''; i++;
    } else fieldText += c;
  }
  assert.equal(record.length + fieldText.length, 0, 'the file ends with a line break');
  return records;
}

test('a value with a comma, a quote or a line break is quoted, quotes doubled; null is an empty field', () => {
  const csv = toCsv({ columns: ['model_id', 'note', 'top1'], rows: [{ model_id: 'a,b', note: 'say "hi"', top1: 0.5 }, { model_id: 'c', note: null, top1: null }] });
  assert.equal(csv, 'model_id,note,top1\r\n"a,b","say ""hi""",0.5\r\nc,,\r\n');
});

test('values round-trip through the file', async () => {
  const rows = [
    { model_id: 'squeezenet1.1 (Caffe, "zoo")', family: 'SqueezeNet', top1: 0.5634, source: 'line one\nline two' },
    { model_id: 'tv_resnet50', family: 'ResNet', top1: 0.7613, source: 'torchvision, IMAGENET1K_V1' },
  ];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-csv-'));
  try {
    const [file] = await writeFigureCsvs(dir, 'cpu x86/64', [{ name: 'top1-vs-gflops', table: { columns: ['model_id', 'family', 'top1', 'source'], rows } }]);
    assert.equal(file, path.join(dir, 'cpu_x86_64', 'top1-vs-gflops.csv'));
    assert.equal(deviceFolder('cpu-x86_64'), 'cpu-x86_64');
    const [header, ...records] = parseCsv(await readFile(file!, 'utf8'));
    assert.deepEqual(header, ['model_id', 'family', 'top1', 'source']);
    assert.deepEqual(records, rows.map((r) => [r.model_id, r.family, String(r.top1), r.source]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
