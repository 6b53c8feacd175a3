// The indexer's state in the key-value store (Redis, or memory), and the readers the oracle service uses. The layout
// is the contract between the two; docs/indexer.md describes it. One writer (the indexer) per key prefix.
//   ix:cursor            last block fully indexed (decimal)
//   ix:blocks            hash: block number → block hash, for the blocks the indexer stored (range ends and blocks
//                        with sales) within the reorg window; a mismatch with the chain is a reorg
//   ix:skips             hash: skip reason → count (docs/sale-rules.md)
//   ix:health            hash: head, cursor, lag, updatedAt (unix ms), salesTotal, malformed (logs that did not
//                        decode), statusAtHead (fills whose order status was read at the head: no archive state)
//   sale:<id>            the Sale's JSON (encodeSale); exists once per sale: the idempotency key
//   sales:<collection>   zset, score = block timestamp, member = the Sale's JSON (collection lower-case)
//   sales:seq            zset, score = blockNumber * 1e6 + logIndex, member = sale id: every sale in chain order
// The sales of a block range, the skip counts, the block hashes and the cursor are written in one atomic batch, so a
// crash leaves either all of a range or none of it, and a re-scan writes the same members again (no duplicates).
import type { Kv, KvOp } from '../lib/kv.js';
import { decodeSale, encodeSale, type Sale, type SkipReason } from './sale.js';

export const KEYS = {
  cursor: 'ix:cursor',
  blocks: 'ix:blocks',
  skips: 'ix:skips',
  health: 'ix:health',
  seq: 'sales:seq',
  sale: (id: string) => `sale:${id}`,
  sales: (collection: string) => `sales:${collection.toLowerCase()}`,
};

/** The chain position of a sale as a sales:seq score (exact in a double for block numbers below 9e9). */
export function seqOf(blockNumber: bigint, logIndex: number): number {
  return Number(blockNumber) * 1e6 + logIndex;
}

/** Sales of `collection` with timestamp >= sinceTs (seconds), oldest first. */
export async function recentSales(kv: Kv, collection: string, sinceTs: number, limit?: number): Promise<Sale[]> {
  return (await kv.zrangebyscore(KEYS.sales(collection), sinceTs, Number.MAX_SAFE_INTEGER, limit)).map(decodeSale);
}

/**
 * Every sale after `cursor` in chain order (cursor: a sales:seq score; 0 from the start), at most `limit`, and the
 * cursor to pass next time. A consumer that stores the returned cursor sees each sale once, in order.
 */
export async function salesAfter(kv: Kv, cursor: number, limit = 1000): Promise<{ sales: Sale[]; cursor: number }> {
  const ids = await kv.zrangebyscore(KEYS.seq, cursor + 1, Number.MAX_SAFE_INTEGER, limit);
  const sales: Sale[] = [];
  for (const id of ids) {
    const json = await kv.get(KEYS.sale(id));
    if (json) sales.push(decodeSale(json));
  }
  const last = sales.at(-1);
  return { sales, cursor: last ? seqOf(last.blockNumber, last.logIndex) : cursor };
}

export async function readCursor(kv: Kv): Promise<bigint | null> {
  const v = await kv.get(KEYS.cursor);
  return v === null ? null : BigInt(v);
}

export async function readSkips(kv: Kv): Promise<Record<string, number>> {
  const h = await kv.hgetall(KEYS.skips);
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
}

export async function readBlocks(kv: Kv): Promise<Map<bigint, string>> {
  const h = await kv.hgetall(KEYS.blocks);
  return new Map(Object.entries(h).map(([k, v]) => [BigInt(k), v]));
}

/** The ops that store a range's sales and counts and move the cursor to `to`. */
export function commitOps(p: {
  sales: Sale[];
  skips: Record<string, number>;
  touched: Iterable<SkipReason>;
  blockHashes: Map<bigint, string>;
  pruneBlocks: bigint[];
  cursor: bigint;
}): KvOp[] {
  // Grouped by key (every sale's id key, then each collection's zset, then the sequence), so the Redis store sends
  // each group as one command (ts/lib/kv.ts); the keys are distinct, so the order changes nothing else.
  const sets: KvOp[] = [];
  const byCollection = new Map<string, KvOp[]>();
  const seq: KvOp[] = [];
  for (const s of p.sales) {
    const json = encodeSale(s);
    sets.push({ op: 'set', key: KEYS.sale(s.id), value: json });
    const key = KEYS.sales(s.collection);
    let l = byCollection.get(key);
    if (!l) byCollection.set(key, (l = []));
    l.push({ op: 'zadd', key, score: s.timestamp, member: json });
    seq.push({ op: 'zadd', key: KEYS.seq, score: seqOf(s.blockNumber, s.logIndex), member: s.id });
  }
  const ops: KvOp[] = [...sets, ...[...byCollection.values()].flat(), ...seq];
  for (const r of new Set(p.touched)) ops.push({ op: 'hset', key: KEYS.skips, field: r, value: String(p.skips[r] ?? 0) });
  for (const [n, h] of p.blockHashes) ops.push({ op: 'hset', key: KEYS.blocks, field: n.toString(), value: h });
  for (const n of p.pruneBlocks) ops.push({ op: 'hdel', key: KEYS.blocks, field: n.toString() });
  ops.push({ op: 'set', key: KEYS.cursor, value: p.cursor.toString() });
  return ops;
}

/**
 * Removes every sale above block `keep` and every stored block hash above it, and sets the cursor to `keep`, in one
 * batch. Returns the removed sales.
 */
export async function rollbackTo(kv: Kv, keep: bigint): Promise<Sale[]> {
  const ids = await kv.zrangebyscore(KEYS.seq, seqOf(keep + 1n, 0), Number.MAX_SAFE_INTEGER);
  const removed: Sale[] = [];
  const ops: KvOp[] = [];
  for (const id of ids) {
    const json = await kv.get(KEYS.sale(id));
    if (json) {
      const s = decodeSale(json);
      removed.push(s);
      ops.push({ op: 'zrem', key: KEYS.sales(s.collection), member: json });
    }
    ops.push({ op: 'del', key: KEYS.sale(id) });
    ops.push({ op: 'zrem', key: KEYS.seq, member: id });
  }
  for (const n of (await readBlocks(kv)).keys()) if (n > keep) ops.push({ op: 'hdel', key: KEYS.blocks, field: n.toString() });
  ops.push({ op: 'set', key: KEYS.cursor, value: keep.toString() });
  await kv.exec(ops);
  return removed;
}
