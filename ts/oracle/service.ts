// The oracle service's round (`runOracleOnce`): for each listed collection, read the indexer's recent sales, judge
// them (ts/oracle/filter.ts), pick at most one to push, sign its SaleReport with the reporter key (EIP-712, the
// valuation's domain, the current listingEpoch, a deadline) and relay it with relaySale from the relayer key; keep
// the local floor feeds fresh; publish trait roots when their tables change (ts/oracle/traits.ts).
//
// Idempotency, in the kv store under `oracle:<chainId>:<valuation>:`:
//   push:<saleId>   the claim, taken with setNx before anything is signed or sent, then rewritten with the hash and,
//                   once known, the outcome (pushed / reverted / refused / expired). A sale with a claim is never
//                   claimed again, so it is sent at most once across restarts.
//   inflight        hash saleId -> claim, for the claims without an outcome. Each round first resolves them from the
//                   chain: a receipt of a recorded hash; else, once the report's deadline has passed (it can no longer
//                   land), an observation at the sale's timestamp means pushed, none means expired.
//   seen:<what>     one key per rejected sale or bad stored member, so counts survive restarts without double-counting.
//   health          hash: last round, last push, last error, counts.
// The chain is the other guard: only sales newer than the newest on-chain observation (and at least the minimum
// spacing after it) are candidates, so even a store that lost every key (Redis restarted without persistence) cannot
// make the service push a sale the valuation already holds.
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeEventLog,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Account,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';
import { iValuationAdminAbi, localFloorFeedAbi } from '../generated/contracts.js';
import { saleReportDigest, signSaleReport, type SaleReport } from '../lib/eip712.js';
import type { Kv } from '../lib/kv.js';
import { Sender } from '../keeper/sender.js';
import type { Sale } from '../indexer/sale.js';
import { DEFAULT_FILTER, DEFAULT_PUSH, decidePush, deviatesAtLeast, judge, type FilterConfig, type PushConfig, type TwapView } from './filter.js';
import { loadRecentSales } from './sales.js';
import { publishTraitRoots, type TraitTable } from './traits.js';

export interface OracleConfig {
  filter: FilterConfig;
  push: PushConfig;
  /** Seconds a signed report stays relayable (default 600). */
  deadlineSec: number;
  /** How far back sales are read for the median and the floor (seconds, default 24 h). */
  lookbackSec: number;
  /** Wait this long for a relay's receipt within a round (ms, default 60 s); later rounds keep looking. */
  receiptTimeoutMs: number;
  /** Floor feed: re-publish when its answer is this old (seconds, default 6 h; the deploy's heartbeat is 24 h)... */
  floorRefreshSec: number;
  /** ...or when the floor estimate moved at least this far from it (bps, default 100). */
  floorDeviationBps: number;
  /** The floor estimate: the lowest of the last this-many accepted sales within the look-back (default 10). */
  floorSales: number;
  /** A relay unmined this long (ms, default 45 s) or this many blocks (default 3) is replaced by fee at its nonce. */
  replaceAfterMs: number;
  replaceAfterBlocks: number;
}

export const DEFAULT_CONFIG: OracleConfig = {
  filter: DEFAULT_FILTER,
  push: DEFAULT_PUSH,
  deadlineSec: 600,
  lookbackSec: 24 * 3600,
  receiptTimeoutMs: 60_000,
  floorRefreshSec: 6 * 3600,
  floorDeviationBps: 100,
  floorSales: 10,
  replaceAfterMs: 45_000,
  replaceAfterBlocks: 3,
};

