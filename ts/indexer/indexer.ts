// The sales indexer: Seaport 1.6 OrderFulfilled logs (with the OrdersMatched and NFT transfers of their transactions)
// read in block ranges up to a confirmation depth, turned into Sales by docs/sale-rules.md (ts/indexer/rules.ts), and
// stored with the cursor in one atomic batch (ts/indexer/store.ts). Reorgs are found by comparing stored block hashes
// with the chain, and the sales above the fork point are rolled back and re-read. RPC failures are retried with
// exponential back-off; a provider that refuses a range (or answers too much) gets a smaller one. A node that no
// longer keeps the state of an old block (a full node prunes it after ~128 blocks) gets rule 7's order-status read at
// the head instead, counted and logged (docs/indexer.md, "Archive RPC").
import { createPublicClient, http, parseAbi, type Address, type Hex, type PublicClient } from 'viem';
import type { Kv } from '../lib/kv.js';
import { SEAPORT } from '../lib/seaport.js';
import {
  ORDER_FULFILLED_TOPIC,
  ORDERS_MATCHED_TOPIC,
  TRANSFER_SINGLE_TOPIC,
  TRANSFER_TOPIC,
  decodeNftTransfer,
  decodeOrderFulfilled,
  decodeOrdersMatched,
  finish,
  preClassify,
  type Fulfilled,
  type Pre,
  type RawLog,
  type RuleConfig,
  type TxContext,
} from './rules.js';
import { SKIP_REASONS, type Sale, type SkipReason } from './sale.js';
import { KEYS, commitOps, readBlocks, readCursor, readSkips, rollbackTo } from './store.js';

export interface IndexerOptions {
  rpcUrl: string;
  kv: Kv;
  collections: Address[];
  /** The pool asset (an ERC-20). */
  asset: Address;
  /** Native ETH counts as the asset (a WETH pool). Default true. */
  assetIsWeth?: boolean;
  seaport?: Address;
  /** First block when the store has no cursor. */
  fromBlock: bigint;
  confirmations: number;
  /** Largest block range per eth_getLogs (default 2,000); halved when the provider refuses, regrown after. */
  maxRange?: number;
  /** How many blocks of hashes to keep for reorg detection (default 256). */
  reorgWindow?: number;
  /** Attempts per RPC request before giving up (default 8); back-off doubles from backoffMs (default 250 ms). */
  attempts?: number;
  backoffMs?: number;
  /** Progress line interval (default 5,000 ms; 0: none). */
  progressMs?: number;
  /** Poll interval when following the head (default 500 ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface Stats {
  sales: number;
  skips: Record<string, number>;
  ranges: number;
  retries: number;
  rangeShrinks: number;
  reorgs: number;
  rolledBack: number;
  /** Logs that did not decode (a provider's truncated or foreign log): skipped, counted here and in ix:health. */
  malformed: number;
  /** Candidate fills whose order status was read at the head because the node had pruned the fill block's state. */
  statusAtHead: number;
  /** Milliseconds spent reading logs and block headers, reading order status, in the rules, and writing the store. */
  ms: { fetch: number; status: number; rules: number; store: number };
}

const statusAbi = parseAbi(['function getOrderStatus(bytes32) view returns (bool, bool, uint256, uint256)']);
const RANGE_ERROR = /range|limit|too many|exceed|response size|query returned more/i;
/**
 * How nodes say they no longer keep a block's state: geth "missing trie node <root> (path )" (hash scheme) and
 * "historical state <root> is not available" (path scheme), "header not found"; reth "state at block #N is pruned";
 * OpenEthereum "... running with state pruning"; anvil --prune-history "BlockOutOfRangeError: block height is H but
 * requested was N". viem classes the error by its JSON-RPC code only (geth's -32000 becomes InvalidInputRpcError,
 * "Missing or invalid parameters."; anvil's -32602 InvalidParamsRpcError), wrapped in a CallExecutionError and a
 * ContractFunctionExecutionError; the node's own text survives in `details` and `message`, so the text is matched.
 */
