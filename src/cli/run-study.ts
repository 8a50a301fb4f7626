import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { resolveModel } from '../study/catalog.js';
import { CONTROL_QUEUE, dataDir, kitDir } from '../config/settings.js';
import { explainConnectionError, temporalConfigured, temporalTarget, type TemporalTarget } from '../temporal/connection-config.js';
import { OutageNotice, untilReachable, watchConnection } from '../temporal/outage-notice.js';
import { kitImages } from '../prepare/kit.js';
import { localCpuQueue } from '../host/local-queue.js';
import { loadStudySpecFile, parseStudySpec, resolveSpec, type ResolvedStudySpec, type StudySpec } from '../study/study-spec.js';
import { presetSpec } from '../study/presets.js';
import { startDevServer, isPortFree, freePort, type DevServer } from '../temporal/dev-server.js';
import { startWorkers, type WorkerSet } from '../workers/start-workers.js';
import type { StudyResult } from '../workflows/index.js';
import { studyWorkflowId } from '../workflows/ids.js';
import { progressQuery } from '../workflows/messages.js';
import { WORKFLOW_TASK_TIMEOUT } from '../workflows/timeouts.js';
import { InputError } from '../errors.js';
import { ProgressPrinter } from './progress-view.js';

export interface StudyCommandOptions {
  preset?: string;
  config?: string;
  out?: string;
  id?: string;
  keepServer?: boolean;
  /** Run an in-process worker even when TEMPORAL_ADDRESS names a server. */
  worker?: boolean;
  port?: number;
}

/** The spec of `dnnbench study`, validated before anything starts. */
export async function buildSpec(opts: StudyCommandOptions): Promise<ResolvedStudySpec> {
  if (opts.preset && opts.config) throw new InputError('give either --preset or --config, not both');
  let spec: StudySpec;
  if (opts.config) spec = await loadStudySpecFile(opts.config);
  else if (opts.preset) spec = parseStudySpec(presetSpec(opts.preset, localCpuQueue()), `preset ${opts.preset}`);
  else throw new InputError('name a study: --preset quick, or --config FILE (YAML or JSON)');
  if (opts.id) spec = { ...spec, id: opts.id };
  const resolved = resolveSpec(spec, { idPrefix: opts.preset, outOverride: opts.out, resultsRoot: path.join(dataDir(), 'results') });
  // Workers may run elsewhere: every path they receive is absolute.
  return {
    ...resolved, out: path.resolve(resolved.out),
    dataset: {
      ...resolved.dataset,
      ...Object.fromEntries((['kit', 'images', 'labels', 'synsets'] as const)
        .filter((k) => resolved.dataset[k]).map((k) => [k, path.resolve(resolved.dataset[k]!)])),
    },
    models: resolved.models.map((m) => (typeof m === 'object' ? { ...m, path: path.resolve(m.path) } : m.endsWith('.onnx') ? path.resolve(m) : m)),
  };
}

/**
 * Checks models and images before any server or worker starts, so a wrong path costs a second and
 * says which setting to fix. (The hosts of a deployment share these paths: docs/DEPLOYMENT.md.)
 */
async function preflight(spec: ResolvedStudySpec): Promise<void> {
  const kit = spec.dataset.kit ?? kitDir();
  // An image folder of the user's own is checked by the prepare activity (labels, layouts).
  if (!spec.dataset.images) await kitImages(kit, spec.dataset.set, spec.dataset.limit);
  await Promise.all(spec.models.map((ref) => resolveModel(ref, kit)));
}

const say = (line: string) => process.stderr.write(`dnnbench: ${line}\n`);

/**
 * `dnnbench study`: with no TEMPORAL_ADDRESS, an embedded dev server and an in-process worker for
 * every queue of the spec; with one, submit and follow (plus a worker only with --worker).
 */
