// The wrapper every source goes through (after grafterm's middleware): a per-request timeout
// joined to the caller's signal, and one place that turns whatever was thrown into a SourceError
// with a one-line reason that names where it happened and carries no credential.

import { formatDuration } from '../profile/duration.js';
import { redact } from '../profile/redact.js';
import type { SeriesSet } from '../engine/types.js';
import { SourceError, isSourceError, type InstantRequest, type RangeRequest, type Source } from './source.js';

export interface WrapOptions {
  /** What error messages name: `host:port`, or the command. */
  where: string;
  /** Values that must never appear in a reason (the profile's secrets). */
  secrets?: readonly string[];
}

/**
 * Gives every request a signal aborted by the caller's or by the metric's timeout, settles no later
 * than that signal even when the inner source ignores it, and normalises every failure.
 */
export function withTimeout(source: Source, opts: WrapOptions): Source {
  const call = <R extends InstantRequest | RangeRequest>(req: R, run: (req: R) => Promise<SeriesSet>) =>
    guarded(req, opts, run);
  const wrapped: Source = {
    id: source.id,
    type: source.type,
    instant: (req) => call(req, (r) => source.instant(r)),
    close: () => source.close(),
  };
  const range = source.range?.bind(source);
  if (range) wrapped.range = (req) => call(req, range);
  return wrapped;
}

async function guarded<R extends InstantRequest | RangeRequest>(
  req: R,
  opts: WrapOptions,
  run: (req: R) => Promise<SeriesSet>,
): Promise<SeriesSet> {
  const timeoutMs = req.metric.timeoutMs;
  let timedOut = false;
  const failure = (error: unknown): SourceError => {
    if (timedOut && !req.signal.aborted) {
      return new SourceError('timeout', `timed out after ${formatDuration(timeoutMs)} (${opts.where})`, { cause: error });
    }
    if (req.signal.aborted) return new SourceError('aborted', `aborted (${opts.where})`, { cause: error });
    const normal = toSourceError(error, opts.where);
    const reason = redact(normal.reason, opts.secrets ?? []);
    return reason === normal.reason ? normal : new SourceError(normal.kind, reason, { cause: normal.cause });
  };
  if (req.signal.aborted) throw failure(req.signal.reason);

  // One signal for the source: aborted by the caller or by the timeout, whichever comes first.
  // (Not AbortSignal.any with AbortSignal.timeout: the timeout's timer cannot be cleared, so every
  // answered request would still fire later, and AbortSignal.any's bookkeeping cost more than the
  // rest of this wrapper — 200 requests a second under load.)
  const combined = new AbortController();
  let abandon!: (error: SourceError) => void;
  // Settles when the signal does, even if the source ignores it.
  const abandoned = new Promise<never>((_, reject) => (abandon = reject));
  const stop = (reason: unknown) => {
    combined.abort(reason);
    abandon(failure(reason));
  };
  const clock = setTimeout(() => {
    timedOut = true;
    stop(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  clock.unref();
  const onCallerAbort = () => stop(req.signal.reason);
  req.signal.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await Promise.race([run({ ...req, signal: combined.signal }), abandoned]);
  } catch (error) {
    throw failure(error);
  } finally {
    clearTimeout(clock);
    req.signal.removeEventListener('abort', onCallerAbort);
  }
}

const NETWORK: Record<string, [SourceError['kind'], string]> = {
  ECONNREFUSED: ['unreachable', 'connection refused'],
  ECONNRESET: ['unreachable', 'connection reset'],
  EPIPE: ['unreachable', 'connection reset'],
  ENOTFOUND: ['unreachable', 'host not found'],
  EAI_AGAIN: ['unreachable', 'host not found (DNS)'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  ETIMEDOUT: ['timeout', 'connect timed out'],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', 'connect timed out'],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', 'no response headers in time'],
  UND_ERR_BODY_TIMEOUT: ['timeout', 'response body stalled'],
  UND_ERR_SOCKET: ['unreachable', 'connection closed by the server'],
  UND_ERR_CLOSED: ['unreachable', 'connection closed'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: ['parse', 'response shorter than its Content-Length'],
  CERT_HAS_EXPIRED: ['unreachable', 'TLS certificate expired'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['unreachable', 'TLS certificate is self-signed'],
  SELF_SIGNED_CERT_IN_CHAIN: ['unreachable', 'TLS certificate chain is self-signed'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unreachable', 'TLS certificate not trusted'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['unreachable', 'TLS certificate does not match the host'],
};

/** Any thrown thing as a SourceError naming `where`; network failures get their plain names. */
export function toSourceError(error: unknown, where: string): SourceError {
  if (isSourceError(error)) return error;
  const code = errorCode(error);
  const known = code ? NETWORK[code] : undefined;
  if (known) return new SourceError(known[0], `${known[1]} (${where})`, { cause: error });
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new SourceError('aborted', `aborted (${where})`, { cause: error });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new SourceError('unreachable', `${oneLine(text) || 'failed'} (${where})`, { cause: error });
}

/** The errno-style code of an error, its cause, or the first of an AggregateError's errors. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK) return code;
    const nested = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      const inner = errorCode(nested[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const MAX_REASON = 240;

/** The first line of a message, without URL credentials, short enough for a status line. */
export function oneLine(text: string): string {
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  const clean = stripUserinfo(first.trim());
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON - 1)}…` : clean;
}

/** `scheme://user:pass@host` → `scheme://host`, wherever it appears in a text. */
function stripUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}

/** A value quoted for a message: strings in quotes, containers by kind, at most 40 characters. */
export function shortValue(value: unknown): string {
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : value instanceof Date
        ? value.toISOString()
        : Array.isArray(value)
          ? 'an array'
          : value !== null && typeof value === 'object'
            ? 'an object'
            : String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
