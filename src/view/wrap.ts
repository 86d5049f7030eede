// A command line wrapped to the screen: before typing `yes` the operator must see every argument,
// so a long argv is folded over several lines, never cut. Arguments are shown as a shell would
// need them quoted, so `a b` as one argument reads apart from `a` `b` as two.

import { displayWidth } from '../util/width.js';

/** One argument as the operator would type it in a shell. */
export function shellWord(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./{}-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * `argv` as lines of at most `width` columns, breaking between arguments where it can and inside
 * one only when it is longer than a line. Control characters are shown as spaces, as everywhere
 * else on screen.
 */
export function wrapArgv(argv: readonly string[], width: number): string[] {
  const room = Math.max(8, width);
  const lines: string[] = [];
  let line = '';
  for (const word of argv.map((a) => shellWord(a).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '))) {
    const joined = line === '' ? word : `${line} ${word}`;
    if (displayWidth(joined) <= room) {
      line = joined;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    // A word longer than a line is cut into pieces that each fill one.
    for (const ch of word) {
      if (displayWidth(line + ch) > room) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}