/** What the service needs: clients, store, addresses and keys. The demo builds one and calls runOracleOnce. */
export interface OracleCtx {
  pub: PublicClient;
  /** A wallet client with its chain set; the accounts below sign. */
  wallet: WalletClient;
  kv: Kv;
  chainId: number;
  valuation: Address;
  collections: Address[];
  /** Signs SaleReports (an authorised reporter of the valuation). */
  reporter: LocalAccount;
  /** Sends relaySale / publishRoot (default: the reporter). */
  relayer?: Account;
  /** Writes the local floor feeds; unset: feeds are not written. Refused on chain id 1 (Chainlink's feeds). */
  feedUpdater?: Account;
  /** Trait roots: the pricer, its signer and the tables (see traits.ts). */
  traitPricer?: Address;
  traitSigner?: LocalAccount;
  traitTables?: TraitTable[];
  /** Any setting left out (a filter or push one included) takes its default. */
  config?: Partial<Omit<OracleConfig, 'filter' | 'push'>> & { filter?: Partial<FilterConfig>; push?: Partial<PushConfig> };
  log?: (line: string) => void;
  /** Test hook: runs after a relay was simulated and before it is sent. */
  beforeSend?: (report: SaleReport, sale: Sale) => Promise<void>;
  /** Kept between rounds by runOracleOnce (the relayer's nonce counter and pending transactions). */
  state?: { sender?: Sender; counts?: Record<string, number>; countsLoaded?: boolean; checked?: boolean; lastError?: { at: number; line: string } };
}

export interface CollectionRound {
  collection: Address;
  pushed?: { saleId: string; price: bigint; timestamp: number; tx: Hex; recorded?: bigint; why: string };
  /** Why nothing was pushed, when nothing was. */
  held?: string;
  rejected: Record<string, number>;
  bad: number;
  floor?: { from: bigint; to: bigint; tx: Hex };
}

export interface RoundReport {
  block: bigint;
  time: number;
  collections: CollectionRound[];
  resolved: { saleId: string; outcome: string }[];
  errors: string[];
}

export type ClaimState = 'claimed' | 'sent' | 'pushed' | 'reverted' | 'refused' | 'expired';
export interface Claim {
  state: ClaimState;
  saleId: string;
  collection: Address;
  price: string;
  timestamp: number;
  deadline: number;
  hashes?: Hex[];
  block?: string;
  reason?: string;
  at: number;
}

/** Key names (without the store's own prefix). */
export const keys = (chainId: number, valuation: Address) => {
  const base = `oracle:${chainId}:${valuation.toLowerCase()}:`;
  return {
    claim: (saleId: string) => `${base}push:${saleId}`,
    inflight: `${base}inflight`,
    seen: (what: string) => `${base}seen:${what}`,
    health: `${base}health`,
    epochs: `${base}epochs`,
  };
};

const ZERO = '0x0000000000000000000000000000000000000000';
/** Sales read per collection per round at most. */
const SALES_PER_READ = 5_000;

function cfgOf(ctx: OracleCtx): OracleConfig {
  const c = ctx.config ?? {};
  return { ...DEFAULT_CONFIG, ...c, filter: { ...DEFAULT_FILTER, ...c.filter }, push: { ...DEFAULT_PUSH, ...c.push } };
}

/** The custom error name (or reason) of a failed call, else the first line of its message. */
export function reasonOf(e: unknown): string {
  if (e instanceof BaseError) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (r instanceof ContractFunctionRevertedError) return r.data?.errorName ?? r.reason ?? 'reverted';
    return (e.shortMessage || e.message).split('\n')[0];
  }
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
const isRevert = (e: unknown) => e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError) instanceof ContractFunctionRevertedError;

/**
 * One round of the service. Never throws for one bad collection, sale or transaction: each is logged, counted and
 * skipped; an error of the store or the RPC ends that collection's part of the round (reported in `errors`) and the
 * next round starts over from the chain and the store.
 */
