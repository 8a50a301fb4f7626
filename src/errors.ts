/**
 * An error caused by the user's input (a spec, a model file, an image folder). The CLI prints its
 * message without a stack, and activities turn it into a non-retryable Temporal failure: retrying
 * cannot fix a bad input.
 */
export class InputError extends Error {
  readonly nonRetryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
