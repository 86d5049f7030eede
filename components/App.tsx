// The console: one frame of exactly rows − 1 lines, one input handler, nothing else. Everything
// shown comes from the controller's view model; every key goes to the controller.

import { Box, useInput, useStdin } from 'ink';
import type { ConsoleController } from '../src/console/controller.js';
import type { Section } from '../src/view/model.js';
import { useSession } from './useSession.js';
import { ColorContext } from './Line.js';
import { Header } from './Header.js';
import { Timeline } from './Timeline.js';
import { MetricTable } from './MetricTable.js';
import { Chart } from './Chart.js';
import { EventLog } from './EventLog.js';
import { OutputPane } from './OutputPane.js';
import { Checklist } from './Checklist.js';
import { HelpOverlay } from './HelpOverlay.js';
import { Confirm } from './Confirm.js';
import { Countdown } from './Countdown.js';
import { SourceAges } from './SourceAges.js';
import { Footer } from './Footer.js';

const SECTION: Record<Section['kind'], (props: { lines: Section['lines'] }) => React.JSX.Element> = {
  confirm: Confirm,
  countdown: Countdown,
  help: HelpOverlay,
  ages: SourceAges,
  table: MetricTable,
  output: OutputPane,
  timeline: Timeline,
  checklist: Checklist,
  chart: Chart,
  log: EventLog,
};

export function App({ controller }: { controller: ConsoleController }) {
  const model = useSession(controller);
  const { isRawModeSupported } = useStdin();
  // isRawModeSupported is undefined (not false) for a pipe; Ink enables raw mode unless told false.
  useInput((input, key) => controller.press(input, key), { isActive: isRawModeSupported === true });
  return (
    <ColorContext.Provider value={model.color}>
      <Box flexDirection="column" height={model.height}>
        <Header lines={model.header} />
        {model.sections.map((section) => {
          const Component = SECTION[section.kind];
          return <Component key={section.kind} lines={section.lines} />;
        })}
        {model.gap > 0 ? <Box height={model.gap} flexShrink={0} /> : null}
        {model.footer ? <Footer line={model.footer} /> : null}
      </Box>
    </ColorContext.Provider>
  );
}
