// The roll call: several rollouts in one console. It shows the overview (view/overview.ts) until
// the operator opens a rollout with enter; then that rollout's own console (a ConsoleController on
// its session) has the screen and the keys until esc brings the overview back. Every session
// keeps polling, judging, notifying and counting down while another is open: opening one changes
// only what is drawn. Keys inside a rollout's console act on that rollout alone, because they go
// to its controller and its session, never to another's.

import { ConsoleController, type SessionPort } from './controller.js';
import { buildKeymap, keyLabel } from './keymap.js';
import { keyNames } from './keys.js';
import type { ScreenController } from './screen.js';
import { OVERVIEW_KEYS, type OverviewCommand } from '../profile/builtin-keys.js';
import type { TerminalSize } from '../view/layout.js';
import type { ViewModel } from '../view/model.js';
import { overviewModel, overviewOrder, type RollcallEntry, type RollcallUi } from '../view/overview.js';
import { CONFIRM_TIMEOUT_MS, FLASH_MS, type Flash } from '../view/ui.js';

/** A rollout of the roll call: its session, or why there is none. */
export interface RollcallMember {
  file: string;
  session?: SessionPort;
  error?: string;
}

export interface RollcallOptions {
  size: TerminalSize;
  color: boolean;
  /** Called once when the operator quits. */
  onQuit: () => void;
  now?: () => number;
}

const keysOf = (command: OverviewCommand) => OVERVIEW_KEYS.find((k) => k.command === command)!;
/** The footer's hints, read from the overview's key table: `↑↓ select  enter open  R poll all  q quit`. */
const HINTS = [
  { keys: `${keyLabel(keysOf('rollout.prev').keys.slice(0, 1))}${keyLabel(keysOf('rollout.next').keys.slice(0, 1))}`, label: 'select' },
  ...(['rollout.open', 'poll.all', 'app.quit'] as const).map((c) => ({ keys: keyLabel(keysOf(c).keys.slice(0, 1)), label: keysOf(c).label })),
];

const COALESCE_MS = 100;

