// `rollcall agent`: every given profile watched unattended, headless (this module graph loads no
// view or console code — a test holds it to that). A directory means every *.yaml
// (and *.yml) in it. Profile files are watched: a valid edit replaces the running rollout, a broken
// one keeps the running version and logs why (file:line:col), a new file in a watched directory
// starts, a removed one stops. Two files naming the same rollout: the second is refused.

import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkProfileFile, formatIssue } from '../profile/load.js';
import { profilesIn } from '../profile/files.js';
import { realClock, type Clock } from '../engine/clock.js';
import { DigestHub } from '../actions/digest-hub.js';
import type { AgentLog } from './log.js';
import { AgentRollout, type AgentRolloutOptions } from './rollout.js';

export interface AgentOptions {
  /** Profile files and directories of them. */
  paths: string[];
  stateDir: string;
  log: AgentLog;
  clock?: Clock;
  lease?: AgentRolloutOptions['lease'];
  history?: AgentRolloutOptions['history'];
  backfillMs?: number;
  /** Real milliseconds a burst of file events is gathered before profiles are read again. */
  reloadDelayMs?: number;
}

export class AgentError extends Error {
  override readonly name = 'AgentError';
}

interface Running {
  file: string;
  digest: string;
  rollout: AgentRollout;
}

const DEFAULT_RELOAD_DELAY_MS = 300;

export class Agent {
  private readonly running = new Map<string, Running>();
  /** A broken edit is logged once per version of the file, not on every event. */
  private readonly refused = new Map<string, string>();
  private readonly watchers: FSWatcher[] = [];
  private syncing: Promise<void> = Promise.resolve();
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners = new Set<() => void>();

  /** Rollouts that send their digests to one place at one time send one message together. */
  private readonly digests: DigestHub;

  private constructor(private readonly opts: AgentOptions) {
    this.digests = new DigestHub({ clock: opts.clock ?? realClock });
  }

  /** Starts every valid profile; throws an AgentError when none can start. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const agent = new Agent(opts);
    await agent.sync();
    if (agent.running.size === 0) {
      await agent.stop();
      throw new AgentError(`no profile to watch in ${opts.paths.join(', ')}`);
    }
    agent.watchFiles();
    return agent;
  }

  get rollouts(): AgentRollout[] {
    return [...this.running.values()].map((r) => r.rollout);
  }

  /** Told whenever the set of rollouts changes (a reload). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the profiles again now (what a file event does after reloadDelayMs). */
  reload(): Promise<void> {
    this.syncing = this.syncing.then(() => this.sync()).catch((error: unknown) => this.opts.log({ level: 'error', event: 'reload', text: message(error) }));
    return this.syncing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const w of this.watchers) w.close();
    await this.syncing;
    // Parts still waiting for another rollout's go out now, before their notifiers stop.
    this.digests.flushAll();
    await Promise.all([...this.running.values()].map((r) => r.rollout.stop()));
    this.running.clear();
  }

  private profileFiles(): string[] {
    const files: string[] = [];
    for (const path of this.opts.paths) {
      const full = resolve(path);
      let isDir = false;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        // A missing file is reported when it is read.
      }
      if (!isDir) {
        files.push(full);
        continue;
      }
      files.push(...profilesIn(full));
    }
    return [...new Set(files)];
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const files = this.profileFiles();
    for (const [name, r] of [...this.running]) {
      if (files.includes(r.file)) continue;
      this.opts.log({ level: 'warn', rollout: name, event: 'reload', text: `${r.file} is gone: stopped watching` });
      this.running.delete(name);
      await r.rollout.stop();
    }
    for (const file of files) {
      try {
        await this.syncFile(file);
      } catch (error) {
        // One rollout that cannot open (its state unreadable, say) does not keep the others from running.
        this.opts.log({ level: 'error', event: 'reload', text: `${file}: ${message(error)}; not watched` });
      }
    }
    for (const l of this.listeners) l();
  }

  private async syncFile(file: string): Promise<void> {
    let digest: string;
    try {
      digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch {
      digest = 'unreadable';
    }
    const current = [...this.running.entries()].find(([, r]) => r.file === file);
    if (current && current[1].digest === digest) return;
    if (this.refused.get(file) === digest) return;
    const checked = await checkProfileFile(file);
    const errors = checked.issues.filter((i) => i.severity === 'error');
    if (!checked.profile || errors.length > 0) {
      this.refused.set(file, digest);
      const kept = current ? `; still watching the running version of ${current[0]}` : '; not watched';
      for (const issue of errors) this.opts.log({ level: 'error', ...(current ? { rollout: current[0] } : {}), event: 'reload', text: `${formatIssue(issue)}${kept}` });
      return;
    }
    this.refused.delete(file);
    const profile = checked.profile;
    const other = this.running.get(profile.name);
    if (other && other.file !== file) {
      this.refused.set(file, digest);
      this.opts.log({ level: 'error', rollout: profile.name, event: 'reload', text: `${file} names rollout ${profile.name}, already watched from ${other.file}; not watched` });
      return;
    }
    if (current) {
      // Renamed in the edit, or just changed: the old one stops before the new one takes its lease.
      this.running.delete(current[0]);
      await current[1].rollout.stop();
      this.opts.log({ level: 'info', rollout: profile.name, event: 'reload', text: `${file} changed: reloaded` });
    }
    const rollout = await AgentRollout.open({
      profile,
      stateDir: this.opts.stateDir,
      log: this.opts.log,
      digests: this.digests,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.lease ? { lease: this.opts.lease } : {}),
      ...(this.opts.history ? { history: this.opts.history } : {}),
      ...(this.opts.backfillMs !== undefined ? { backfillMs: this.opts.backfillMs } : {}),
    });
    this.running.set(profile.name, { file, digest, rollout });
    await rollout.start();
  }

  /** Watches the directories (an editor replaces a file by rename, which a file watch would miss). */
  private watchFiles(): void {
    const dirs = new Set<string>();
    for (const path of this.opts.paths) {
      const full = resolve(path);
      try {
        dirs.add(statSync(full).isDirectory() ? full : dirname(full));
      } catch {
        dirs.add(dirname(full));
      }
    }
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => this.soon());
        w.on('error', (error) => this.opts.log({ level: 'warn', event: 'reload', text: `cannot watch ${dir} for edits: ${message(error)}` }));
        this.watchers.push(w);
      } catch (error) {
        this.opts.log({ level: 'warn', event: 'reload', text: `cannot watch ${dir} for edits: ${message(error)}` });
      }
    }
  }

  private soon(): void {
    if (this.stopped || this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, this.opts.reloadDelayMs ?? DEFAULT_RELOAD_DELAY_MS);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
