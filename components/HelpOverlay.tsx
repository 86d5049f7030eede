// Every key and what it does, from the same keymap as the footer and the key handler.

import { Block, type BlockProps } from './Line.js';

export function HelpOverlay({ lines }: BlockProps) {
  return <Block lines={lines} />;
}
