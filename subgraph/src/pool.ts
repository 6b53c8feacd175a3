// The pool's events: lenders' shares, each loan's commitment and history, auctions' settlement and write-offs.
import { BigInt, Bytes, ethereum } from '@graphprotocol/graph-ts';
import {
  AuctionRelisted,
  AuctionSettled,
  AuctionStarted,
  BadDebt,
  Borrow,
  Deposit,
  LiquidatorSet,
  LoanRepaid,
  RecoveryBooked,
  Renew,
  Repay,
  TermsSet,
  Withdraw,
} from '../generated/LendingPool/LendingPool';
import { Auction, AuctionModule, Lender, Loan, LoanEvent, Pool, Terms, WriteOff } from '../generated/schema';
import { Erc1155Collection, Erc721Collection } from '../generated/templates';
import { loadCollection } from './seaport';

const BPS = BigInt.fromI32(10000);
const WAD = BigInt.fromString('1000000000000000000');

export function loadPool(address: Bytes): Pool {
  let p = Pool.load(address);
  if (p == null) {
    p = new Pool(address);
    p.totalDeposited = BigInt.zero();
    p.totalWithdrawn = BigInt.zero();
    p.totalShares = BigInt.zero();
    p.loansOpened = BigInt.zero();
    p.principalOutstanding = BigInt.zero();
    p.totalBadDebt = BigInt.zero();
    p.totalRecovered = BigInt.zero();
  }
  return p;
}

function loadLender(pool: Bytes, owner: Bytes): Lender {
  const id = pool.toHexString() + '-' + owner.toHexString();
  let l = Lender.load(id);
  if (l == null) {
    l = new Lender(id);
    l.pool = pool;
    l.owner = owner;
    l.shares = BigInt.zero();
    l.deposited = BigInt.zero();
    l.withdrawn = BigInt.zero();
  }
  return l;
}

export function loanKey(pool: Bytes, loanId: BigInt): string {
  return pool.toHexString() + '-' + loanId.toString();
}

export function handleDeposit(event: Deposit): void {
  const pool = loadPool(event.address);
  pool.totalDeposited = pool.totalDeposited.plus(event.params.assets);
  pool.totalShares = pool.totalShares.plus(event.params.shares);
  pool.save();
  const l = loadLender(event.address, event.params.owner);
  l.deposited = l.deposited.plus(event.params.assets);
  l.shares = l.shares.plus(event.params.shares);
  l.save();
}

export function handleWithdraw(event: Withdraw): void {
  const pool = loadPool(event.address);
  pool.totalWithdrawn = pool.totalWithdrawn.plus(event.params.assets);
  pool.totalShares = pool.totalShares.minus(event.params.shares);
  pool.save();
  const l = loadLender(event.address, event.params.owner);
  l.withdrawn = l.withdrawn.plus(event.params.assets);
  l.shares = l.shares.minus(event.params.shares);
  l.save();
}

/** The ILendingPoolTypes.Loan tuple every loan event carries: its fields in declaration order. */
function writeCommitment(loan: Loan, t: ethereum.Tuple): void {
  loan.borrower = t[0].toAddress();
  loan.collection = t[1].toAddress();
  loan.tokenId = t[2].toBigInt();
  loan.amount = t[3].toBigInt();
  loan.principal = t[4].toBigInt();
  loan.scaledDebt = t[5].toBigInt();
  loan.premium = t[6].toBigInt();
  loan.premiumMultipleWad = t[7].toBigInt();
  loan.frozenDebt = t[8].toBigInt();
  loan.impairment = t[9].toBigInt();
  loan.startTime = t[10].toBigInt();
  loan.dueTime = t[11].toBigInt();
  loan.auctionStart = t[12].toBigInt();
  const termsId = t[13].toBigInt();
  loan.outageBase = t[14].toBigInt();
  const termsKey = loan.pool.toHexString() + '-' + loan.collection.toHexString() + '-' + termsId.toString();
  loan.terms = termsKey;
  loan.liquidationPrice = liquidationPrice(loan, Terms.load(termsKey));
}

