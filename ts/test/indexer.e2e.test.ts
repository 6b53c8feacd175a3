// The indexer under failure, on anvil with real Seaport and a real redis-server: a process killed mid-stream and
// restarted loses and duplicates nothing; Redis killed and restarted mid-run; a reorg (anvil snapshot/revert) rolls
// back the sales it removed; an RPC that fails requests and refuses large ranges is retried; bad input is one line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEther, type Address } from 'viem';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { connect, type Chain } from '../lib/chain.js';
import { openKv, type Kv } from '../lib/kv.js';
import { startRedis, type RedisServer } from '../lib/redis.js';
import * as sp from '../lib/seaport.js';
import { Indexer, type IndexerOptions } from '../indexer/indexer.js';
import { KEYS, readCursor, salesAfter } from '../indexer/store.js';
import { startProxy } from './rpc-proxy.js';

let anvil: Anvil;
let redis: RedisServer;
let c: Chain;
let m: sp.Market;
let seller: Address, buyer: Address;
let nextId = 1n;

beforeAll(async () => {
  [anvil, redis] = await Promise.all([startAnvil(), startRedis()]);
  c = await connect(anvil.rpcUrl);
  m = await sp.deployMarket(c);
  [, seller, buyer] = c.accounts;
});
afterAll(async () => {
  await Promise.all([anvil?.stop(), redis?.stop()]);
});

/** `n` ERC-721 sales in ETH, one per block; returns their transaction hashes. */
async function sell(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const nft: sp.Nft = { token: m.erc721, id: nextId++, amount: 1n, standard: 'erc721' };
    await sp.mintNft(c, seller, nft);
    const f = await sp.listAndFill(c, { seller, buyer, nft, price: parseEther('0.01') * nft.id, currency: sp.ZERO });
    out.push(f.receipt.transactionHash);
  }
  return out;
}

function options(kv: Kv, extra: Partial<IndexerOptions> = {}): IndexerOptions {
  return { rpcUrl: anvil.rpcUrl, kv, collections: [m.erc721, m.erc1155], asset: m.weth, fromBlock: 0n, confirmations: 0, progressMs: 0, log: () => {}, ...extra };
}

/** All stored sales' tx hashes in chain order, and a check that the three indexes agree and hold no duplicate. */
async function stored(kv: Kv): Promise<string[]> {
  const { sales } = await salesAfter(kv, 0, 100_000);
  const ids = sales.map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(await kv.zcard(KEYS.sales(m.erc721))).toBe(sales.length);
  return sales.map((s) => s.txHash);
}

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn('node_modules/.bin/tsx', ['ts/indexer/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', code: null as number | null, signal: null as string | null };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const done = new Promise<typeof out>((ok) => child.on('exit', (code, signal) => ok(Object.assign(out, { code, signal }))));
  return { child, out, done };
}

