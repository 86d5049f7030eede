// node:http and node:https through require(), never an ES import. An ES import of a built-in
// builds its namespace from every export, and node:http's lazy ones (WebSocket, MessageEvent …)
// then load Node's own undici, http2, tls, zlib and web streams: 17 MiB of memory (measured, Node
// 24) for a process that asks one stats endpoint and serves /metrics, against 4 MiB through require.

import { createRequire } from 'node:module';

// Not `require`: the bundle's banner declares that name at the top of every chunk.
const requireBuiltin = createRequire(import.meta.url);

export function nodeHttp(): typeof import('node:http') {
  return requireBuiltin('node:http') as typeof import('node:http');
}

export function nodeHttps(): typeof import('node:https') {
  return requireBuiltin('node:https') as typeof import('node:https');
}
