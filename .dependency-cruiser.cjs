/**
 * The import walls of src/ (docs/ARCHITECTURE.md, "Walls"), checked by `npm run lint:walls` in CI
 * (.ci/run) together with scripts/check-walls.ts, which checks what an import rule cannot see (which
 * programs are spawned). Type-only imports (`import type`) are seen (tsPreCompilationDeps) and
 * marked `type-only`: they vanish when TypeScript is erased, so the workflow wall allows them.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'workflows-deterministic',
      comment:
        'Workflow code is replayed and must be deterministic: it imports values only from src/workflows, src/stats (pure, seeded), ' +
        '@temporalio/workflow and @temporalio/common. Activities, specs and results enter as types (import type).',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: {
        pathNot: ['^src/workflows/', '^src/stats/', '(^|/)node_modules/@temporalio/(workflow|common)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'stats-pure',
      comment:
        'src/stats is pure, seeded computation that workflows may run: it imports nothing but itself ' +
        '(no Node built-ins, no I/O, no clock).',
      severity: 'error',
      from: { path: '^src/stats/' },
      to: { pathNot: '^src/stats/' },
    },
    {
      name: 'activities-not-orchestration',
      comment:
        'Activities are built from explicit dependencies; they never reach up into the workflows, the ' +
        'workers that host them or the CLI (not even for types).',
      severity: 'error',
      from: { path: '^src/activities/' },
      to: { path: '^src/(workflows|workers|cli)/' },
    },
    {
      name: 'onnxruntime-only-in-runtime',
      comment:
        'Only the onnxruntime implementation of the Runtime interface (src/runtime/onnxruntime*.ts) imports ' +
        'onnxruntime-node; profiling, re-batching, accuracy and latency go through the interface.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/runtime/onnxruntime[^/]*\\.ts$' },
      to: { path: '(^|/)node_modules/onnxruntime-node/' },
    },
    {
      name: 'no-folder-cycles',
      comment:
        'The folders of src/ form a layered graph (stage → shared libraries, orchestration → stages): no ' +
        'folder reaches itself again through other folders, types included.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import that does not resolve escapes every rule above (and fails at run time).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
