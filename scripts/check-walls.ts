/**
 * The import walls of src/ (docs/ARCHITECTURE.md, "Walls"): dependency-cruiser's rules in
 * .dependency-cruiser.cjs, plus one wall an import rule cannot see: only the host probe (src/host)
 * and the power samplers (src/latency/power) run nvidia-smi or tegrastats.
 *
 * That last wall is checked on the program's name, not on who imports node:child_process: the
 * trtexec runtime, the dev server, the shard pool and the per-cell process spawn other programs
 * legitimately, and once allowed to import child_process they could run nvidia-smi unnoticed. Any
 * string literal that starts with the program's name (optionally a path to it) counts, because that
 * is what spawn, execFile, exec or a wrapper around them is given; prose that merely mentions the
 * tool (comments, messages that do not start with it) does not.
 *
 *   npm run lint:walls            (CI: .ci/run)
 *   node --import tsx scripts/check-walls.ts [ROOT]     a copy of the tree elsewhere (the tests)
 *
 * Prints one line per violation, `file: rule: detail`, and exits 1 if there is any.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

export interface WallViolation {
  rule: string;
  /** The importing module, or the folder for folder rules, relative to the root. */
  file: string;
  detail: string;
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Programs that only these folders may run. */
export const HARDWARE_PROBES = ['nvidia-smi', 'tegrastats'];
export const PROBE_FOLDERS = ['src/host/', 'src/latency/power/'];
const PROBE_RULE = 'hardware-probes-only-in-host-and-power';
const PROBE_LITERAL = new RegExp(`^(?:\\S*/)?(${HARDWARE_PROBES.join('|')})(?:\\s|$)`);

interface CruiseViolation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: ({ name: string } | string)[];
}

/** dependency-cruiser over root/src with root's config, as its JSON report. */
async function cruise(root: string): Promise<WallViolation[]> {
  const bin = path.join(REPO, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [bin, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, maxBuffer: 1 << 28 }));
  } catch (err) {
    // It exits with the number of errors found; the report is on stdout all the same.
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout.trim().startsWith('{')) throw new Error(`dependency-cruiser failed in ${root}: ${(err as Error).message}`);
  }
  const report = JSON.parse(stdout) as { summary: { violations: CruiseViolation[] } };
  return report.summary.violations
    .filter((v) => v.rule.severity === 'error')
    .map((v) => ({
      rule: v.rule.name,
      file: v.from,
      detail: v.cycle?.length ? `cycle ${[v.from, ...v.cycle.map((c) => (typeof c === 'string' ? c : c.name))].join(' → ')}` : `imports ${v.to}`,
    }));
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs|cjs)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** String literals outside the probe folders that start with a hardware probe's name. */
async function probeSpawns(root: string): Promise<WallViolation[]> {
  const out: WallViolation[] = [];
  for (const file of await sourceFiles(path.join(root, 'src'))) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (PROBE_FOLDERS.some((f) => rel.startsWith(f))) continue;
    const text = await readFile(file, 'utf8');
    if (!HARDWARE_PROBES.some((p) => text.includes(p))) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) {
        const m = PROBE_LITERAL.exec(node.text);
        if (m) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          out.push({ rule: PROBE_RULE, file: rel, detail: `line ${line} names ${m[1]} ("${node.text}"); only ${PROBE_FOLDERS.join(' and ')} run it` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

/** Every wall violation under root (a checkout: src/, tsconfig.json, .dependency-cruiser.cjs). */
export async function checkWalls(root = REPO): Promise<WallViolation[]> {
  const [imports, probes] = await Promise.all([cruise(root), probeSpawns(root)]);
  return [...imports, ...probes];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? REPO);
  const violations = await checkWalls(root);
  for (const v of violations) console.log(`${v.file}: ${v.rule}: ${v.detail}`);
  if (violations.length) {
    console.log(`\n${violations.length} wall violation(s): the rules are in .dependency-cruiser.cjs and scripts/check-walls.ts, explained in docs/ARCHITECTURE.md ("Walls").`);
    process.exitCode = 1;
  } else {
    console.log('walls hold: workflows deterministic, activities below orchestration, onnxruntime-node only in src/runtime/onnxruntime*.ts, hardware probes only in src/host and src/latency/power, no folder cycles');
  }
}
