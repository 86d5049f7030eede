// Between the live session and the screen: turns keys into named commands, keeps the console's
// own state (selection, questions, frozen copy), and publishes a view model that changes only
// when the frame would — so a poll that changes nothing visible costs no render at all.

import { activeChecklist } from '../engine/checklist.js';
import { isRetreat } from '../engine/state.js';
import type { ConsoleState } from './console-state.js';
import type { ScreenController } from './screen.js';
import { buildKeymap, type Command, type Keymap } from './keymap.js';
import { keyNames } from './keys.js';
import type { TerminalSize } from '../view/layout.js';
import { buildModel, type ChartMemo, type ViewModel } from '../view/model.js';
import { helpKey } from '../view/help-keys.js';
import { CHART_WINDOWS_MS, CONFIRM_TIMEOUT_MS, FLASH_MS, initialUi, type Flash, type Pane, type UiState } from '../view/ui.js';

/** What the console needs from the live session (src/console/session.ts provides it). */
export interface SessionPort {
  getSnapshot(): ConsoleState;
  subscribe(listener: () => void): () => void;
  run(action: string, opts: { forced: boolean }): Promise<unknown>;
  toggleChecklist(item: string): Promise<unknown>;
  pollNow(): void;
  cancelAutoRollback(): void;
  /** The answer to "quit during an automatic rollback countdown?", for the audit log. */
  answerQuit?(quit: boolean): void;
}

export interface ControllerOptions {
  size: TerminalSize;
  color: boolean;
  /** Called once when the operator quits. */
  onQuit: () => void;
  /** Esc with nothing open to close: in a roll call, back to the overview. */
  onBack?: () => void;
  keymap?: Keymap;
}

const MAX_TYPED = 64;

export class ConsoleController implements ScreenController {
  readonly keymap: Keymap;
  private ui: UiState = initialUi;
  private size: TerminalSize;
  private frozen: ConsoleState | undefined;
  private readonly chartMemo: ChartMemo = {};
  private model: ViewModel;
  private fingerprint: string;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private quitting = false;

  constructor(
    private readonly session: SessionPort,
    private readonly opts: ControllerOptions,
  ) {
    this.size = opts.size;
    this.keymap = opts.keymap ?? buildKeymap(session.getSnapshot().profile);
    this.model = this.build();
    this.fingerprint = JSON.stringify(this.model);
    this.unsubscribe = session.subscribe(() => this.refresh());
  }

  /** The current view model; the same object until the frame changes. */
  getSnapshot = (): ViewModel => this.model;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The console's own state (selection, focus, open overlays), for tests. */
  get uiState(): UiState {
    return this.ui;
  }

  resize(size: TerminalSize): void {
    if (size.columns === this.size.columns && size.rows === this.size.rows) return;
    this.size = size;
    this.refresh();
  }

