// The sale rules of docs/sale-rules.md as one pure AssemblyScript function: no graph-ts import, so the same file
// compiles into the subgraph's mapping (src/seaport.ts calls `decide`) and, alone, into a WASM module that
// ts/test/subgraph.test.ts runs in node against the TypeScript reference on the same Seaport logs.
// Values cross in canonical text: addresses and hashes lower-case 0x-hex, numbers 0x-hex without leading zeros
// ("0x0" is zero), so equality is string equality and no 256-bit arithmetic is needed to decide. The sums and the
// division (totalPrice, unitPrice) are left to the caller, which has BigInt.

/** Seaport item types (docs/sale-rules.md "Input"). */
export const NATIVE: i32 = 0;
export const ERC20: i32 = 1;
export const ERC721: i32 = 2;
export const ERC1155: i32 = 3;
export const ERC721_WITH_CRITERIA: i32 = 4;
export const ERC1155_WITH_CRITERIA: i32 = 5;

/** Decision codes: 0 a sale, else the number of the rule that skipped the log (its reason in REASONS). */
export const SALE: i32 = 0;
export const REASONS: string[] = [
  'sale',
  'match-counterpart', // rule 1
  'no-nft', // rule 2
  'bundle', // rule 3
  'unlisted-collection', // rule 4
  'no-payment', // rule 5
  'other-currency', // rule 6
  'partial-fill', // rule 7
  'no-transfer', // rule 8
];

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** One SpentItem (offer; recipient "") or ReceivedItem (consideration) of an OrderFulfilled. */
export class Item {
  itemType: i32;
  token: string;
  identifier: string;
  amount: string;
  recipient: string;
  constructor(itemType: i32, token: string, identifier: string, amount: string, recipient: string) {
    this.itemType = itemType;
    this.token = token;
    this.identifier = identifier;
    this.amount = amount;
    this.recipient = recipient;
  }
}

/** An ERC-721 Transfer (amount "0x1") or an ERC-1155 TransferSingle of the same transaction. */
export class NftTransfer {
  token: string;
  from: string;
  to: string;
  id: string;
  amount: string;
  constructor(token: string, from: string, to: string, id: string, amount: string) {
    this.token = token;
    this.from = from;
    this.to = to;
    this.id = id;
    this.amount = amount;
  }
}

/** An NFT consideration item of another OrderFulfilled of the same transaction (the other side of a match). */
export class Counterpart {
  orderHash: string;
  token: string;
  identifier: string;
  recipient: string;
  constructor(orderHash: string, token: string, identifier: string, recipient: string) {
    this.orderHash = orderHash;
    this.token = token;
    this.identifier = identifier;
    this.recipient = recipient;
  }
}

/** Everything a decision reads: the log, the other logs of its transaction, the order's status, the config. */
export class RuleInput {
  orderHash: string = '';
  offerer: string = '';
  recipient: string = '';
  offer: Item[] = [];
  consideration: Item[] = [];
  /** Order hashes named by the transaction's OrdersMatched logs. */
  matched: string[] = [];
  transfers: NftTransfer[] = [];
  /** The NFT consideration items of the transaction's other OrderFulfilled logs. */
  counterparts: Counterpart[] = [];
  /** The collections the configuration lists. */
  listed: string[] = [];
  poolAsset: string = '';
  wethPool: bool = false;
  /** getOrderStatus(orderHash).totalSize at the log's block. */
  totalSize: string = '0x0';
}

export class Decision {
  code: i32 = SALE;
  /** 1 for ERC-721 and its criteria form, 2 for ERC-1155 (the pool's `standard` numbering). */
  standard: i32 = 0;
  collection: string = '';
  tokenId: string = '';
  amount: string = '';
  seller: string = '';
  buyer: string = '';
  currency: string = '';
  /** Where the NFT item is: `offer` (a listing) or `consideration` (a bid), and its index there. */
  nftInOffer: bool = false;
  nftIndex: i32 = -1;
  /** Where the payments are: true in `offer` (a bid), false in `consideration` (a listing). */
  paidInOffer: bool = false;
  /** Indexes of the payment items on the payment side, all of which make totalPrice (fees and royalties included). */
  payments: i32[] = [];

  reason(): string {
    return REASONS[this.code];
  }
}

export function isNft(itemType: i32): bool {
  return itemType >= ERC721 && itemType <= ERC1155_WITH_CRITERIA;
}

export function isPayment(itemType: i32): bool {
  return itemType == NATIVE || itemType == ERC20;
}

function skip(code: i32): Decision {
  const d = new Decision();
  d.code = code;
  return d;
}

function firstNft(items: Item[]): i32 {
  for (let i = 0; i < items.length; i++) if (isNft(items[i].itemType)) return i;
  return -1;
}

function contains(list: string[], value: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == value) return true;
  return false;
}

