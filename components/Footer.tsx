// The key hints (from the keymap), or a short message after a key did something.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Line } from './Line.js';

export function Footer({ line }: { line: LineModel }) {
  return (
    <Box flexShrink={0}>
      <Line line={line} />
    </Box>
  );
}
