// Every phase in order (done, current, next) with traffic and soak gauges; the current one
// expanded with its gates and next check-in.

import { Block, type BlockProps } from './Line.js';

export function Timeline({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
