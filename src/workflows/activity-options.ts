import type { ActivityOptions, RetryPolicy } from '@temporalio/common';

/**
 * How every activity of a study is scheduled, in one place so the workflows cannot drift apart.
 * The histories that test/integration/replay-history.test.ts replays were recorded with these values.
 */

/** A failed attempt is retried after 2 s, doubling to a minute, 10 attempts in all. */
export const RETRY_POLICY: RetryPolicy = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 };

/** Plan, prepare, profile and write tables: any control worker, an hour at most. */
export const CONTROL_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: RETRY_POLICY,
};

/**
 * The first task on a device's queue (describeDevice): short, and it is how a study learns that no
 * worker serves the queue, so it has no heartbeat and keeps Temporal's default retry.
 */
export function deviceProbeOptions(queue: string, deviceDeadline: string): ActivityOptions {
  return { taskQueue: queue, startToCloseTimeout: '5 minutes', scheduleToStartTimeout: deviceDeadline };
}

/**
 * A measuring cell on a device's queue (accuracy, latency). Generous because a cell on a Jetson can
 * take many minutes; the heartbeat timeout is what notices a dead worker quickly, and the deadline
 * gives a device nobody serves up.
 */
export function deviceCellOptions(queue: string, heartbeatTimeout: string, deviceDeadline: string): ActivityOptions {
  return {
    taskQueue: queue,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    scheduleToStartTimeout: deviceDeadline,
    retry: RETRY_POLICY,
  };
}
