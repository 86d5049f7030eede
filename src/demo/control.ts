// `rollcall demo-ctl --url URL share N | status`: the client of the simulator's control API. The
// demo profile's promote and rollback actions run it as real commands (through the same node and
// CLI script that run the demo, so it works from the built tree and from the bundle alike), which is
// how a rollback in the console really takes the canary's traffic away.

import { ExitCode } from '../commands/exit.js';
import { formatDuration } from '../profile/duration.js';
import type { SimulatorState } from './simulator.js';

export interface DemoControlRequest {
  /** The simulator, e.g. http://127.0.0.1:43121 */
  url: string;
  /** `share` or `status`. */
  command: string;
  /** For `share`: the canary share, 0..100. */
  value?: string;
}

export interface DemoControlOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const TIMEOUT_MS = 5_000;
const USAGE = 'use: demo-ctl --url URL share N (0..100) | status';

const processOutput: DemoControlOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Runs one control command; returns the exit code (0 done, 3 usage or refused, 4 unreachable). */
export async function demoControl(req: DemoControlRequest, out: DemoControlOutput = processOutput): Promise<number> {
  const fail = (code: number, message: string): number => {
    out.stderr(`rollcall demo-ctl: ${message}\n`);
    return code;
  };
  let base: URL;
  try {
    base = new URL(req.url);
    if (base.protocol !== 'http:') throw new Error('not http');
  } catch {
    return fail(ExitCode.usage, `--url ${JSON.stringify(req.url)} is not an http:// URL of the simulator`);
  }

  let answer: { status: number; body: unknown };
  if (req.command === 'share') {
    const share = req.value === undefined ? NaN : Number(req.value);
    if (req.value === undefined || req.value.trim() === '' || !Number.isFinite(share) || share < 0 || share > 100) {
      return fail(ExitCode.usage, `share needs a number from 0 to 100, got ${req.value === undefined ? 'nothing' : JSON.stringify(req.value)}`);
    }
    try {
      answer = await call(new URL('/control/canary', base), { method: 'POST', body: JSON.stringify({ share }) });
    } catch (error) {
      return fail(ExitCode.unreachable, unreachable(base, error));
    }
    if (answer.status !== 200) return fail(ExitCode.usage, `the simulator refused: ${errorText(answer)}`);
    const after = answer.body as SimulatorState & { previous: number };
    out.stdout(`canary share ${after.previous}% → ${after.share}% (simulator ${base.host}, ${formatDuration(after.simulatedS * 1_000)} simulated)\n`);
    return ExitCode.green;
  }
  if (req.command === 'status') {
    if (req.value !== undefined) return fail(ExitCode.usage, `status takes no value; ${USAGE}`);
    try {
      answer = await call(new URL('/control', base), { method: 'GET' });
    } catch (error) {
      return fail(ExitCode.unreachable, unreachable(base, error));
    }
    if (answer.status !== 200) return fail(ExitCode.usage, `the simulator refused: ${errorText(answer)}`);
    const s = answer.body as SimulatorState;
    out.stdout(
      `scenario ${s.scenario}, canary share ${s.share}%, ${formatDuration(s.simulatedS * 1_000)} simulated at ${s.speed}x; ` +
        `served ${s.served.canary} canary and ${s.served.stable} stable requests\n`,
    );
    return ExitCode.green;
  }
  return fail(ExitCode.usage, `unknown command ${JSON.stringify(req.command)}; ${USAGE}`);
}

async function call(url: URL, init: { method: string; body?: string }): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: init.method,
    ...(init.body !== undefined ? { body: init.body, headers: { 'content-type': 'application/json' } } : {}),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // A body that is not JSON is shown as text.
  }
  return { status: res.status, body };
}

function errorText(answer: { status: number; body: unknown }): string {
  const error = typeof answer.body === 'object' && answer.body !== null ? (answer.body as { error?: unknown }).error : answer.body;
  const text = typeof error === 'string' && error.trim() !== '' ? error.trim().split('\n')[0]! : 'no reason given';
  return `HTTP ${answer.status}: ${text}`;
}

function unreachable(base: URL, error: unknown): string {
  const where = `the simulator at ${base.host}`;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `${where} did not answer within ${TIMEOUT_MS / 1_000}s`;
  }
  // fetch wraps the network error: its cause says what happened (ECONNREFUSED, "bad port").
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return `cannot reach ${where} (connection refused); is rollcall demo still running?`;
  const why = typeof code === 'string' ? code : cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `cannot reach ${where} (${why})`;
}
