// The rollout state file: one JSON file per profile, written atomically and guarded by a lock file
// so that exactly one console changes it while any number of others (and `check`) follow it
// read-only. A file that cannot be trusted is never silently reinterpreted: it is kept aside and
// the store says what it did. A profile with `state: { store: postgres }` keeps the same document
// in a shared database instead (state-store-postgres.ts); openStateStore picks the store.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import * as z from 'zod';
import type { Profile } from '../profile/types.js';
import { realClock, type Clock } from '../engine/clock.js';
import { initialState, type RolloutState, type RolloutStore } from '../engine/state.js';
import { fileErrorReason } from './file-error.js';
import { operatorName, whoAmI } from './identity.js';
import { StateStoreError, moveTo, parseStateDocument, toStateDocument, type Loaded, type StateStoreOptions } from './state-document.js';

// What opening a store may throw and takes, and `--phase`, for those who open one.
export { StateStoreError, isStateStoreError, phaseIndex, type StateStoreOptions } from './state-document.js';

/** `$XDG_STATE_HOME/rollcall`, else `~/.local/state/rollcall`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return xdg && xdg.startsWith('/') ? join(xdg, 'rollcall') : join(homedir(), '.local', 'state', 'rollcall');
}

export function statePath(profile: Profile, dir?: string): string {
  return join(resolve(dir ?? defaultStateDir()), `${profile.name}.json`);
}

interface Lock {
  pid: number;
  user: string;
  host: string;
  at: number;
  nonce: string;
}

/** How often a state the disk refused is tried again. */
const UNSAVED_RETRY_MS = 5_000;

const lockSchema = z.object({ pid: z.number().int(), user: z.string(), host: z.string(), at: z.number(), nonce: z.string() });

/**
 * Opens the rollout state of a profile. Takes the lock unless `readOnly`; when another live process
 * holds it, the store is read-only and `notice` says who (`locked by alice@bastion (pid 4242)`).
 */
export async function openStateStore(profile: Profile, opts: StateStoreOptions = {}): Promise<RolloutStore> {
  if (profile.state?.store === 'postgres') {
    // Loaded only when a profile asks for it: what imports this module for its paths (the audit
    // log) does not pull in the database driver.
    const { openPostgresStateStore } = await import('./state-store-postgres.js');
    return openPostgresStateStore(profile, profile.state, opts);
  }
  const clock = opts.clock ?? realClock;
  const file = statePath(profile, opts.dir);
  const dir = resolve(file, '..');
  // A reader writes nothing: a missing directory just means no rollout state yet.
  if (!opts.readOnly) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new StateStoreError(`cannot create the state directory ${dir}: ${fileErrorReason(error)}`);
    }
  }

  const lockFile = join(dir, `${profile.name}.lock`);
  const identity = whoAmI();
  const lock = opts.readOnly ? { held: false as const } : acquireLock(lockFile, identity.user, identity.host, clock);
  const notices: string[] = [];
  if (!lock.held && 'notice' in lock) notices.push(lock.notice);

  const store = new FileStateStore(profile, file, lockFile, clock, lock.held ? lock.lock : undefined);
  try {
    const loaded = store.load();
    if (loaded.notice) notices.push(loaded.notice);
    if (opts.phase !== undefined) await moveTo(store, profile, opts.phase, notices[0], opts.user ?? operatorName(identity), clock);
  } catch (error) {
    // Never leave a lock behind for a store nobody got.
    await store.close();
    throw error;
  }
  store.notice = notices.length > 0 ? notices.join('; ') : undefined;
  return store;
}

