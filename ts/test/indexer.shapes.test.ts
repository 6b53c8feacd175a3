// Real Seaport 1.6 on anvil, a real redis-server: every sale shape of docs/sale-rules.md becomes the exact Sale
// (price with fees, per unit for ERC-1155, both sides of a bid), and every shape the rules skip is counted under its
// reason, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAddress, parseEther, type Address, type Hex, type TransactionReceipt } from 'viem';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { connect, type Chain } from '../lib/chain.js';
import { openKv, type Kv } from '../lib/kv.js';
import { startRedis, type RedisServer } from '../lib/redis.js';
import * as sp from '../lib/seaport.js';
import { Indexer } from '../indexer/indexer.js';
import { ORDER_FULFILLED_TOPIC } from '../indexer/rules.js';
import type { Sale } from '../indexer/sale.js';
import { recentSales, salesAfter } from '../indexer/store.js';

let anvil: Anvil;
let redis: RedisServer;
let c: Chain;
let m: sp.Market;
let kv: Kv;
let seller: Address, buyer: Address, feeTo: Address, friend: Address;

beforeAll(async () => {
  [anvil, redis] = await Promise.all([startAnvil(), startRedis()]);
  c = await connect(anvil.rpcUrl);
  m = await sp.deployMarket(c);
  [, seller, buyer, feeTo, friend] = c.accounts;
  kv = await openKv({ url: redis.url, prefix: 'shapes:' });
});
afterAll(async () => {
  await kv?.close();
  await Promise.all([anvil?.stop(), redis?.stop()]);
});

const nft721 = (id: bigint): sp.Nft => ({ token: m.erc721, id, amount: 1n, standard: 'erc721' });
const nft1155 = (id: bigint, amount: bigint): sp.Nft => ({ token: m.erc1155, id, amount, standard: 'erc1155' });

/** The OrderFulfilled logs of a receipt, in order. */
function fills(r: TransactionReceipt) {
  return r.logs.filter((l) => l.topics[0] === ORDER_FULFILLED_TOPIC && getAddress(l.address) === sp.SEAPORT);
}
async function expected(r: TransactionReceipt, logPos: number, p: Omit<Sale, 'id' | 'chainId' | 'marketplace' | 'blockNumber' | 'blockHash' | 'timestamp' | 'txHash' | 'logIndex' | 'unitPrice' | 'orderHash'> & { orderHash?: Hex }): Promise<Sale> {
  const log = fills(r)[logPos];
  const block = await c.pub.getBlock({ blockNumber: r.blockNumber });
  return {
    id: `${r.transactionHash}:${log.logIndex}`,
    chainId: 31337,
    collection: getAddress(p.collection),
    tokenId: p.tokenId,
    amount: p.amount,
    standard: p.standard,
    totalPrice: p.totalPrice,
    unitPrice: p.totalPrice / p.amount,
    currency: getAddress(p.currency),
    marketplace: sp.SEAPORT,
    orderHash: (p.orderHash ?? (`0x${log.data.slice(2, 66)}` as Hex)),
    seller: getAddress(p.seller),
    buyer: getAddress(p.buyer),
    blockNumber: r.blockNumber,
    blockHash: r.blockHash,
    timestamp: Number(block.timestamp),
    txHash: r.transactionHash,
    logIndex: log.logIndex!,
  };
}

