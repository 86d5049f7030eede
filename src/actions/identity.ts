// Who is at the keyboard: written into every audit entry and every rollout-state move, so a
// review can tell which engineer on which bastion pressed the key.

import { hostname, userInfo } from 'node:os';

export interface Identity {
  user: string;
  host: string;
  /** The client address of an SSH session (first field of $SSH_CLIENT). */
  ssh?: string;
}

/** The operator: `sudo` keeps the real person (`$SUDO_USER`), not root. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): Identity {
  const user = nonEmpty(env.SUDO_USER) ?? osUser() ?? nonEmpty(env.USER) ?? nonEmpty(env.LOGNAME) ?? 'unknown';
  const ssh = nonEmpty(env.SSH_CLIENT?.trim().split(/\s+/)[0]);
  return ssh ? { user, host: hostname(), ssh } : { user, host: hostname() };
}

/** `alice@bastion-1`: how state moves and audit lines name the operator. */
export function operatorName(identity: Identity): string {
  return `${identity.user}@${identity.host}`;
}

function osUser(): string | undefined {
  try {
    return nonEmpty(userInfo().username);
  } catch {
    // A container user with no passwd entry has no name; the environment may still have one.
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.length > 0 ? value : undefined;
}
