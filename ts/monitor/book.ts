// The open loans and running auctions, rebuilt from the pool's and the auction module's events (the pool stores only
// a hash per loan; every event carries the loan's full new state, as the keeper reads them: ts/keeper/keeper.ts).
// Shared by the monitor's rules and the status page. Serialisable, so the monitor's checkpoint carries it.
import { decodeEventLog, isAddressEqual, type Address, type Hex } from 'viem';
import { dutchAuctionAbi, iLendingPoolAbi } from '../generated/contracts.js';
import type { Auction, Loan } from '../keeper/keeper.js';
import type { RawLog } from '../keeper/logs.js';

export interface Entry {
  loan: Loan;
  auction?: Auction;
}

export type Book = Map<string, Entry>;

/** Folds one pool or module log into the book; returns the decoded event (or undefined for another contract's). */
export function applyLog(book: Book, pool: Address, auction: Address, log: RawLog): { eventName: string; args: Record<string, unknown> } | undefined {
  const fromPool = isAddressEqual(log.address, pool);
  if (!fromPool && !isAddressEqual(log.address, auction)) return undefined;
  let ev: { eventName: string; args: Record<string, unknown> };
  try {
    ev = decodeEventLog({ abi: fromPool ? iLendingPoolAbi : dutchAuctionAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
  } catch {
    return undefined;
  }
  const id = ev.args.loanId === undefined ? undefined : String(ev.args.loanId);
  if (id === undefined) return ev;
  if (fromPool) {
    switch (ev.eventName) {
      case 'Borrow':
      case 'Repay':
      case 'Renew':
      case 'AuctionStarted':
      case 'AuctionRelisted':
        book.set(id, { loan: ev.args.loan as Loan, auction: book.get(id)?.auction });
        break;
      case 'LoanRepaid':
      case 'AuctionSettled':
        book.delete(id);
        break;
    }
  } else {
    switch (ev.eventName) {
      case 'AuctionStarted':
      case 'AuctionRelisted': {
        const e = book.get(id);
        if (e) book.set(id, { ...e, auction: ev.args.auction as Auction });
        break;
      }
      case 'AuctionBought':
      case 'AuctionClosed':
        book.delete(id);
        break;
    }
  }
  return ev;
}

const big = (x: unknown) => (typeof x === 'bigint' ? x.toString() : x);

/** The book as the checkpoint stores it: each loan and auction with its big numbers as decimal strings. */
export type BookJson = Record<string, { loan: Record<string, unknown>; auction?: Record<string, unknown> }>;

export function bookToJson(book: Book): BookJson {
  const out: BookJson = {};
  for (const [id, e] of book) {
    out[id] = {
      loan: Object.fromEntries(Object.entries(e.loan).map(([k, v]) => [k, big(v)])),
      auction: e.auction && Object.fromEntries(Object.entries(e.auction).map(([k, v]) => [k, big(v)])),
    };
  }
  return out;
}

const LOAN_BIG = ['tokenId', 'amount', 'principal', 'scaledDebt', 'premium', 'premiumMultipleWad', 'frozenDebt', 'impairment', 'outageBase'];
const AUCTION_BIG = ['startPrice', 'reservePrice', 'outageBase'];

export function bookFromJson(raw: BookJson): Book {
  const book: Book = new Map();
  for (const [id, e] of Object.entries(raw)) {
    const loan = Object.fromEntries(Object.entries(e.loan).map(([k, v]) => [k, LOAN_BIG.includes(k) ? BigInt(v as string) : v])) as unknown as Loan;
    const auction = e.auction ? (Object.fromEntries(Object.entries(e.auction).map(([k, v]) => [k, AUCTION_BIG.includes(k) ? BigInt(v as string) : v])) as unknown as Auction) : undefined;
    book.set(id, { loan, auction });
  }
  return book;
}
