// An automatic rollback about to run, and the key that cancels it.

import { Block, type BlockProps } from './Line.js';

export function Countdown({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
