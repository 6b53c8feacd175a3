// docs/sale-rules.md as code: one Seaport 1.6 OrderFulfilled, the other logs of its transaction and the order's
// totalSize at that block → a Sale or the first skip reason that matches, tried in the table's order.
// Decoding is done by hand from the raw log words (topics and ABI head/tail offsets): it is the indexer's hot loop,
// and viem's generic decoder costs several times more per log.
import { getAddress, keccak256, toHex, type Address, type Hex } from 'viem';
import type { Sale, SkipReason, Standard } from './sale.js';

export const ORDER_FULFILLED_TOPIC = keccak256(
  toHex('OrderFulfilled(bytes32,address,address,address,(uint8,address,uint256,uint256)[],(uint8,address,uint256,uint256,address)[])'),
);
export const ORDERS_MATCHED_TOPIC = keccak256(toHex('OrdersMatched(bytes32[])'));
export const TRANSFER_TOPIC = keccak256(toHex('Transfer(address,address,uint256)'));
export const TRANSFER_SINGLE_TOPIC = keccak256(toHex('TransferSingle(address,address,address,uint256,uint256)'));

/** A log as eth_getLogs returns it (hex strings). */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  blockTimestamp?: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

export interface SpentItem {
  itemType: number;
  token: string; // lower-case
  identifier: bigint;
  amount: bigint;
}
export interface ReceivedItem extends SpentItem {
  recipient: string; // lower-case
}
export interface Fulfilled {
  orderHash: Hex;
  offerer: string;
  zone: string;
  recipient: string;
  offer: SpentItem[];
  consideration: ReceivedItem[];
  marketplace: string;
  blockNumber: bigint;
  blockHash: Hex;
  timestamp?: number;
  txHash: Hex;
  logIndex: number;
}

const word = (d: string, i: number) => d.slice(2 + i * 64, 2 + (i + 1) * 64);
const addr = (w: string) => `0x${w.slice(24)}`.toLowerCase();
const big = (w: string) => BigInt(`0x${w}`);
const num = (w: string) => Number(big(w));

/** Decodes an OrderFulfilled log; throws on a malformed one (the caller counts it and moves on). */
export function decodeOrderFulfilled(log: RawLog): Fulfilled {
  const d = log.data;
  if (log.topics.length !== 3 || (d.length - 2) % 64 !== 0 || d.length < 2 + 6 * 64) throw new Error('malformed OrderFulfilled');
  const words = (d.length - 2) / 64;
  const at = (i: number) => {
    if (i >= words) throw new Error('malformed OrderFulfilled');
    return word(d, i);
  };
  const offerAt = num(at(2)) / 32;
  const considerationAt = num(at(3)) / 32;
  const offerLen = num(at(offerAt));
  const offer: SpentItem[] = [];
  for (let k = 0; k < offerLen; k++) {
    const b = offerAt + 1 + k * 4;
    offer.push({ itemType: num(at(b)), token: addr(at(b + 1)), identifier: big(at(b + 2)), amount: big(at(b + 3)) });
  }
  const cLen = num(at(considerationAt));
  const consideration: ReceivedItem[] = [];
  for (let k = 0; k < cLen; k++) {
    const b = considerationAt + 1 + k * 5;
    consideration.push({ itemType: num(at(b)), token: addr(at(b + 1)), identifier: big(at(b + 2)), amount: big(at(b + 3)), recipient: addr(at(b + 4)) });
  }
  return {
    orderHash: `0x${at(0)}`,
    offerer: addr(log.topics[1].slice(2)),
    zone: addr(log.topics[2].slice(2)),
    recipient: addr(at(1)),
    offer,
    consideration,
    marketplace: log.address.toLowerCase(),
    blockNumber: BigInt(log.blockNumber),
    blockHash: log.blockHash as Hex,
    timestamp: log.blockTimestamp ? Number(BigInt(log.blockTimestamp)) : undefined,
    txHash: log.transactionHash as Hex,
    logIndex: Number(BigInt(log.logIndex)),
  };
}

/** The order hashes an OrdersMatched log names. */
export function decodeOrdersMatched(log: RawLog): string[] {
  const d = log.data;
  const at = num(word(d, 0)) / 32;
  const n = num(word(d, at));
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(`0x${word(d, at + 1 + k)}`.toLowerCase());
  return out;
}

/** An NFT movement in a transaction: ERC-721 Transfer (amount 1) or ERC-1155 TransferSingle. */
export interface NftTransfer {
  token: string;
  from: string;
  to: string;
  id: bigint;
  amount: bigint;
}
/** null for a log that is not an NFT transfer (an ERC-20 Transfer has 3 topics, not 4). */
export function decodeNftTransfer(log: RawLog): NftTransfer | null {
  const t0 = log.topics[0];
  if (t0 === TRANSFER_TOPIC && log.topics.length === 4) {
    return { token: log.address.toLowerCase(), from: addr(log.topics[1].slice(2)), to: addr(log.topics[2].slice(2)), id: BigInt(log.topics[3]), amount: 1n };
  }
  if (t0 === TRANSFER_SINGLE_TOPIC && log.topics.length === 4 && log.data.length >= 2 + 128) {
    return { token: log.address.toLowerCase(), from: addr(log.topics[2].slice(2)), to: addr(log.topics[3].slice(2)), id: big(word(log.data, 0)), amount: big(word(log.data, 1)) };
  }
  return null;
}