export async function runOracleOnce(ctx: OracleCtx): Promise<RoundReport> {
  if (ctx.feedUpdater && ctx.chainId === 1) {
    throw new Error('refusing to write floor feeds on chain 1: the floor there is Chainlink\'s and read-only');
  }
  const cfg = cfgOf(ctx);
  const log = ctx.log ?? (() => {});
  ctx.state ??= {};
  const st = ctx.state;
  st.counts ??= {};
  const relayer = ctx.relayer ?? ctx.reporter;
  st.sender ??= new Sender(ctx.pub, ctx.wallet, relayer, {
    log,
    alert: (l) => log(`ALERT: ${l}`),
    replaceAfterMs: cfg.replaceAfterMs,
    replaceAfterBlocks: cfg.replaceAfterBlocks,
  });
  const k = keys(ctx.chainId, ctx.valuation);
  if (!st.checked) {
    // Once per process: the valuation's domain must be the one we sign under (else every relay fails), and the
    // reporter key should be authorised (else every relay is refused: said loudly, and each refusal is still counted).
    const probe: SaleReport = { collection: ZERO, price: 1n, timestamp: 1n, listingEpoch: 0n, deadline: 1n };
    const onChain = await ctx.pub.readContract({ address: ctx.valuation, abi: iValuationAdminAbi, functionName: 'hashSaleReport', args: [probe] });
    if (onChain !== saleReportDigest(BigInt(ctx.chainId), ctx.valuation, probe)) {
      throw new Error(`the valuation at ${ctx.valuation} hashes SaleReports under another EIP-712 domain than chain ${ctx.chainId} / "NFTLend Valuation" v1: wrong address or chain id`);
    }
    if (!(await ctx.pub.readContract({ address: ctx.valuation, abi: iValuationAdminAbi, functionName: 'isReporter', args: [ctx.reporter.address] }))) {
      log(`ALERT: the reporter key ${ctx.reporter.address} is not an authorised reporter of the valuation: every relay will be refused`);
    }
    st.checked = true;
  }
  const block = await ctx.pub.getBlock({ blockTag: 'latest' });
  const now = Number(block.timestamp);
  const report: RoundReport = { block: block.number!, time: now, collections: [], resolved: [], errors: [] };
  const count = (what: string, n = 1) => (st.counts![what] = (st.counts![what] ?? 0) + n);
  const fail = (where: string, e: unknown) => {
    const line = `${where}: ${reasonOf(e)}`;
    report.errors.push(line);
    st.lastError = { at: now, line };
    count('errors');
    log(`error: ${line}`);
  };

  try {
    if (!st.countsLoaded) {
      const h = await ctx.kv.hgetall(k.health);
      for (const [f, v] of Object.entries(h)) if (f.startsWith('count:')) st.counts[f.slice(6)] = Math.max(st.counts[f.slice(6)] ?? 0, Number(v) || 0);
      st.countsLoaded = true;
    }
  } catch (e) {
    fail('reading health', e);
  }

  // 1. Claims without an outcome (a crash, a timeout, a store that was down): resolved from the chain. Relays this
  // process still has pending are polled first (and replaced by fee when stuck).
  const unresolved = new Set<string>();
  const minedNow = new Map<string, TransactionReceipt>();
  try {
    if (st.sender.pending.size) for (const m of await st.sender.poll()) minedNow.set(m.tx.label, m.receipt);
  } catch (e) {
    fail('polling pending relays', e);
  }
  try {
    const inflight = await ctx.kv.hgetall(k.inflight);
    for (const [saleId] of Object.entries(inflight)) {
      try {
        const outcome = await resolveClaim(ctx, k, saleId, now, st.sender, minedNow);
        if (outcome === 'open') {
          const c = await readClaim(ctx.kv, k.claim(saleId));
          if (c) unresolved.add(c.collection.toLowerCase());
        } else if (outcome) {
          report.resolved.push({ saleId, outcome });
          count(outcome === 'pushed' ? 'pushed' : `relay-${outcome}`);
          log(`claim ${saleId} resolved: ${outcome}`);
        }
      } catch (e) {
        fail(`resolving ${saleId}`, e);
      }
    }
  } catch (e) {
    fail('reading the in-flight claims', e);
    // Without the in-flight list the round cannot know what is in flight: push nothing now.
    await writeHealth(ctx, k, st, now, report).catch(() => {});
    return report;
  }

  // 2. Each collection.
  for (const collection of ctx.collections) {
    const cr: CollectionRound = { collection, rejected: {}, bad: 0 };
    report.collections.push(cr);
    try {
      await collectionRound(ctx, cfg, k, collection, now, cr, unresolved.has(collection.toLowerCase()), count, log);
    } catch (e) {
      fail(`collection ${collection}`, e);
      cr.held ??= 'error';
    }
  }

  // 3. Trait roots.
  if (ctx.traitTables?.length && ctx.traitPricer && ctx.traitSigner) {
    try {
      const r = await publishTraitRoots({ ...ctx, relayer, traitPricer: ctx.traitPricer, traitSigner: ctx.traitSigner, tables: ctx.traitTables, now, log });
      for (const p of r) count(`trait-root-${p.action}`);
    } catch (e) {
      fail('trait roots', e);
    }
  }

  try {
    await writeHealth(ctx, k, st, now, report);
  } catch (e) {
    report.errors.push(`writing health: ${reasonOf(e)}`);
    log(`error: writing health: ${reasonOf(e)}`);
  }
  ctx.state.sender?.forgetNonceIfIdle();
  return report;
}

