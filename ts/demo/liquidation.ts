// The liquidation step of the demo, with direct calls: find the loans that can be auctioned (health factor below 1
// or past maturity plus grace) and start their auctions. The keeper service (ts/keeper/) does the same continuously
// and profit-aware; until it is wired into the demo, this one small function stands in for its `tick()`.
import type { Address, PublicClient, WalletClient } from 'viem';
import type { LocalAccount } from 'viem/accounts';
import { dutchAuctionAbi, iLendingPoolAbi } from '../generated/contracts.js';

export type Loan = {
  borrower: Address;
  collection: Address;
  tokenId: bigint;
  amount: bigint;
  principal: bigint;
  scaledDebt: bigint;
  premiumWad: bigint;
  frozenDebt: bigint;
  impairment: bigint;
  startTime: number;
  dueTime: number;
  auctionStart: number;
  termsId: number;
};

export type Auction = {
  keeper: Address;
  valuation: Address;
  startPrice: bigint;
  reservePrice: bigint;
  start: number;
  duration: number;
  outageBase: bigint;
};

export interface Started {
  loanId: bigint;
  loan: Loan;
  auction: Auction;
  reason: string;
}

/** Starts an auction for every loan in `loans` that the pool would liquidate now. Loans the oracle cannot price,
 * healthy loans and loans already in auction are skipped with a reason. */
export async function startLiquidations(
  pub: PublicClient,
  wallet: WalletClient,
  keeper: LocalAccount,
  pool: Address,
  auction: Address,
  loans: Map<bigint, Loan>,
  log: (line: string) => void,
): Promise<Started[]> {
  const started: Started[] = [];
  const now = BigInt((await pub.getBlock()).timestamp);
  for (const [loanId, loan] of loans) {
    if ((await pub.readContract({ address: pool, abi: iLendingPoolAbi, functionName: 'loanHash', args: [loanId] })) === `0x${'00'.repeat(32)}`) continue;
    if (loan.auctionStart !== 0) continue;
    const terms = await pub.readContract({ address: pool, abi: iLendingPoolAbi, functionName: 'terms', args: [loan.collection, loan.termsId] });
    const expired = now > BigInt(loan.dueTime) + BigInt(terms.grace);
    let hf: bigint | undefined;
    try {
      hf = await pub.readContract({ address: pool, abi: iLendingPoolAbi, functionName: 'healthFactor', args: [loan] });
    } catch {
      log(`  loan ${loanId}: the oracle cannot price ${loan.collection} now; skipped`);
      continue;
    }
    if (!expired && hf >= 10n ** 18n) continue;
    const { request, result } = await pub.simulateContract({
      address: auction,
      abi: dutchAuctionAbi,
      functionName: 'start',
      args: [loanId, loan],
      account: keeper,
    });
    const hash = await wallet.writeContract({ ...request, account: keeper, chain: wallet.chain } as never);
    const receipt = await pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`starting the auction of loan ${loanId} reverted (${hash})`);
    const [a, updated] = result as unknown as [Auction, Loan];
    const reason = expired ? 'past maturity plus grace' : `health factor ${(Number(hf) / 1e18).toFixed(3)}`;
    loans.set(loanId, updated);
    started.push({ loanId, loan: updated, auction: a, reason });
  }
  return started;
}
