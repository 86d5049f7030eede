// The running (or last) action: its argv, status and what it prints on stdout and stderr.

import { Block, type BlockProps } from './Line.js';

export function OutputPane({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
