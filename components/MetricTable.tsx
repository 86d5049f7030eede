// The metric table: value, baseline and delta, the threshold that applies, state as symbol and
// colour, a sparkline, and the `for` countdown or error reason.

import { Block, type BlockProps } from './Line.js';

export function MetricTable({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