/** docs/sale-rules.md, the rules tried in their order; the first that matches decides the skip. */
export function decide(input: RuleInput): Decision {
  const inOffer = firstNft(input.offer);
  const inConsideration = firstNft(input.consideration);

  // Rule 1 (match-counterpart): a matched trade emits one OrderFulfilled per side; only the side offering the NFT
  // is the sale.
  if (inOffer < 0 && contains(input.matched, input.orderHash)) return skip(1);

  // Rule 2 (no-nft): no NFT item on either side.
  if (inOffer < 0 && inConsideration < 0) return skip(2);

  // Rule 3 (bundle): NFT items naming more than one distinct (token, identifier), on both sides together.
  const nft = inOffer >= 0 ? input.offer[inOffer] : input.consideration[inConsideration];
  for (let i = 0; i < input.offer.length; i++) {
    const it = input.offer[i];
    if (isNft(it.itemType) && (it.token != nft.token || it.identifier != nft.identifier)) return skip(3);
  }
  for (let i = 0; i < input.consideration.length; i++) {
    const it = input.consideration[i];
    if (isNft(it.itemType) && (it.token != nft.token || it.identifier != nft.identifier)) return skip(3);
  }

  // Rule 4 (unlisted-collection).
  if (!contains(input.listed, nft.token)) return skip(4);

  // Sides: a listing (NFT in offer) or a bid (NFT only in consideration).
  const d = new Decision();
  d.nftInOffer = inOffer >= 0;
  d.nftIndex = inOffer >= 0 ? inOffer : inConsideration;
  d.collection = nft.token;
  d.tokenId = nft.identifier;
  d.amount = nft.amount;
  d.standard = nft.itemType == ERC721 || nft.itemType == ERC721_WITH_CRITERIA ? 1 : 2;
  let paySide: Item[];
  if (inOffer >= 0) {
    d.seller = input.offerer;
    d.buyer = input.recipient;
    // A private listing: the consideration carries the same NFT to its buyer.
    let found = false;
    for (let i = 0; i < input.consideration.length; i++) {
      const it = input.consideration[i];
      if (isNft(it.itemType) && it.token == nft.token && it.identifier == nft.identifier) {
        d.buyer = it.recipient;
        found = true;
        break;
      }
    }
    // A matched listing: the counterpart order (named by the same OrdersMatched) receives the NFT; the fill's own
    // `recipient` is whoever called matchOrders.
    if (!found && contains(input.matched, input.orderHash)) {
      for (let i = 0; i < input.counterparts.length; i++) {
        const cp = input.counterparts[i];
        if (cp.orderHash != input.orderHash && contains(input.matched, cp.orderHash) && cp.token == nft.token && cp.identifier == nft.identifier) {
          d.buyer = cp.recipient;
          break;
        }
      }
    }
    d.paidInOffer = false;
    paySide = input.consideration;
  } else {
    d.buyer = input.offerer;
    d.seller = input.recipient;
    d.paidInOffer = true;
    paySide = input.offer;
  }

  // Rule 5 (no-payment): no payment item on the payment side, or they sum to 0 (unsigned: every one is 0).
  let anyNonZero = false;
  for (let i = 0; i < paySide.length; i++) {
    if (!isPayment(paySide[i].itemType)) continue;
    d.payments.push(i);
    if (paySide[i].amount != '0x0') anyNonZero = true;
  }
  if (d.payments.length == 0 || !anyNonZero) return skip(5);

  // Rule 6 (other-currency): every payment item in the pool asset, or native ETH in a WETH pool.
  for (let k = 0; k < d.payments.length; k++) {
    const it = paySide[d.payments[k]];
    const ok = it.itemType == ERC20 ? it.token == input.poolAsset : input.wethPool;
    if (!ok) return skip(6);
  }
  const first = paySide[d.payments[0]];
  d.currency = first.itemType == NATIVE ? ZERO_ADDRESS : first.token;

  // Rule 7 (partial-fill): the order's totalSize at that block greater than 1.
  if (input.totalSize != '0x0' && input.totalSize != '0x1') return skip(7);

  // Rule 8 (no-transfer): that token and id moved seller -> buyer, for the whole amount, in the same transaction.
  let moved = false;
  for (let i = 0; i < input.transfers.length; i++) {
    const t = input.transfers[i];
    if (t.token == d.collection && t.id == d.tokenId && t.from == d.seller && t.to == d.buyer && t.amount == d.amount) {
      moved = true;
      break;
    }
  }
  if (!moved) return skip(8);

  return d;
}

/** The mapping decides first with totalSize 1 (no eth_call) and asks Seaport's getOrderStatus only when this says so:
 * a first decision of a sale or of rule 8 means rules 1-6 let the log through, and rule 7 comes before rule 8. */
export function needsOrderStatus(first: Decision): bool {
  return first.code == SALE || first.code == 8;
}
