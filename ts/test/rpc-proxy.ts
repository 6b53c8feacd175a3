// A JSON-RPC proxy in front of anvil that behaves like a public provider: `eth_getLogs` refused above a block range
// or a result count, a failed request every N calls (HTTP 503, like a rate limit), and a node that lags the head
// (its `eth_getLogs` silently stops `lagBlocks` short of the head that `eth_blockNumber` reports, as a load-balanced
// provider does when the node answering the logs is behind). Started on a free loopback port by the test that needs
// it, closed by that test.
import { createServer, type Server } from 'node:http';
import { freePort } from '../lib/anvil.js';

export interface Limits {
  maxRange?: number;
  maxResults?: number;
  failEvery?: number;
  lagBlocks?: number;
  /** Methods refused outright while set (e.g. a provider that stopped serving `eth_getLogs`). */
  refuse?: Set<string>;
  /** Refuse `eth_getLogs` once this many have been answered. */
  logsBudget?: number;
  /**
   * A pruned full node: `eth_call` at a block more than this many below the head fails with geth's answer for state
   * it no longer keeps (error -32000 "missing trie node <root> (path )"), as geth does beyond 128 blocks.
   */
  stateDepth?: number;
  /** Overwrites `eth_getLogs` results (a provider that serves damaged logs). */
  rewriteLogs?: (logs: Record<string, unknown>[]) => Record<string, unknown>[];
}

export interface Proxy {
  url: string;
  limits: Limits;
  counts: { calls: number; logs: number; injected: number; rangeRefused: number; resultRefused: number; lagged: number; pruned: number };
  stop: () => Promise<void>;
}

type Req = { id: unknown; method: string; params?: unknown[] };

export async function startProxy(upstream: string, limits: Limits = {}): Promise<Proxy> {
  const counts = { calls: 0, logs: 0, injected: 0, rangeRefused: 0, resultRefused: 0, lagged: 0, pruned: 0 };
  const forward = async (body: unknown) => {
    const res = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };
  const head = async () => BigInt((await forward({ jsonrpc: '2.0', id: 0, method: 'eth_blockNumber', params: [] })).result);
  const error = (id: unknown, code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } });

  const handle = async (req: Req): Promise<unknown> => {
    if (limits.refuse?.has(req.method)) return error(req.id, -32601, `${req.method} is not available on this plan`);
    if (req.method === 'eth_call' && limits.stateDepth !== undefined) {
      const tag = req.params?.[1];
      if (typeof tag === 'string' && tag.startsWith('0x') && BigInt(tag) + BigInt(limits.stateDepth) < (await head())) {
        counts.pruned++;
        return error(req.id, -32000, `missing trie node ${'5e'.repeat(32)} (path )`);
      }
    }
    if (req.method !== 'eth_getLogs') return forward(req);
    if (limits.logsBudget !== undefined && counts.logs >= limits.logsBudget) return error(req.id, -32603, 'eth_getLogs: daily request budget used up');
    counts.logs++;
    const filter = { ...(req.params?.[0] as Record<string, unknown>) };
    const tip = await head();
    const num = (v: unknown) => (v === undefined || v === 'latest' || v === 'pending' ? tip : v === 'earliest' ? 0n : BigInt(v as string));
    const from = num(filter.fromBlock);
    let to = num(filter.toBlock);
    if (limits.maxRange !== undefined && to - from + 1n > BigInt(limits.maxRange)) {
      counts.rangeRefused++;
      return error(req.id, -32602, `eth_getLogs is limited to a ${limits.maxRange} block range`);
    }
    if (limits.lagBlocks) {
      const reach = tip - BigInt(limits.lagBlocks);
      if (to > reach) {
        counts.lagged++;
        to = reach;
      }
      if (to < from) return { jsonrpc: '2.0', id: req.id, result: [] };
      filter.toBlock = `0x${to.toString(16)}`;
    }
    const res = await forward({ ...req, params: [filter] });
    if (limits.rewriteLogs && Array.isArray(res.result)) res.result = limits.rewriteLogs(res.result);
    if (limits.maxResults !== undefined && Array.isArray(res.result) && res.result.length > limits.maxResults) {
      counts.resultRefused++;
      return error(req.id, -32005, `query returned more than ${limits.maxResults} results`);
    }
    return res;
  };

  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (d) => (text += d));
    request.on('end', async () => {
      counts.calls++;
      if (limits.failEvery && counts.calls % limits.failEvery === 0) {
        counts.injected++;
        response.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable (injected)');
        return;
      }
      try {
        const body = JSON.parse(text);
        const out = Array.isArray(body) ? await Promise.all(body.map(handle)) : await handle(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (e) {
        response.writeHead(502, { 'content-type': 'text/plain' }).end(String(e));
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${port}`,
    limits,
    counts,
    stop: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
