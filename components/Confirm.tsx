// The question before an action runs: y/N, the action's name typed, or "force".

import { Block, type BlockProps } from './Line.js';

export function Confirm({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
