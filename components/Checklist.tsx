// The current phase's checklist; space ticks the selected item.

import { Block, type BlockProps } from './Line.js';

export function Checklist({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
