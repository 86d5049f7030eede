// The one way rollcall runs a command (actions, exec sources, command notifiers), with real
// processes: argv without a shell, lines as they come, the exit code or signal, and a stop that
// takes the whole process group with it, even a member that ignores SIGTERM.

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE, runProcess, type OutputStream } from '../../src/util/process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Alive and not a zombie waiting for its parent. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** Pids a script wrote to a file, once it has written `count` of them. */
async function pidsIn(file: string, count: number): Promise<number[]> {
  let pids: number[] = [];
  await waitUntil(() => {
    try {
      pids = readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      pids = [];
    }
    return pids.length >= count;
  }, 5_000);
  return pids;
}

describe('running a command', () => {
  it('passes argv to the program without a shell', async () => {
    const lines: string[] = [];
    const ran = await runProcess({ argv: ['echo', '$HOME', '; rm -rf /', '`id`'], onLine: (_, line) => lines.push(line) });
    expect(lines).toEqual(['$HOME ; rm -rf / `id`']);
    expect(ran).toMatchObject({ code: 0, signal: null, timedOut: false, aborted: false });
  });

  it('goes through a shell only when asked, with the environment it is given', async () => {
    const ran = await runProcess({ argv: ['echo "$BASE" | tr 3 7'], shell: true, env: { BASE: '33' }, collect: { stdoutBytes: 100, stderrBytes: 100 } });
    expect(ran.stdout).toBe('77\n');
  });

  it('streams stdout and stderr as lines, UTF-8 split across writes kept whole, and an endless line cut', async () => {
    const lines: Array<[OutputStream, string]> = [];
    const script = `printf 'one\\ntw'; sleep 0.1; printf 'o\\r\\n'; printf 'caf\\303'; sleep 0.1; printf '\\251\\n'; echo oops >&2; head -c ${MAX_LINE + 10} /dev/zero | tr '\\0' x`;
    const ran = await runProcess({ argv: ['sh', '-c', script], onLine: (stream, line) => lines.push([stream, line]) });
    expect(ran.code).toBe(0);
    expect(lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual(['one', 'two', 'café', 'x'.repeat(MAX_LINE), 'x'.repeat(10)]);
    expect(lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['oops']);
  });

  it('reports the exit code, and the signal that ended a command', async () => {
    expect(await runProcess({ argv: ['sh', '-c', 'exit 3'] })).toMatchObject({ code: 3, signal: null });
    expect(await runProcess({ argv: ['sh', '-c', 'kill -USR1 $$'] })).toMatchObject({ code: null, signal: 'SIGUSR1' });
  });

  it('writes its input to stdin and closes it', async () => {
    const ran = await runProcess({ argv: ['wc', '-l'], input: 'a\nb\nc\n', collect: { stdoutBytes: 100, stderrBytes: 0 } });
    expect(ran.stdout.trim()).toBe('3');
  });

  it('says why a command could not start, without throwing', async () => {
    const ran = await runProcess({ argv: ['rollcall-no-such-program'] });
    expect(ran.startError?.code).toBe('ENOENT');
    expect(ran).toMatchObject({ code: null, signal: null });
  });

  it('after a timeout, ends a child that ignores SIGTERM and the grandchild it started: SIGTERM, then SIGKILL to the group', async () => {
    const pids = join(dir, 'timeout-pids');
    const script = `trap '' TERM; sleep 300 & echo $$ $! > ${pids}; while :; do sleep 1; done`;
    const started = Date.now();
    const ran = await runProcess({ argv: ['sh', '-c', script], timeoutMs: 300, killGraceMs: 300, pipeGraceMs: 200 });
    const [child, grandchild] = await pidsIn(pids, 2);
    expect(ran).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(await waitUntil(() => !alive(child!) && !alive(grandchild!), 5_000)).toBe(true);
  });

  it('stops the whole group when its signal aborts, and says it was aborted', async () => {
    const pids = join(dir, 'abort-pids');
    const controller = new AbortController();
    const running = runProcess({ argv: ['sh', '-c', `sleep 300 & echo $$ $! > ${pids}; wait`], signal: controller.signal, killGraceMs: 200 });
    const [child, grandchild] = await pidsIn(pids, 2);
    controller.abort();
    expect(await running).toMatchObject({ aborted: true, timedOut: false });
    expect(await waitUntil(() => !alive(child!) && !alive(grandchild!), 5_000)).toBe(true);
  });

  it('kills at once, without a grace, when its owner closes', async () => {
    const pids = join(dir, 'close-pids');
    const closing = new AbortController();
    const running = runProcess({ argv: ['sh', '-c', `trap '' TERM; sleep 300 & echo $$ $! > ${pids}; wait`], killNow: closing.signal, killGraceMs: 60_000 });
    const [child, grandchild] = await pidsIn(pids, 2);
    const asked = Date.now();
    closing.abort();
    expect(await running).toMatchObject({ signal: 'SIGKILL' });
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect(await waitUntil(() => !alive(child!) && !alive(grandchild!), 5_000)).toBe(true);
  });

  it('stops a command whose collected stdout outgrows its limit', async () => {
    const ran = await runProcess({ argv: ['sh', '-c', 'yes'], collect: { stdoutBytes: 64 * 1024, stderrBytes: 0 }, killGraceMs: 200 });
    expect(ran.overflow).toBe(true);
    expect(ran.stdout.length).toBe(64 * 1024);
  });

  it('settles soon after the command exits even when a background child still holds its output', async () => {
    const pids = join(dir, 'background-pids');
    const started = Date.now();
    const ran = await runProcess({ argv: ['sh', '-c', `sleep 3 & echo $! > ${pids}; exit 0`], pipeGraceMs: 200 });
    expect(ran.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_500);
    const [background] = await pidsIn(pids, 1);
    process.kill(background!, 'SIGKILL');
    expect(await readFile(pids, 'utf8')).toMatch(/^\d+/);
  });
});