class FileStateStore implements RolloutStore {
  private state: RolloutState;
  private listeners = new Set<(state: RolloutState) => void>();
  private watcher: FSWatcher | undefined;
  private seen: string | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  notice: string | undefined;
  /**
   * Why the state in memory is not on disk yet (the disk is full): a change already made — a
   * rollback that ran — is kept and judged on, and written as soon as the disk allows, never lost
   * and never undone in memory, so it cannot make the rollback run a second time.
   */
  unsaved: string | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly file: string,
    private readonly lockFile: string,
    private readonly clock: Clock,
    private readonly lock: Lock | undefined,
  ) {
    this.state = initialState(profile.name, clock.now());
  }

  get readOnly(): boolean {
    return this.lock === undefined;
  }

  /** First read: a bad file is kept aside (by the lock holder) and the state falls back to phase 0. */
  load(): { notice?: string } {
    const loaded = this.readFile();
    let notice: string | undefined;
    if (loaded === undefined) {
      if (!this.readOnly) this.persistSync(this.state);
    } else if ('state' in loaded) {
      this.state = loaded.state;
    } else {
      let kept = '';
      if (!this.readOnly) {
        const aside = `${this.file}.corrupt-${stamp(this.clock.now())}`;
        try {
          renameSync(this.file, aside);
          kept = `; kept as ${aside}`;
        } catch (error) {
          kept = `; could not keep it aside: ${fileErrorReason(error)}`;
        }
        this.persistSync(this.state);
      }
      notice = `${loaded.problem}${kept}; starting again at the first phase (${this.profile.phases[0]!.name})`;
    }
    if (this.readOnly) this.follow();
    return notice === undefined ? {} : { notice };
  }

  read(): RolloutState {
    // A follower re-reads whenever the file changed, so it never shows a move the holder made later.
    if (this.readOnly && !this.closed) this.refresh();
    return this.state;
  }

  update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState> {
    if (this.readOnly) {
      return Promise.reject(new StateStoreError(`the rollout state is read-only: ${this.notice ?? 'opened read-only'}`));
    }
    if (this.closed) return Promise.reject(new StateStoreError('the rollout state store is closed'));
    const next = this.writing.then(() => {
      const updated = fn(this.state);
      if (updated === this.state) return updated;
      try {
        this.persistSync(updated);
        this.unsaved = undefined;
      } catch (error) {
        this.unsaved = `${error instanceof Error ? error.message : String(error)}; kept in memory and saved when the disk allows`;
        this.retryLater();
      }
      this.state = updated;
      this.emit();
      return updated;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  subscribe(listener: (state: RolloutState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    if (this.retry) clearTimeout(this.retry);
    if (this.unsaved !== undefined) this.saveNow();
    this.watcher?.close();
    this.listeners.clear();
    if (this.lock) releaseLock(this.lockFile, this.lock);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }

  /** Tries the unsaved state again every few seconds, in the write queue, until it is on disk. */
  private retryLater(): void {
    if (this.retry !== undefined || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.writing = this.writing.then(() => {
        if (this.unsaved === undefined) return;
        if (this.saveNow()) this.emit();
        else this.retryLater();
      });
    }, UNSAVED_RETRY_MS).unref();
  }

  private saveNow(): boolean {
    try {
      this.persistSync(this.state);
      this.unsaved = undefined;
      return true;
    } catch {
      return false;
    }
  }

  private follow(): void {
    try {
      // Watch the directory, not the file: an atomic write replaces the file's inode.
      this.watcher = watch(resolve(this.file, '..'), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(this.file)) this.refresh();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // Without a watcher read() still re-reads; subscribers just hear of changes later.
      this.watcher = undefined;
    }
  }

  private refresh(): void {
    const before = this.seen;
    const loaded = this.readFile();
    if (this.seen === before || loaded === undefined || !('state' in loaded)) return;
    this.state = loaded.state;
    this.emit();
  }

  /** undefined when there is no file yet; otherwise the state or why it cannot be used. */
  private readFile(): Loaded | undefined {
    let text: string;
    try {
      const st = statSync(this.file);
      const version = versionOf(st);
      if (version === this.seen) return { state: this.state };
      text = readFileSync(this.file, 'utf8');
      this.seen = version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { problem: `cannot read the state file ${this.file}: ${fileErrorReason(error)}` };
    }
    return parseStateText(text, `the state file ${this.file}`, this.profile);
  }

  private persistSync(state: RolloutState): void {
    writeAtomic(this.file, `${JSON.stringify(toStateDocument(state, this.profile), null, 2)}\n`);
    this.seen = versionOf(statSync(this.file));
  }
}

/** What tells one write of the state file from another without reading it. */
function versionOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function parseStateText(text: string, what: string, profile: Profile): Loaded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${what} is corrupt (not JSON)` };
  }
  return parseStateDocument(json, what, profile);
}

/** Temp file in the same directory, fsync, rename over, fsync the directory: all or nothing. */
function writeAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    const dirFd = openSync(resolve(file, '..'), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was left behind.
    }
    throw new StateStoreError(`cannot write the state file ${file}: ${fileErrorReason(error)}`);
  }
}

type LockResult = { held: true; lock: Lock } | { held: false; notice: string };

function acquireLock(lockFile: string, user: string, host: string, clock: Clock): LockResult {
  const lock: Lock = { pid: process.pid, user, host, at: clock.now(), nonce: Math.random().toString(36).slice(2) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o644);
      try {
        writeSync(fd, JSON.stringify(lock));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      // Two consoles taking over the same dead lock at once: only the one whose lock survived holds it.
      const now = readLock(lockFile);
      if (now && 'lock' in now && now.lock.nonce === lock.nonce) return { held: true, lock };
      return { held: false, notice: describe(now) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        return { held: false, notice: `cannot lock ${lockFile}: ${fileErrorReason(error)}; opened read-only` };
      }
    }
    const existing = readLock(lockFile);
    if (existing === undefined) continue;
    if ('lock' in existing && !isDead(existing.lock)) return { held: false, notice: describe(existing) };
    if ('unreadable' in existing && Date.now() - existing.mtimeMs < 5_000) return { held: false, notice: describe(existing) };
    try {
      unlinkSync(lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        return { held: false, notice: `cannot take over the stale lock ${lockFile}: ${fileErrorReason(error)}; opened read-only` };
      }
    }
  }
  return { held: false, notice: describe(readLock(lockFile)) };
}

function readLock(lockFile: string): { lock: Lock } | { unreadable: true; mtimeMs: number } | undefined {
  try {
    const st = statSync(lockFile);
    const parsed = lockSchema.safeParse(safeJson(readFileSync(lockFile, 'utf8')));
    return parsed.success ? { lock: parsed.data } : { unreadable: true, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function describe(found: ReturnType<typeof readLock>): string {
  if (found && 'lock' in found) return `locked by ${found.lock.user}@${found.lock.host} (pid ${found.lock.pid})`;
  return 'locked by another console';
}

/** Only a lock from this host can be judged: its pid is gone. Another host's lock is always live. */
function isDead(lock: Lock): boolean {
  if (lock.host !== hostname()) return false;
  if (lock.pid === process.pid) return false;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function releaseLock(lockFile: string, lock: Lock): void {
  const current = readLock(lockFile);
  if (current && 'lock' in current && current.lock.nonce === lock.nonce) {
    try {
      unlinkSync(lockFile);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A file-name-safe UTC time: 20260101T120000Z. */
function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
