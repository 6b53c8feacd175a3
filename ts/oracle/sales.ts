// Where the oracle service reads sales: the indexer's sorted set `sales:<collection lowercase>` in the kv store,
// scored by block timestamp, each member a Sale as encodeSale JSON (ts/indexer/sale.ts). Everything that reads the
// indexer's store goes through loadRecentSales, so pointing the service at another layout is one function.
// A member that does not decode, or decodes to something that is not a sale of this collection on this chain, is
// returned as `bad` with its reason: it is logged and counted, never pushed.
import { getAddress, isAddress, isAddressEqual, type Address } from 'viem';
import type { Kv } from '../lib/kv.js';
import { decodeSale, type Sale } from '../indexer/sale.js';

export const salesKey = (collection: Address) => `sales:${collection.toLowerCase()}`;

export interface BadSale {
  /** The stored member, cut to 200 characters (for the log). */
  member: string;
  reason: string;
}

export interface LoadedSales {
  /** Valid sales, oldest first (by timestamp, then block and log index). */
  sales: Sale[];
  bad: BadSale[];
}

/** Largest price the service will even look at: 2^88 - 1 (Valuation stores prices as uint88). */
const MAX_PRICE = (1n << 88n) - 1n;

/** The sales of `collection` with timestamp >= sinceTs, at most `limit` of them (the oldest first). */
export async function loadRecentSales(kv: Kv, collection: Address, sinceTs: number, limit = 5_000): Promise<LoadedSales> {
  const members = await kv.zrangebyscore(salesKey(collection), Math.max(0, sinceTs), Number.MAX_SAFE_INTEGER, limit);
  const sales: Sale[] = [];
  const bad: BadSale[] = [];
  for (const member of members) {
    const r = parseSale(member, collection);
    if (typeof r === 'string') bad.push({ member: member.slice(0, 200), reason: r });
    else sales.push(r);
  }
  sales.sort((a, b) => a.timestamp - b.timestamp || (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : a.logIndex - b.logIndex));
  return { sales, bad };
}

/** A stored member as a Sale of `collection`, or the reason it is not one. */
export function parseSale(member: string, collection: Address): Sale | string {
  let s: Sale;
  try {
    s = decodeSale(member);
  } catch (e) {
    return `malformed: ${(e as Error).message.split('\n')[0].slice(0, 80)}`;
  }
  if (!s || typeof s !== 'object') return 'malformed: not an object';
  if (typeof s.id !== 'string' || !/^0x[0-9a-fA-F]{64}:\d+$/.test(s.id)) return 'malformed: id is not txHash:logIndex';
  if (typeof s.collection !== 'string' || !isAddress(s.collection, { strict: false })) return 'malformed: collection';
  if (!isAddressEqual(getAddress(s.collection), collection)) return `wrong collection ${s.collection}`;
  if (!Number.isSafeInteger(s.chainId)) return 'malformed: chainId';
  if (!Number.isSafeInteger(s.timestamp) || s.timestamp <= 0) return 'malformed: timestamp';
  if (!Number.isSafeInteger(s.logIndex) || s.logIndex < 0) return 'malformed: logIndex';
  if (s.amount <= 0n) return 'malformed: amount';
  if (s.unitPrice <= 0n) return 'zero price';
  if (s.unitPrice > MAX_PRICE || s.totalPrice > (1n << 255n)) return 'price out of range';
  if (s.unitPrice !== s.totalPrice / s.amount) return 'unitPrice is not totalPrice / amount';
  if (s.blockNumber < 0n) return 'malformed: blockNumber';
  return { ...s, collection: getAddress(s.collection) };
}
