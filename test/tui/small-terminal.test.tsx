// The console at 80x24, the size an SSH session on a bastion often has: the help overlay scrolls
// and keeps keys to itself, the enlarged chart keeps its bottom row, a question shows the whole
// command, and the table's cells fit without cutting a number.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../components/App.js';
import { ConsoleController } from '../../src/view/controller.js';
import { consoleState, FakeSession, NOW, points, snapshot } from '../fixtures/console/state.js';

afterEach(cleanup);

const KEY = { enter: '\r', esc: '\x1b', down: '\x1b[B', up: '\x1b[A', pageDown: '\x1b[6~', pageUp: '\x1b[5~' };
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function open(state = consoleState(), size = { columns: 80, rows: 24 }) {
  const session = new FakeSession(state);
  const controller = new ConsoleController(session, { size, color: false, onQuit: vi.fn() });
  const app = render(<App controller={controller} />);
  await settle();
  const type = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      await settle();
    }
  };
  return { session, controller, type, lines: () => app.lastFrame()!.split('\n') };
}

describe('the console at 80x24', () => {
  it('dumps', async () => {
    const { type, lines } = await open();
    console.log(lines().join('\n'));
    await type(KEY.enter);
    console.log(lines().join('\n'));
  });
});