  dispose(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  /** What one read from the terminal held: a key, or several typed together. */
  press(input: string): void {
    for (const name of keyNames(input)) this.key(name);
    this.refresh();
  }

  /** One key, by name (`j`, `enter`, `ctrl+c`). */
  pressKey(name: string): void {
    this.key(name);
    this.refresh();
  }

  private key(name: string): void {
    if (this.ui.confirm) this.answer(name);
    else if (this.ui.help) this.helpKey(name);
    else {
      const command = this.keymap.resolve(name);
      if (command) this.execute(command);
    }
  }

  /** Runs a named command, as a key would. */
  execute(command: Command): void {
    const live = this.session.getSnapshot();
    if (command.startsWith('action.')) {
      this.beginAction(command.slice('action.'.length), live);
      return;
    }
    switch (command) {
      case 'select.next':
        return this.move(1, live);
      case 'select.prev':
        return this.move(-1, live);
      case 'pane.next':
        return this.set({ focus: this.nextPane(live), logOffset: 0 });
      case 'chart.enlarge':
        return this.set({ enlarged: !this.ui.enlarged, help: false });
      case 'chart.wider':
        return this.set({ windowIndex: Math.min(CHART_WINDOWS_MS.length - 1, this.ui.windowIndex + 1) });
      case 'chart.narrower':
        return this.set({ windowIndex: Math.max(0, this.ui.windowIndex - 1) });
      case 'checklist.toggle':
        return this.toggleChecklist(live);
      case 'screen.freeze':
        this.frozen = this.ui.frozen ? undefined : live;
        return this.set({ frozen: !this.ui.frozen });
      case 'poll.now':
        this.session.pollNow();
        return this.flash('polling every metric now', 'info', live);
      case 'sources.ages':
        return this.set({ ages: !this.ui.ages });
      case 'autoRollback.cancel':
        if (!live.countdown) return this.flash('no automatic rollback is counting down', 'info', live);
        this.session.cancelAutoRollback();
        return this.flash('automatic rollback cancelled', 'warn', live);
      case 'help.toggle':
        return this.set({ help: !this.ui.help, helpOffset: 0 });
      case 'view.back':
        if (this.ui.help) return this.set({ help: false });
        if (this.ui.ages) return this.set({ ages: false });
        if (this.ui.enlarged) return this.set({ enlarged: false });
        return this.opts.onBack?.();
      case 'app.quit':
        // Quitting during a countdown leaves the rollout without its rollback: ask, as for an action.
        if (live.busy || live.countdown) {
          return this.set({ confirm: { kind: 'quit', openedAt: live.now, ...(live.countdown ? { countdown: live.countdown.metric } : {}) } });
        }
        return this.quit();
    }
  }

  /** While help is open only its own keys work (see help-keys.ts). */
  private helpKey(name: string): void {
    const result = helpKey(name, this.keymap.resolve(name), this.model.help ?? { offset: 0, max: 0, page: 1 });
    if (result.kind === 'scroll') return this.set({ helpOffset: result.offset });
    // Closing also drops the "help is open" notice, which would be stale at once.
    if (result.kind === 'close') return this.set({ help: false, flash: undefined });
    if (result.kind === 'command') return this.execute(result.command);
    this.flash('help is open: esc or ? closes it first', 'info', this.session.getSnapshot());
  }

  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.opts.onQuit();
  }

  private set(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
  }

  private flash(text: string, level: Flash['level'], live: ConsoleState): void {
    this.set(this.flashPatch(text, level, live));
  }

  private move(step: 1 | -1, live: ConsoleState): void {
    const clamp = (n: number, count: number) => Math.max(0, Math.min(count - 1, n));
    if (this.ui.focus === 'checklist') {
      return this.set({ checklistCursor: clamp(this.ui.checklistCursor + step, activeChecklist(live.snapshot).items.length) });
    }
    if (this.ui.focus === 'log') {
      // Down goes towards the newest event.
      return this.set({ logOffset: Math.max(0, Math.min(live.events.length - 1, this.ui.logOffset - step)) });
    }
    this.set({ selected: clamp(this.ui.selected + step, live.snapshot.metrics.length) });
  }

  private nextPane(live: ConsoleState): Pane {
    const order: Pane[] = activeChecklist(live.snapshot).items.length > 0 ? ['metrics', 'checklist', 'log'] : ['metrics', 'log'];
    return order[(order.indexOf(this.ui.focus) + 1) % order.length]!;
  }

  private toggleChecklist(live: ConsoleState): void {
    const items = activeChecklist(live.snapshot).items;
    if (items.length === 0) return this.flash(`phase ${live.snapshot.phase.name} has no checklist`, 'info', live);
    if (this.ui.focus !== 'checklist') return this.set({ focus: 'checklist', ...this.flashPatch('tab moved to the checklist: space ticks the selected item', 'info', live) });
    if (live.mode.readOnly) return this.flash(`read-only (${live.mode.readOnlyReason ?? 'read-only'}): the checklist cannot change`, 'warn', live);
    const item = items[Math.min(this.ui.checklistCursor, items.length - 1)]!;
    this.session.toggleChecklist(item.item).catch((error: unknown) => this.failed(`checklist: ${message(error)}`));
  }

  private flashPatch(text: string, level: Flash['level'], live: ConsoleState): Partial<UiState> {
    return { flash: { text, level, until: live.now + FLASH_MS } };
  }

