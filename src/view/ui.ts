// The console's own state: what is selected and open, nothing about the rollout itself.

export type Pane = 'metrics' | 'checklist' | 'log';

/** Chart windows `[` and `]` step through. */
export const CHART_WINDOWS_MS = [5 * 60_000, 15 * 60_000, 60 * 60_000, 6 * 3_600_000, 24 * 3_600_000] as const;
const DEFAULT_WINDOW = 1;

/** A question waiting for the operator. */
export type Confirmation =
  | {
      kind: 'action';
      action: string;
      /** `yes`: y/N. `typed`: type the action's name. `force`: type "force" to promote outside PROMOTE. */
      step: 'yes' | 'typed' | 'force';
      /** Whether a force step follows (promote while the decision is not PROMOTE). */
      force: boolean;
      typed: string;
      openedAt: number;
      mismatch?: string;
    }
  /** `countdown`: the metric whose automatic rollback was counting down when quit was asked. */
  | { kind: 'quit'; openedAt: number; countdown?: string };

/** A confirmation left unanswered this long is withdrawn, so a stray `y` later runs nothing. */
export const CONFIRM_TIMEOUT_MS = 60_000;
export const FLASH_MS = 5_000;

export interface Flash {
  text: string;
  level: 'info' | 'ok' | 'warn' | 'bad';
  until: number;
}

export interface UiState {
  focus: Pane;
  /** Index into the profile's metrics. */
  selected: number;
  checklistCursor: number;
  /** Lines scrolled back from the newest event. */
  logOffset: number;
  windowIndex: number;
  enlarged: boolean;
  help: boolean;
  /** Help entries scrolled past at the top of the overlay. */
  helpOffset: number;
  ages: boolean;
  frozen: boolean;
  confirm?: Confirmation;
  flash?: Flash;
}

export const initialUi: UiState = {
  focus: 'metrics',
  selected: 0,
  checklistCursor: 0,
  logOffset: 0,
  windowIndex: DEFAULT_WINDOW,
  enlarged: false,
  help: false,
  helpOffset: 0,
  ages: false,
  frozen: false,
};
