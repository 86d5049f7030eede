// `${VAR}` in profiles, and the secrets they carry: resolved before validation, reported where
// they are written, and never shown back in any message.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';

const FILE = 'env.yaml';

function profile(source: string, extra = ''): string {
  return `name: env-test
sources:
${source}
metrics:
  up: { source: prom, query: "up" }
phases:
  - { name: canary, traffic: 10 }
${extra}`;
}

/** `FILE:line:col` of the character `shift` after the start of `needle` in `text`. */
function position(text: string, needle: string, shift = 0): string {
  const before = text.slice(0, text.indexOf(needle) + shift).split('\n');
  return `${FILE}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('interpolation', () => {
  it('substitutes a variable from the environment', () => {
    const text = profile('  prom: { type: prometheus, url: "${PROMETHEUS_URL}" }');
    const { profile: p } = parseProfile(text, FILE, { env: { PROMETHEUS_URL: 'http://127.0.0.1:9090' } });
    expect(p.sources.prom).toMatchObject({ url: 'http://127.0.0.1:9090' });
  });

  it('uses the default when the variable is unset or empty', () => {
    const text = profile('  prom: { type: prometheus, url: "${PROMETHEUS_URL:-http://127.0.0.1:9090}/" }');
    expect(parseProfile(text, FILE, { env: {} }).profile.sources.prom).toMatchObject({ url: 'http://127.0.0.1:9090/' });
    expect(parseProfile(text, FILE, { env: { PROMETHEUS_URL: '' } }).profile.sources.prom).toMatchObject({ url: 'http://127.0.0.1:9090/' });
  });

  it('writes a literal ${ for $${', () => {
    const text = profile('  prom: { type: prometheus, url: "http://127.0.0.1:9090" }', 'title: "costs $${AMOUNT} and ${WHO}"\n');
    expect(parseProfile(text, FILE, { env: { WHO: 'alice' } }).profile.title).toBe('costs ${AMOUNT} and alice');
  });

  it('reads an unquoted variable that holds a number as the number', () => {
    const text = `name: env-test\nsources: {}\nmetrics: {}\nphases:\n  - name: canary\n    traffic: \${CANARY_SHARE}\n`;
    expect(parseProfile(text, FILE, { env: { CANARY_SHARE: '5' } }).profile.phases[0]!.traffic).toBe(5);
  });

  it('reports a missing variable as an error naming it, at the reference', () => {
    const text = profile('  prom: { type: prometheus, url: "http://${PROM_HOST}:9090" }');
    const { issues, profile: p } = checkProfileText(text, FILE, { env: {} });
    expect(p).toBeUndefined();
    expect(issues.map(formatIssue)).toEqual([
      `${position(text, '${PROM_HOST}')}: sources.prom.url: environment variable PROM_HOST is not set; set it, or write \${PROM_HOST:-default}`,
    ]);
  });

  it('reports a missing variable together with the profile\'s other mistakes', () => {
    const text = profile('  prom: { type: prometheus, url: "http://${PROM_HOST}:9090" }', 'rules:\n  - { metric: upp, warn: "> 1" }\n');
    expect(checkProfileText(text, FILE, { env: {} }).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'sources.prom.url: environment variable PROM_HOST is not set; set it, or write ${PROM_HOST:-default}',
      'rules[0].metric: unknown metric "upp" (did you mean "up"?); metrics: up',
    ]);
  });

  it('reports a missing variable as a warning in lenient mode, and still loads', () => {
    const text = profile('  prom: { type: prometheus, url: "${PROMETHEUS_URL}", headers: { Authorization: "Bearer ${PROM_TOKEN}" } }');
    const { issues, profile: p } = checkProfileText(text, FILE, { env: {}, envMode: 'lenient' });
    expect(p).toBeDefined();
    expect(issues.map(formatIssue)).toEqual([
      `${position(text, '${PROMETHEUS_URL}')}: sources.prom.url: warning: environment variable PROMETHEUS_URL is not set`,
      `${position(text, '${PROM_TOKEN}')}: sources.prom.headers.Authorization: warning: environment variable PROM_TOKEN is not set`,
    ]);
  });

  it('reports a missing variable once, where it is first used, with how often it is used', () => {
    const text = profile('  prom: { type: prometheus, url: "http://${PROM_HOST}:9090" }', 'title: "${PROM_HOST} and ${PROM_HOST}"\ndescription: "${PROM_HOST}"\n');
    expect(checkProfileText(text, FILE, { env: {}, envMode: 'lenient' }).issues.map(formatIssue)).toEqual([
      `${position(text, '${PROM_HOST}')}: sources.prom.url: warning: environment variable PROM_HOST is not set (also used in 3 more places)`,
    ]);
  });

  it('reports a reference that is not closed', () => {
    const text = profile('  prom: { type: prometheus, url: "http://${PROM_HOST:9090" }');
    expect(checkProfileText(text, FILE, { env: {} }).issues.map((i) => i.message)).toEqual([
      '"${PROM_HOST:9090" is not closed: write ${NAME} or ${NAME:-default} (and $${ for a literal ${)',
    ]);
  });

  it('does not read variables in comments', () => {
    const text = `# uses \${NOT_A_VARIABLE}\n${profile('  prom: { type: prometheus, url: "http://127.0.0.1:9090" }')}`;
    expect(checkProfileText(text, FILE, { env: {} }).issues).toEqual([]);
  });
});