const until = async (what: () => Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('indexer under failure', () => {
  it('a process killed mid-stream and restarted loses and duplicates nothing', async () => {
    const txs = await sell(12);
    const prefix = 'restart:';
    const args = ['--rpc', anvil.rpcUrl, '--collections', `${m.erc721},${m.erc1155}`, '--asset', m.weth, '--from', '0', '--max-range', '2', '--poll-ms', '50'];
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: prefix };
    const kv = await openKv({ url: redis.url, prefix });
    const first = run(args, env);
    // Kill it (no chance to clean up) once it has stored some but not all of the sales.
    await until(async () => (await kv.zcard(KEYS.seq)) >= 3);
    first.child.kill('SIGKILL');
    await first.done;
    const mid = await stored(kv);
    expect(mid.length).toBeGreaterThanOrEqual(3);
    expect(mid.length).toBeLessThan(txs.length);
    const t0 = Date.now();
    const second = run([...args, '--once'], env);
    const r = await second.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/from the stored cursor \d+/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await stored(kv)).toEqual(txs);
    await kv.close();
  });

  it('keeps indexing through a Redis killed and restarted (append-only file), without loss or duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ix-redis-'));
    let r2 = await startRedis({ dir });
    const kv = await openKv({ url: r2.url, prefix: 'crash:' });
    try {
      const before = await sell(4);
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { maxRange: 1, pollMs: 20, backoffMs: 100, attempts: 12, log: (l) => lines.push(l) }));
      await ix.init();
      const following = ix.follow();
      await until(async () => (await kv.zcard(KEYS.seq).catch(() => 0)) >= 2);
      await r2.kill();
      const during = await sell(3); // sold while the store is down
      await new Promise((r) => setTimeout(r, 1_500)); // long enough for ioredis to fail the queued writes
      r2 = await startRedis({ port: r2.port, dir });
      const after = await sell(2);
      const all = [...before, ...during, ...after];
      const head = await c.pub.getBlockNumber({ cacheTime: 0 });
      await until(async () => ((await readCursor(kv).catch(() => null)) ?? -1n) >= head);
      ix.stop();
      await following;
      expect(lines.some((l) => /store (read|write) failed/.test(l)), lines.join('\n')).toBe(true);
      expect((await stored(kv)).slice(-all.length), lines.join('\n')).toEqual(all);
    } finally {
      await kv.close();
      await r2.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back the sales of blocks a reorg removed (anvil snapshot/revert) and indexes the new branch', async () => {
    const kv = await openKv({ url: redis.url, prefix: 'reorg:' });
    const kept = await sell(2);
    const snap = await c.test.snapshot();
    const orphaned = await sell(3);
    const lines: string[] = [];
    const ix = new Indexer(options(kv, { log: (l) => lines.push(l) }));
    await ix.init();
    await ix.runOnce();
    const base = await stored(kv);
    expect(base.slice(-5)).toEqual([...kept, ...orphaned]);
    await c.test.revert({ id: snap });
    nextId -= 3n; // the reverted mints never happened
    await c.test.mine({ blocks: 1 }); // a different block at the first orphaned height
    const replacement = await sell(1);
    await ix.runOnce();
    expect(ix.stats.reorgs).toBe(1);
    expect(ix.stats.rolledBack).toBe(3);
    expect(lines.some((l) => /reorg at block \d+: rolled back 3 sale/.test(l))).toBe(true);
    const now = await stored(kv);
    for (const tx of orphaned) expect(now).not.toContain(tx);
    expect(now).toEqual([...base.slice(0, -3), ...replacement]);
    // Every stored block hash is on the chain now.
    for (const [n, h] of Object.entries(await kv.hgetall(KEYS.blocks))) expect((await c.pub.getBlock({ blockNumber: BigInt(n) })).hash).toBe(h);
    await kv.close();
  });

  it('retries an RPC that fails requests and drops out, and shrinks a range the provider refuses', async () => {
    const txs = await sell(6);
    const proxy = await startProxy(anvil.rpcUrl, { failEvery: 4, maxRange: 3 });
    const kv = await openKv({ url: redis.url, prefix: 'flaky:' });
    try {
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { rpcUrl: proxy.url, maxRange: 64, backoffMs: 20, attempts: 30, log: (l) => lines.push(l) }));
      await ix.init();
      // The provider also stops answering eth_getLogs for a while.
      proxy.limits.refuse = new Set(['eth_getLogs']);
      setTimeout(() => (proxy.limits.refuse = undefined), 400);
      await ix.runOnce();
      expect(proxy.counts.injected).toBeGreaterThan(0);
      expect(proxy.counts.rangeRefused).toBeGreaterThan(0);
      expect(ix.stats.retries).toBeGreaterThan(0);
      expect(ix.stats.rangeShrinks).toBeGreaterThan(0);
      expect(lines.some((l) => /eth_getLogs failed .*retry \d+\/29 in \d+ ms/.test(l))).toBe(true);
      expect((await stored(kv)).slice(-txs.length)).toEqual(txs);
      expect(await readCursor(kv)).toBe(await c.pub.getBlockNumber({ cacheTime: 0 }));
    } finally {
      await kv.close();
      await proxy.stop();
    }
  });

  it('prints progress with blocks/s and the lag to the head', async () => {
    await sell(2);
    const kv = await openKv({ url: '', prefix: 'p:' });
    const lines: string[] = [];
    const ix = new Indexer(options(kv, { maxRange: 1, progressMs: 1, log: (l) => lines.push(l) }));
    await ix.init();
    await ix.runOnce();
    expect(lines.some((l) => /^indexer: block \d+ of \d+ \(lag \d+\), \d+ blocks\/s, \d+ sales\/s, \d+ sales/.test(l))).toBe(true);
  });

  it('answers --help, and bad input with one line and a non-zero status', async () => {
    const help = await run(['--help']).done;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: tsx ts\/indexer\/main.ts/);
    const cases: [string[], number, RegExp][] = [
      [['--bogus'], 2, /^indexer: unknown argument --bogus/],
      [['--rpc', anvil.rpcUrl, '--collections', 'nope', '--asset', m.weth], 2, /^indexer: --collections: nope is not an address$/],
      [['--rpc', 'http://127.0.0.1:9', '--collections', m.erc721, '--asset', m.weth, '--once'], 1, /^indexer: cannot reach the RPC at http:\/\/127.0.0.1:9/],
    ];
    const results = await Promise.all(cases.map(([a]) => run(a, { REDIS_URL: '' }).done));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(cases[i][1]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(cases[i][2]);
    });
  });
});