type Keys = ReturnType<typeof keys>;

async function collectionRound(
  ctx: OracleCtx,
  cfg: OracleConfig,
  k: Keys,
  collection: Address,
  now: number,
  cr: CollectionRound,
  hasInflight: boolean,
  count: (what: string, n?: number) => void,
  log: (l: string) => void,
) {
  const v = { address: ctx.valuation, abi: iValuationAdminAbi } as const;
  const [config, state, spacing, epoch] = await Promise.all([
    ctx.pub.readContract({ ...v, functionName: 'collectionConfig', args: [collection] }),
    ctx.pub.readContract({ ...v, functionName: 'twapState', args: [collection] }),
    ctx.pub.readContract({ ...v, functionName: 'minSpacing', args: [collection] }),
    ctx.pub.readContract({ ...v, functionName: 'listingEpoch', args: [collection] }),
  ]);
  const [feedCfg, params] = config;
  const [head, twapSt] = state;
  if (!feedCfg.listed) {
    cr.held = 'not-listed';
    return;
  }
  // A relisting (a new listingEpoch) starts a new history: sales from before the service saw it are not pushed to it
  // (the valuation voids old signed reports across a relist for the same reason: old cheap sales must not rebuild the
  // new listing's baseline). The first epoch the service ever sees keeps every sale.
  const epochRaw = await ctx.kv.hget(k.epochs, collection.toLowerCase());
  let listedSince = 0;
  const known = epochRaw ? (JSON.parse(epochRaw) as { epoch: string; since: number }) : undefined;
  if (!known || BigInt(known.epoch) !== epoch) {
    listedSince = known ? now : 0;
    await ctx.kv.exec([{ op: 'hset', key: k.epochs, field: collection.toLowerCase(), value: JSON.stringify({ epoch: epoch.toString(), since: listedSince }) }]);
    if (known) log(`${collection} was relisted (listing epoch ${known.epoch} -> ${epoch}): only sales from now on are pushed`);
  } else listedSince = known.since;
  const floor = await readFloor(ctx, feedCfg.feed, feedCfg.decimalsShift);
  const twap: TwapView = {
    twap: head.twap,
    ready: head.ready,
    count: twapSt.count,
    minSales: params.minSales,
    newestTime: twapSt.newestTime,
    minSpacing: Number(spacing),
  };
  // The look-back window, narrowed while it holds more than one read's worth (the store returns the oldest first).
  let window = cfg.lookbackSec;
  let loaded = await loadRecentSales(ctx.kv, collection, now - window, SALES_PER_READ);
  while (loaded.sales.length + loaded.bad.length >= SALES_PER_READ && window > 60) {
    window = Math.floor(window / 4);
    loaded = await loadRecentSales(ctx.kv, collection, now - window, SALES_PER_READ);
  }
  for (const b of loaded.bad) {
    cr.bad++;
    if (await ctx.kv.setNx(k.seen(`bad:${collection.toLowerCase()}:${hashText(b.member)}`), b.reason)) {
      count(`bad-sale`);
      log(`skipped a stored sale of ${collection}: ${b.reason}: ${b.member}`);
    }
  }
  const sales = loaded.sales.filter((s) => s.chainId === ctx.chainId);
  const verdicts = judge(sales, { twap: twap.count >= twap.minSales ? twap.twap : undefined, floor: floor?.value }, cfg.filter);

  // Rejections of sales that could still have been pushed are counted, once per sale.
  let candidate: Sale | undefined;
  const candidates: Sale[] = [];
  for (let i = 0; i < sales.length; i++) {
    const s = sales[i];
    const fresh = (twap.count === 0 || s.timestamp > twap.newestTime) && s.timestamp >= listedSince;
    let why: string | undefined = verdicts[i];
    if (!why && s.unitPrice > params.maxPrice) why = 'above-max-price';
    if (why) {
      // Counted (in the round's report and the health counts) the first time it is judged, once per sale.
      if (fresh && (await ctx.kv.setNx(k.seen(`rejected:${s.id}`), why))) {
        cr.rejected[why] = (cr.rejected[why] ?? 0) + 1;
        count(`rejected-${why}`);
        log(`rejected sale ${s.id} of ${collection} at ${s.unitPrice}: ${why}`);
      }
      continue;
    }
    if (fresh && s.timestamp <= now) candidates.push(s); // a sale from this block's future waits for a later round
  }
  // The latest acceptable sale that was never claimed (a claimed one was pushed, or refused for good).
  for (let i = candidates.length - 1; i >= 0 && i >= candidates.length - 16; i--) {
    if ((await ctx.kv.get(k.claim(candidates[i].id))) === null) {
      candidate = candidates[i];
      break;
    }
  }

  // The floor feed follows the accepted sales.
  if (ctx.feedUpdater && floor) {
    const accepted = sales.filter((s, i) => !verdicts[i] && s.timestamp >= now - cfg.lookbackSec && s.timestamp <= now).slice(-cfg.floorSales);
    await refreshFloor(ctx, cfg, feedCfg.feed, floor, accepted, now, cr, count, log);
  }

  if (hasInflight) {
    cr.held = 'in-flight';
    return;
  }
  if (!candidate) {
    cr.held = 'no-sale';
    return;
  }
  const d = decidePush({ timestamp: candidate.timestamp, price: candidate.unitPrice }, twap, now, cfg.push);
  if (!d.push) {
    cr.held = d.why;
    return;
  }
  await pushSale(ctx, cfg, k, candidate, epoch, now, d.why, cr, count, log);
}