/**
 * The unit price at health factor 1 for the principal at the last event. A unit must be worth
 * x = principal / (amount x haircut x threshold), rounded up; the premium (per unit, in the asset) covers part of it,
 * counted at most m x the price (m = premiumMultipleWad / 1e18, its multiple at origination): p = x - premium while
 * (1 + m) x premium <= m x x, else x / (1 + m), rounded up.
 */
function liquidationPrice(loan: Loan, terms: Terms | null): BigInt | null {
  if (terms == null || loan.amount.isZero()) return null;
  const den = loan.amount.times(BigInt.fromI32(terms.haircutBps)).times(BigInt.fromI32(terms.liqThresholdBps));
  if (den.isZero()) return null;
  const one = BigInt.fromI32(1);
  const x = loan.principal.times(BPS).times(BPS).plus(den).minus(one).div(den);
  const m = loan.premiumMultipleWad;
  const onePlusM = WAD.plus(m);
  if (loan.premium.times(onePlusM).le(x.times(m))) return x.minus(loan.premium);
  return x.times(WAD).plus(onePlusM).minus(one).div(onePlusM);
}

function history(event: ethereum.Event, loan: Loan, kind: string, value: BigInt, account: Bytes | null): void {
  const e = new LoanEvent(event.transaction.hash.toHexString() + '-' + event.logIndex.toString());
  e.loan = loan.id;
  e.kind = kind;
  e.value = value;
  e.principal = loan.principal;
  e.account = account;
  e.blockNumber = event.block.number;
  e.timestamp = event.block.timestamp;
  e.txHash = event.transaction.hash;
  e.save();
}

export function handleBorrow(event: Borrow): void {
  const pool = loadPool(event.address);
  const loan = new Loan(loanKey(event.address, event.params.loanId));
  loan.pool = pool.id;
  loan.loanId = event.params.loanId;
  loan.status = 'Active';
  const collection = loadCollection(event.params.loan.collection);
  collection.save();
  writeCommitment(loan, changetype<ethereum.Tuple>(event.params.loan));
  loan.updatedAt = event.block.timestamp;
  loan.save();
  pool.loansOpened = pool.loansOpened.plus(BigInt.fromI32(1));
  pool.principalOutstanding = pool.principalOutstanding.plus(loan.principal);
  pool.save();
  history(event, loan, 'Borrow', loan.principal, event.params.borrower);
}

/** A loan event for a loan this subgraph never saw open (a start block after its Borrow) is left out. */
function update(event: ethereum.Event, loanId: BigInt, commitment: ethereum.Tuple | null): Loan | null {
  const loan = Loan.load(loanKey(event.address, loanId));
  if (loan == null) return null;
  const pool = loadPool(event.address);
  const before = loan.principal;
  if (commitment != null) writeCommitment(loan, commitment);
  pool.principalOutstanding = pool.principalOutstanding.minus(before).plus(loan.principal);
  pool.save();
  loan.updatedAt = event.block.timestamp;
  return loan;
}

export function handleRepay(event: Repay): void {
  const loan = update(event, event.params.loanId, changetype<ethereum.Tuple>(event.params.loan));
  if (loan == null) return;
  loan.save();
  history(event, loan, 'Repay', event.params.paid, event.params.payer);
}

export function handleLoanRepaid(event: LoanRepaid): void {
  const loan = update(event, event.params.loanId, null);
  if (loan == null) return;
  const pool = loadPool(event.address);
  pool.principalOutstanding = pool.principalOutstanding.minus(loan.principal);
  pool.save();
  loan.status = 'Repaid';
  loan.save();
  history(event, loan, 'LoanRepaid', event.params.paid, event.params.payer);
}

export function handleRenew(event: Renew): void {
  const loan = update(event, event.params.loanId, changetype<ethereum.Tuple>(event.params.loan));
  if (loan == null) return;
  loan.save();
  history(event, loan, 'Renew', event.params.interestPaid, null);
}

