// State changes, source errors (repeats folded), actions and notification failures.

import { Block, type BlockProps } from './Line.js';

export function EventLog({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
