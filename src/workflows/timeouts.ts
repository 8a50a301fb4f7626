/**
 * The longest a worker may take to answer a workflow task (Temporal's default is 10 s, its maximum
 * 2 minutes). A worker that also times models answers late: onnxruntime runs a batch
 * synchronously on the worker's event loop (a VGG-19 batch of 64 takes ~35 s on 2 cores), and a
 * task that arrives meanwhile waits for the run to end. With the default, such tasks time out and
 * are retried again and again; with the maximum they are merely late.
 */
export const WORKFLOW_TASK_TIMEOUT = '2 minutes';