function hashText(s: string): string {
  // FNV-1a, 52 bits: a key for "this exact member was already reported", not a security boundary.
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n) & 0xfffffffffffffn;
  return h.toString(16);
}

async function pushSale(
  ctx: OracleCtx,
  cfg: OracleConfig,
  k: Keys,
  sale: Sale,
  listingEpoch: bigint,
  now: number,
  why: string,
  cr: CollectionRound,
  count: (what: string, n?: number) => void,
  log: (l: string) => void,
) {
  const sender = ctx.state!.sender!;
  const relayer = ctx.relayer ?? ctx.reporter;
  const deadline = now + cfg.deadlineSec;
  const claim: Claim = {
    state: 'claimed',
    saleId: sale.id,
    collection: sale.collection,
    price: sale.unitPrice.toString(),
    timestamp: sale.timestamp,
    deadline,
    at: now,
  };
  // In-flight entry first, then the claim: a crash between them leaves an entry whose claim is missing (dropped at
  // the next round); never a claim that no round looks at.
  await ctx.kv.exec([{ op: 'hset', key: k.inflight, field: sale.id, value: JSON.stringify(claim) }]);
  if (!(await ctx.kv.setNx(k.claim(sale.id), JSON.stringify(claim)))) {
    cr.held = 'already-claimed';
    return;
  }
  const report: SaleReport = { collection: sale.collection, price: sale.unitPrice, timestamp: BigInt(sale.timestamp), listingEpoch, deadline: BigInt(deadline) };
  const signature = await signSaleReport(ctx.reporter, BigInt(ctx.chainId), ctx.valuation, report);
  const call = { address: ctx.valuation, abi: iValuationAdminAbi, functionName: 'relaySale', args: [report, signature], account: relayer } as const;
  let gas: bigint;
  try {
    await ctx.pub.simulateContract(call);
    gas = ((await ctx.pub.estimateContractGas(call)) * 5n) / 4n;
  } catch (e) {
    if (isRevert(e)) {
      // The valuation refuses it (spacing, order, epoch, signer, ...): final, the sale is not tried again.
      await finish(ctx, k, { ...claim, state: 'refused', reason: reasonOf(e) });
      count('relay-refused');
      cr.held = `refused: ${reasonOf(e)}`;
      log(`relay of sale ${sale.id} refused by the valuation: ${reasonOf(e)}`);
      return;
    }
    // Nothing was sent: release the claim so a later round may try again.
    await ctx.kv.exec([{ op: 'del', key: k.claim(sale.id) }, { op: 'hdel', key: k.inflight, field: sale.id }]);
    throw e;
  }
  await ctx.beforeSend?.(report, sale);
  const data = encodeFunctionData({ abi: iValuationAdminAbi, functionName: 'relaySale', args: [report, signature] });
  let tx;
  try {
    tx = await sender.send(`relay ${sale.id}`, { to: ctx.valuation, data, gas });
  } catch (e) {
    // The broadcast failed; it may still have reached the node. The claim stays: the deadline settles it.
    log(`sending the relay of ${sale.id} failed: ${reasonOf(e)} (the claim is resolved from the chain after its deadline)`);
    throw e;
  }
  const sent: Claim = { ...claim, state: 'sent', hashes: [...tx.hashes] };
  await ctx.kv.exec([
    { op: 'set', key: k.claim(sale.id), value: JSON.stringify(sent) },
    { op: 'hset', key: k.inflight, field: sale.id, value: JSON.stringify(sent) },
  ]);
  const receipt = await waitMined(sender, tx.nonce, cfg.receiptTimeoutMs);
  if (!receipt) {
    if (tx.hashes.length > sent.hashes!.length) {
      const upd: Claim = { ...sent, hashes: [...tx.hashes] };
      await ctx.kv.exec([
        { op: 'set', key: k.claim(sale.id), value: JSON.stringify(upd) },
        { op: 'hset', key: k.inflight, field: sale.id, value: JSON.stringify(upd) },
      ]);
    }
    cr.held = 'pending';
    log(`relay of ${sale.id} not mined within ${cfg.receiptTimeoutMs} ms; the next rounds follow it`);
    return;
  }
  const done = await outcomeOf(ctx, { ...sent, hashes: [...tx.hashes] }, receipt);
  await finish(ctx, k, done);
  if (done.state === 'pushed') {
    count('pushed');
    const recorded = recordedPrice(receipt, ctx.valuation);
    cr.pushed = { saleId: sale.id, price: sale.unitPrice, timestamp: sale.timestamp, tx: receipt.transactionHash, recorded, why };
    await ctx.kv.exec([
      { op: 'hset', key: k.health, field: 'lastPushAt', value: String(now) },
      { op: 'hset', key: k.health, field: 'lastPushSale', value: sale.id },
      { op: 'hset', key: k.health, field: 'lastPushTx', value: receipt.transactionHash },
    ]);
    log(`pushed sale ${sale.id} of ${sale.collection} at ${sale.unitPrice} (${why}; recorded ${recorded ?? '?'}) in ${receipt.transactionHash}`);
  } else {
    count(`relay-${done.state}`);
    cr.held = `${done.state}: ${done.reason ?? ''}`;
    log(`relay of sale ${sale.id} ${done.state} on chain: ${done.reason} (${receipt.transactionHash})`);
  }
}