/** What one transaction contributes besides the fill itself. */
export interface TxContext {
  matched: Set<string>; // lower-case order hashes named by OrdersMatched
  transfers: NftTransfer[];
}

export interface RuleConfig {
  chainId: number;
  /** Lower-case addresses of the listed collections. */
  collections: Set<string>;
  /** Lower-case address of the pool asset. */
  asset: string;
  /** True in a WETH pool: native ETH counts as the asset. */
  assetIsWeth: boolean;
}

// Checksumming is a keccak per address; a range repeats a handful of addresses thousands of times.
const checksums = new Map<string, Address>();
function checksum(a: string): Address {
  let c = checksums.get(a);
  if (!c) {
    if (checksums.size > 100_000) checksums.clear();
    checksums.set(a, (c = getAddress(a)));
  }
  return c;
}

const isNft = (t: number) => t >= 2 && t <= 5;
const isPayment = (t: number) => t === 0 || t === 1;
const ZERO = '0x0000000000000000000000000000000000000000';

/** The outcome of rules 1–6, which need no chain state: a skip, or a candidate that rules 7 and 8 finish. */
export type Pre =
  | { skip: SkipReason }
  | {
      skip?: undefined;
      nft: SpentItem;
      seller: string;
      buyer: string;
      totalPrice: bigint;
      currency: string;
    };

export function preClassify(f: Fulfilled, tx: TxContext, cfg: RuleConfig): Pre {
  const offerNfts = f.offer.filter((i) => isNft(i.itemType));
  const considerationNfts = f.consideration.filter((i) => isNft(i.itemType));
  // 1. match-counterpart
  if (offerNfts.length === 0 && tx.matched.has(f.orderHash.toLowerCase())) return { skip: 'match-counterpart' };
  // 2. no-nft
  if (offerNfts.length === 0 && considerationNfts.length === 0) return { skip: 'no-nft' };
  // 3. bundle
  const distinct = new Set([...offerNfts, ...considerationNfts].map((i) => `${i.token}:${i.identifier}`));
  if (distinct.size > 1) return { skip: 'bundle' };
  const listing = offerNfts.length > 0;
  const nft = listing ? offerNfts[0] : considerationNfts[0];
  // 4. unlisted-collection
  if (!cfg.collections.has(nft.token)) return { skip: 'unlisted-collection' };
  // Sides
  let seller: string, buyer: string, payments: SpentItem[];
  if (listing) {
    seller = f.offerer;
    const carried = f.consideration.find((i) => isNft(i.itemType) && i.token === nft.token && i.identifier === nft.identifier);
    buyer = carried ? carried.recipient : f.recipient;
    payments = f.consideration.filter((i) => isPayment(i.itemType));
  } else {
    buyer = f.offerer;
    seller = f.recipient;
    payments = f.offer.filter((i) => isPayment(i.itemType));
  }
  // 5. no-payment
  const totalPrice = payments.reduce((s, i) => s + i.amount, 0n);
  if (payments.length === 0 || totalPrice === 0n) return { skip: 'no-payment' };
  // 6. other-currency
  const inAsset = (i: SpentItem) => (i.itemType === 1 && i.token === cfg.asset) || (i.itemType === 0 && cfg.assetIsWeth);
  if (!payments.every(inAsset)) return { skip: 'other-currency' };
  return { nft, seller, buyer, totalPrice, currency: payments[0].itemType === 0 ? ZERO : payments[0].token };
}

/** Rules 7 and 8 and the Sale itself. `totalSize` is the order's getOrderStatus totalSize at the fill's block. */
export function finish(f: Fulfilled, pre: Exclude<Pre, { skip: SkipReason }>, tx: TxContext, totalSize: bigint, timestamp: number, cfg: RuleConfig): Sale | SkipReason {
  // 7. partial-fill
  if (totalSize > 1n) return 'partial-fill';
  // 8. no-transfer
  const { nft, seller, buyer } = pre;
  const moved = tx.transfers
    .filter((t) => t.token === nft.token && t.id === nft.identifier && t.from === seller && t.to === buyer)
    .reduce((s, t) => s + t.amount, 0n);
  if (moved < nft.amount || nft.amount === 0n) return 'no-transfer';
  const standard: Standard = nft.itemType === 2 || nft.itemType === 4 ? 'erc721' : 'erc1155';
  return {
    id: `${f.txHash}:${f.logIndex}`,
    chainId: cfg.chainId,
    collection: checksum(nft.token),
    tokenId: nft.identifier,
    amount: nft.amount,
    standard,
    totalPrice: pre.totalPrice,
    unitPrice: pre.totalPrice / nft.amount,
    currency: checksum(pre.currency),
    marketplace: checksum(f.marketplace),
    orderHash: f.orderHash,
    seller: checksum(seller),
    buyer: checksum(buyer),
    blockNumber: f.blockNumber,
    blockHash: f.blockHash,
    timestamp,
    txHash: f.txHash,
    logIndex: f.logIndex,
  };
}
