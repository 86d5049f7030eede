// The question before an action runs: y/N, the action's name typed, or "force".

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Lines } from './Line.js';

export function Confirm({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
