// The Prometheus text exposition format (0.0.4, plus what OpenMetrics adds that a scraper meets in
// the wild: `# EOF`, `# UNIT`, exemplars, quoted UTF-8 names). A line that cannot be read is
// skipped and counted, never fatal: one odd line in a service's /metrics must not blind the console.

import type { Labels } from '../engine/types.js';

export interface ExpositionSample {
  name: string;
  labels: Labels;
  value: number;
  /** Epoch ms, when the line carries one. */
  timestamp?: number;
}

export interface Exposition {
  /** Samples by metric name, in the order they appear. */
  byName: Map<string, ExpositionSample[]>;
  types: Map<string, string>;
  help: Map<string, string>;
  sampleCount: number;
  malformed: { count: number; firstLine?: number };
}

const METRIC_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'gaugehistogram', 'stateset', 'info']);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)inf(?:inity)?$/i;
const NOT_A_NUMBER = /^[+-]?nan$/i;

/**
 * A sample value as Prometheus writes it (Go's ParseFloat forms: decimals, `NaN`, `+Inf`, `-Inf`),
 * or undefined. Stricter than Number(), which would read `""` and `0x10` as numbers.
 */
export function parseSampleValue(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const inf = INFINITE.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (NOT_A_NUMBER.test(text)) return NaN;
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { byName: new Map(), types: new Map(), help: new Map(), sampleCount: 0, malformed: { count: 0 } };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let lineNo = 0;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    lineNo++;
    const line = body.slice(start, end > start && body[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (line.trim() === '') continue;
    const ok = line.trimStart().startsWith('#') ? readComment(line, out) : readSample(line, out);
    if (!ok) {
      out.malformed.count++;
      out.malformed.firstLine ??= lineNo;
    }
  }
  return out;
}

/** HELP and TYPE are kept; any other comment is ignored. False only for a HELP/TYPE it cannot read. */
function readComment(line: string, out: Exposition): boolean {
  const m = /^\s*#\s*(HELP|TYPE)\s+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return !/^\s*#\s*(HELP|TYPE)\b/.test(line);
  const name = m[2]!;
  const rest = m[3] ?? '';
  if (m[1] === 'TYPE') {
    const type = rest.trim().toLowerCase();
    if (!METRIC_TYPES.has(type)) return false;
    out.types.set(name, type);
    return true;
  }
  out.help.set(name, unescapeHelp(rest));
  return true;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** A cursor over one line; every reader returns undefined on anything unexpected. */
class Line {
  i = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.i >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.i];
  }
  skipBlanks(): number {
    const from = this.i;
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.i++;
    return this.i - from;
  }
  /** The run of characters a sticky pattern (`/[…]+/y`) matches here. */
  word(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.i;
    const m = pattern.exec(this.text);
    if (!m) return undefined;
    this.i = pattern.lastIndex;
    return m[0];
  }
  token(): string | undefined {
    return this.word(TOKEN);
  }
  /** A double-quoted string with the format's escapes (\\, \", \n); other escapes stay as written. */
  quoted(): string | undefined {
    if (this.text[this.i] !== '"') return undefined;
    const close = this.text.indexOf('"', this.i + 1);
    const escape = this.text.indexOf('\\', this.i + 1);
    if (close !== -1 && (escape === -1 || escape > close)) {
      // The common case, no escapes: one slice.
      const value = this.text.slice(this.i + 1, close);
      this.i = close + 1;
      return value;
    }
    this.i++;
    let value = '';
    while (this.i < this.text.length) {
      const c = this.text[this.i++]!;
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const next = this.text[this.i++];
      if (next === undefined) return undefined;
      value += next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next}`;
    }
    return undefined;
  }
}

const NAME_CHARS = /[a-zA-Z0-9_:]+/y;
const LABEL_CHARS = /[a-zA-Z0-9_]+/y;
const TOKEN = /[^ \t]+/y;

function readSample(text: string, out: Exposition): boolean {
  const line = new Line(text);
  line.skipBlanks();
  let name = line.peek() === '{' ? undefined : line.word(NAME_CHARS);
  if (name !== undefined && !METRIC_NAME.test(name)) return false;
  const blanksAfterName = line.skipBlanks();
  const labels: Labels = {};
  if (line.peek() === '{') {
    const read = readLabels(line, labels, name === undefined);
    if (read === false) return false;
    if (typeof read === 'string') name = read;
    line.skipBlanks();
  } else if (blanksAfterName === 0) {
    return false;
  }
  if (name === undefined) return false;
  const value = parseSampleValue(line.token() ?? '');
  if (value === undefined) return false;
  line.skipBlanks();
  let timestamp: number | undefined;
  if (!line.done && line.peek() !== '#') {
    timestamp = parseTimestamp(line.token()!);
    if (timestamp === undefined) return false;
    line.skipBlanks();
  }
  // Anything left must be an OpenMetrics exemplar (`# {trace_id="…"} 1.0`), which we do not use.
  if (!line.done && line.peek() !== '#') return false;

  const sample: ExpositionSample = timestamp === undefined ? { name, labels, value } : { name, labels, value, timestamp };
  const list = out.byName.get(name);
  if (list) list.push(sample);
  else out.byName.set(name, [sample]);
  out.sampleCount++;
  return true;
}

/**
 * `{a="1",b="2"}` into labels. With `nameAllowed`, a bare quoted string is the metric name (the
 * UTF-8 form `{"my.metric", a="1"}`); it is returned. False when the set cannot be read.
 */
function readLabels(line: Line, labels: Labels, nameAllowed: boolean): string | true | false {
  line.i++;
  let name: string | undefined;
  for (;;) {
    line.skipBlanks();
    if (line.peek() === '}') {
      line.i++;
      return name ?? true;
    }
    const quotedKey = line.peek() === '"';
    const key = quotedKey ? line.quoted() : line.word(LABEL_CHARS);
    if (key === undefined) return false;
    line.skipBlanks();
    if (line.peek() !== '=') {
      if (!quotedKey || !nameAllowed || name !== undefined || Object.keys(labels).length > 0 || key === '') return false;
      name = key;
    } else {
      line.i++;
      if (!quotedKey && !LABEL_NAME.test(key)) return false;
      line.skipBlanks();
      const value = line.quoted();
      if (value === undefined || Object.hasOwn(labels, key)) return false;
      labels[key] = value;
    }
    line.skipBlanks();
    if (line.peek() === ',') line.i++;
    else if (line.peek() !== '}') return false;
  }
}

/** Integer milliseconds (the text format), or seconds with a fraction (OpenMetrics). */
function parseTimestamp(text: string): number | undefined {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (DECIMAL.test(text)) return Math.round(Number(text) * 1_000);
  return undefined;
}