async function waitMined(sender: Sender, nonce: number, timeoutMs: number): Promise<TransactionReceipt | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const mined = await sender.poll();
    const mine = mined.find((m) => m.tx.nonce === nonce);
    if (mine) return mine.receipt;
    if (!sender.pending.has(nonce)) return undefined;
    if (Date.now() >= end) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The claim after its receipt: pushed, or reverted with the valuation's reason (replayed at that block). */
async function outcomeOf(ctx: OracleCtx, c: Claim, receipt: TransactionReceipt): Promise<Claim> {
  if (receipt.status === 'success') return { ...c, state: 'pushed', block: receipt.blockNumber.toString(), hashes: [receipt.transactionHash] };
  // Replayed on the state after its block, where whatever beat it (most often another write) is in place.
  let reason = 'reverted';
  try {
    const tx = await ctx.pub.getTransaction({ hash: receipt.transactionHash });
    const call = decodeFunctionData({ abi: iValuationAdminAbi, data: tx.input });
    if (call.functionName !== 'relaySale') throw new Error(`${call.functionName}, not relaySale`);
    await ctx.pub.simulateContract({ address: ctx.valuation, abi: iValuationAdminAbi, functionName: 'relaySale', args: call.args, account: tx.from, blockNumber: receipt.blockNumber });
  } catch (e) {
    reason = reasonOf(e);
  }
  return { ...c, state: 'reverted', reason, block: receipt.blockNumber.toString(), hashes: [receipt.transactionHash] };
}

