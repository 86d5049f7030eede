// node:http and node:https through require(), never an ES import. An ES import of a built-in
// builds its namespace from every export, and node:http's lazy ones (WebSocket, MessageEvent …)
// then load Node's own undici, http2, tls, zlib and web streams: 17 MiB of memory (measured, Node
// 24) for a process that asks one stats endpoint and serves /metrics, against 4 MiB through require.

import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';

// Not `require`: the bundle's banner declares that name at the top of every chunk.
const requireBuiltin = createRequire(import.meta.url);

export function nodeHttp(): typeof Http {
  return requireBuiltin('node:http') as typeof Http;
}

export function nodeHttps(): typeof Https {
  return requireBuiltin('node:https') as typeof Https;
}
