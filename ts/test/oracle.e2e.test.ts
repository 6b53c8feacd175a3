// The oracle service end to end: the protocol deployed on an embedded anvil by the real deployment scripts, a real
// redis-server on a free port, sales written into the store the way the indexer stores them (zset sales:<collection>,
// encodeSale members), and the service's rounds relaying signed SaleReports to the real Valuation. Each test runs on
// an anvil snapshot and its own key prefix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClient, createWalletClient, encodeFunctionData, http, parseEther, type Address, type Hex, type PublicClient, type WalletClient } from 'viem';
import { defineChain } from 'viem';
import { deploy, localAccount, localKey, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { iTraitPricerAbi, iValuationAdminAbi, localFloorFeedAbi } from '../generated/contracts.js';
import { openKv, type Kv } from '../lib/kv.js';
import { startAnvil } from '../lib/anvil.js';
import { startRedis, type RedisServer } from '../lib/redis.js';
import { signSaleReport } from '../lib/eip712.js';
import { encodeSale, type Sale } from '../indexer/sale.js';
import { keys, runOracleOnce, readHealth, type OracleCtx } from '../oracle/service.js';
import { salesKey } from '../oracle/sales.js';
import { main as oracleMain } from '../oracle/main.js';
import { parseTraitTable, treeOf } from '../oracle/traits.js';
import { verifyProof } from '../lib/merkle.js';

const CHAIN_ID = 31342; // its own chain id: deploy.e2e's forge script output files are named by chain id
const chain = defineChain({ id: CHAIN_ID, name: 'oracle test', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } });
let d: DeployResult;
let redis: RedisServer;
let pub: PublicClient;
let wallet: WalletClient;
let test: ReturnType<typeof createTestClient>;
let apes: Address;
let items: Address;
let valuation: Address;
const reporter = localAccount(LOCAL_ROLES.reporter);
const relayer = localAccount(6);
let snap: Hex;
let prefixN = 0;
let kv: Kv;
const opened: Kv[] = [];

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, CHAIN_ID: String(CHAIN_ID) };
  for (const k of ['RPC_URL', 'DEPLOYER_PRIVATE_KEY', 'DEPLOYER_KEY_FILE', 'ETH_KEYSTORE', 'SAFE', 'SAFE_OWNERS', 'GUARDIAN']) delete env[k];
  [d, redis] = await Promise.all([deploy({ env, bindings: false, keepAnvil: true }), startRedis()]);
  const transport = http(d.rpcUrl, { timeout: 30_000 });
  pub = d.pub;
  wallet = createWalletClient({ chain, transport });
  test = createTestClient({ chain, mode: 'anvil', transport });
  apes = d.record.collection721;
  items = d.record.collection1155;
  valuation = d.record.valuation;
}, 300_000);

afterAll(async () => {
  for (const k of opened) await k.close();
  await d?.anvil?.stop();
  await redis?.stop();
});

beforeEach(async () => {
  snap = await test.snapshot();
  kv = await openKv({ url: redis.url, prefix: `t${++prefixN}:` });
  opened.push(kv);
});
afterEach(async () => {
  await test.revert({ id: snap });
});

const now = async () => Number((await pub.getBlock()).timestamp);
async function warp(seconds: number) {
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}

function ctxOf(store: Kv, over: Partial<OracleCtx> = {}): OracleCtx & { lines: string[] } {
  const lines: string[] = [];
  return { pub, wallet, kv: store, chainId: CHAIN_ID, valuation, collections: [apes], reporter, relayer, log: (l) => lines.push(l), lines, ...over };
}

let saleN = 0;
function sale(collection: Address, price: bigint, timestamp: number, over: Partial<Sale> = {}): Sale {
  const n = ++saleN;
  const tx = `0x${n.toString(16).padStart(64, '0')}` as Hex;
  return {
    id: `${tx}:${n % 7}`,
    chainId: CHAIN_ID,
    collection,
    tokenId: BigInt(n),
    amount: 1n,
    standard: 'erc721',
    totalPrice: price,
    unitPrice: price,
    currency: '0x0000000000000000000000000000000000000000',
    marketplace: '0x0000000000000068F116a894984e2DB1123eB395',
    orderHash: tx,
    seller: `0x${'a'.repeat(39)}${n % 10}` as Address,
    buyer: `0x${'b'.repeat(39)}${n % 10}` as Address,
    blockNumber: BigInt(n),
    blockHash: tx,
    timestamp,
    txHash: tx,
    logIndex: n % 7,
    ...over,
  };
}