function recordedPrice(receipt: TransactionReceipt, valuation: Address): bigint | undefined {
  for (const l of receipt.logs) {
    if (getAddress(l.address) !== getAddress(valuation)) continue;
    try {
      const ev = decodeEventLog({ abi: iValuationAdminAbi, data: l.data, topics: l.topics });
      if (ev.eventName === 'SaleObserved') return ev.args.recorded;
    } catch {
      /* another event */
    }
  }
  return undefined;
}

async function finish(ctx: OracleCtx, k: Keys, c: Claim) {
  await ctx.kv.exec([
    { op: 'set', key: k.claim(c.saleId), value: JSON.stringify({ ...c, at: c.at }) },
    { op: 'hdel', key: k.inflight, field: c.saleId },
  ]);
}

async function readClaim(kv: Kv, key: string): Promise<Claim | null> {
  const raw = await kv.get(key);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Claim;
  } catch {
    return null;
  }
}

/** Resolves one in-flight claim: its final state, 'open' while it may still land, or undefined when dropped. */
async function resolveClaim(
  ctx: OracleCtx,
  k: Keys,
  saleId: string,
  now: number,
  sender: Sender,
  minedNow: Map<string, TransactionReceipt>,
): Promise<ClaimState | 'open' | undefined> {
  const c = await readClaim(ctx.kv, k.claim(saleId));
  if (!c) {
    // The claim was never taken (a crash between the two writes) or was released: nothing was sent.
    await ctx.kv.exec([{ op: 'hdel', key: k.inflight, field: saleId }]);
    return undefined;
  }
  if (c.state !== 'claimed' && c.state !== 'sent') {
    await ctx.kv.exec([{ op: 'hdel', key: k.inflight, field: saleId }]);
    return undefined;
  }
  const label = `relay ${saleId}`;
  const justMined = minedNow.get(label);
  if (justMined) {
    const done = await outcomeOf(ctx, c, justMined);
    await finish(ctx, k, done);
    return done.state;
  }
  // Still pending in this process (the sender replaces it by fee when stuck): record every version's hash.
  const pending = sender.pendingLabel(label);
  if (pending) {
    if (pending.hashes.length !== (c.hashes ?? []).length) {
      const upd: Claim = { ...c, state: 'sent', hashes: [...pending.hashes] };
      await ctx.kv.exec([
        { op: 'set', key: k.claim(saleId), value: JSON.stringify(upd) },
        { op: 'hset', key: k.inflight, field: saleId, value: JSON.stringify(upd) },
      ]);
    }
    return 'open';
  }
  for (const hash of c.hashes ?? []) {
    const receipt = await ctx.pub.getTransactionReceipt({ hash }).catch(() => undefined);
    if (receipt) {
      const done = await outcomeOf(ctx, c, receipt);
      await finish(ctx, k, done);
      return done.state;
    }
  }
  if (now <= c.deadline) return 'open';
  // Past its deadline the report can never land: the chain says whether it did.
  const [, times] = await ctx.pub.readContract({ address: ctx.valuation, abi: iValuationAdminAbi, functionName: 'observations', args: [c.collection] });
  const landed = times.some((t) => Number(t) === c.timestamp);
  const done: Claim = { ...c, state: landed ? 'pushed' : 'expired', reason: landed ? 'found on chain' : 'not on chain after its deadline' };
  await finish(ctx, k, done);
  return done.state;
}

