// The attach stream over HTTP, for consoles on other hosts (`rollcall watch --agent http://host:port`),
// on the agent's --listen address beside /metrics: `GET /attach/<rollout>` answers the newline-
// delimited JSON the unix socket serves (socket.ts: a hello, the view with its series, then each
// judgement and event) for as long as the console reads it; `POST /attach/<rollout>/poll` asks for
// a poll now (the `r` key). Every agent serves it, the standby too: it judges like the leader.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { feed, helloFor, MAX_LINE_BYTES, type Served } from './socket.js';

const ROUTE = /^\/attach\/([^/]+)(\/poll)?$/;

/** Answers the request if it is an attach route (true), else leaves it to the caller (false). */
export function serveAttach(req: IncomingMessage, res: ServerResponse, find: (rollout: string) => Served | undefined, startedAt: number): boolean {
  const match = ROUTE.exec((req.url ?? '/').split('?')[0]!);
  if (!match) return false;
  let name: string;
  try {
    name = decodeURIComponent(match[1]!);
  } catch {
    name = '';
  }
  const served = find(name);
  if (!served) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`no rollout ${JSON.stringify(name.slice(0, 100))} on this agent\n`);
    return true;
  }
  const poll = match[2] !== undefined;
  if (req.method !== (poll ? 'POST' : 'GET')) {
    res.writeHead(405, { allow: poll ? 'POST' : 'GET' }).end();
    return true;
  }
  if (poll) {
    served.pollNow();
    res.writeHead(204).end();
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  // A console that does not read is dropped rather than let the agent's memory grow.
  const end = feed(served, helloFor(served.profile, startedAt), (line) => res.writableLength <= MAX_LINE_BYTES && (res.write(line), true), () => res.destroy());
  res.on('close', end);
  return true;
}