describe('indexer on real Seaport: sale shapes and skip reasons', () => {
  it('turns each shape into the exact Sale or its counted skip reason', async () => {
    const want: Sale[] = [];
    const fee = (amount: bigint) => [{ recipient: feeTo, amount }];
    await sp.fundWeth(c, m.weth, buyer, parseEther('100'));
    await sp.fundWeth(c, m.weth, seller, parseEther('1'));

    // ERC-721 listing paid in ETH, a 2.5 % fee to the fee recipient: the price is what the buyer paid, fee included.
    await sp.mintNft(c, seller, nft721(1n));
    let f = await sp.listAndFill(c, { seller, buyer, nft: nft721(1n), price: parseEther('1'), currency: sp.ZERO, fees: fee(parseEther('0.025')) });
    want.push(await expected(f.receipt, 0, { collection: m.erc721, tokenId: 1n, amount: 1n, standard: 'erc721', totalPrice: parseEther('1.025'), currency: sp.ZERO, seller, buyer }));

    // ERC-721 listing paid in WETH.
    await sp.mintNft(c, seller, nft721(2n));
    f = await sp.listAndFill(c, { seller, buyer, nft: nft721(2n), price: parseEther('2'), currency: m.weth, fees: fee(parseEther('0.05')) });
    want.push(await expected(f.receipt, 0, { collection: m.erc721, tokenId: 2n, amount: 1n, standard: 'erc721', totalPrice: parseEther('2.05'), currency: m.weth, seller, buyer }));

    // ERC-1155 listing of 3 units in ETH: the unit price is the total over 3, rounded down.
    await sp.mintNft(c, seller, nft1155(5n, 3n));
    f = await sp.listAndFill(c, { seller, buyer, nft: nft1155(5n, 3n), price: parseEther('3'), currency: sp.ZERO, fees: fee(1n) });
    const s1155 = await expected(f.receipt, 0, { collection: m.erc1155, tokenId: 5n, amount: 3n, standard: 'erc1155', totalPrice: parseEther('3') + 1n, currency: sp.ZERO, seller, buyer });
    expect(s1155.unitPrice).toBe(parseEther('1'));
    want.push(s1155);

    // A WETH bid accepted: the buyer is the offerer, the seller the fulfiller; the price is the bid (the seller pays the fee).
    await sp.mintNft(c, seller, nft721(3n));
    f = await sp.bidAndFill(c, { seller, buyer, nft: nft721(3n), price: parseEther('1.5'), currency: m.weth, fees: fee(parseEther('0.0375')) });
    want.push(await expected(f.receipt, 0, { collection: m.erc721, tokenId: 3n, amount: 1n, standard: 'erc721', totalPrice: parseEther('1.5'), currency: m.weth, seller, buyer }));

    // Matched orders (the buyer matches its own bid with the listing): the listing's side is the sale, the bid's the counterpart.
    await sp.mintNft(c, seller, nft721(4n));
    const listing = await sp.signOrder(c, sp.orderParameters({ offerer: seller, offer: [sp.nftItem(nft721(4n))], consideration: [sp.to(sp.paymentItem(m.weth, parseEther('0.7')), seller)] }));
    const bid = await sp.signOrder(c, sp.orderParameters({ offerer: buyer, offer: [sp.paymentItem(m.weth, parseEther('0.7'))], consideration: [sp.to(sp.nftItem(nft721(4n)), buyer)] }));
    const matched = await sp.matchOrders(c, buyer, [listing, bid], [
      { offer: [[0, 0]], consideration: [[1, 0]] },
      { offer: [[1, 0]], consideration: [[0, 0]] },
    ]);
    const listingHash = await sp.orderHash(c, listing.parameters);
    const pos = fills(matched).findIndex((l) => l.data.slice(2, 66) === listingHash.slice(2));
    want.push(await expected(matched, pos, { collection: m.erc721, tokenId: 4n, amount: 1n, standard: 'erc721', totalPrice: parseEther('0.7'), currency: m.weth, seller, buyer }));

    // Skipped: a bundle of two ERC-721s.
    await sp.mintNft(c, seller, nft721(10n));
    await sp.mintNft(c, seller, nft721(11n));
    let o = await sp.signOrder(c, sp.orderParameters({ offerer: seller, offer: [sp.nftItem(nft721(10n)), sp.nftItem(nft721(11n))], consideration: [sp.to(sp.paymentItem(sp.ZERO, parseEther('3')), seller)] }));
    await sp.fulfil(c, buyer, o);
    // Skipped: paid in another ERC-20.
    await sp.mintNft(c, seller, nft721(12n));
    await sp.call(c, buyer, m.otherErc20, sp.testErc20Artifact().abi, 'mint', [buyer, parseEther('10')]);
    await sp.call(c, buyer, m.otherErc20, sp.testErc20Artifact().abi, 'approve', [sp.SEAPORT, parseEther('10')]);
    await sp.listAndFill(c, { seller, buyer, nft: nft721(12n), price: parseEther('1'), currency: m.otherErc20 });
    // Skipped: half of a partially fillable ERC-1155 order.
    await sp.mintNft(c, seller, nft1155(6n, 10n));
    o = await sp.signOrder(c, sp.orderParameters({ offerer: seller, orderType: sp.OrderType.PARTIAL_OPEN, offer: [sp.nftItem(nft1155(6n, 10n))], consideration: [sp.to(sp.paymentItem(sp.ZERO, parseEther('10')), seller)] }));
    await sp.fulfilFraction(c, buyer, o, 1n, 2n);
    // Skipped: a private listing with no payment (the NFT goes to a named friend for nothing).
    await sp.mintNft(c, seller, nft721(13n));
    o = await sp.signOrder(c, sp.orderParameters({ offerer: seller, offer: [sp.nftItem(nft721(13n))], consideration: [sp.to(sp.nftItem(nft721(13n)), friend)] }));
    await sp.approveNft(c, friend, m.erc721);
    await sp.fulfil(c, friend, o);
    // Skipped: an order that moves no NFT (WETH for the other ERC-20).
    o = await sp.signOrder(c, sp.orderParameters({ offerer: buyer, offer: [sp.paymentItem(m.weth, parseEther('1'))], consideration: [sp.to(sp.paymentItem(m.otherErc20, parseEther('1')), buyer)] }));
    await sp.call(c, seller, m.otherErc20, sp.testErc20Artifact().abi, 'mint', [seller, parseEther('10')]);
    await sp.call(c, seller, m.otherErc20, sp.testErc20Artifact().abi, 'approve', [sp.SEAPORT, parseEther('10')]);
    await sp.fulfil(c, seller, o);
    // Skipped: a collection the configuration does not list.
    const other721 = await sp.deployArtifact(c, sp.testErc721Artifact());
    await sp.mintNft(c, seller, { token: other721, id: 1n, amount: 1n, standard: 'erc721' });
    await sp.listAndFill(c, { seller, buyer, nft: { token: other721, id: 1n, amount: 1n, standard: 'erc721' }, price: 1n, currency: sp.ZERO });
    // Skipped: a bid filled with the offer sent to someone else: the NFT moves from the fulfiller, not the named seller.
    await sp.mintNft(c, seller, nft721(14n));
    o = await sp.signOrder(c, sp.orderParameters({ offerer: buyer, offer: [sp.paymentItem(m.weth, parseEther('1'))], consideration: [sp.to(sp.nftItem(nft721(14n)), buyer)] }));
    const adv = { parameters: o.parameters, numerator: 1n, denominator: 1n, signature: o.signature, extraData: '0x' };
    await sp.call(c, seller, sp.SEAPORT, sp.seaportAbi(), 'fulfillAdvancedOrder', [adv, [], `0x${'00'.repeat(32)}`, friend]);

    const lines: string[] = [];
    const ix = new Indexer({ rpcUrl: anvil.rpcUrl, kv, collections: [m.erc721, m.erc1155], asset: m.weth, fromBlock: 0n, confirmations: 0, progressMs: 0, log: (l) => lines.push(l) });
    await ix.init();
    await ix.runOnce();

    const { sales } = await salesAfter(kv, 0);
    expect(sales).toEqual(want);
    expect(ix.stats.skips).toEqual({
      'match-counterpart': 1,
      'no-nft': 1,
      bundle: 1,
      'unlisted-collection': 1,
      'no-payment': 1,
      'other-currency': 1,
      'partial-fill': 1,
      'no-transfer': 1,
    });
    // The per-collection view the oracle service reads, oldest first, and the same counts from the store.
    expect((await recentSales(kv, m.erc1155, 0)).map((s) => s.id)).toEqual([s1155.id]);
    expect((await recentSales(kv, m.erc721, 0)).length).toBe(4);
    expect(await kv.hget('ix:skips', 'partial-fill')).toBe('1');
    // A second pass over the same chain adds nothing.
    const again = new Indexer({ rpcUrl: anvil.rpcUrl, kv, collections: [m.erc721, m.erc1155], asset: m.weth, fromBlock: 0n, confirmations: 0, progressMs: 0, log: () => {} });
    await again.init();
    await again.runOnce();
    expect((await salesAfter(kv, 0)).sales).toEqual(want);
  });
});
