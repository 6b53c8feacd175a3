// A TypeScript reading of docs/sale-rules.md, written apart from src/rules.ts, for ts/test/subgraph.test.ts to hold
// the subgraph's AssemblyScript decision against on the same Seaport logs. It stands in for ts/indexer, which another
// branch is writing: once both are on main the test should call ts/indexer's decision instead (see docs/subgraph.md).
import { decodeEventLog, getAddress, type Abi, type Address, type Hex } from 'viem';
import type { Sale, SkipReason } from '../../ts/indexer/sale.js';

export const SEAPORT_EVENTS = [
  {
    type: 'event',
    name: 'OrderFulfilled',
    inputs: [
      { name: 'orderHash', type: 'bytes32', indexed: false },
      { name: 'offerer', type: 'address', indexed: true },
      { name: 'zone', type: 'address', indexed: true },
      { name: 'recipient', type: 'address', indexed: false },
      {
        name: 'offer',
        type: 'tuple[]',
        indexed: false,
        components: [
          { name: 'itemType', type: 'uint8' },
          { name: 'token', type: 'address' },
          { name: 'identifier', type: 'uint256' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      {
        name: 'consideration',
        type: 'tuple[]',
        indexed: false,
        components: [
          { name: 'itemType', type: 'uint8' },
          { name: 'token', type: 'address' },
          { name: 'identifier', type: 'uint256' },
          { name: 'amount', type: 'uint256' },
          { name: 'recipient', type: 'address' },
        ],
      },
    ],
  },
  { type: 'event', name: 'OrdersMatched', inputs: [{ name: 'orderHashes', type: 'bytes32[]', indexed: false }] },
] as const satisfies Abi;

const NFT_EVENTS = [
  {
    type: 'event',
    name: 'Transfer',
    inputs: [
      { name: 'from', type: 'address', indexed: true },
      { name: 'to', type: 'address', indexed: true },
      { name: 'id', type: 'uint256', indexed: true },
    ],
  },
  {
    type: 'event',
    name: 'TransferSingle',
    inputs: [
      { name: 'operator', type: 'address', indexed: true },
      { name: 'from', type: 'address', indexed: true },
      { name: 'to', type: 'address', indexed: true },
      { name: 'id', type: 'uint256', indexed: false },
      { name: 'value', type: 'uint256', indexed: false },
    ],
  },
] as const satisfies Abi;

export interface RawLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  logIndex: number;
}
export interface SpentItem {
  itemType: number;
  token: Address;
  identifier: bigint;
  amount: bigint;
}
export interface ReceivedItem extends SpentItem {
  recipient: Address;
}
export interface Fill {
  orderHash: Hex;
  offerer: Address;
  recipient: Address;
  offer: readonly SpentItem[];
  consideration: readonly ReceivedItem[];
  address: Address;
  logIndex: number;
}
export interface NftMove {
  token: Address;
  from: Address;
  to: Address;
  id: bigint;
  amount: bigint;
}
/** A transaction's logs decoded once: what both implementations are fed. */
export interface DecodedTx {
  fills: Fill[];
  matched: Hex[];
  moves: NftMove[];
}
export interface RuleConfig {
  poolAsset: Address;
  wethPool: boolean;
  listed: Address[];
}
export interface Block {
  chainId: number;
  txHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  timestamp: number;
}
export type Outcome = { sale: Sale } | { skip: SkipReason };

const lc = (a: string) => a.toLowerCase();

export function decodeTx(logs: RawLog[], seaport: Address): DecodedTx {
  const out: DecodedTx = { fills: [], matched: [], moves: [] };
  for (const l of logs) {
    if (l.topics.length === 0) continue;
    if (lc(l.address) === lc(seaport)) {
      try {
        const d = decodeEventLog({ abi: SEAPORT_EVENTS, data: l.data, topics: l.topics as [Hex, ...Hex[]] });
        if (d.eventName === 'OrderFulfilled') out.fills.push({ ...d.args, address: l.address, logIndex: l.logIndex });
        else out.matched.push(...d.args.orderHashes);
      } catch {
        /* another Seaport event */
      }
      continue;
    }
    try {
      const d = decodeEventLog({ abi: NFT_EVENTS, data: l.data, topics: l.topics as [Hex, ...Hex[]], strict: true });
      if (d.eventName === 'Transfer') out.moves.push({ token: l.address, from: d.args.from, to: d.args.to, id: d.args.id, amount: 1n });
      else out.moves.push({ token: l.address, from: d.args.from, to: d.args.to, id: d.args.id, amount: d.args.value });
    } catch {
      /* an ERC-20 Transfer (3 topics) or anything else */
    }
  }
  return out;
}

const NFT_TYPES = new Set([2, 3, 4, 5]);
const sameNft = (a: SpentItem, b: SpentItem) => lc(a.token) === lc(b.token) && a.identifier === b.identifier;

/** docs/sale-rules.md for one OrderFulfilled of `tx`; `totalSize` is getOrderStatus(orderHash).totalSize then. */
export function referenceDecision(fill: Fill, tx: DecodedTx, totalSize: bigint, cfg: RuleConfig, block: Block): Outcome {
  const nftsOffered = fill.offer.filter((i) => NFT_TYPES.has(i.itemType));
  const nftsAsked = fill.consideration.filter((i) => NFT_TYPES.has(i.itemType));
  const isMatched = tx.matched.some((h) => lc(h) === lc(fill.orderHash));
  if (isMatched && nftsOffered.length === 0) return { skip: 'match-counterpart' }; // rule 1
  const nfts = [...nftsOffered, ...nftsAsked];
  if (nfts.length === 0) return { skip: 'no-nft' }; // rule 2
  const nft = nfts[0];
  if (nfts.some((i) => !sameNft(i, nft))) return { skip: 'bundle' }; // rule 3
  if (!cfg.listed.some((c) => lc(c) === lc(nft.token))) return { skip: 'unlisted-collection' }; // rule 4

  const listing = nftsOffered.length > 0;
  let seller: Address;
  let buyer: Address;
  let payments: SpentItem[];
  if (listing) {
    seller = fill.offerer;
    const privateItem = fill.consideration.find((i) => NFT_TYPES.has(i.itemType) && sameNft(i, nft));
    const counterpart = isMatched
      ? tx.fills
          .filter((f) => f.logIndex !== fill.logIndex && tx.matched.some((h) => lc(h) === lc(f.orderHash)))
          .flatMap((f) => f.consideration)
          .find((i) => NFT_TYPES.has(i.itemType) && sameNft(i, nft))
      : undefined;
    buyer = privateItem?.recipient ?? counterpart?.recipient ?? fill.recipient;
    payments = fill.consideration.filter((i) => i.itemType <= 1);
  } else {
    buyer = fill.offerer;
    seller = fill.recipient;
    payments = fill.offer.filter((i) => i.itemType <= 1);
  }
  const totalPrice = payments.reduce((s, i) => s + i.amount, 0n);
  if (payments.length === 0 || totalPrice === 0n) return { skip: 'no-payment' }; // rule 5
  const inPoolAsset = (i: SpentItem) => (i.itemType === 1 ? lc(i.token) === lc(cfg.poolAsset) : cfg.wethPool);
  if (!payments.every(inPoolAsset)) return { skip: 'other-currency' }; // rule 6
  if (totalSize > 1n) return { skip: 'partial-fill' }; // rule 7
  const moved = tx.moves.some(
    (m) => lc(m.token) === lc(nft.token) && m.id === nft.identifier && lc(m.from) === lc(seller) && lc(m.to) === lc(buyer) && m.amount === nft.amount,
  );
  if (!moved) return { skip: 'no-transfer' }; // rule 8
  return {
    sale: {
      id: `${block.txHash}:${fill.logIndex}`,
      chainId: block.chainId,
      collection: getAddress(nft.token),
      tokenId: nft.identifier,
      amount: nft.amount,
      standard: nft.itemType === 2 || nft.itemType === 4 ? 'erc721' : 'erc1155',
      totalPrice,
      unitPrice: totalPrice / nft.amount,
      currency: payments[0].itemType === 0 ? '0x0000000000000000000000000000000000000000' : getAddress(payments[0].token),
      marketplace: getAddress(fill.address),
      orderHash: fill.orderHash,
      seller: getAddress(seller),
      buyer: getAddress(buyer),
      blockNumber: block.blockNumber,
      blockHash: block.blockHash,
      timestamp: block.timestamp,
      txHash: block.txHash,
      logIndex: fill.logIndex,
    },
  };
}
