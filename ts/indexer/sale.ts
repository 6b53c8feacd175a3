// What the indexer produces and the oracle service consumes: one marketplace sale of one NFT (or one ERC-1155 stack of
// one id), priced in the pool's asset. The rules that turn a Seaport `OrderFulfilled` into a Sale, or into a counted
// skip, are written once in docs/sale-rules.md; ts/indexer and the subgraph's mappings both follow that table.
import type { Address, Hex } from 'viem';

export type Standard = 'erc721' | 'erc1155';

export interface Sale {
  /** `${txHash}:${logIndex}` of the OrderFulfilled log: unique, and the same after a restart or a re-scan. */
  id: string;
  chainId: number;
  collection: Address;
  tokenId: bigint;
  /** Units sold: 1 for ERC-721. */
  amount: bigint;
  standard: Standard;
  /** Everything the buyer paid, fees and royalties included, in the pool asset's smallest unit. */
  totalPrice: bigint;
  /** totalPrice / amount, rounded down. */
  unitPrice: bigint;
  /** The payment token; the zero address for native ETH (counted as WETH in a WETH pool). */
  currency: Address;
  /** The marketplace contract that emitted the fill (Seaport 1.6). */
  marketplace: Address;
  orderHash: Hex;
  seller: Address;
  buyer: Address;
  blockNumber: bigint;
  blockHash: Hex;
  /** Block timestamp, seconds. */
  timestamp: number;
  txHash: Hex;
  logIndex: number;
}

/** Why an OrderFulfilled is not a sale (docs/sale-rules.md, in the order the rules are tried). */
export const SKIP_REASONS = [
  'match-counterpart',
  'no-nft',
  'bundle',
  'unlisted-collection',
  'no-payment',
  'other-currency',
  'partial-fill',
  'no-transfer',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A Sale as JSON (bigints as decimal strings), for Redis and files. */
export function encodeSale(s: Sale): string {
  return JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function decodeSale(json: string): Sale {
  const o = JSON.parse(json) as Record<string, unknown>;
  return {
    ...(o as unknown as Sale),
    tokenId: BigInt(o.tokenId as string),
    amount: BigInt(o.amount as string),
    totalPrice: BigInt(o.totalPrice as string),
    unitPrice: BigInt(o.unitPrice as string),
    blockNumber: BigInt(o.blockNumber as string),
  };
}