function loadAuction(loan: Loan): Auction {
  let a = Auction.load(loan.id);
  if (a == null) {
    a = new Auction(loan.id);
    a.loan = loan.id;
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

export function handleAuctionStarted(event: AuctionStarted): void {
  const loan = update(event, event.params.loanId, changetype<ethereum.Tuple>(event.params.loan));
  if (loan == null) return;
  loan.status = 'InAuction';
  loan.save();
  const a = loadAuction(loan);
  a.keeper = event.params.keeper;
  a.impairment = event.params.impairment;
  a.save();
  history(event, loan, 'AuctionStarted', event.params.impairment, event.params.keeper);
}

export function handleAuctionRelisted(event: AuctionRelisted): void {
  const loan = update(event, event.params.loanId, changetype<ethereum.Tuple>(event.params.loan));
  if (loan == null) return;
  loan.save();
  history(event, loan, 'AuctionRelisted', BigInt.zero(), event.params.settler);
}

export function handleAuctionSettled(event: AuctionSettled): void {
  const loan = update(event, event.params.loanId, null);
  if (loan == null) return;
  const pool = loadPool(event.address);
  pool.principalOutstanding = pool.principalOutstanding.minus(loan.principal);
  pool.save();
  loan.status = 'Settled';
  loan.save();
  const a = loadAuction(loan);
  if (a.status == 'Live') a.status = event.params.proceeds.isZero() ? 'Closed' : 'Bought';
  a.buyer = event.params.buyer;
  a.price = event.params.proceeds;
  a.repaid = event.params.repaid;
  a.surplus = event.params.surplus;
  a.badDebt = event.params.badDebt;
  a.endedAt = event.block.timestamp;
  a.save();
  history(event, loan, 'AuctionSettled', event.params.proceeds, event.params.buyer);
}

export function handleBadDebt(event: BadDebt): void {
  const pool = loadPool(event.address);
  pool.totalBadDebt = pool.totalBadDebt.plus(event.params.amount);
  pool.save();
  const loan = Loan.load(loanKey(event.address, event.params.loanId));
  if (loan == null) return;
  const w = new WriteOff(event.transaction.hash.toHexString() + '-' + event.logIndex.toString());
  w.pool = pool.id;
  w.loan = loan.id;
  w.collection = loan.collection;
  w.amount = event.params.amount;
  w.fromReserve = event.params.fromReserve;
  w.fromLenders = event.params.fromLenders;
  w.blockNumber = event.block.number;
  w.timestamp = event.block.timestamp;
  w.txHash = event.transaction.hash;
  w.save();
}

export function handleRecoveryBooked(event: RecoveryBooked): void {
  const pool = loadPool(event.address);
  pool.totalRecovered = pool.totalRecovered.plus(event.params.amount);
  pool.save();
}

export function handleTermsSet(event: TermsSet): void {
  const p = event.params;
  const key = event.address.toHexString() + '-' + p.collection.toHexString() + '-' + p.termsId.toString();
  const t = new Terms(key);
  t.pool = loadPool(event.address).id;
  t.collection = p.collection;
  t.termsId = p.termsId;
  t.standard = p.terms.standard;
  t.ltvBps = p.terms.ltvBps;
  t.liqThresholdBps = p.terms.liqThresholdBps;
  t.haircutBps = p.terms.haircutBps;
  t.penaltyBps = p.terms.penaltyBps;
  t.duration = p.terms.duration;
  t.grace = p.terms.grace;
  t.auctionDuration = p.terms.auctionDuration;
  t.save();
  // The first terms of a collection start following its transfers (the Token entities).
  const c = loadCollection(p.collection);
  if (!c.tracked) {
    if (p.terms.standard == 1) Erc721Collection.create(p.collection);
    else if (p.terms.standard == 2) Erc1155Collection.create(p.collection);
    c.tracked = p.terms.standard == 1 || p.terms.standard == 2;
  }
  c.save();
}

export function handleLiquidatorSet(event: LiquidatorSet): void {
  const pool = loadPool(event.address);
  pool.liquidator = event.params.liquidator;
  pool.save();
  const m = new AuctionModule(event.params.liquidator);
  m.pool = pool.id;
  m.save();
}
