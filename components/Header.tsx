// Title, markers and clock; phase, traffic, time in phase and data age; the decision and why.

import { Block, type BlockProps } from './Line.js';

export function Header({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