export const STATE_MISSING_ERROR = /missing trie node|historical state|header not found|is pruned|state pruning|BlockOutOfRange/i;

export class Indexer {
  readonly pub: PublicClient;
  readonly stats: Stats = { sales: 0, skips: {}, ranges: 0, retries: 0, rangeShrinks: 0, reorgs: 0, rolledBack: 0, malformed: 0, statusAtHead: 0, ms: { fetch: 0, status: 0, rules: 0, store: 0 } };
  cursor: bigint | null = null;
  head = 0n;
  private cfg!: RuleConfig;
  private blocks = new Map<bigint, string>();
  private range: number;
  private readonly seaport: string;
  private readonly log: (line: string) => void;
  private lastProgress = { at: 0, block: 0n, sales: 0 };
  private stopped = false;
  private wake: (() => void) | null = null;
  /** The highest block whose state the node said it no longer has: blocks at or below go straight to the head. */
  private prunedAt: bigint | null = null;
  private ahead: { from: bigint; to: bigint; p: Promise<{ logs: RawLog[]; toHash: string } | 'shrink'> } | null = null;

  constructor(readonly o: IndexerOptions) {
    this.pub = createPublicClient({ transport: http(o.rpcUrl, { retryCount: 0, timeout: 30_000 }) });
    // Start small and grow: a first range over a busy stretch would otherwise hold every log of it in memory at once.
    this.range = Math.min(o.maxRange ?? 2_000, 64);
    this.seaport = (o.seaport ?? SEAPORT).toLowerCase();
    this.log = o.log ?? ((l) => process.stdout.write(`${l}\n`));
  }

