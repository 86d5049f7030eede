// A real HTTP server on 127.0.0.1 and a free port, for tests of anything that speaks HTTP.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface TestHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestHttpServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive clients would hold close() open until they time out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export interface Sink extends TestHttpServer {
  /** Every request so far, in order: its path and its JSON body. */
  received: { path: string; body: Record<string, unknown> }[];
}

/** A webhook sink on loopback that keeps every JSON body it receives and answers `ok`. */
export async function startSink(): Promise<Sink> {
  const received: Sink['received'] = [];
  const server = await startHttp((req, res) => {
    void readBody(req).then((raw) => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> });
      res.end('ok');
    });
  });
  return { ...server, received };
}

/**
 * A sink for the calling test file: started before its tests, emptied before each, closed after.
 * Read `url` and `received` inside tests (the server starts in beforeAll).
 */
export function sinkForTests(): { readonly url: string; readonly received: Sink['received'] } {
  let sink: Sink | undefined;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink?.close();
  });
  beforeEach(() => {
    if (sink) sink.received.length = 0;
  });
  return {
    get url() {
      return sink!.url;
    },
    get received() {
      return sink!.received;
    },
  };
}
