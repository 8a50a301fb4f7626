import { Client, Connection } from '@temporalio/client';
import { explainConnectionError, temporalTarget } from '../temporal/connection-config.js';
import { InputError } from '../errors.js';
import { studyWorkflowId } from '../workflows/ids.js';
import { dropDeviceSignal, progressQuery, skipModelSignal } from '../workflows/messages.js';
import { ProgressPrinter } from './progress-view.js';

async function withStudy<T>(studyId: string, fn: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
  const target = temporalTarget();
  const connection = await Connection.connect(target.connectionOptions).catch((err: unknown) => {
    throw explainConnectionError(target, err);
  });
  try {
    const handle = new Client({ connection, namespace: target.namespace }).workflow.getHandle(studyWorkflowId(studyId));
    try {
      await handle.describe();
    } catch {
      throw new InputError(`no study "${studyId}" on ${target.address} (looked for workflow ${studyWorkflowId(studyId)})`);
    }
    return await fn(handle);
  } finally {
    await connection.close();
  }
}

/** `dnnbench status STUDY [--watch]`: progress bars from the study's progress query. */
export async function showStatus(studyId: string, watch: boolean): Promise<void> {
  await withStudy(studyId, async (handle) => {
    const printer = new ProgressPrinter(process.stdout);
    for (;;) {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') {
        process.stdout.write(`study ${studyId}: ${status.name.toLowerCase()}\n`);
        return;
      }
      printer.update(await handle.query(progressQuery));
      if (!watch) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
}

/** `dnnbench skip-model` / `drop-device`: a signal to the running study. */
export async function signalStudy(studyId: string, what: 'skip-model' | 'drop-device', name: string): Promise<void> {
  await withStudy(studyId, async (handle) => {
    if (what === 'skip-model') await handle.signal(skipModelSignal, name);
    else await handle.signal(dropDeviceSignal, name);
    process.stdout.write(`study ${studyId}: ${what} ${name} sent\n`);
  });
}
