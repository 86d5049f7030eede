// How old each source's data is, on demand.

import { Block, type BlockProps } from './Line.js';

export function SourceAges({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