interface Floor {
  value: bigint;
  /** The raw answer and its update time. */
  answer: bigint;
  updatedAt: number;
  decimalsShift: number;
}

/** The floor feed's latest answer, normalised to pool-asset units (undefined when it fails or is not positive). */
async function readFloor(ctx: OracleCtx, feed: Address, shift: number): Promise<Floor | undefined> {
  if (feed === ZERO) return undefined;
  try {
    const [, answer, , updatedAt] = await ctx.pub.readContract({ address: feed, abi: localFloorFeedAbi, functionName: 'latestRoundData' });
    if (answer <= 0n) return undefined;
    const value = shift >= 0 ? answer * 10n ** BigInt(shift) : answer / 10n ** BigInt(-shift);
    return { value, answer, updatedAt: Number(updatedAt), decimalsShift: shift };
  } catch {
    return undefined;
  }
}

async function refreshFloor(
  ctx: OracleCtx,
  cfg: OracleConfig,
  feed: Address,
  floor: Floor,
  accepted: Sale[],
  now: number,
  cr: CollectionRound,
  count: (what: string, n?: number) => void,
  log: (l: string) => void,
) {
  const estimate = accepted.length ? accepted.reduce((m, s) => (s.unitPrice < m ? s.unitPrice : m), accepted[0].unitPrice) : floor.value;
  const stale = now - floor.updatedAt >= cfg.floorRefreshSec;
  const moved = deviatesAtLeast(estimate, floor.value, cfg.floorDeviationBps);
  if (!stale && !moved) return;
  const updater = await ctx.pub.readContract({ address: feed, abi: localFloorFeedAbi, functionName: 'UPDATER' }).catch(() => undefined);
  const me = typeof ctx.feedUpdater === 'string' ? ctx.feedUpdater : ctx.feedUpdater!.address;
  if (!updater || getAddress(updater) !== getAddress(me)) {
    log(`floor feed ${feed} is not a local feed this key updates (updater ${updater ?? 'unknown'}): left alone`);
    return;
  }
  const s = floor.decimalsShift;
  const answer = s >= 0 ? estimate / 10n ** BigInt(s) : estimate * 10n ** BigInt(-s);
  if (answer <= 0n) return;
  const hash = await ctx.wallet.writeContract({ address: feed, abi: localFloorFeedAbi, functionName: 'update', args: [answer], account: ctx.feedUpdater!, chain: ctx.wallet.chain });
  const receipt = await ctx.pub.waitForTransactionReceipt({ hash, timeout: cfg.receiptTimeoutMs });
  if (receipt.status !== 'success') throw new Error(`floor feed update reverted (${hash})`);
  cr.floor = { from: floor.value, to: estimate, tx: hash };
  count('floor-updates');
  log(`floor feed of ${cr.collection}: ${floor.value} -> ${estimate} (${stale ? 'refresh' : 'moved'}) in ${hash}`);
}

/** Writes the whole health hash from the process's own copy (so what happened while the store was down is kept). */
async function writeHealth(ctx: OracleCtx, k: Keys, st: NonNullable<OracleCtx['state']>, now: number, report: RoundReport) {
  const ops = [
    { op: 'hset' as const, key: k.health, field: 'lastRoundAt', value: String(now) },
    { op: 'hset' as const, key: k.health, field: 'lastRoundBlock', value: report.block.toString() },
    { op: 'hset' as const, key: k.health, field: 'lastRoundErrors', value: String(report.errors.length) },
    ...Object.entries(st.counts ?? {}).map(([f, n]) => ({ op: 'hset' as const, key: k.health, field: `count:${f}`, value: String(n) })),
  ];
  if (st.lastError) {
    ops.push({ op: 'hset', key: k.health, field: 'lastError', value: st.lastError.line.slice(0, 500) });
    ops.push({ op: 'hset', key: k.health, field: 'lastErrorAt', value: String(st.lastError.at) });
  }
  await ctx.kv.exec(ops);
}

/** The health hash as an object (for `--health` and tests). */
export async function readHealth(kv: Kv, chainId: number, valuation: Address): Promise<Record<string, string>> {
  return kv.hgetall(keys(chainId, valuation).health);
}
