// Secrets never leave in text: every message, log line, audit entry and notification that could
// carry one goes through redact() with the profile's secrets. Which values are secrets is decided
// here too, from variable names and from where a value sits in the profile.

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|AUTH|CREDENTIAL|DSN|WEBHOOK|COOKIE|SESSION|BEARER/i;

/** Shorter values would blank out ordinary words; credentials are never this short. */
const MIN_SECRET_LENGTH = 3;

const MASK = '***';

/** Whether a variable, header or env name looks like it holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `text` with every occurrence of every secret replaced by `***`, longest secrets first. */
export function redact(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  const ordered = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/**
 * Credentials written into a profile (before or after interpolation): `auth.bearer`,
 * `auth.basic.password`, token-ish header and env values, passwords and token-ish query
 * parameters in URLs, and Slack webhook URLs, which are credentials in themselves. Every form in
 * which we send one is a secret too, since a server may echo its request back in an error: the
 * `Bearer …` and `Basic …` header values, the raw `user:pass` and its base64.
 */
export function secretsIn(data: unknown): string[] {
  const found = new Set<string>();
  walk(data, undefined, found);
  return [...found].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

function walk(value: unknown, key: string | undefined, found: Set<string>): void {
  if (typeof value === 'string') {
    for (const secret of urlSecrets(value)) found.add(secret);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, undefined, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (key === 'headers' || key === 'env') {
    for (const [name, v] of Object.entries(record)) {
      if (typeof v === 'string' && isSecretName(name)) addCredential(v, found);
    }
  }
  if (key === 'auth') {
    if (typeof record.bearer === 'string') {
      found.add(record.bearer);
      found.add(`Bearer ${record.bearer}`);
    }
    const basic = record.basic as Record<string, unknown> | undefined;
    if (basic && typeof basic.password === 'string') {
      found.add(basic.password);
      if (typeof basic.username === 'string' && basic.password !== '') addBasic(basic.username, basic.password, found);
    }
  }
  if (record.type === 'slack' && typeof record.url === 'string') found.add(record.url);
  if (record.type === 'pagerduty' && typeof record.routingKey === 'string') found.add(record.routingKey);
  for (const [k, v] of Object.entries(record)) walk(v, k, found);
}

/**
 * A header value such as `Bearer abc`: the whole value and the credential after the scheme; for
 * `Basic`, also what the base64 stands for (`user:pass`) and the password in it.
 */
function addCredential(value: string, found: Set<string>): void {
  found.add(value);
  const scheme = /^\s*(\S+)\s+(\S.*)$/.exec(value);
  if (!scheme) return;
  const credential = scheme[2]!.trim();
  found.add(credential);
  if (scheme[1]!.toLowerCase() !== 'basic') return;
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon > 0 && Buffer.from(decoded, 'utf8').toString('base64') === credential) addBasic(decoded.slice(0, colon), decoded.slice(colon + 1), found);
}

/** Basic auth as sent: `user:pass`, its base64 (with and without padding) and the header value. */
function addBasic(username: string, password: string, found: Set<string>): void {
  if (password !== '') found.add(password);
  const pair = `${username}:${password}`;
  const encoded = Buffer.from(pair, 'utf8').toString('base64');
  found.add(pair);
  found.add(encoded);
  found.add(encoded.replace(/=+$/, ''));
  found.add(`Basic ${encoded}`);
}

function urlSecrets(text: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const secrets: string[] = [];
  if (url.password) {
    secrets.push(url.password);
    const decoded = safeDecode(url.password);
    if (decoded !== url.password) secrets.push(decoded);
    // The userinfo is sent as basic auth, base64-encoded: that form can come back in an echo. (The
    // plain `user:pass` is the URL's own text, where masking the password is enough.)
    const found = new Set<string>();
    addBasic(safeDecode(url.username), decoded, found);
    const pair = `${safeDecode(url.username)}:${decoded}`;
    secrets.push(...[...found].filter((secret) => secret !== pair));
  }
  for (const [name, v] of url.searchParams) {
    if (v && isSecretName(name)) {
      secrets.push(v);
      const raw = encodeURIComponent(v);
      if (raw !== v) secrets.push(raw);
    }
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
