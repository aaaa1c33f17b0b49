// Sub-bin position of a peak: the vertex of the parabola through the best score and its two
// neighbours. In: the three scores. Out: the vertex's offset from the middle one, in [-0.5, 0.5].

export function parabolaVertexOffset(left: number, middle: number, right: number): number {
  const curvature = left - 2 * middle + right;
  if (!(curvature < 0)) return 0; // flat or not a maximum (or NaN): stay on the grid point
  const offset = (0.5 * (left - right)) / curvature;
  return Math.min(0.5, Math.max(-0.5, offset));
}
