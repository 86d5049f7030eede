// Every phase in order (done, current, next) with traffic and soak gauges; the current one
// expanded with its gates and next check-in.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Lines } from './Line.js';

export function Timeline({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
