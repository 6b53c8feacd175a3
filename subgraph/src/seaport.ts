// Seaport 1.6 OrderFulfilled -> Sale or a counted skip, by the rule table of docs/sale-rules.md. The decision itself
// is src/rules.ts (pure, also tested in node); this file only gathers its input from the event, the transaction's
// receipt and Seaport's getOrderStatus at the log's block, then stores what it decided.
import { Address, BigInt, Bytes, ethereum, log } from '@graphprotocol/graph-ts';
import { OrderFulfilled, Seaport } from '../generated/Seaport/Seaport';
import { Collection, CollectionDay, Sale, SkipCount } from '../generated/schema';
import { LISTED, POOL_ASSET, WETH_POOL } from './config';
import { Counterpart, decide, Decision, isNft, Item, needsOrderStatus, NftTransfer, REASONS, RuleInput } from './rules';

// keccak256 of the event signatures read from the receipt (checked against the ABIs by ts/test/subgraph.test.ts).
const ORDER_FULFILLED = '0x9d9af8e38d66c62e2c12f0225249fd9d721c54b83f48d9352c97c6cacdcb6f31';
const ORDERS_MATCHED = '0x4b9f2d36e1b4c93de62cc077b00b1a91d84b6c31b4a14e012718dcca230689e7';
const TRANSFER = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const TRANSFER_SINGLE = '0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62';

/** A number as rules.ts compares it: 0x-hex, lower case, no leading zeros. */
export function hexOf(n: BigInt): string {
  if (n.isZero()) return '0x0';
  let s = n.toHexString().toLowerCase();
  let i = 2;
  while (i < s.length - 1 && s.charAt(i) == '0') i++;
  return '0x' + s.substring(i);
}

function addr(a: Address): string {
  return a.toHexString().toLowerCase();
}

function topicAddress(t: Bytes): string {
  return '0x' + t.toHexString().substring(26).toLowerCase();
}

function countSkip(code: i32): void {
  const reason = REASONS[code];
  let s = SkipCount.load(reason);
  if (s == null) {
    s = new SkipCount(reason);
    s.rule = code;
    s.count = BigInt.zero();
  }
  s.count = s.count.plus(BigInt.fromI32(1));
  s.save();
}

/** Reads the other logs of the fill's transaction: OrdersMatched (rule 1) and the NFT transfers (rule 8). */
function readReceipt(event: OrderFulfilled, input: RuleInput): void {
  const receipt = event.receipt;
  if (receipt == null) {
    log.warning('OrderFulfilled {} without a receipt: rules 1 and 8 see no other logs', [event.transaction.hash.toHexString()]);
    return;
  }
  const logs = receipt.logs;
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    if (l.topics.length == 0) continue;
    const t0 = l.topics[0].toHexString();
    if (t0 == ORDER_FULFILLED && l.address.equals(event.address) && !l.logIndex.equals(event.logIndex)) {
      // Another fill of the same transaction: its NFT consideration items name who received what in a match. The
      // log's data is the tuple's body; ethereum.decode wants a dynamic tuple behind its offset word.
      const framed = new Bytes(32 + l.data.length);
      framed[31] = 32;
      for (let b = 0; b < l.data.length; b++) framed[32 + b] = l.data[b];
      const decoded = ethereum.decode('(bytes32,address,(uint8,address,uint256,uint256)[],(uint8,address,uint256,uint256,address)[])', framed);
      if (decoded == null) continue;
      const f = decoded.toTuple();
      const hash = f[0].toBytes().toHexString().toLowerCase();
      const items = f[3].toTupleArray<ethereum.Tuple>();
      for (let k = 0; k < items.length; k++) {
        const it = items[k];
        if (!isNft(it[0].toI32())) continue;
        input.counterparts.push(new Counterpart(hash, addr(it[1].toAddress()), hexOf(it[2].toBigInt()), addr(it[4].toAddress())));
      }
    } else if (t0 == ORDERS_MATCHED) {
      const decoded = ethereum.decode('bytes32[]', l.data);
      if (decoded == null) continue;
      const hashes = decoded.toBytesArray();
      for (let k = 0; k < hashes.length; k++) input.matched.push(hashes[k].toHexString().toLowerCase());
    } else if (t0 == TRANSFER && l.topics.length == 4) {
      // ERC-721 Transfer(from, to, tokenId): all three indexed (an ERC-20 Transfer has 3 topics and is left out).
      const id = ethereum.decode('uint256', l.topics[3])!.toBigInt();
      input.transfers.push(new NftTransfer(addr(l.address), topicAddress(l.topics[1]), topicAddress(l.topics[2]), hexOf(id), '0x1'));
    } else if (t0 == TRANSFER_SINGLE && l.topics.length == 4) {
      const decoded = ethereum.decode('(uint256,uint256)', l.data);
      if (decoded == null) continue;
      const v = decoded.toTuple();
      input.transfers.push(
        new NftTransfer(addr(l.address), topicAddress(l.topics[2]), topicAddress(l.topics[3]), hexOf(v[0].toBigInt()), hexOf(v[1].toBigInt())),
      );
    }
  }
}

function dayOf(timestamp: BigInt): i32 {
  return (timestamp.toI64() / 86400) as i32;
}