  /** Reads the chain id and the stored cursor, skip counts and block hashes. */
  async init(): Promise<void> {
    const chainId = await this.retry('eth_chainId', () => this.pub.getChainId());
    this.cfg = {
      chainId,
      collections: new Set(this.o.collections.map((c) => c.toLowerCase())),
      asset: this.o.asset.toLowerCase(),
      assetIsWeth: this.o.assetIsWeth ?? true,
    };
    this.cursor = await readCursor(this.o.kv);
    this.stats.skips = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0]));
    Object.assign(this.stats.skips, await readSkips(this.o.kv));
    this.blocks = await readBlocks(this.o.kv);
    this.stats.sales = await this.o.kv.zcard(KEYS.seq);
    const health = await this.o.kv.hgetall(KEYS.health);
    this.stats.malformed = Number(health.malformed ?? 0);
    this.stats.statusAtHead = Number(health.statusAtHead ?? 0);
    this.lastProgress = { at: Date.now(), block: this.cursor ?? this.o.fromBlock - 1n, sales: this.stats.sales };
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Indexes up to the confirmed head as it is now, then returns. */
  async runOnce(): Promise<void> {
    await this.checkReorg();
    while (!this.stopped) {
      const safe = await this.safeHead();
      if (this.next() > safe) break;
      await this.step(safe);
    }
    this.progress(true);
  }

  /** Indexes and keeps following the head until stop(). */
  async follow(): Promise<void> {
    const pause = (ms: number) =>
      new Promise<void>((ok) => {
        const t = setTimeout(ok, ms);
        this.wake = () => { clearTimeout(t); ok(); };
      });
    while (!this.stopped) {
      try {
        await this.checkReorg();
        const safe = await this.safeHead();
        if (this.next() <= safe) await this.step(safe);
        else await pause(this.o.pollMs ?? 500);
      } catch (e) {
        // A following service outlives an outage longer than its retries: it says so and starts over from the cursor.
        this.ahead = null;
        this.log(`indexer: ${errText(e).split('\n')[0].slice(0, 200)}; resuming from block ${this.next()} in 5 s`);
        await pause(5_000);
      }
    }
  }

  private next(): bigint {
    return this.cursor === null ? this.o.fromBlock : this.cursor + 1n;
  }

  private async safeHead(): Promise<bigint> {
    this.head = await this.retry('eth_blockNumber', () => this.pub.getBlockNumber({ cacheTime: 0 }));
    return this.head - BigInt(this.o.confirmations);
  }

  private async blockHash(n: bigint): Promise<string | null> {
    const b = (await this.retry('eth_getBlockByNumber', () =>
      this.pub.request({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] }),
    )) as { hash: string } | null;
    return b?.hash ?? null;
  }

  /** When the cursor's block is no longer on the chain, rolls back to the highest stored block that still is. */
  async checkReorg(): Promise<void> {
    if (this.cursor === null) return;
    const stored = this.blocks.get(this.cursor);
    if (stored === undefined || (await this.blockHash(this.cursor)) === stored) return;
    const heights = [...this.blocks.keys()].filter((n) => n <= this.cursor!).sort((a, b) => (a < b ? 1 : -1));
    let keep: bigint | null = null;
    for (const n of heights) {
      if ((await this.blockHash(n)) === this.blocks.get(n)) {
        keep = n;
        break;
      }
    }
    if (keep === null) {
      keep = (heights.at(-1) ?? this.o.fromBlock) - 1n;
      this.log(`indexer: reorg deeper than the stored window; re-reading from block ${keep + 1n}`);
    }
    this.ahead = null;
    const removed = await rollbackTo(this.o.kv, keep);
    for (const n of [...this.blocks.keys()]) if (n > keep) this.blocks.delete(n);
    this.cursor = keep;
    this.stats.reorgs++;
    this.stats.rolledBack += removed.length;
    this.stats.sales -= removed.length;
    this.log(`indexer: reorg at block ${keep + 1n}: rolled back ${removed.length} sale(s), re-reading`);
  }

  /** A store that lost its state (a Redis restarted without persistence) is rebuilt from the first block. */
  private async checkStore(): Promise<void> {
    if (this.cursor === null) return;
    if ((await this.retry('store read', () => this.o.kv.get(KEYS.cursor))) !== null) return;
    this.log(`indexer: the store has no cursor any more (was ${this.cursor}): re-indexing from block ${this.o.fromBlock}`);
    this.cursor = null;
    this.blocks.clear();
    this.stats.sales = 0;
    this.stats.skips = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0]));
  }

  /**
   * One range from the cursor, at most up to `safe`. While a range is processed and stored, the next one's logs are
   * already being read (the node works while this process decodes and writes). The range adapts to the log volume:
   * halved above 4,000 logs (memory), doubled below 1,000 (up to maxRange).
   */
  async step(safe: bigint): Promise<Sale[]> {
    await this.checkStore();
    const from = this.next();
    const max = this.o.maxRange ?? 2_000;
    for (;;) {
      const to = minB(safe, from + BigInt(this.range) - 1n);
      const t0 = performance.now();
      let got: Awaited<ReturnType<Indexer['fetchRange']>>;
      const ahead = this.ahead;
      this.ahead = null;
      try {
        if (ahead && ahead.from === from && ahead.to === to) got = await ahead.p;
        else got = await this.fetchRange(from, to);
      } catch (e) {
        if (!(e instanceof ReorgInFlight)) throw e;
        // The chain changed under the read: find the fork point (if the stored blocks are affected) and start over.
        this.log(`indexer: ${e.message}; checking for a reorg`);
        await this.checkReorg();
        return [];
      }
      this.stats.ms.fetch += performance.now() - t0;
      if (got === 'shrink') continue;
      if (got.logs.length > 4_000 && this.range > 1) this.range = Math.max(1, Math.floor(this.range / 2));
      else if (got.logs.length < 1_000 && this.range < max) this.range = Math.min(this.range * 2, max);
      if (to < safe) {
        const nf = to + 1n;
        const nt = minB(safe, nf + BigInt(this.range) - 1n);
        const p = this.fetchRange(nf, nt);
        p.catch(() => {}); // awaited (and its error seen) by the next step, or dropped
        this.ahead = { from: nf, to: nt, p };
      }
      return this.process(from, to, got.logs, got.toHash);
    }
  }

  private async fetchRange(from: bigint, to: bigint): Promise<{ logs: RawLog[]; toHash: string } | 'shrink'> {
    const hex = (n: bigint) => `0x${n.toString(16)}`;
    try {
      const before = await this.blockHash(to);
      const [fills, transfers] = await Promise.all([
        this.getLogs({ address: this.seaport, topics: [[ORDER_FULFILLED_TOPIC, ORDERS_MATCHED_TOPIC]], fromBlock: hex(from), toBlock: hex(to) }),
        this.cfg.collections.size === 0
          ? Promise.resolve([] as RawLog[])
          : this.getLogs({ address: [...this.cfg.collections], topics: [[TRANSFER_TOPIC, TRANSFER_SINGLE_TOPIC]], fromBlock: hex(from), toBlock: hex(to) }),
      ]);
      const after = await this.blockHash(to);
      if (!before || before !== after) throw new ReorgInFlight(`block ${to} changed or vanished while its logs were read`);
      return { logs: [...fills, ...transfers], toHash: after };
    } catch (e) {
      if (e instanceof RangeRefused && this.range > 1) {
        this.range = Math.max(1, Math.floor(this.range / 2));
        this.stats.rangeShrinks++;
        return 'shrink';
      }
      throw e;
    }
  }

  private async getLogs(filter: Record<string, unknown>): Promise<RawLog[]> {
    return this.retry('eth_getLogs', async () => {
      try {
        return (await this.pub.request({ method: 'eth_getLogs', params: [filter as never] })) as unknown as RawLog[];
      } catch (e) {
        const msg = errText(e);
        if (RANGE_ERROR.test(msg) && this.range > 1) throw new RangeRefused(msg);
        throw e;
      }
    });
  }

  /** Retries `fn` with exponential back-off (a RangeRefused or StateMissing goes straight to the caller). */
  async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const attempts = this.o.attempts ?? 8;
    const base = this.o.backoffMs ?? 250;
    for (let k = 1; ; k++) {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof RangeRefused || e instanceof StateMissing || k >= attempts || this.stopped) throw e;
        const wait = Math.min(base * 2 ** (k - 1), 10_000);
        this.stats.retries++;
        this.log(`indexer: ${what} failed (${errText(e).split('\n')[0].slice(0, 160)}); retry ${k}/${attempts - 1} in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async process(from: bigint, to: bigint, logs: RawLog[], toHash: string): Promise<Sale[]> {
    const tStart = performance.now();
    let tWait = 0;
    const txs = new Map<string, TxContext>();
    const ctx = (h: string) => {
      let t = txs.get(h);
      if (!t) txs.set(h, (t = { matched: new Set(), transfers: [], fills: [] }));
      return t;
    };
    const fills: Fulfilled[] = [];
    const touched = new Set<SkipReason>();
    // Counted in a copy, adopted only once the batch is stored: a range retried after a failed write counts once.
    const skips = { ...this.stats.skips };
    const skip = (r: SkipReason) => {
      skips[r] = (skips[r] ?? 0) + 1;
      touched.add(r);
    };
    let malformed = 0;
    for (const l of logs) {
      try {
        const t0 = l.topics[0];
        if (t0 === ORDER_FULFILLED_TOPIC) {
          const f = decodeOrderFulfilled(l);
          fills.push(f);
          ctx(l.transactionHash).fills.push(f);
        }
        else if (t0 === ORDERS_MATCHED_TOPIC) for (const h of decodeOrdersMatched(l)) ctx(l.transactionHash).matched.add(h);
        else {
          const tr = decodeNftTransfer(l);
          if (tr) ctx(l.transactionHash).transfers.push(tr);
        }
      } catch (e) {
        malformed++;
        this.log(`indexer: skipped a malformed log (tx ${String(l.transactionHash).slice(0, 66)}, log ${l.logIndex}, topic ${String(l.topics?.[0]).slice(0, 66)}): ${errText(e).split('\n')[0].slice(0, 80)}`);
      }
    }
    const empty: TxContext = { matched: new Set(), transfers: [], fills: [] };
    // Rules 1–6, then the order status of the candidates, one deployless multicall per block.
    const candidates: { f: Fulfilled; pre: Exclude<Pre, { skip: SkipReason }>; tx: TxContext }[] = [];
    for (const f of fills) {
      const tx = txs.get(f.txHash) ?? empty;
      const pre = preClassify(f, tx, this.cfg);
      if (pre.skip) skip(pre.skip);
      else candidates.push({ f, pre, tx });
    }
    const byBlock = new Map<bigint, typeof candidates>();
    for (const c of candidates) {
      const l = byBlock.get(c.f.blockNumber) ?? [];
      l.push(c);
      byBlock.set(c.f.blockNumber, l);
    }
    const sales: Sale[] = [];
    const hashes = new Map<bigint, string>([[to, toHash]]);
    // The order status reads of several blocks run concurrently (each is one eth_call at its own block).
    const tq = performance.now();
    const blocksWithFills = [...byBlock.entries()];
    const looked = await mapLimit(blocksWithFills, 8, async ([block, list]) => ({
      status: await this.totalSizes(block, list.map((c) => ({ market: c.f.marketplace, hash: c.f.orderHash }))),
      ts: list[0].f.timestamp ?? (await this.timestamp(block)),
    }));
    tWait += performance.now() - tq;
    let statusAtHead = 0;
    blocksWithFills.forEach(([block, list], b) => {
      const { status: { sizes, atHead }, ts } = looked[b];
      if (atHead) statusAtHead += list.length;
      hashes.set(block, list[0].f.blockHash);
      list.forEach((c, i) => {
        const r = finish(c.f, c.pre, c.tx, sizes[i], ts, this.cfg);
        if (typeof r === 'string') skip(r);
        else sales.push(r);
      });
    });
    const window = BigInt(this.o.reorgWindow ?? 256);
    for (const [n, h] of hashes) this.blocks.set(n, h);
    const prune = [...this.blocks.keys()].filter((n) => n + window < to);
    for (const n of prune) this.blocks.delete(n);
    const ops = commitOps({ sales, skips, touched, blockHashes: hashes, pruneBlocks: prune, cursor: to });
    const lag = this.head > to ? this.head - to : 0n;
    const totals = { malformed: this.stats.malformed + malformed, statusAtHead: this.stats.statusAtHead + statusAtHead };
    for (const [field, value] of Object.entries({ head: this.head, cursor: to, lag, updatedAt: Date.now(), salesTotal: this.stats.sales + sales.length, ...totals })) {
      ops.push({ op: 'hset', key: KEYS.health, field, value: String(value) });
    }
    const ts0 = performance.now();
    this.stats.ms.status += tWait;
    this.stats.ms.rules += ts0 - tStart - tWait;
    await this.retryStore(() => this.o.kv.exec(ops));
    this.stats.ms.store += performance.now() - ts0;
    this.stats.skips = skips;
    Object.assign(this.stats, totals);
    this.cursor = to;
    this.stats.sales += sales.length;
    this.stats.ranges++;
    this.progress(false);
    return sales;
  }

  /** The store may be restarting (Redis killed): keep trying, with back-off, up to the attempts limit. */
  private retryStore(fn: () => Promise<void>): Promise<void> {
    return this.retry('store write', fn);
  }

  /**
   * Rule 7's input: each order's getOrderStatus totalSize at the fills' block. A node that has pruned that block's
   * state (STATE_MISSING_ERROR) is asked at the head instead: Seaport 1.6 never lowers a totalSize above 1 (a further
   * fill keeps or multiplies it, a cancellation leaves it), so the answer to rule 7 is the same, except for an order
   * whose fractions overflowed 120 bits and were divided by their gcd (docs/indexer.md, "Archive RPC").
   */
  private async totalSizes(block: bigint, orders: { market: string; hash: Hex }[]): Promise<{ sizes: bigint[]; atHead: boolean }> {
    if (this.prunedAt === null || block > this.prunedAt) {
      try {
        return { sizes: await this.readStatus(block, orders, true), atHead: false };
      } catch (e) {
        if (!(e instanceof StateMissing)) throw e;
        if (this.prunedAt === null) {
          this.log(
            `indexer: the node has no state at block ${block} (${e.message.slice(0, 120)}): reading order status at the head instead ` +
              `(block ${this.head}); a partial fill is still told apart unless its fractions were reduced by their gcd. An archive RPC is recommended for backfills (docs/indexer.md)`,
          );
        }
        if (this.prunedAt === null || block > this.prunedAt) this.prunedAt = block;
      }
    }
    // The head is at or above every block indexed (ranges end at head - confirmations), and recent enough to be kept.
    return { sizes: await this.readStatus(this.head, orders, false), atHead: true };
  }

  /** getOrderStatus of each order at `at`, 500 per deployless multicall; `missingIsFinal`: a pruned state is not retried. */
  private async readStatus(at: bigint, orders: { market: string; hash: Hex }[], missingIsFinal: boolean): Promise<bigint[]> {
    const out: bigint[] = [];
    for (let i = 0; i < orders.length; i += 500) {
      const chunk = orders.slice(i, i + 500);
      const res = await this.retry('getOrderStatus', async () => {
        try {
          return await this.pub.multicall({
            contracts: chunk.map((o) => ({ address: o.market as Address, abi: statusAbi, functionName: 'getOrderStatus', args: [o.hash] }) as const),
            blockNumber: at,
            deployless: true,
            batchSize: 0,
            allowFailure: false,
          });
        } catch (e) {
          const msg = errText(e);
          // The node's own words (viem's `details`), not viem's summary ("Missing or invalid parameters.").
          if (missingIsFinal && STATE_MISSING_ERROR.test(msg)) throw new StateMissing(((e as { details?: string }).details || msg).split('\n')[0]);
          throw e;
        }
      });
      for (const r of res as unknown as [boolean, boolean, bigint, bigint][]) out.push(r[3]);
    }
    return out;
  }

  private async timestamp(block: bigint): Promise<number> {
    const b = (await this.retry('eth_getBlockByNumber', () =>
      this.pub.request({ method: 'eth_getBlockByNumber', params: [`0x${block.toString(16)}`, false] }),
    )) as { timestamp: string };
    return Number(BigInt(b.timestamp));
  }

  private progress(final: boolean): void {
    const every = this.o.progressMs ?? 5_000;
    const now = Date.now();
    if (!(final || (every > 0 && now - this.lastProgress.at >= every))) return;
    const dt = Math.max(1, now - this.lastProgress.at) / 1000;
    const blocks = Number((this.cursor ?? 0n) - this.lastProgress.block) / dt;
    const sales = (this.stats.sales - this.lastProgress.sales) / dt;
    const lag = this.cursor === null ? 0n : this.head - this.cursor;
    if (every > 0 || final) {
      this.log(
        `indexer: block ${this.cursor} of ${this.head} (lag ${lag}), ${blocks.toFixed(0)} blocks/s, ${sales.toFixed(0)} sales/s, ${this.stats.sales} sales, skips ${fmtSkips(this.stats.skips)}` +
          (this.stats.malformed ? `, malformed logs ${this.stats.malformed}` : '') +
          (this.stats.statusAtHead ? `, order status read at the head (no archive state) ${this.stats.statusAtHead}` : ''),
      );
    }
    this.lastProgress = { at: now, block: this.cursor ?? 0n, sales: this.stats.sales };
  }
}

class RangeRefused extends Error {}
class ReorgInFlight extends Error {}
class StateMissing extends Error {}

/** fn over items with at most `limit` in flight; results in the items' order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function minB(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function errText(e: unknown): string {
  const x = e as { shortMessage?: string; details?: string; message?: string };
  return [x.shortMessage, x.details, x.message].filter(Boolean).join(' ') || String(e);
}

function fmtSkips(s: Record<string, number>): string {
  const parts = Object.entries(s).filter(([, n]) => n > 0).map(([r, n]) => `${r}=${n}`);
  return parts.length ? parts.join(' ') : 'none';
}
