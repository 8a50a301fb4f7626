/**
 * The figures' direct labels (greedy: right, left, above, below; inside the plot, over no placed
 * label, over no other point) and the fixed scales they are placed on. Box sizes by hand: a 9 px
 * font gives 5.4 px a character and 11 px of height; labels start 2 px clear of the marker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeLabels } from '../../src/report/label-placement.js';
import { fitScale, valueAt, xPixel, yPixel } from '../../src/report/plot-scale.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

test('a lone label sits right of its point, clear of the marker', () => {
  const [l] = placeLabels([{ text: 'ab', x: 10, y: 25, radius: 3 }], 100, 50);
  close(l!.x, 15);
  close(l!.y, 25);
  close(l!.box.right, 15 + 10.8);
});

test('a label that would cover another point, with no other place inside the plot, is left out', () => {
  // 'abcdef' is 32.4 px: right of (10, 25) it covers (30, 25); left, above and below leave the plot.
  const placed = placeLabels([{ text: 'abcdef', x: 10, y: 25, radius: 3 }, { text: 'cd', x: 30, y: 25, radius: 3 }], 100, 50);
  assert.deepEqual(placed.map((l) => l.index), [1]);
});

test('a label that would overlap a placed one moves to the next side that is free', () => {
  const points = [{ text: 'abcd', x: 10, y: 10, radius: 3 }, { text: 'wxyz', x: 12, y: 14, radius: 3 }];
  // The first takes [15, 36.6] × [4.5, 15.5]; the second's right box [17, 38.6] × [8.5, 19.5] overlaps it,
  // left and above leave the plot, below [1.2, 22.8] × [19, 30] is free.
  const [a, b] = placeLabels(points, 100, 50);
  close(a!.x, 15);
  close(b!.x, 12 - 10.8);
  close(b!.y, 19 + 5.5);
  // Allowed the right side only (line ends), the second gets no label.
  assert.deepEqual(placeLabels(points, 100, 50, ['right']).map((l) => l.index), [0]);
});

test('near the right edge the label goes left', () => {
  const [l] = placeLabels([{ text: 'ab', x: 95, y: 25, radius: 3 }], 100, 50);
  close(l!.x, 95 - 5 - 10.8);
});

test('scales map values to pixels and back: log evenly per decade, y from the top, no margin below zero for non-negative data', () => {
  const log = { type: 'log' as const, domain: [1, 100] as [number, number], length: 200 };
  close(xPixel(log, 10), 100);
  close(valueAt(log, 100, 'x'), 10);
  const lin = { type: 'linear' as const, domain: [0, 1] as [number, number], length: 50 };
  close(yPixel(lin, 0.25), 37.5);
  close(valueAt(lin, 37.5, 'y'), 0.25);
  // Data 0..10: 6% margin above (10.6), none below 0.
  const [from, to] = fitScale('linear', [0, 5, 10, null], 100).domain;
  assert.equal(from, 0);
  close(to, 10.6);
  // Data 10..1000 on a log scale: two decades, 6% of them (0.12 decade) each side.
  const [lo, hi] = fitScale('log', [10, 1000, 0], 100).domain;
  close(lo, 10 ** 0.88);
  close(hi, 10 ** 3.12);
});
