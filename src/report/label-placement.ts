/**
 * Direct labels on the figures, placed by a simple greedy rule so that none collide:
 *
 * the points are taken in the order given (the figures give them top to bottom, so the most
 * accurate or slowest models, usually the frontier, are labelled first); for each, the label is
 * tried right of the point, then left, above and below it (a line's end: right only, where the
 * line does not run); it takes the first place where its box stays inside the plot, overlaps no
 * label already placed and covers no other point's centre. A point with no such place stays
 * unlabelled (its tooltip and the figure's CSV still name it).
 *
 * Label boxes are estimated from the text's length (0.6 em a character, about a sans-serif
 * average), since the SVG is drawn without a font to measure with.
 */
export interface LabelPoint {
  text: string;
  /** The point's centre in pixels (x from the left, y from the top of the plot). */
  x: number;
  y: number;
  /** The marker's radius: the label starts clear of it. */
  radius: number;
}

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A placed label: its text's left end and vertical middle, in pixels, and its box. */
export interface PlacedLabel {
  index: number;
  text: string;
  x: number;
  y: number;
  box: Box;
}

export const LABEL_FONT_SIZE = 9;
const CHAR_WIDTH = 0.6 * LABEL_FONT_SIZE;
const HEIGHT = LABEL_FONT_SIZE + 2;
const GAP = 2;

const overlaps = (a: Box, b: Box): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const inside = (b: Box, width: number, height: number): boolean => b.left >= 0 && b.top >= 0 && b.right <= width && b.bottom <= height;
const covers = (b: Box, x: number, y: number): boolean => x > b.left && x < b.right && y > b.top && y < b.bottom;

export type Side = 'right' | 'left' | 'above' | 'below';
export const ALL_SIDES: readonly Side[] = ['right', 'left', 'above', 'below'];

/** The boxes a label may take around its point, in the order of `sides`. */
function candidates(p: LabelPoint, sides: readonly Side[]): Box[] {
  const w = p.text.length * CHAR_WIDTH;
  const r = p.radius + GAP;
  const box = (left: number, top: number): Box => ({ left, top, right: left + w, bottom: top + HEIGHT });
  const at: Record<Side, Box> = {
    right: box(p.x + r, p.y - HEIGHT / 2),
    left: box(p.x - r - w, p.y - HEIGHT / 2),
    above: box(p.x - w / 2, p.y - r - HEIGHT),
    below: box(p.x - w / 2, p.y + r),
  };
  return sides.map((s) => at[s]);
}

/** The labels that fit, by the rule above, in a plot of width × height pixels, trying `sides` in order. */
export function placeLabels(points: readonly LabelPoint[], width: number, height: number, sides: readonly Side[] = ALL_SIDES): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  points.forEach((p, index) => {
    const box = candidates(p, sides).find((b) => inside(b, width, height)
      && !placed.some((l) => overlaps(l.box, b))
      && !points.some((q, j) => j !== index && covers(b, q.x, q.y)));
    if (box) placed.push({ index, text: p.text, x: box.left, y: (box.top + box.bottom) / 2, box });
  });
  return placed;
}