function median(prices: BigInt[]): BigInt {
  const sorted = prices.slice(0);
  sorted.sort((a: BigInt, b: BigInt): i32 => BigInt.compare(a, b));
  return sorted[(sorted.length - 1) / 2];
}

function recordDay(c: Collection, sale: Sale): void {
  const day = dayOf(sale.timestamp);
  const id = c.id.toHexString() + '-' + day.toString();
  let d = CollectionDay.load(id);
  if (d == null) {
    d = new CollectionDay(id);
    d.collection = c.id;
    d.day = day;
    d.dayStart = BigInt.fromI32(day).times(BigInt.fromI32(86400));
    d.salesCount = BigInt.zero();
    d.volume = BigInt.zero();
    d.minPrice = sale.unitPrice;
    d.maxPrice = sale.unitPrice;
    d.prices = [];
  }
  d.salesCount = d.salesCount.plus(BigInt.fromI32(1));
  d.volume = d.volume.plus(sale.totalPrice);
  if (sale.unitPrice.lt(d.minPrice)) d.minPrice = sale.unitPrice;
  if (sale.unitPrice.gt(d.maxPrice)) d.maxPrice = sale.unitPrice;
  d.lastPrice = sale.unitPrice;
  const prices = d.prices;
  if (prices.length < 255) prices.push(sale.unitPrice);
  d.prices = prices;
  d.medianPrice = median(prices);
  d.save();
}

export function loadCollection(address: Bytes): Collection {
  let c = Collection.load(address);
  if (c == null) {
    c = new Collection(address);
    c.listed = false;
    c.twap = BigInt.zero();
    c.frozen = false;
    c.tracked = false;
    c.salesCount = BigInt.zero();
    c.volume = BigInt.zero();
  }
  return c;
}

export function handleOrderFulfilled(event: OrderFulfilled): void {
  const p = event.params;
  const input = new RuleInput();
  input.orderHash = p.orderHash.toHexString().toLowerCase();
  input.offerer = addr(p.offerer);
  input.recipient = addr(p.recipient);
  for (let i = 0; i < p.offer.length; i++) {
    const it = p.offer[i];
    input.offer.push(new Item(it.itemType, addr(it.token), hexOf(it.identifier), hexOf(it.amount), ''));
  }
  for (let i = 0; i < p.consideration.length; i++) {
    const it = p.consideration[i];
    input.consideration.push(new Item(it.itemType, addr(it.token), hexOf(it.identifier), hexOf(it.amount), addr(it.recipient)));
  }
  readReceipt(event, input);
  input.listed = LISTED;
  input.poolAsset = POOL_ASSET;
  input.wethPool = WETH_POOL;
  // Rule 7 needs the order's totalSize at this block; the call is made only when rules 1-6 let the log through
  // (a first decision, taken with totalSize 1, of a sale or of rule 8, which comes after 7), so most skipped fills
  // cost no eth_call and every skip is still counted under the first rule that matches.
  input.totalSize = '0x1';
  let d: Decision = decide(input);
  if (needsOrderStatus(d)) {
    const status = Seaport.bind(event.address).try_getOrderStatus(p.orderHash);
    if (status.reverted) {
      log.warning('getOrderStatus({}) reverted: rule 7 cannot be checked, the fill is counted as a partial fill', [input.orderHash]);
      input.totalSize = '0x2';
    } else {
      input.totalSize = hexOf(status.value.getTotalSize());
    }
    d = decide(input);
  }
  if (d.code != 0) {
    countSkip(d.code);
    return;
  }

  // The sale (docs/sale-rules.md "The sale"): totalPrice sums every payment item on the payment side, fees and
  // royalties included; unitPrice = totalPrice / amount, rounded down.
  let total = BigInt.zero();
  for (let k = 0; k < d.payments.length; k++) {
    total = total.plus(d.paidInOffer ? p.offer[d.payments[k]].amount : p.consideration[d.payments[k]].amount);
  }
  const nftAmount = d.nftInOffer ? p.offer[d.nftIndex].amount : p.consideration[d.nftIndex].amount;
  const tokenId = d.nftInOffer ? p.offer[d.nftIndex].identifier : p.consideration[d.nftIndex].identifier;
  const sale = new Sale(event.transaction.hash.toHexString() + ':' + event.logIndex.toString());
  const collection = loadCollection(Address.fromString(d.collection));
  sale.collection = collection.id;
  sale.tokenId = tokenId;
  sale.amount = nftAmount;
  sale.standard = d.standard == 1 ? 'erc721' : 'erc1155';
  sale.totalPrice = total;
  sale.unitPrice = total.div(nftAmount);
  sale.currency = Address.fromString(d.currency);
  sale.marketplace = event.address;
  sale.orderHash = p.orderHash;
  sale.seller = Address.fromString(d.seller);
  sale.buyer = Address.fromString(d.buyer);
  sale.blockNumber = event.block.number;
  sale.blockHash = event.block.hash;
  sale.timestamp = event.block.timestamp;
  sale.txHash = event.transaction.hash;
  sale.logIndex = event.logIndex;
  sale.save();

  collection.salesCount = collection.salesCount.plus(BigInt.fromI32(1));
  collection.volume = collection.volume.plus(total);
  collection.lastSalePrice = sale.unitPrice;
  collection.lastSaleTimestamp = sale.timestamp;
  collection.save();
  recordDay(collection, sale);
}
