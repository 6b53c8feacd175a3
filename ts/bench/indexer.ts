// Indexer benchmark (not a test; `make indexer-bench`): on an embedded anvil with real Seaport 1.6 and a real
// redis-server, 10,000 real sales (one ERC-1155 unit each, filled 60 per fulfillAvailableOrders transaction) are
// generated, then timed:
//   backfill    decode + rules + store in Redis of all of them, in this process (issue 21: >= 5,000 sales/s), and the
//               same from the command as a separate process, whose peak resident memory is read (< 300 MB);
//   live        a sale's confirmation to the indexer storing it, in blocks mined one a second (<= 2 blocks);
//   restart     the command started on a populated store to the first new sale stored (<= 2 s), no duplicates.
// Nothing is cached in the repository; every run builds its chain from scratch. Numbers vary with the machine.
//   tsx ts/bench/indexer.ts [--sales 10000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseEther, type Address } from 'viem';
import { startAnvil } from '../lib/anvil.js';
import { connect } from '../lib/chain.js';
import { openKv } from '../lib/kv.js';
import { startRedis } from '../lib/redis.js';
import * as sp from '../lib/seaport.js';
import { Indexer } from '../indexer/indexer.js';
import { KEYS } from '../indexer/store.js';
import { cli } from '../lib/cli.js';

const { values } = cli({
  name: 'indexer-bench',
  usage: 'usage: tsx ts/bench/indexer.ts [--sales N] [--help]   (make indexer-bench; default 10000 sales; starts its own anvil and redis-server)',
  options: { sales: { type: 'string' } },
});
const count = values.sales === undefined ? 10_000 : Number(values.sales);
if (!/^\d+$/.test(values.sales ?? '1') || count <= 0) {
  console.error(`indexer-bench: --sales: ${values.sales} is not a positive integer`);
  process.exit(2);
}