describe('secrets', () => {
  const env = {
    PROM_TOKEN: 'tok-4f9a1c22e7',
    DB_PASSWORD: 'p@ss-8812',
    SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hooks/T000/B000/abcdefgh',
    PROMETHEUS_URL: 'http://127.0.0.1:9090',
  };

  it('collects values of secret-looking variables, credentials and URL passwords', () => {
    const text = `name: secrets
sources:
  prom: { type: prometheus, url: "\${PROMETHEUS_URL}", headers: { Authorization: "Bearer \${PROM_TOKEN}" } }
  web: { type: http, url: "http://127.0.0.1:8080/?api_key=k-77123", auth: { basic: { username: ops, password: "basic-pw-1" } } }
  other: { type: http, url: "http://127.0.0.1:8081", auth: { bearer: "bearer-xyz-9" } }
  db: { type: postgres, url: "postgres://rollcall:\${DB_PASSWORD}@127.0.0.1:5432/telemetry" }
metrics:
  up: { source: prom, query: "up" }
phases:
  - { name: canary, traffic: 10 }
notify:
  - { type: slack, url: "\${SLACK_WEBHOOK_URL}" }
`;
    const { profile: p } = parseProfile(text, FILE, { env });
    expect(p.secrets).toEqual(
      expect.arrayContaining([
        'tok-4f9a1c22e7',
        'Bearer tok-4f9a1c22e7',
        'p@ss-8812',
        env.SLACK_WEBHOOK_URL,
        'k-77123',
        'basic-pw-1',
        'bearer-xyz-9',
      ]),
    );
    expect(p.secrets).not.toContain('http://127.0.0.1:9090');
  });

  it('never prints a secret in an error message', () => {
    // The token lands (quoted, so a string) where a number belongs; the message must not show it.
    const text = `name: secrets
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090", auth: { bearer: "\${PROM_TOKEN}" } }
metrics:
  up: { source: prom, query: "up", title: "\${PROM_TOKEN}" }
phases:
  - { name: canary, traffic: 10 }
  - { name: later, traffic: "\${PROM_TOKEN}" }
`;
    const { issues } = checkProfileText(text, FILE, { env });
    expect(issues).toHaveLength(1);
    expect(formatIssue(issues[0]!)).toBe(`${position(text, 'traffic: "${PROM_TOKEN}', 'traffic: '.length)}: phases[1].traffic: expected a number, found "***"`);
  });

  it('never prints a URL password in a message about the URL', () => {
    const text = profile('  prom: { type: prometheus, url: "ftp://admin:${DB_PASSWORD}@127.0.0.1/" }');
    const [issue] = checkProfileText(text, FILE, { env }).issues;
    expect(issue!.message).toBe('"ftp://admin:***@127.0.0.1/" is not a http or https URL; expected something like http://host:9090');
  });
});

describe('loading for check and report (envMode sources)', () => {
  const text = profile(
    '  prom: { type: prometheus, url: "${PROMETHEUS_URL}" }',
    'actions:\n  rollback: { run: [flagctl, "${FLAG_TOKEN}"] }\nnotify:\n  - { type: webhook, url: "${HOOK_URL}" }\n',
  );

  it('leaves an action’s and a notifier’s unset variables for later, listing them per part', () => {
    const { profile: p } = parseProfile(text, FILE, { env: { PROMETHEUS_URL: 'http://127.0.0.1:9090' }, envMode: 'sources' });
    expect(p.unresolved).toEqual({ 'actions.rollback': ['FLAG_TOKEN'], 'notify.0': ['HOOK_URL'] });
  });

  it('still requires a source’s variable', () => {
    const issues = checkProfileText(text, FILE, { env: {}, envMode: 'sources' }).issues.map(formatIssue);
    expect(issues).toEqual([expect.stringMatching(/: sources\.prom\.url: environment variable PROMETHEUS_URL is not set/)]);
  });

  it('requires every variable when loading for the console', () => {
    const issues = checkProfileText(text, FILE, { env: { PROMETHEUS_URL: 'http://127.0.0.1:9090' } }).issues.map(formatIssue);
    expect(issues).toHaveLength(2);
    expect(issues.join('\n')).toMatch(/FLAG_TOKEN[\s\S]*HOOK_URL/);
  });
});
