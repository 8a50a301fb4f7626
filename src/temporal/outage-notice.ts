/**
 * What a worker or `dnnbench study` says while Temporal is unreachable: one line when the outage
 * starts, an update at most every 30 s, one line when the connection is back. The SDK retries on
 * its own and logs every retry of every call (sixteen coloured lines in a few seconds); those lines
 * feed this notice instead and reach the terminal only with DNNBENCH_DEBUG.
 *
 * Whether Temporal is back is decided by a probe (getSystemInfo) that succeeds while no retry was
 * logged for a while: a frontend that answers while its database is down still fails the workers'
 * polls, and that is not "back".
 */
import { ServiceError } from '@temporalio/client';
import type { LogEntry } from '@temporalio/worker';

export interface OutageNoticeOptions {
  /** host:port, as the user configured it. */
  address: string;
  /** Where our lines go; default stderr with the `dnnbench: ` prefix. */
  write?: (line: string) => void;
  now?: () => number;
  /** Least time between two "still unreachable" lines. */
  updateEveryMs?: number;
  /** A success ends the outage only if no failure came within this long before it. */
  quietMs?: number;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export class OutageNotice {
  private readonly address: string;
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly updateEveryMs: number;
  private readonly quietMs: number;
  private since: number | undefined;
  private lastSaid = 0;
  private lastFailure = 0;

  constructor(opts: OutageNoticeOptions) {
    this.address = opts.address;
    this.write = opts.write ?? ((line) => process.stderr.write(`dnnbench: ${line}\n`));
    this.now = opts.now ?? Date.now;
    this.updateEveryMs = opts.updateEveryMs ?? 30_000;
    this.quietMs = opts.quietMs ?? 5_000;
  }

  /** True between the first failure and the success that ends the outage. */
  get unreachable(): boolean {
    return this.since !== undefined;
  }

  /** A call to Temporal failed (after the SDK's own retries, or a retry it logged). */
  failed(reason: string): void {
    const now = this.now();
    this.lastFailure = now;
    if (this.since === undefined) {
      this.since = now;
      this.lastSaid = now;
      this.write(`Temporal at ${this.address} is unreachable (${reason}); retrying`);
    } else if (now - this.lastSaid >= this.updateEveryMs) {
      this.lastSaid = now;
      this.write(`Temporal at ${this.address} is still unreachable (${reason}); retrying — ${seconds(now - this.since)} so far`);
    }
  }

  /** A call to Temporal went through. */
  succeeded(): void {
    if (this.since === undefined) return;
    const now = this.now();
    if (now - this.lastFailure < this.quietMs) return;
    this.write(`connection to Temporal at ${this.address} is back after ${seconds(now - this.since)}`);
    this.since = undefined;
  }
}

/**
 * A short reason from an SDK error text: Rust core's `Status { code: Unavailable, message: "tcp
 * connect error", … kind: ConnectionRefused … }`, grpc-js's `14 UNAVAILABLE: No connection
 * established`, or anything else (its first line).
 */
export function outageReason(errorText: string): string {
  if (/ConnectionRefused|ECONNREFUSED|Connection refused/i.test(errorText)) return 'connection refused';
  if (/ConnectionReset|ECONNRESET|Connection reset/i.test(errorText)) return 'connection reset';
  if (/DeadlineExceeded|DEADLINE_EXCEEDED|timed out|no answer/i.test(errorText)) return 'no answer in time';
  const status = /message: "([^"]+)"/.exec(errorText)?.[1];
  const text = status ?? errorText.split('\n')[0]!.replace(/^\d+ [A-Z_]+: /, '');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The SDK's "gRPC call X retried N times" warnings: Temporal did not take a call. */
export function isRetryWarning(entry: Pick<LogEntry, 'message' | 'meta'>): boolean {
  return entry.meta?.target === 'temporalio_client::retry' || /^gRPC call \w+ retried \d+ times/.test(entry.message);
}

const COLOUR = /\x1b\[[0-9;]*m/g;

export interface SdkLogSinkOptions {
  /** Print every SDK line as is (DNNBENCH_DEBUG). */
  debug?: boolean;
  write?: (line: string) => void;
}

/**
 * For `new DefaultLogger(level, sink)` with the core's logs forwarded to it
 * (`telemetryOptions.logging.forward`): retry warnings feed the notice; other lines are printed
 * without colour codes; with `debug` every line is printed, retries too.
 */
export function sdkLogSink(notice: OutageNotice, opts: SdkLogSinkOptions = {}): (entry: LogEntry) => void {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (entry) => {
    const retry = isRetryWarning(entry);
    if (retry) notice.failed(outageReason(String(entry.meta?.error ?? entry.message)));
    if (retry && !opts.debug) return;
    const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
    write(`${entry.level} ${entry.message}${meta}`.replace(COLOUR, ''));
  };
}

export interface ConnectionWatch {
  stop(): void;
}

/**
 * Calls `probe` (e.g. `() => connection.workflowService.getSystemInfo({})`) every `everyMs`; a
 * probe that throws or has not answered within `timeoutMs` is a failure. Never keeps the process
 * alive on its own.
 */
export function watchConnection(probe: () => Promise<unknown>, notice: OutageNotice, everyMs = 5_000, timeoutMs = 10_000): ConnectionWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${seconds(timeoutMs)}`)), timeoutMs);
          timeout.unref();
        }),
      ]);
      if (!stopped) notice.succeeded();
    } catch (err) {
      if (!stopped) notice.failed(outageReason(String((err as Error)?.message ?? err)));
    } finally {
      clearTimeout(timeout);
    }
    if (!stopped) {
      timer = setTimeout(() => void once(), everyMs);
      timer.unref();
    }
  };
  timer = setTimeout(() => void once(), everyMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * The client could not reach Temporal: gRPC UNAVAILABLE (14), bare or as the cause of the client's
 * ServiceError. A workflow's own failure is never this, whatever its message says.
 */
export function isUnreachable(err: unknown): boolean {
  const grpc = (err instanceof ServiceError ? err.cause : err) as { code?: unknown } | undefined;
  return grpc?.code === 14;
}

/**
 * `call` again, every `retryEveryMs`, for as long as it fails because Temporal is unreachable
 * (the client gives up on its own after about 20 s: a long-poll such as `handle.result()` would
 * end a study's follow loop); any other error is thrown at once.
 */
export async function untilReachable<T>(call: () => Promise<T>, notice: OutageNotice, retryEveryMs = 2_000): Promise<T> {
  for (;;) {
    try {
      const value = await call();
      notice.succeeded();
      return value;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      notice.failed(outageReason(innermostMessage(err)));
      await new Promise((r) => setTimeout(r, retryEveryMs));
    }
  }
}

function innermostMessage(err: unknown): string {
  let e = err as { message?: unknown; cause?: unknown };
  while (e.cause) e = e.cause as typeof e;
  return String(e.message ?? err);
}
