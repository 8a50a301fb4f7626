import { ApplicationFailure } from '@temporalio/common';

/**
 * Runs an activity body; errors that retrying cannot fix (bad spec, bad model, bad images: they
 * carry `nonRetryable`) become non-retryable failures with the plain message, everything else is
 * rethrown for Temporal to retry with backoff.
 */
export async function classifyFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err && typeof err === 'object' && (err as { nonRetryable?: unknown }).nonRetryable === true) {
      throw ApplicationFailure.nonRetryable((err as Error).message, (err as Error).name || 'InputError');
    }
    throw err;
  }
}
