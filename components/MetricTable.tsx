// The metric table: value, baseline and delta, the threshold that applies, state as symbol and
// colour, a sparkline, and the `for` countdown or error reason.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Lines } from './Line.js';

export function MetricTable({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
