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
import { ORDER_FULFILLED_TOPIC } from '../indexer/rules.js';
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
    // Three sales, 400 empty blocks, and so on: with one block per range the walk over an empty stretch takes the
    // process well over the time it takes to kill it, so the kill always lands between sales.
    const txs: string[] = [];
    for (let k = 0; k < 4; k++) {
      txs.push(...(await sell(3)));
      await c.test.mine({ blocks: 400 });
    }
    const prefix = 'restart:';
    const args = ['--rpc', anvil.rpcUrl, '--collections', `${m.erc721},${m.erc1155}`, '--asset', m.weth, '--from', '0', '--max-range', '1', '--poll-ms', '50'];
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
    const second = run([...args.map((a, i) => (args[i - 1] === '--max-range' ? '2000' : a)), '--once'], env);
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
      const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
      const before = await sell(4);
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { fromBlock: start, maxRange: 1, pollMs: 20, backoffMs: 100, attempts: 12, log: (l) => lines.push(l) }));
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
    expect(ix.stats.statusAtHead).toBe(0); // anvil keeps every state: each order status was read at its fill's block
    expect(lines.some((l) => /reorg at block \d+: rolled back 3 sale/.test(l))).toBe(true);
    const now = await stored(kv);
    for (const tx of orphaned) expect(now).not.toContain(tx);
    expect(now).toEqual([...base.slice(0, -3), ...replacement]);
    // Every stored block hash is on the chain now.
    for (const [n, h] of Object.entries(await kv.hgetall(KEYS.blocks))) expect((await c.pub.getBlock({ blockNumber: BigInt(n) })).hash).toBe(h);
    await kv.close();
  });

  it('retries an RPC that fails requests and drops out, and shrinks a range the provider refuses', async () => {
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    const txs = await sell(6);
    const proxy = await startProxy(anvil.rpcUrl, { failEvery: 4, maxRange: 3 });
    const kv = await openKv({ url: redis.url, prefix: 'flaky:' });
    try {
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { fromBlock: start, rpcUrl: proxy.url, maxRange: 64, backoffMs: 20, attempts: 30, log: (l) => lines.push(l) }));
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

  it('rebuilds from the first block when the store lost everything under it (Redis restarted without persistence)', async () => {
    const r3 = await startRedis();
    const kv = await openKv({ url: r3.url, prefix: 'wiped:' });
    try {
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { log: (l) => lines.push(l) }));
      await ix.init();
      await ix.runOnce();
      const before = await stored(kv);
      for (const k of [KEYS.cursor, KEYS.seq, KEYS.blocks, KEYS.sales(m.erc721)]) await kv.del(k);
      const more = await sell(1);
      await ix.runOnce();
      expect(lines.some((l) => /the store has no cursor any more/.test(l))).toBe(true);
      expect(await stored(kv)).toEqual([...before, ...more]);
    } finally {
      await kv.close();
      await r3.stop();
    }
  });

  it('stores a sale only once it is --confirmations deep, and a reorg inside that depth never reaches the store', async () => {
    const depth = 6;
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    const kv = await openKv({ url: redis.url, prefix: 'deep:' });
    try {
      const ix = new Indexer(options(kv, { fromBlock: start, confirmations: depth }));
      await ix.init();
      await c.test.mine({ blocks: depth });
      const [first] = await sell(1);
      const at = (await c.pub.getTransactionReceipt({ hash: first as `0x${string}` })).blockNumber;
      await ix.runOnce();
      expect(await readCursor(kv)).toBe(at - BigInt(depth));
      expect(await stored(kv)).toEqual([]);
      await c.test.mine({ blocks: depth - 1 });
      await ix.runOnce();
      expect(await stored(kv), `${depth - 1} deep`).toEqual([]);
      await c.test.mine({ blocks: 1 });
      await ix.runOnce();
      expect(await stored(kv), `${depth} deep`).toEqual([first]);

      // A sale on a branch that is replaced before it is `depth` deep: seen by the indexer's runs, never stored.
      const snap = await c.test.snapshot();
      const base = await c.pub.getBlockNumber({ cacheTime: 0 });
      const [orphan] = await sell(1);
      const tip = await c.pub.getBlockNumber({ cacheTime: 0 });
      expect(tip - base, 'the branch is shallower than the depth').toBeLessThan(BigInt(depth));
      await ix.runOnce();
      await c.test.revert({ id: snap });
      nextId -= 1n;
      await c.test.mine({ blocks: 1 }); // a different block at the orphan branch's first height
      const [replacement] = await sell(1);
      await c.test.mine({ blocks: depth });
      await ix.runOnce();
      const now = await stored(kv);
      expect(now).not.toContain(orphan);
      expect(now).toEqual([first, replacement]);
      expect(ix.stats.reorgs).toBe(0);
      expect(ix.stats.rolledBack).toBe(0);
    } finally {
      await kv.close();
    }
  });

  it('skips a log that does not decode with a counted, logged reason and stores the rest', async () => {
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    const txs = await sell(3);
    // The provider serves the second sale's OrderFulfilled cut short, and one log of the fill topic with no data.
    const proxy = await startProxy(anvil.rpcUrl, {
      rewriteLogs: (logs) => {
        const out = logs.map((l) =>
          l.transactionHash === txs[1] && (l.topics as string[])[0] === ORDER_FULFILLED_TOPIC ? { ...l, data: (l.data as string).slice(0, 2 + 64 * 4) } : l,
        );
        const fill = logs.find((l) => (l.topics as string[])[0] === ORDER_FULFILLED_TOPIC);
        if (fill) out.push({ ...fill, topics: [ORDER_FULFILLED_TOPIC], data: '0x', logIndex: '0x7f' });
        return out;
      },
    });
    const kv = await openKv({ url: '', prefix: 'bad:' });
    try {
      const lines: string[] = [];
      const ix = new Indexer(options(kv, { fromBlock: start, rpcUrl: proxy.url, progressMs: 1, log: (l) => lines.push(l) }));
      await ix.init();
      await ix.runOnce();
      expect((await salesAfter(kv, 0, 100)).sales.map((s) => s.txHash)).toEqual([txs[0], txs[2]]);
      expect(ix.stats.malformed).toBe(2);
      expect(await kv.hget(KEYS.health, 'malformed')).toBe('2');
      expect(lines.filter((l) => /^indexer: skipped a malformed log \(tx 0x[0-9a-f]{64}, log 0x[0-9a-f]+, topic 0x[0-9a-f]{64}\): malformed OrderFulfilled$/.test(l)), lines.join('\n')).toHaveLength(2);
      expect(lines.at(-1)).toMatch(/, malformed logs 2$/);
      // The count survives a restart.
      const again = new Indexer(options(kv, { fromBlock: start, rpcUrl: proxy.url }));
      await again.init();
      expect(again.stats.malformed).toBe(2);
    } finally {
      await kv.close();
      await proxy.stop();
    }
  });

  it('on a node without old state (geth beyond 128 blocks: "missing trie node") reads order status at the head, counted and logged', async () => {
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    const txs = await sell(2);
    await c.test.mine({ blocks: 10 });
    const proxy = await startProxy(anvil.rpcUrl, { stateDepth: 5 });
    const kv = await openKv({ url: '', prefix: 'geth:' });
    try {
      const lines: string[] = [];
      // Two tries per request: without the fallback the first pruned read ends the run.
      const ix = new Indexer(options(kv, { fromBlock: start, rpcUrl: proxy.url, attempts: 2, backoffMs: 10, log: (l) => lines.push(l) }));
      await ix.init();
      await ix.runOnce();
      expect(proxy.counts.pruned).toBeGreaterThan(0);
      expect((await salesAfter(kv, 0, 100)).sales.map((s) => s.txHash)).toEqual(txs);
      expect(ix.stats.statusAtHead).toBe(2);
      expect(await kv.hget(KEYS.health, 'statusAtHead')).toBe('2');
      expect(lines.filter((l) => /^indexer: the node has no state at block \d+ \(.*missing trie node.*\): reading order status at the head instead \(block \d+\).*An archive RPC is recommended/.test(l)), lines.join('\n')).toHaveLength(1);
    } finally {
      await kv.close();
      await proxy.stop();
    }
  });

  it('prints progress with blocks/s and the lag to the head', async () => {
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    await sell(2);
    const kv = await openKv({ url: '', prefix: 'p:' });
    const lines: string[] = [];
    const ix = new Indexer(options(kv, { fromBlock: start, maxRange: 1, progressMs: 1, log: (l) => lines.push(l) }));
    await ix.init();
    await ix.runOnce();
    expect(lines.some((l) => /^indexer: block \d+ of \d+ \(lag \d+\), \d+ blocks\/s, \d+ sales\/s, \d+ sales/.test(l))).toBe(true);
  });

  it('on anvil --prune-history: a backfill older than the kept state completes, and a partial fill filled further later is still skipped', async () => {
    const pruned = await startAnvil({ args: ['--prune-history', '4'] });
    try {
      const pc = await connect(pruned.rpcUrl);
      const pm = await sp.deployMarket(pc);
      const [, s1, b1] = pc.accounts;
      const nft = (id: bigint): sp.Nft => ({ token: pm.erc721, id, amount: 1n, standard: 'erc721' });
      const want: string[] = [];
      await sp.mintNft(pc, s1, nft(1n));
      want.push((await sp.listAndFill(pc, { seller: s1, buyer: b1, nft: nft(1n), price: parseEther('1'), currency: sp.ZERO })).receipt.transactionHash);
      // Half of a partially fillable ERC-1155 order, 10 blocks later the other half: totalSize is 2 at both fills'
      // blocks and at the head.
      const stack: sp.Nft = { token: pm.erc1155, id: 7n, amount: 10n, standard: 'erc1155' };
      await sp.mintNft(pc, s1, stack);
      const o = await sp.signOrder(pc, sp.orderParameters({ offerer: s1, orderType: sp.OrderType.PARTIAL_OPEN, offer: [sp.nftItem(stack)], consideration: [sp.to(sp.paymentItem(sp.ZERO, parseEther('10')), s1)] }));
      await sp.fulfilFraction(pc, b1, o, 1n, 2n);
      await pc.test.mine({ blocks: 10 });
      await sp.fulfilFraction(pc, b1, o, 1n, 2n);
      await sp.mintNft(pc, s1, nft(2n));
      want.push((await sp.listAndFill(pc, { seller: s1, buyer: b1, nft: nft(2n), price: parseEther('2'), currency: sp.ZERO })).receipt.transactionHash);
      await pc.test.mine({ blocks: 20 });
      // The node really has dropped the old state (anvil's own error for it).
      await expect(pc.pub.getBalance({ address: s1, blockNumber: 2n })).rejects.toThrow(/BlockOutOfRange/);

      const kv = await openKv({ url: '', prefix: 'pruned:' });
      const lines: string[] = [];
      const ix = new Indexer({ ...options(kv), rpcUrl: pruned.rpcUrl, collections: [pm.erc721, pm.erc1155], asset: pm.weth, attempts: 2, backoffMs: 10, log: (l) => lines.push(l) });
      await ix.init();
      await ix.runOnce();
      expect((await salesAfter(kv, 0, 100)).sales.map((s) => s.txHash)).toEqual(want);
      expect(ix.stats.skips['partial-fill']).toBe(2);
      expect(ix.stats.statusAtHead).toBe(4);
      expect(lines.some((l) => /no state at block \d+ \(.*BlockOutOfRange.*An archive RPC is recommended/.test(l)), lines.join('\n')).toBe(true);
      await kv.close();
    } finally {
      await pruned.stop();
    }
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
