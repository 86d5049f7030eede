// The selected metric over the chosen window: canary, baseline and threshold lines.

import { Block, type BlockProps } from './Line.js';

export function Chart({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