export async function runStudy(opts: StudyCommandOptions): Promise<StudyResult> {
  const spec = await buildSpec(opts);
  await preflight(spec);
  let server: DevServer | undefined;
  let workers: WorkerSet | undefined;
  const remote = temporalConfigured();
  const stop = async () => {
    await workers?.shutdown();
    if (server && !opts.keepServer) await server.stop();
  };
  try {
    let target: TemporalTarget;
    if (remote) {
      target = temporalTarget();
    } else {
      const wanted = opts.port ?? 7233;
      const port = (await isPortFree(wanted)) ? wanted : await freePort();
      if (port !== wanted) say(`port ${wanted} is busy; the embedded server uses ${port}`);
      server = await startDevServer({ port, dbFile: path.join(dataDir(), 'temporal', 'dev.db'), log: say });
      target = temporalTarget(server.address);
    }
    if (!remote || opts.worker) {
      const queues = spec.devices.map((d) => d.queue);
      workers = await startWorkers({ target, deviceQueues: queues, control: true });
      say(`in-process worker on ${[CONTROL_QUEUE, ...queues].join(', ')}`);
    }
    const result = await submitAndFollow(target, spec, workers);
    await stop();
    if (server && opts.keepServer) say(`server left running on ${server.address} (UI http://127.0.0.1:${server.uiPort})`);
    return result;
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Studies interrupted earlier keep running in the server (that is what makes them resumable), and
 * their cells compete with this one's for the same workers: say so, with the command that stops one.
 */
async function warnOfOtherStudies(client: Client, workflowId: string): Promise<void> {
  try {
    for await (const w of client.workflow.list({ query: `WorkflowType = 'studyWorkflow' AND ExecutionStatus = 'Running'` })) {
      if (w.workflowId === workflowId) continue;
      say(`note: study workflow ${w.workflowId} is also running on this server and shares its workers `
        + `(resume it with its own command, or stop it: temporal workflow terminate --workflow-id ${w.workflowId})`);
    }
  } catch {
    // Listing needs the server's visibility store; without it there is nothing to warn about.
  }
}

async function submitAndFollow(target: TemporalTarget, spec: ResolvedStudySpec, workers?: WorkerSet): Promise<StudyResult> {
  const connection = await Connection.connect(target.connectionOptions).catch((err: unknown) => {
    throw explainConnectionError(target, err);
  });
  // An in-process worker already says when Temporal is unreachable: one notice per process.
  const notice = new OutageNotice({ address: target.address, write: workers ? () => undefined : undefined });
  const watch = watchConnection(() => connection.workflowService.getSystemInfo({}), notice);
  try {
    const client = new Client({ connection, namespace: target.namespace });
    const workflowId = studyWorkflowId(spec.id);
    let handle;
    let alreadyFinished = false;
    try {
      handle = await client.workflow.start('studyWorkflow', {
        taskQueue: CONTROL_QUEUE, workflowId, args: [spec], workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
        // A failed study may be started again (finished cells are kept); a finished one is not redone.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      say(`study ${spec.id}: workflow ${workflowId}, results in ${spec.out}`);
      await warnOfOtherStudies(client, workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      say(`study ${spec.id} already finished (workflow ${workflowId})`);
      alreadyFinished = true;
      handle = client.workflow.getHandle(workflowId);
    }
    const printer = new ProgressPrinter();
    // The client gives up on a long-poll after about 20 s without Temporal; a study outlives that.
    const done = untilReachable(() => handle.result(), notice) as Promise<StudyResult>;
    const workerDied = workers ? workers.run.then(() => { throw new Error('the in-process worker stopped before the study finished'); }) : new Promise<never>(() => {});
    let finished = false;
    void done.finally(() => { finished = true; }).catch(() => undefined);
    const poll = (async () => {
      while (!finished) {
        try {
          printer.update(await handle.query(progressQuery));
        } catch {
          // A closed workflow answers queries from its history only when a worker replays it; skip.
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    try {
      return await placeResults(await Promise.race([done, workerDied]), spec, alreadyFinished);
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw new Error(`study ${spec.id} failed: ${innermost(err)}`);
      throw err;
    } finally {
      finished = true;
      await poll;
    }
  } finally {
    watch.stop();
    await connection.close();
  }
}

/**
 * The id of a study ignores `--out` (the same measurements are the same study), so a study asked for
 * at a new place may have finished, or be running, with its results elsewhere: copy them to where
 * this command said they would be. A finished study whose folder no longer holds its tables is not
 * redone under the same id (Temporal keeps a completed workflow id for good): say where they were
 * and how to measure it again.
 */
async function placeResults(result: StudyResult, spec: ResolvedStudySpec, alreadyFinished: boolean): Promise<StudyResult> {
  const from = path.resolve(result.outDir);
  if (from === spec.out && !alreadyFinished) return result;
  const tables = path.join(from, 'study.parquet');
  if (!(await stat(tables).catch(() => undefined))) {
    throw new InputError(`study ${spec.id} already finished, with its results in ${from}, but that folder no longer holds them `
      + `(${tables} is missing). To measure it again, run the same command with a new id (--id NAME, or an id: line in the spec); `
      + `the workflow of id ${spec.id} is kept by the Temporal server and is not redone.`);
  }
  if (from === spec.out) {
    say(`results in ${spec.out}`);
    return result;
  }
  await cp(from, spec.out, { recursive: true });
  say(`its results were in ${from}: copied to ${spec.out}`);
  return { ...result, outDir: spec.out };
}

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e.cause) e = e.cause as typeof e;
  return e.message ?? String(err);
}
