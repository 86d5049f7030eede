// What counts as a secret, and that redact() leaves none behind.

import { describe, expect, it } from 'vitest';
import { isSecretName, redact, secretsIn } from '../../src/profile/redact.js';
import { parseProfile } from '../../src/profile/load.js';

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('token tok-123 sent twice: tok-123', ['tok-123'])).toBe('token *** sent twice: ***');
  });

  it('replaces a longer secret before a shorter one inside it', () => {
    expect(redact('Authorization: Bearer abc-secret', ['abc-secret', 'Bearer abc-secret'])).toBe('Authorization: ***');
  });

  it('leaves ordinary text alone when a "secret" is too short to be one', () => {
    expect(redact('a b c', ['a', 'b'])).toBe('a b c');
  });

  it('returns the text unchanged when there are no secrets', () => {
    expect(redact('nothing to hide', [])).toBe('nothing to hide');
  });
});

describe('isSecretName', () => {
  it('recognises credential-looking names in any case', () => {
    for (const name of ['PROM_TOKEN', 'DB_PASSWORD', 'api_key', 'SLACK_WEBHOOK_URL', 'Authorization', 'X-Api-Key', 'SENTRY_DSN', 'Cookie', 'SESSION_ID', 'PASSWD', 'AWS_SECRET_ACCESS_KEY', 'GCP_CREDENTIALS']) {
      expect(isSecretName(name), name).toBe(true);
    }
  });

  it('does not flag ordinary names', () => {
    for (const name of ['PROMETHEUS_URL', 'REGION', 'Accept', 'CANARY_SHARE']) expect(isSecretName(name), name).toBe(false);
  });
});

describe('secretsIn', () => {
  it('finds credentials by where they sit in a profile', () => {
    const found = secretsIn({
      sources: {
        a: { type: 'http', url: 'http://u:pa%40ss@127.0.0.1/?token=t-1234&page=2', headers: { 'X-Api-Key': 'key-5678', Accept: 'application/json' } },
        b: { type: 'http', url: 'http://127.0.0.1', auth: { bearer: 'bearer-9999' } },
        c: { type: 'exec', run: ['x'], env: { API_TOKEN: 'env-token-1', MODE: 'fast' } },
      },
      notify: [{ type: 'slack', url: 'http://127.0.0.1/hooks/abc' }, { type: 'webhook', url: 'http://127.0.0.1/plain' }],
    });
    const basic = Buffer.from('u:pa@ss').toString('base64');
    expect(found.sort()).toEqual(
      ['bearer-9999', 'Bearer bearer-9999', 'env-token-1', 'http://127.0.0.1/hooks/abc', 'key-5678', 'pa%40ss', 'pa@ss', basic, basic.replace(/=+$/, ''), `Basic ${basic}`, 't-1234'].sort(),
    );
  });

  it('keeps every form basic auth is sent in: the password, user:pass, its base64 and the header value', () => {
    const encoded = Buffer.from('admin:s3cr3t-pw').toString('base64');
    const found = secretsIn({ sources: { a: { type: 'prometheus', url: 'http://127.0.0.1', auth: { basic: { username: 'admin', password: 's3cr3t-pw' } } } } });
    expect(found).toEqual(expect.arrayContaining(['s3cr3t-pw', 'admin:s3cr3t-pw', encoded, `Basic ${encoded}`]));
    expect(redact(`401: got "Authorization: Basic ${encoded}" for admin:s3cr3t-pw`, found)).toBe('401: got "Authorization: ***" for ***');
  });

  it('keeps a bearer token with its scheme, and a Basic header\'s decoded pair', () => {
    expect(secretsIn({ auth: { bearer: 'tok-abc' } }).sort()).toEqual(['Bearer tok-abc', 'tok-abc']);
    const header = `Basic ${Buffer.from('svc:hunter22').toString('base64')}`;
    expect(secretsIn({ headers: { Authorization: header } })).toEqual(expect.arrayContaining([header, 'svc:hunter22', 'hunter22']));
  });

  it('keeps URL userinfo as it is sent, as basic auth', () => {
    const found = secretsIn({ url: 'http://ops:pa%40ss@127.0.0.1:9090' });
    expect(found).toEqual(expect.arrayContaining(['pa%40ss', 'pa@ss', Buffer.from('ops:pa@ss').toString('base64')]));
    expect(redact('GET http://ops:pa%40ss@127.0.0.1:9090 failed', found)).toBe('GET http://ops:***@127.0.0.1:9090 failed');
  });

  it('keeps a header credential both whole and without its scheme', () => {
    expect(secretsIn({ headers: { Authorization: 'Bearer abc-123' } }).sort()).toEqual(['Bearer abc-123', 'abc-123']);
  });
});

describe('the shared rollout state URL', () => {
  it('is a secret wherever its password appears, as a source URL is', () => {
    const loaded = parseProfile(
      `name: checkout
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics: { error_rate: { source: prom, query: q, unit: ratio } }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}" }
`,
      'p.yaml',
      { env: { ROLLOUT_STATE_DATABASE_URL: 'postgres://rollcall:s3cret%2Fpw@db:5432/rollouts?sslpassword=ssl-key-pw' } },
    ).profile;
    expect(loaded.secrets).toEqual(expect.arrayContaining(['s3cret%2Fpw', 's3cret/pw', 'ssl-key-pw']));
    expect(redact(`connect to ${loaded.state!.url} failed`, loaded.secrets)).toBe('connect to postgres://rollcall:***@db:5432/rollouts?sslpassword=*** failed');
  });
});