async function store(s: Sale[], into: Kv = kv) {
  await into.exec(s.map((x) => ({ op: 'zadd' as const, key: salesKey(x.collection), score: x.timestamp, member: encodeSale(x) })));
}

const observations = async (c: Address) => {
  const [prices, times] = await pub.readContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'observations', args: [c] });
  return times.map((t, i) => ({ t: Number(t), p: prices[i] }));
};
const twapState = async (c: Address) => pub.readContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'twapState', args: [c] });
async function relayedCount(c: Address): Promise<number> {
  const evs = await pub.getContractEvents({ address: valuation, abi: iValuationAdminAbi, eventName: 'SaleObserved', args: { collection: c }, fromBlock: 0n });
  return evs.length;
}

/** The valuation's TWAP rule, in floating point: weights 2^((t_i - t_newest) / halfLife) over the kept sales. */
function modelTwap(obs: { t: number; p: bigint }[], halfLife: number): number {
  const newest = Math.max(...obs.map((o) => o.t));
  let num = 0;
  let den = 0;
  for (const o of obs) {
    const w = 2 ** ((o.t - newest) / halfLife);
    num += Number(o.p) * w;
    den += w;
  }
  return num / den;
}

/** Sales every `every` seconds from chain time t over `span`, then `rounds` rounds `step` seconds apart. */
async function marketRounds(ctx: OracleCtx, c: Address, prices: (i: number) => bigint, opts: { step: number; rounds: number; every: number }) {
  const reports = [];
  let i = 0;
  for (let r = 0; r < opts.rounds; r++) {
    const t0 = await now();
    const batch: Sale[] = [];
    for (let t = t0 - opts.step + opts.every; t <= t0; t += opts.every) batch.push(sale(c, prices(i++), t));
    await store(batch);
    reports.push(await runOracleOnce(ctx));
    await warp(opts.step);
  }
  return reports;
}