const rows: [string, string, string][] = [];
const [anvil, redis] = await Promise.all([startAnvil(), startRedis()]);
try {
  const c = await connect(anvil.rpcUrl);
  const m = await sp.deployMarket(c);
  const sellers = c.accounts.slice(1, 9);
  const buyer = c.accounts[9];
  let t = Date.now();
  const gen = await sp.bulkSales(c, { sellers, buyer, erc1155: m.erc1155, id: 1n, count, price: (i) => parseEther('0.01') + BigInt(i), log: (l) => console.log(l) });
  const genS = (Date.now() - t) / 1000;
  console.log(`generated ${count} real Seaport fills in ${gen.txs.length} transactions, blocks ${gen.firstBlock}-${gen.lastBlock}, in ${genS.toFixed(1)} s`);
  const collections = [m.erc721, m.erc1155];

  // Backfill, in process.
  const kv = await openKv({ url: redis.url, prefix: 'bench:' });
  const ix = new Indexer({ rpcUrl: anvil.rpcUrl, kv, collections, asset: m.weth, fromBlock: 0n, confirmations: 0, maxRange: 5_000, progressMs: 1_000 });
  await ix.init();
  t = performance.now();
  await ix.runOnce();
  const backfillS = (performance.now() - t) / 1000;
  const stored = await kv.zcard(KEYS.seq);
  if (stored !== count) throw new Error(`stored ${stored} sales, expected ${count}`);
  const rate = count / backfillS;
  const ms = ix.stats.ms;
  console.log(`backfill time: logs+headers ${ms.fetch.toFixed(0)} ms, order status ${ms.status.toFixed(0)} ms, rules+encode ${ms.rules.toFixed(0)} ms, Redis batch ${ms.store.toFixed(0)} ms`);
  rows.push(['backfill, decode + store in Redis (in process)', `${rate.toFixed(0)} sales/s (${count} in ${backfillS.toFixed(2)} s)`, rate >= 5_000 ? 'met (>= 5,000/s)' : 'MISSED (>= 5,000/s)']);

  // Backfill by the command, as its own process: wall time and peak resident memory (VmHWM).
  const env = { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: 'cmd:' };
  const args = ['ts/indexer/main.ts', '--rpc', anvil.rpcUrl, '--collections', collections.join(','), '--asset', m.weth, '--from', '0', '--max-range', '5000', '--progress-ms', '0'];
  const proc = await runCommand([...args, '--once'], env, async () => true);
  const cmdKv = await openKv({ url: redis.url, prefix: 'cmd:' });
  const cmdStored = await cmdKv.zcard(KEYS.seq);
  await cmdKv.close();
  rows.push(['backfill by the command (process start to exit)', `${proc.wallS.toFixed(2)} s, ${cmdStored} sales`, cmdStored === count ? 'all stored' : 'MISSING SALES']);
  rows.push(['peak resident memory of the command', `${proc.peakMb.toFixed(0)} MB`, proc.peakMb < 300 ? 'met (< 300 MB)' : 'MISSED (< 300 MB)']);

  // Live: following with 2 confirmations, blocks mined one a second; a sale is confirmed when its block has 2 more.
  const conf = 2;
  const live = new Indexer({ rpcUrl: anvil.rpcUrl, kv, collections, asset: m.weth, fromBlock: 0n, confirmations: conf, pollMs: 100, progressMs: 0, log: () => {} });
  await live.init();
  const following = live.follow();
  const delays: number[] = [];
  const msAfter: number[] = [];
  const [, seller] = c.accounts;
  await c.test.setAutomine(false);
  for (let k = 0; k < 5; k++) {
    const nft: sp.Nft = { token: m.erc721, id: 1_000_000n + BigInt(k), amount: 1n, standard: 'erc721' };
    await c.test.setAutomine(true);
    await sp.mintNft(c, seller, nft);
    const f = await sp.listAndFill(c, { seller, buyer, nft, price: parseEther('1'), currency: sp.ZERO });
    await c.test.setAutomine(false);
    const saleKey = KEYS.sale(`${f.receipt.transactionHash}:${f.receipt.logs.find((l) => l.address.toLowerCase() === sp.SEAPORT.toLowerCase())!.logIndex}`);
    const confirmedAt = f.receipt.blockNumber + BigInt(conf);
    let confirmedMs = 0;
    for (;;) {
      await c.test.mine({ blocks: 1 });
      const head = await c.pub.getBlockNumber({ cacheTime: 0 });
      if (head === confirmedAt) confirmedMs = performance.now();
      // Poll through this block's second (the block time), then mine the next.
      const end = performance.now() + 1_000;
      let ok = false;
      while (!ok && performance.now() < end) {
        ok = (await kv.get(saleKey)) !== null;
        if (!ok) await new Promise((r) => setTimeout(r, 20));
      }
      if (ok) {
        if (head < confirmedAt) throw new Error('a sale was stored before its confirmation');
        delays.push(Number(head - confirmedAt));
        msAfter.push(performance.now() - confirmedMs);
        break;
      }
      if (head > confirmedAt + 10n) throw new Error('live sale not seen within 10 blocks');
    }
  }
  await c.test.setAutomine(true);
  live.stop();
  await following;
  const worst = Math.max(...delays);
  rows.push(['live: confirmation to stored (2 confirmations, 1 s blocks)', `${worst} block(s) worst of 5; ${Math.max(...msAfter).toFixed(0)} ms worst`, worst <= 2 ? 'met (<= 2 blocks)' : 'MISSED (<= 2 blocks)']);

  // Restart: the command on the populated store (cursor at the head); one new sale; time to it being stored.
  const nft: sp.Nft = { token: m.erc721, id: 2_000_000n, amount: 1n, standard: 'erc721' };
  await sp.mintNft(c, seller, nft);
  const f = await sp.listAndFill(c, { seller, buyer, nft, price: parseEther('1'), currency: sp.ZERO });
  const before = await kv.zcard(KEYS.seq);
  const restartEnv = { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: 'bench:' };
  const logIndex = f.receipt.logs.find((l) => l.address.toLowerCase() === sp.SEAPORT.toLowerCase())!.logIndex;
  const r = await runCommand([...args.slice(0, -4), '--poll-ms', '50', '--progress-ms', '0', '--confirmations', '0'], restartEnv, async () => (await kv.get(KEYS.sale(`${f.receipt.transactionHash}:${logIndex}`))) !== null);
  const after = await kv.zcard(KEYS.seq);
  rows.push(['restart: process start to the new sale stored', `${r.readyS.toFixed(2)} s (tsx start ${r.firstLineS.toFixed(2)} s)`, r.readyS <= 2 ? 'met (<= 2 s)' : 'MISSED (<= 2 s)']);
  // The same restart in process (no interpreter start-up): a new indexer on the store, to its first range stored.
  await sp.mintNft(c, seller, { ...nft, id: 2_000_001n });
  await sp.listAndFill(c, { seller, buyer, nft: { ...nft, id: 2_000_001n }, price: parseEther('1'), currency: sp.ZERO });
  const tr = performance.now();
  const again = new Indexer({ rpcUrl: anvil.rpcUrl, kv, collections, asset: m.weth, fromBlock: 0n, confirmations: 0, progressMs: 0, log: () => {} });
  await again.init();
  await again.runOnce();
  const inProc = (performance.now() - tr) / 1000;
  rows.push(['restart in process: open store, read cursor, index the new block', `${(inProc * 1000).toFixed(0)} ms (${again.stats.sales} sales stored in all)`, inProc <= 2 ? 'met (<= 2 s)' : 'MISSED (<= 2 s)']);
  rows.push(['restart: duplicates', `${after - before - 1}`, after === before + 1 ? 'none' : 'DUPLICATES']);
  await kv.close();
} finally {
  await Promise.all([anvil.stop(), redis.stop()]);
}

const { loadavg } = await import('node:os');
console.log(`\nindexer benchmark (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
for (const [k, v, verdict] of rows) console.log(`  ${k.padEnd(64)} ${v.padEnd(44)} ${verdict}`);
process.exit(0);

/**
 * Runs the indexer command; `ready` is polled until true (then the process is stopped with SIGTERM) unless the
 * command exits first. Returns wall time, the time to its first output line, to ready, and its peak RSS.
 */
async function runCommand(a: string[], env: NodeJS.ProcessEnv, ready: () => Promise<boolean>) {
  const t0 = performance.now();
  // The same V8 flag as `make indexer`: a young generation of 8 MB and an old one of 160 MB keep the resident set down (V8 otherwise grows the heap before collecting).
  const child = spawn(process.execPath, ['--max-semi-space-size=8', '--max-old-space-size=160', '--import', 'tsx', ...a], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let firstLineS = 0;
  child.stdout.on('data', () => (firstLineS ||= (performance.now() - t0) / 1000));
  let peakKb = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      /* exited */
    }
  };
  const timer = setInterval(sample, 25);
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  let readyS = 0;
  let done = false;
  exited.then(() => (done = true));
  while (!done) {
    sample();
    if (!readyS && (await ready())) {
      readyS = (performance.now() - t0) / 1000;
      if (a.includes('--once')) {
        await exited;
        break;
      }
      child.kill('SIGTERM');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const code = await exited;
  clearInterval(timer);
  if (code !== 0 && code !== null) throw new Error(`indexer command exited ${code}`);
  return { wallS: (performance.now() - t0) / 1000, readyS, firstLineS, peakMb: peakKb / 1024 };
}

export type { Address };
