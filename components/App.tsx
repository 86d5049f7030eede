// The console (or the roll call of several): one frame of exactly rows − 1 lines, one input handler, nothing else. Everything
// shown comes from the controller's view model (read with useSyncExternalStore: the one binding
// between the console and React); every key goes to the controller. Which sections there are, in
// what order and how tall, is the view model's choice (src/view/model.ts), so the frame is drawn
// by one Section component per section, whatever its kind.

import { useSyncExternalStore } from 'react';
import { Box, useInput, useStdin } from 'ink';
import type { ScreenController } from '../src/console/screen.js';
import { ColorContext, Line } from './Line.js';
import { Section } from './Section.js';

export function App({ controller }: { controller: ScreenController }) {
  const model = useSyncExternalStore(controller.subscribe, controller.getSnapshot, controller.getSnapshot);
  const { isRawModeSupported } = useStdin();
  // isRawModeSupported is undefined (not false) for a pipe; Ink enables raw mode unless told false.
  useInput((input, key) => controller.press(input, key), { isActive: isRawModeSupported === true });
  return (
    <ColorContext.Provider value={model.color}>
      <Box flexDirection="column" height={model.height}>
        <Section lines={model.header} />
        {model.sections.map((section) => (
          <Section key={section.kind} lines={section.lines} />
        ))}
        {model.gap > 0 ? <Box height={model.gap} flexShrink={0} /> : null}
        {model.footer ? (
          // The footer's one line, key hints or a message (from the keymap, like `?`).
          <Box flexShrink={0}>
            <Line line={model.footer} />
          </Box>
        ) : null}
      </Box>
    </ColorContext.Provider>
  );
}