describe('oracle service on anvil with a real Redis', () => {
  it('pushes one sale per minimum spacing while bootstrapping, then only on deviation or heartbeat; the TWAP follows the valuation rule', async () => {
    const ctx = ctxOf(kv);
    const base = parseEther('30');
    const price = (i: number) => base + parseEther('0.01') * BigInt((i * 7) % 11) - parseEther('0.05');
    // Sales every 40 s; a round every 150 s (more than the 120 s spacing) for 40 minutes.
    const reports = await marketRounds(ctx, apes, price, { step: 150, rounds: 16, every: 40 });
    const obs = await observations(apes);
    const pushedNow = reports.filter((r) => r.collections[0].pushed).length;
    expect(pushedNow).toBe(obs.length);
    // One per round at most, each at least the spacing after the previous one, each a real stored sale at its price.
    for (let i = 1; i < obs.length; i++) expect(obs[i].t - obs[i - 1].t).toBeGreaterThanOrEqual(120);
    const pushedSales = reports.flatMap((r) => r.collections.map((c) => c.pushed).filter((p) => p));
    for (const p of pushedSales) expect(obs.find((o) => o.t === p!.timestamp)?.p).toBe(p!.price);
    const [head, st] = await twapState(apes);
    expect(st.count).toBeGreaterThanOrEqual(5);
    expect(head.ready).toBe(true);
    // Within 2 % of the TWAP and within the heartbeat: held after the bootstrap.
    expect(reports.at(-1)!.collections[0].held).toBe('no-trigger');
    const [, params] = (await pub.readContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'collectionConfig', args: [apes] }));
    const model = modelTwap(obs, params.halfLife);
    expect(Math.abs(Number(head.twap) - model) / model).toBeLessThan(1e-9);

    // A sale 5 % up deviates: pushed at once (when the spacing allows), and the TWAP moves towards it.
    await warp(130);
    const t = await now();
    await store([sale(apes, (base * 105n) / 100n, t)]);
    const r = await runOracleOnce(ctx);
    expect(r.collections[0].pushed?.why).toBe('deviation');
    const [head2] = await twapState(apes);
    expect(head2.twap).toBeGreaterThan(head.twap);
    expect(Math.abs(Number(head2.twap) - modelTwap(await observations(apes), params.halfLife)) / Number(head2.twap)).toBeLessThan(1e-9);

    // An hour later with no new deviation: the heartbeat pushes the latest sale.
    await warp(3_600);
    await store([sale(apes, base, await now())]);
    expect((await runOracleOnce(ctx)).collections[0].pushed?.why).toBe('heartbeat');
    const health = await readHealth(kv, CHAIN_ID, valuation);
    expect(Number(health['count:pushed'])).toBe(obs.length + 2);
    expect(health.lastPushTx).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('never pushes a sale far outside the band: neither at bootstrap (floor) nor against the median or the TWAP', async () => {
    const ctx = ctxOf(kv);
    // Bootstrap: the floor feed says 30; a first sale at 100x is refused, the sane one after it is pushed.
    let t = await now();
    await store([sale(apes, parseEther('3000'), t - 20), sale(apes, parseEther('29'), t - 30)]);
    let r = await runOracleOnce(ctx);
    expect(r.collections[0].rejected['far-from-floor']).toBe(1);
    expect(r.collections[0].pushed?.price).toBe(parseEther('29'));
    // Build a ready TWAP at about 30.
    await marketRounds(ctx, apes, () => parseEther('30'), { step: 150, rounds: 8, every: 50 });
    const before = await observations(apes);
    // A wash sale at 1/100 and one at 100x, each the newest sale of its round.
    for (const p of [parseEther('0.3'), parseEther('3000')]) {
      await warp(200);
      t = await now();
      await store([sale(apes, parseEther('30.1'), t - 100), sale(apes, p, t)]);
      r = await runOracleOnce(ctx);
      expect(r.collections[0].rejected['far-from-median']).toBe(1);
      expect(r.collections[0].pushed?.price).toBe(parseEther('30.1'));
    }
    const after = await observations(apes);
    expect(after.length).toBe(Math.min(16, before.length + 2));
    for (const o of after) {
      expect(o.p).toBeGreaterThan(parseEther('25'));
      expect(o.p).toBeLessThan(parseEther('35'));
    }
    // A crash confirmed by most recent sales passes the TWAP band (each sale is then clamped on chain); a lone one not.
    await warp(200);
    t = await now();
    await store([sale(apes, parseEther('18'), t)]);
    r = await runOracleOnce(ctx);
    expect(r.collections[0].rejected['far-from-median'] ?? r.collections[0].rejected['far-from-twap']).toBe(1);
    expect(r.collections[0].pushed).toBeUndefined();
    const wave = Array.from({ length: 9 }, (_, i) => sale(apes, parseEther('18') + BigInt(i) * 10n ** 16n, t + 10 + i * 10));
    await warp(200);
    await store(wave);
    r = await runOracleOnce(ctx);
    expect(r.collections[0].pushed?.price).toBe(wave.at(-1)!.unitPrice);
    expect(r.collections[0].pushed?.recorded).toBeGreaterThan(wave.at(-1)!.unitPrice); // clamped on chain
    const h = await readHealth(kv, CHAIN_ID, valuation);
    expect(Number(h['count:rejected-far-from-median'])).toBeGreaterThanOrEqual(2);
    expect(Number(h['count:rejected-far-from-floor'])).toBe(1);
  });

  it('never pushes a sale twice: after a restart, after a crash between claim and send, and with a wiped store', async () => {
    const t = await now();
    await store([sale(apes, parseEther('30'), t - 10)]);
    const first = await runOracleOnce(ctxOf(kv));
    expect(first.collections[0].pushed).toBeDefined();
    // A restart (a new service object on the same store): nothing new to push.
    await warp(300);
    const again = await runOracleOnce(ctxOf(kv));
    expect(again.collections[0].pushed).toBeUndefined();
    // A store that lost everything (Redis restarted without persistence) still sees the chain: nothing pushed again.
    const wiped = await openKv({ url: redis.url, prefix: `wiped${prefixN}:` });
    opened.push(wiped);
    await store([sale(apes, parseEther('30'), t - 10, { id: first.collections[0].pushed!.saleId })], wiped);
    expect((await runOracleOnce(ctxOf(wiped))).collections[0].held).toBe('no-sale');
    expect(await relayedCount(apes)).toBe(1);

    // A crash after the claim and before the send: the claim holds the collection until its deadline, then expires;
    // the sale is never sent.
    const k = keys(CHAIN_ID, valuation);
    const t2 = await now();
    const lost = sale(apes, parseEther('30.2'), t2 - 5);
    await store([lost]);
    const claim = { state: 'claimed', saleId: lost.id, collection: apes, price: lost.unitPrice.toString(), timestamp: lost.timestamp, deadline: t2 + 600, at: t2 };
    await kv.exec([{ op: 'hset', key: k.inflight, field: lost.id, value: JSON.stringify(claim) }]);
    expect(await kv.setNx(k.claim(lost.id), JSON.stringify(claim))).toBe(true);
    expect((await runOracleOnce(ctxOf(kv))).collections[0].held).toBe('in-flight');
    await warp(700);
    const r = await runOracleOnce(ctxOf(kv));
    expect(r.resolved).toEqual([{ saleId: lost.id, outcome: 'expired' }]);
    expect(r.collections[0].held).toBe('no-sale'); // claimed: never tried again
    expect(await relayedCount(apes)).toBe(1);

    // A crash after the send and before the hash was written: the claim says 'claimed', the chain has the sale.
    const t3 = await now();
    const sent = sale(apes, parseEther('30.3'), t3 - 5);
    await store([sent]);
    const epoch = await pub.readContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'listingEpoch', args: [apes] });
    const report = { collection: apes, price: sent.unitPrice, timestamp: BigInt(sent.timestamp), listingEpoch: epoch, deadline: BigInt(t3 + 600) };
    const c2 = { ...claim, saleId: sent.id, price: sent.unitPrice.toString(), timestamp: sent.timestamp, deadline: t3 + 600 };
    await kv.exec([{ op: 'hset', key: k.inflight, field: sent.id, value: JSON.stringify(c2) }]);
    await kv.setNx(k.claim(sent.id), JSON.stringify(c2));
    const sig = await signSaleReport(reporter, BigInt(CHAIN_ID), valuation, report);
    await pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'relaySale', args: [report, sig], account: relayer, chain }) });
    expect((await runOracleOnce(ctxOf(kv))).collections[0].held).toBe('in-flight');
    await warp(700);
    const r2 = await runOracleOnce(ctxOf(kv));
    expect(r2.resolved).toEqual([{ saleId: sent.id, outcome: 'pushed' }]);
    expect(await relayedCount(apes)).toBe(2);
    expect(JSON.parse((await kv.get(k.claim(sent.id)))!).state).toBe('pushed');
  });

  it('survives Redis killed mid-run: the round reports the error, pushes nothing, and resumes once Redis is back', async () => {
    const own = await startRedis();
    try {
      const store2 = await openKv({ url: own.url, prefix: 'k:' });
      opened.push(store2);
      const ctx = ctxOf(store2);
      const t = await now();
      await store([sale(apes, parseEther('30'), t - 10)], store2);
      expect((await runOracleOnce(ctx)).collections[0].pushed).toBeDefined();
      await own.kill();
      await warp(300);
      const down = await runOracleOnce(ctx);
      expect(down.errors.length).toBeGreaterThan(0);
      expect(down.collections.every((c) => !c.pushed)).toBe(true);
      expect(await relayedCount(apes)).toBe(1);
      // Back on the same port, empty (no persistence): the indexer refills it; the service pushes only what is new.
      const back = await startRedis({ port: own.port });
      try {
        const t2 = await now();
        for (let i = 0; i < 50 && (await store2.ping().then(() => false, () => true)); i++) await new Promise((ok) => setTimeout(ok, 100));
        await store([sale(apes, parseEther('30'), t - 10), sale(apes, parseEther('30.5'), t2 - 5)], store2);
        const up = await runOracleOnce(ctx);
        expect(up.errors).toEqual([]);
        expect(up.collections[0].pushed?.price).toBe(parseEther('30.5'));
        expect(await relayedCount(apes)).toBe(2);
        const h = await readHealth(store2, CHAIN_ID, valuation);
        expect(Number(h['count:errors'])).toBeGreaterThan(0); // kept in memory while Redis was away
        expect(h.lastError).toMatch(/^reading the in-flight claims: .*(retries|Redis|connect)/i);
        expect(h.lastRoundErrors).toBe('0');
      } finally {
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  });

  it('Redis killed in the middle of a push (after the claim, before the send): the relay lands once, never again', async () => {
    const own = await startRedis();
    let back: RedisServer | undefined;
    try {
      const store2 = await openKv({ url: own.url, prefix: 'm:' });
      opened.push(store2);
      const t = await now();
      const s = sale(apes, parseEther('30'), t - 10);
      await store([s], store2);
      const ctx = ctxOf(store2, { beforeSend: () => own.kill() });
      const r = await runOracleOnce(ctx);
      expect(r.errors[0]).toMatch(/^collection 0x[0-9a-fA-F]{40}: /); // recording the sent transaction failed, then the health
      expect(await relayedCount(apes)).toBe(1);
      back = await startRedis({ port: own.port });
      for (let i = 0; i < 50 && (await store2.ping().then(() => false, () => true)); i++) await new Promise((ok) => setTimeout(ok, 100));
      await store([s], store2); // the indexer refills the empty store
      await warp(300);
      const again = await runOracleOnce({ ...ctx, beforeSend: undefined });
      expect(again.errors).toEqual([]);
      expect(again.collections[0].held).toBe('no-sale');
      expect(await relayedCount(apes)).toBe(1);
    } finally {
      await back?.stop();
      await own.stop();
    }
  });

  it('after a delist and relist, sales from before the relisting are not pushed to the new listing', async () => {
    const ctx = ctxOf(kv);
    const t = await now();
    await store([sale(apes, parseEther('30'), t - 10)]);
    expect((await runOracleOnce(ctx)).collections[0].pushed).toBeDefined();
    // Cheap sales, then the timelock delists and relists the collection.
    await warp(200);
    const t2 = await now();
    await store([sale(apes, parseEther('25'), t2 - 20), sale(apes, parseEther('24'), t2 - 10)]);
    const timelock = d.record.timelock;
    const [feedCfg, params] = await pub.readContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'collectionConfig', args: [apes] });
    await test.impersonateAccount({ address: timelock });
    await test.setBalance({ address: timelock, value: parseEther('10') });
    try {
      for (const data of [
        encodeFunctionData({ abi: iValuationAdminAbi, functionName: 'delistCollection', args: [apes] }),
        encodeFunctionData({ abi: iValuationAdminAbi, functionName: 'listCollection', args: [apes, feedCfg.feed, feedCfg.heartbeat, feedCfg.minAnswer, feedCfg.maxAnswer, params.maxPrice] }),
      ]) {
        const h = await wallet.sendTransaction({ to: valuation, data, account: timelock, chain });
        expect((await pub.waitForTransactionReceipt({ hash: h })).status).toBe('success');
      }
    } finally {
      await test.stopImpersonatingAccount({ address: timelock });
    }
    const r = await runOracleOnce(ctx);
    expect(r.collections[0].held).toBe('no-sale');
    expect(ctx.lines.some((l) => / was relisted \(listing epoch 1 -> 2\)/.test(l))).toBe(true);
    expect(await observations(apes)).toEqual([]);
    // A sale after the relisting is pushed, as the new listing's first observation.
    await warp(60);
    const fresh = sale(apes, parseEther('30'), await now());
    await store([fresh]);
    expect((await runOracleOnce(ctx)).collections[0].pushed?.saleId).toBe(fresh.id);
  });

  it('handles a relay that reverts on chain (spacing) and one the valuation refuses in simulation', async () => {
    const t = await now();
    await store([sale(apes, parseEther('30'), t - 300)]);
    expect((await runOracleOnce(ctxOf(kv))).collections[0].pushed).toBeDefined();
    await warp(200);
    const t2 = await now();
    const s = sale(apes, parseEther('30.4'), t2 - 5);
    await store([s]);
    // Between the simulation and the send another reporter lands a sale 60 s before ours: ours is now too soon.
    const ctx = ctxOf(kv, {
      beforeSend: async () => {
        const h = await wallet.writeContract({ address: valuation, abi: iValuationAdminAbi, functionName: 'reportSale', args: [apes, parseEther('30'), BigInt(s.timestamp - 60)], account: reporter, chain });
        await pub.waitForTransactionReceipt({ hash: h });
      },
    });
    const r = await runOracleOnce(ctx);
    expect(r.errors).toEqual([]);
    expect(r.collections[0].held).toMatch(/^reverted: ObservationTooSoon/);
    expect(JSON.parse((await kv.get(keys(CHAIN_ID, valuation).claim(s.id)))!).state).toBe('reverted');
    expect((await observations(apes)).some((o) => o.t === s.timestamp)).toBe(false);
    // The next round does not try it again.
    await warp(200);
    expect((await runOracleOnce(ctxOf(kv))).collections[0].pushed).toBeUndefined();
    expect(Number((await readHealth(kv, CHAIN_ID, valuation))['count:relay-reverted'])).toBe(1);

    // A reporter key the valuation does not know: refused in simulation, nothing sent, no crash.
    const t3 = await now();
    await store([sale(apes, parseEther('30.1'), t3 - 5)]);
    const stranger = ctxOf(kv, { reporter: localAccount(7) });
    const r2 = await runOracleOnce(stranger);
    expect(r2.collections[0].held).toMatch(/^refused: InvalidReportSignature/);
    expect(stranger.lines[0]).toMatch(/^ALERT: the reporter key 0x[0-9a-fA-F]{40} is not an authorised reporter/);
    // Configured for another chain id than the valuation's domain: the round stops before signing anything.
    await expect(runOracleOnce(ctxOf(kv, { chainId: 31337 }))).rejects.toThrow(/hashes SaleReports under another EIP-712 domain/);
    expect(await relayedCount(apes)).toBe(2); // ours and the other reporter's
  });

  it('a relay stuck in the mempool is replaced by fee at its nonce, followed across rounds, and counted once', async () => {
    const t = await now();
    await store([sale(apes, parseEther('30'), t - 10)]);
    const ctx = ctxOf(kv, { config: { receiptTimeoutMs: 1_200, replaceAfterMs: 400, replaceAfterBlocks: 100 } });
    await test.setAutomine(false);
    try {
      const r1 = await runOracleOnce(ctx);
      expect(r1.collections[0].held).toBe('pending');
      await new Promise((ok) => setTimeout(ok, 500));
      const r2 = await runOracleOnce(ctx);
      expect(r2.collections[0].held).toBe('in-flight');
      expect(ctx.state!.sender!.replacements).toBeGreaterThanOrEqual(1);
      const [saleId] = Object.keys(await kv.hgetall(keys(CHAIN_ID, valuation).inflight));
      const claim = JSON.parse((await kv.get(keys(CHAIN_ID, valuation).claim(saleId)))!);
      expect(claim.state).toBe('sent');
      expect(claim.hashes.length).toBeGreaterThanOrEqual(2); // every version recorded, for a restart
      await test.mine({ blocks: 1 });
    } finally {
      await test.setAutomine(true);
    }
    const r3 = await runOracleOnce(ctx);
    expect(r3.resolved.map((x) => x.outcome)).toEqual(['pushed']);
    expect(await relayedCount(apes)).toBe(1);
    expect((await readHealth(kv, CHAIN_ID, valuation))['count:pushed']).toBe('1');
  });

  it('a busy collection: with 12,000 sales in the last day the round still sees the newest one (the store reads oldest first)', async () => {
    const t = await now();
    const many = Array.from({ length: 12_000 }, (_, i) => sale(apes, parseEther('30') + BigInt(i % 13) * 10n ** 15n, t - 86_000 + Math.floor((i * 86_000) / 12_000)));
    await store(many);
    const started = Date.now();
    const r = await runOracleOnce(ctxOf(kv));
    const ms = Date.now() - started;
    expect(r.collections[0].pushed?.saleId).toBe(many.at(-1)!.id);
    expect(ms).toBeLessThan(10_000);
    console.log(`oracle round over 12,000 stored sales: ${ms} ms`);
  });

  it('the command in a loop: rounds every --interval until SIGTERM (the abort signal), exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracle-loop-'));
    const record = join(dir, 'record.json');
    writeFileSync(record, JSON.stringify(d.record));
    const out: string[] = [];
    const ctl = new AbortController();
    const env = { RPC_URL: d.rpcUrl, ORACLE_REPORTER_PRIVATE_KEY: localKey(LOCAL_ROLES.reporter) };
    const run = oracleMain(['--deployment', record, '--interval', '1'], env, { out: (l) => out.push(l), err: (l) => out.push(l) }, ctl.signal);
    while (out.filter((l) => l.startsWith('round at block')).length < 2) await new Promise((ok) => setTimeout(ok, 100));
    ctl.abort();
    expect(await run).toBe(0);
    expect(out[0]).toMatch(/store in memory, reporter 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65$/);
  });

  it('logs and skips malformed stored sales and bad values; never a bad observation on chain', async () => {
    const ctx = ctxOf(kv);
    const t = await now();
    const good = sale(apes, parseEther('30'), t - 50);
    await kv.exec([
      { op: 'zadd', key: salesKey(apes), score: t - 40, member: '{not json' },
      { op: 'zadd', key: salesKey(apes), score: t - 30, member: JSON.stringify({ id: 'x' }) },
      { op: 'zadd', key: salesKey(apes), score: t - 20, member: encodeSale(sale(apes, 0n, t - 20)) },
      { op: 'zadd', key: salesKey(apes), score: t - 15, member: encodeSale(sale(items, parseEther('1'), t - 15)) }, // wrong collection
      { op: 'zadd', key: salesKey(apes), score: t - 12, member: encodeSale({ ...sale(apes, parseEther('31'), t - 12), unitPrice: parseEther('90') }) },
      { op: 'zadd', key: salesKey(apes), score: t - 11, member: encodeSale(sale(apes, parseEther('30'), t - 11, { chainId: 1 })) },
      { op: 'zadd', key: salesKey(apes), score: t - 10, member: encodeSale(sale(apes, parseEther('30.5'), t - 10, { seller: reporter.address, buyer: reporter.address })) },
      { op: 'zadd', key: salesKey(apes), score: t + 1_000, member: encodeSale(sale(apes, parseEther('30'), t + 1_000)) }, // future
    ]);
    await store([good]);
    const r = await runOracleOnce(ctx);
    expect(r.errors).toEqual([]);
    expect(r.collections[0].bad).toBe(5);
    expect(r.collections[0].rejected['self-trade']).toBe(1);
    expect(r.collections[0].pushed?.saleId).toBe(good.id);
    expect(await observations(apes)).toEqual([{ t: good.timestamp, p: good.unitPrice }]);
    expect(ctx.lines.filter((l) => l.startsWith('skipped a stored sale')).length).toBe(5);
    // Counted once: a second round does not log or count them again.
    await runOracleOnce(ctx);
    expect(ctx.lines.filter((l) => l.startsWith('skipped a stored sale')).length).toBe(5);
    expect((await readHealth(kv, CHAIN_ID, valuation))['count:bad-sale']).toBe('5');
  });

  it('keeps the local floor feed fresh from the accepted sales, and refuses to write feeds on chain id 1', async () => {
    const ctx = ctxOf(kv, { feedUpdater: reporter, collections: [apes, items] });
    const t = await now();
    await store([sale(apes, parseEther('27'), t - 100), sale(apes, parseEther('26'), t - 50), sale(items, parseEther('1.5'), t - 40)]);
    const r = await runOracleOnce(ctx);
    expect(r.collections[0].floor?.to).toBe(parseEther('26'));
    const [, answer] = await pub.readContract({ address: d.record.feed721, abi: localFloorFeedAbi, functionName: 'latestRoundData' });
    expect(answer).toBe(parseEther('26'));
    expect(r.collections[1].floor).toBeUndefined(); // items' floor (1.5) already matches
    // Six hours on, the same estimate is re-published so the feed never goes stale.
    await warp(6 * 3600);
    const r2 = await runOracleOnce(ctx);
    expect(r2.collections[1].floor?.to).toBe(parseEther('1.5'));
    await expect(runOracleOnce({ ...ctx, chainId: 1 })).rejects.toThrow(/refusing to write floor feeds on chain 1/);
  });

  it('builds, signs and publishes a trait root from a price table, again only when the table changes', async () => {
    const table = (p42: string) => parseTraitTable(`collection,tokenId,premium\n${apes},42,${parseEther(p42)}\n${apes},7,${parseEther('2')}\n`, 'csv', 'table.csv');
    const traitSigner = localAccount(LOCAL_ROLES.traitSigner);
    const ctx = ctxOf(kv, { traitPricer: d.record.traitPricer, traitSigner, traitTables: [table('6')], collections: [] });
    await runOracleOnce(ctx);
    const rec = await pub.readContract({ address: d.record.traitPricer, abi: iTraitPricerAbi, functionName: 'rootRecord', args: [apes] });
    expect(rec.epoch).toBe(1n);
    const tree = treeOf(table('6'), 1n);
    expect(rec.root).toBe(tree.root);
    expect(verifyProof(tree.tokens['42'].proof, rec.root, tree.tokens['42'].leaf)).toBe(true);
    const onChain = await pub.readContract({ address: d.record.traitPricer, abi: iTraitPricerAbi, functionName: 'cappedPremium', args: [apes, 42n, parseEther('6'), tree.tokens['42'].proof, parseEther('30')] }).catch((e) => e);
    expect(onChain).toBe(parseEther('6'));
    await runOracleOnce(ctx);
    expect((await pub.readContract({ address: d.record.traitPricer, abi: iTraitPricerAbi, functionName: 'rootRecord', args: [apes] })).epoch).toBe(1n);
    await runOracleOnce({ ...ctx, traitTables: [table('8')] });
    expect((await pub.readContract({ address: d.record.traitPricer, abi: iTraitPricerAbi, functionName: 'rootRecord', args: [apes] })).epoch).toBe(2n);
  });

  it('the command: --once against a deployment record and Redis; bad flags, missing keys and chain 1 feeds refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracle-'));
    const record = join(dir, 'record.json');
    writeFileSync(record, JSON.stringify(d.record));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const env = { RPC_URL: d.rpcUrl, REDIS_URL: redis.url, ORACLE_REPORTER_PRIVATE_KEY: localKey(LOCAL_ROLES.reporter), ORACLE_RELAYER_KEY_FILE: join(dir, 'relayer.key') };
    writeFileSync(env.ORACLE_RELAYER_KEY_FILE, localKey(6));
    const t = await now();
    const cmdKv = await openKv({ url: redis.url, prefix: 'cmd:' });
    opened.push(cmdKv);
    await store([sale(apes, parseEther('30'), t - 10), sale(items, parseEther('1.5'), t - 10)], cmdKv);
    expect(await oracleMain(['--deployment', record, '--once', '--prefix', 'cmd:'], env, io)).toBe(0);
    expect(out.some((l) => /^round at block \d+: .*pushed 30000000000000000000 \(bootstrap\).*pushed 1500000000000000000/.test(l))).toBe(true);
    expect(await relayedCount(apes)).toBe(1);
    expect(await relayedCount(items)).toBe(1);
    out.length = 0;
    expect(await oracleMain(['--deployment', record, '--prefix', 'cmd:', '--health'], env, io)).toBe(0);
    const health = JSON.parse(out.join('\n'));
    expect(health['count:pushed']).toBe('2');
    expect(health.lastPushTx).toMatch(/^0x[0-9a-f]{64}$/);

    err.length = 0;
    expect(await oracleMain(['--bogus'], env, io)).toBe(2);
    expect(err).toEqual(['oracle: unknown argument --bogus (--help lists the options)']);
    expect(await oracleMain(['--private-key', '0x01'], env, io)).toBe(2);
    expect(err.at(-1)).toMatch(/^oracle: refusing --private-key/);
    expect(await oracleMain(['--once'], { RPC_URL: d.rpcUrl }, io)).toBe(2);
    expect(err.at(-1)).toMatch(/^oracle: no reporter key: set ORACLE_REPORTER_PRIVATE_KEY/);
    expect(await oracleMain(['--once', '--deployment', record], { ...env, ORACLE_REPORTER_PRIVATE_KEY: '0x1234' }, io)).toBe(2);
    expect(err.at(-1)).toBe('oracle: ORACLE_REPORTER_PRIVATE_KEY must be 32 bytes of hex');
    expect(await oracleMain(['--once', '--interval', 'soon'], env, io)).toBe(2);
    expect(await oracleMain(['--once', '--trait-table', join(dir, 'none.csv')], { ...env, ORACLE_TRAIT_SIGNER_PRIVATE_KEY: localKey(5) }, io)).toBe(2);
    expect(err.at(-1)).toMatch(/^oracle: --trait-table .*none\.csv: cannot read \(ENOENT\)/);
    // Chain id 1: the floor is Chainlink's; --write-feeds is refused before anything is read or sent.
    const mainnet = await startAnvil({ chainId: 1 });
    try {
      expect(await oracleMain(['--once', '--write-feeds', '--deployment', record], { ...env, RPC_URL: mainnet.rpcUrl }, io)).toBe(2);
      expect(err.at(-1)).toBe("oracle: --write-feeds refused on chain id 1: the floor there is Chainlink's and read-only");
    } finally {
      await mainnet.stop();
    }
    out.length = 0;
    expect(await oracleMain(['--help'], {}, io)).toBe(0);
    expect(out[0]).toMatch(/^usage: tsx ts\/oracle\/main\.ts/);
  });
});