export class RollcallController implements ScreenController {
  private ui: RollcallUi;
  private size: TerminalSize;
  /** The rollout whose console has the screen, if one is open. */
  private open: { file: string; controller: ConsoleController; unsubscribe: () => void } | undefined;
  private model: ViewModel;
  private fingerprint: string;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private quitting = false;
  private readonly now: () => number;
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly members: readonly RollcallMember[],
    private readonly opts: RollcallOptions,
  ) {
    this.size = opts.size;
    this.now = opts.now ?? Date.now;
    const first = overviewOrder(this.entries())[0];
    this.ui = first ? { selected: first.file } : {};
    this.model = this.build();
    this.fingerprint = JSON.stringify(this.model);
    for (const m of members) if (m.session) this.unsubscribers.push(m.session.subscribe(() => this.soon()));
  }

  /**
   * Ten rollouts publish ten changes a poll round, a few milliseconds apart: one overview is built
   * for all of them (the screen shows at most ten frames a second anyway).
   */
  private soon(): void {
    // While a rollout's console is open, its own controller says when the frame changes.
    if (this.pending || this.open) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh();
    }, COALESCE_MS);
    this.pending.unref?.();
  }

  getSnapshot = (): ViewModel => this.model;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The rollout whose console is open, for tests. */
  get opened(): string | undefined {
    return this.open?.file;
  }

  resize(size: TerminalSize): void {
    if (size.columns === this.size.columns && size.rows === this.size.rows) return;
    this.size = size;
    this.open?.controller.resize(size);
    this.refresh();
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.close();
    for (const u of this.unsubscribers.splice(0)) u();
    this.listeners.clear();
  }

  /** What one read from the terminal held: a key, or several typed together. */
  press(input: string): void {
    for (const name of keyNames(input)) {
      // enter opened a rollout: keys typed after it in the same read are that console's.
      const inner = this.inner();
      if (inner) inner.pressKey(name);
      else if (this.ui.confirmQuit) this.answerQuit(name === 'y' || name === 'Y');
      else {
        const command = OVERVIEW_KEYS.find((k) => k.keys.includes(name))?.command;
        if (command) this.execute(command);
      }
    }
    this.refresh();
  }

  /** Runs an overview command, as its key would. */
  execute(command: OverviewCommand): void {
    switch (command) {
      case 'rollout.next':
        return this.move(1);
      case 'rollout.prev':
        return this.move(-1);
      case 'rollout.open':
        return this.enter();
      case 'poll.all':
        for (const m of this.members) m.session?.pollNow();
        return this.flash('polling every metric of every rollout now', 'info');
      case 'app.quit':
        return this.requestQuit(undefined);
    }
  }

  /** The open rollout's console (a method, so a key that opened one is seen by the keys after it). */
  private inner(): ConsoleController | undefined {
    return this.open?.controller;
  }

  private entries(): RollcallEntry[] {
    return this.members.map((m) => ({ file: m.file, ...(m.session ? { state: m.session.getSnapshot() } : {}), ...(m.error !== undefined ? { error: m.error } : {}) }));
  }

  private move(step: 1 | -1): void {
    const order = overviewOrder(this.entries());
    const at = Math.max(0, order.findIndex((e) => e.file === this.ui.selected));
    const next = order[Math.max(0, Math.min(order.length - 1, at + step))];
    if (next) this.ui = { ...this.ui, selected: next.file };
  }

  private enter(): void {
    const member = this.members.find((m) => m.file === this.ui.selected);
    if (!member) return;
    if (!member.session) return this.flash(`${member.file} could not be opened: ${member.error ?? 'unknown error'}`, 'bad');
    const controller = new ConsoleController(member.session, {
      size: this.size,
      color: this.opts.color,
      onQuit: () => this.requestQuit(member.file),
      onBack: () => this.back(),
      keymap: buildKeymap(member.session.getSnapshot().profile, { rollcall: true }),
    });
    const unsubscribe = controller.subscribe(() => this.refresh());
    this.open = { file: member.file, controller, unsubscribe };
  }

  /** Esc in a rollout's console with nothing left to close there: the overview again. */
  private back(): void {
    // Called from inside that console's key handling; press() publishes the overview after it.
    this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.open.unsubscribe();
    this.open.controller.dispose();
    this.open = undefined;
  }

  /**
   * Quit, unless another rollout has an automatic rollback counting down in this console or an
   * action running: then the overview asks first (the console that asked has asked about its own).
   */
  private requestQuit(asked: string | undefined): void {
    const busy = this.members.filter((m) => m.file !== asked && m.session).map((m) => ({ m, st: m.session!.getSnapshot() }));
    const counting = busy.find(({ st }) => st.countdown !== undefined);
    const running = busy.find(({ st }) => st.busy !== undefined);
    if (!counting && !running) return this.quit();
    this.close();
    const why = counting
      ? `${counting.st.profile.title}: its automatic rollback stops with this console`
      : `${running!.st.profile.title}: ${running!.st.busy} is still running`;
    this.ui = { ...this.ui, confirmQuit: { openedAt: this.now(), why }, ...(counting ? { selected: counting.m.file } : {}) };
  }

  private answerQuit(yes: boolean): void {
    this.ui = { ...this.ui, confirmQuit: undefined };
    // A countdown this console runs is left without its rollback by quitting: the audit log says who chose it.
    for (const m of this.members) if (m.session?.getSnapshot().countdown) m.session.answerQuit?.(yes);
    if (yes) this.quit();
  }

  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.opts.onQuit();
  }

  private flash(text: string, level: Flash['level']): void {
    this.ui = { ...this.ui, flash: { text, level, until: this.now() + FLASH_MS } };
  }

  private expire(): void {
    const now = this.now();
    if (this.ui.confirmQuit && now - this.ui.confirmQuit.openedAt > CONFIRM_TIMEOUT_MS) this.ui = { ...this.ui, confirmQuit: undefined };
    if (this.ui.flash && this.ui.flash.until <= now) this.ui = { ...this.ui, flash: undefined };
  }

  private build(): ViewModel {
    if (this.open) return this.open.controller.getSnapshot();
    this.expire();
    return overviewModel({ entries: this.entries(), ui: this.ui, size: this.size, color: this.opts.color, now: this.now(), hints: HINTS });
  }

  private refresh(): void {
    // While a rollout's console is open its controller decides when its frame changes.
    const next = this.build();
    if (next === this.model) return;
    const fingerprint = this.open ? '' : JSON.stringify(next);
    if (!this.open && fingerprint === this.fingerprint) return;
    this.model = next;
    this.fingerprint = fingerprint;
    for (const listener of this.listeners) listener();
  }
}
