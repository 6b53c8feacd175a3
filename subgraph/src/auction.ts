// The auction module's events: each round's curve, the buyer, a close without a bid. The module's loan ids are its
// pool's: the pool's LiquidatorSet named this module (AuctionModule), which is how the loan is found.
import { BigInt, Bytes, ethereum, log } from '@graphprotocol/graph-ts';
import { AuctionBought, AuctionClosed, AuctionRelisted, AuctionStarted } from '../generated/DutchAuction/DutchAuction';
import { Auction, AuctionModule, Loan } from '../generated/schema';
import { loanKey } from './pool';

function find(module: Bytes, loanId: BigInt): Auction | null {
  const m = AuctionModule.load(module);
  if (m == null) {
    log.warning('auction module {} is no pool liquidator (no LiquidatorSet seen): event left out', [module.toHexString()]);
    return null;
  }
  const key = loanKey(m.pool, loanId);
  if (Loan.load(key) == null) return null;
  let a = Auction.load(key);
  if (a == null) {
    // The module's AuctionStarted comes before the pool's in the same transaction: create it here.
    a = new Auction(key);
    a.loan = key;
    a.status = 'Live';
    a.keeper = Bytes.empty();
    a.startPrice = BigInt.zero();
    a.reservePrice = BigInt.zero();
    a.start = BigInt.zero();
    a.duration = BigInt.zero();
    a.round = 0;
    a.impairment = BigInt.zero();
  }
  return a;
}

/** The IDutchAuction.Auction tuple: keeper, valuation, startPrice, reservePrice, start, duration, outageBase, round. */
function writeRound(a: Auction, t: ethereum.Tuple): void {
  a.keeper = t[0].toAddress();
  a.startPrice = t[2].toBigInt();
  a.reservePrice = t[3].toBigInt();
  a.start = t[4].toBigInt();
  a.duration = t[5].toBigInt();
  a.round = t[7].toI32();
}

export function handleModuleAuctionStarted(event: AuctionStarted): void {
  const a = find(event.address, event.params.loanId);
  if (a == null) return;
  writeRound(a, changetype<ethereum.Tuple>(event.params.auction));
  a.save();
}

export function handleModuleAuctionRelisted(event: AuctionRelisted): void {
  const a = find(event.address, event.params.loanId);
  if (a == null) return;
  writeRound(a, changetype<ethereum.Tuple>(event.params.auction));
  a.status = 'Live';
  a.save();
}

export function handleAuctionBought(event: AuctionBought): void {
  const a = find(event.address, event.params.loanId);
  if (a == null) return;
  a.status = 'Bought';
  a.buyer = event.params.buyer;
  a.price = event.params.price;
  a.endedAt = event.block.timestamp;
  a.save();
}

export function handleAuctionClosed(event: AuctionClosed): void {
  const a = find(event.address, event.params.loanId);
  if (a == null) return;
  a.status = 'Closed';
  a.badDebt = event.params.badDebt;
  a.endedAt = event.block.timestamp;
  a.save();
}