  private beginAction(id: string, live: ConsoleState): void {
    const action = live.profile.actions[id];
    if (!action) return;
    if (live.mode.readOnly && !(live.mode.retreatOnly && isRetreat(action))) {
      // The runner refuses it too, and audits the refusal; a replay is not the rollout: nothing to audit.
      if (!live.mode.replay) this.run(id, false);
      return this.flash(`read-only (${live.mode.readOnlyReason ?? 'read-only'}): ${id} not run`, 'warn', live);
    }
    if (live.busy) return this.flash(`${live.busy} is still running: one action at a time`, 'warn', live);
    const force = action.effect === 'promote' && live.snapshot.decision !== 'PROMOTE';
    if (action.confirm === 'none' && !force) return this.run(id, false);
    const step = action.confirm === 'typed' ? 'typed' : action.confirm === 'yes' ? 'yes' : 'force';
    this.set({ confirm: { kind: 'action', action: id, step, force, typed: '', openedAt: live.now } });
  }

  private run(id: string, forced: boolean): void {
    this.session.run(id, { forced }).catch((error: unknown) => this.failed(`${id}: ${message(error)}`));
  }

  private failed(text: string): void {
    const live = this.session.getSnapshot();
    this.flash(text, 'bad', live);
    this.refresh();
  }

  private answer(name: string): void {
    const c = this.ui.confirm!;
    const live = this.session.getSnapshot();
    if (c.kind === 'quit') {
      this.set({ confirm: undefined });
      const yes = name === 'y' || name === 'Y';
      if (c.countdown !== undefined) this.session.answerQuit?.(yes);
      if (yes) this.quit();
      return;
    }
    if (c.step === 'yes') {
      if (name === 'y' || name === 'Y') return this.advance();
      this.set({ confirm: undefined });
      return this.flash(`${c.action} not run`, 'info', live);
    }
    if (name === 'escape' || name === 'ctrl+c') {
      this.set({ confirm: undefined });
      return this.flash(`${c.action} not run`, 'info', live);
    }
    if (name === 'backspace') return this.set({ confirm: { ...c, typed: c.typed.slice(0, -1), mismatch: undefined } });
    if (name === 'enter') {
      const expected = c.step === 'force' ? 'force' : c.action;
      if (c.typed === expected) return this.advance();
      return this.set({ confirm: { ...c, typed: '', mismatch: `that is not "${expected}"` } });
    }
    const typed = name === 'space' ? ' ' : [...name].length === 1 ? name : '';
    if (typed) this.set({ confirm: { ...c, typed: (c.typed + typed).slice(0, MAX_TYPED), mismatch: undefined } });
  }

  private advance(): void {
    const c = this.ui.confirm;
    if (!c || c.kind !== 'action') return;
    const live = this.session.getSnapshot();
    if (c.step !== 'force' && c.force) {
      this.set({ confirm: { ...c, step: 'force', typed: '', mismatch: undefined, openedAt: live.now } });
      return;
    }
    this.set({ confirm: undefined });
    this.run(c.action, c.force);
  }

  private expire(live: ConsoleState): void {
    const c = this.ui.confirm;
    if (c && live.now - c.openedAt > CONFIRM_TIMEOUT_MS) {
      this.set({ confirm: undefined });
      this.flash(c.kind === 'action' ? `no answer for ${CONFIRM_TIMEOUT_MS / 1_000}s: ${c.action} not run` : 'quit withdrawn', 'warn', live);
    }
    if (this.ui.flash && this.ui.flash.until <= live.now) this.set({ flash: undefined });
    // A metric list or checklist that shrank (phase moved) must not leave the cursor past its end.
    const metrics = live.snapshot.metrics.length;
    if (this.ui.selected >= metrics && metrics > 0) this.set({ selected: metrics - 1 });
  }

  private build(): ViewModel {
    const live = this.session.getSnapshot();
    this.expire(live);
    return buildModel({
      state: this.ui.frozen && this.frozen ? this.frozen : live,
      live,
      ui: this.ui,
      size: this.size,
      keymap: this.keymap,
      color: this.opts.color,
      chartMemo: this.chartMemo,
    });
  }

  private refresh(): void {
    const next = this.build();
    const fingerprint = JSON.stringify(next);
    if (fingerprint === this.fingerprint) return;
    this.model = next;
    this.fingerprint = fingerprint;
    for (const listener of this.listeners) listener();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
