// The README is the first thing a user copies from: its profile walk-through must load.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/profile/load.js';
import { ROOT } from '../support/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it('leads with the command that runs the console and the command that runs the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm start/m);
    expect(firstBlock).toMatch(/^npm test/m);
  });

  it('walks through a profile that loads without errors or warnings', () => {
    const walkthrough = /```yaml\n(name: checkout-v2[\s\S]*?)```/.exec(readme)?.[1];
    expect(walkthrough).toBeDefined();
    const { profile, warnings } = parseProfile(walkthrough!, 'README.md', { env: {}, envMode: 'required' });
    expect(warnings).toEqual([]);
    expect(profile.phases.map((p) => p.name)).toEqual(['canary', 'ramp-50', 'full']);
    expect(profile.metrics.median_latency?.baseline).toEqual({ kind: 'select', labels: { model_path: 'legacy' } });
  });
});
