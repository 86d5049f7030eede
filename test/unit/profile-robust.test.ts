// Whatever the text, the loader answers with a profile or with located errors: never an
// exception, never an issue without a position.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProfileText } from '../../src/profile/load.js';

const FIXTURE = readFileSync('test/fixtures/profiles/checkout.yaml', 'utf8');

/** The fixture with a few characters deleted, replaced or inserted: the typos of a tired operator. */
const typo = fc
  .array(
    fc.record({
      at: fc.nat({ max: FIXTURE.length - 1 }),
      remove: fc.nat({ max: 4 }),
      insert: fc.constantFrom('', ' ', '\n', ':', '-', '"', "'", '{', '}', '[', ']', '#', '&a', '*a', '${X}', '\t', 'x', '0', '%'),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((edits) => edits.reduce((text, e) => text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove), FIXTURE));

describe('the loader under mangled input', () => {
  it('returns a profile or located errors for any typo in a valid profile', () => {
    fc.assert(
      fc.property(typo, (text) => {
        const { profile, issues } = checkProfileText(text, 'p.yaml', { env: {} });
        const errors = issues.filter((i) => i.severity === 'error');
        expect(profile === undefined).toBe(errors.length > 0);
        for (const issue of issues) {
          expect(issue.line).toBeGreaterThanOrEqual(1);
          expect(issue.col).toBeGreaterThanOrEqual(1);
          expect(issue.message).not.toContain('\n');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('answers arbitrary text without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const { profile, issues } = checkProfileText(text, 'p.yaml', { env: {} });
        expect(profile === undefined).toBe(issues.some((i) => i.severity === 'error'));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    const { issues } = checkProfileText(bomb, 'bomb.yaml', { env: {} });
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/^the YAML cannot be read: .*alias/i)]);
  });
});
