// The keeper against the protocol as ts/deploy deploys it (real Valuation with its outage clock, a local floor feed,
// the auction module): the checkpoint policy (issue 15, review 3 finding 3) and due dates extended by a real outage.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClient, parseEther, parseEventLogs, type Address, type Hex, type PublicClient, type WalletClient } from 'viem';
import { foundry } from 'viem/chains';
import { localAccount, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { demoApesAbi, dutchAuctionAbi, iLendingPoolAbi, iValuationAdminAbi, localFloorFeedAbi, wethAbi } from '../generated/contracts.js';
import { defaultTerms } from './fixtures/protocol.js';
import { effectiveDueTime, Keeper, reasonOf, type KeeperConfig, type Loan } from '../keeper/keeper.js';
import { localDeployment } from './fixtures/local-deployment.js';
import type { Send } from './fixtures/send.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const PRICE = parseEther('30');
let d: DeployResult;
let pub: PublicClient;
let wallet: WalletClient;
let tx: Send;
let test: ReturnType<typeof createTestClient>;
let snapshot: Hex;
let lines: string[];
const reporter = localAccount(LOCAL_ROLES.reporter);
const [lp, borrower, keeperAcct, anyone] = [10, 12, 15, 16].map(localAccount);

const latestTime = async () => (await pub.getBlock({ blockTag: 'latest' })).timestamp;
/** Mines one block at `timestamp`. */
async function mineAt(timestamp: bigint) {
  await test.setNextBlockTimestamp({ timestamp });
  await test.mine({ blocks: 1 });
}
const floorRound = () => tx(reporter, d.record.feed721, localFloorFeedAbi, 'update', [PRICE]);
const sale = async () => tx(reporter, d.record.valuation, iValuationAdminAbi, 'reportSale', [d.record.collection721, PRICE, await latestTime()]);
const recordedRound = async () => (await pub.readContract({ address: d.record.valuation, abi: iValuationAdminAbi, functionName: 'outageClock', args: [d.record.collection721] }))[0].floorRound;
const latestRound = async () => (await pub.readContract({ address: d.record.feed721, abi: localFloorFeedAbi, functionName: 'latestRoundData' }))[0];
const nonce = (who: Address) => pub.getTransactionCount({ address: who });

function keeper(over: Partial<KeeperConfig> = {}): Keeper {
  return new Keeper({
    publicClient: pub,
    walletClient: wallet,
    pool: d.record.pool,
    auction: d.record.auction,
    fromBlock: 0n,
    account: keeperAcct,
    cooldownSec: 0,
    confirmations: 0,
    log: (line) => lines.push(line),
    ...over,
  });
}

async function borrow(tokenId: bigint): Promise<{ id: bigint; loan: Loan }> {
  const r = d.record;
  await tx(borrower, r.collection721, demoApesAbi, 'mint', [borrower.address, tokenId]);
  const receipt = await tx(borrower, r.pool, iLendingPoolAbi, 'borrow', [r.collection721, tokenId, 1n, parseEther('9'), borrower.address, 0n, []]);
  const [ev] = parseEventLogs({ abi: iLendingPoolAbi, logs: receipt.logs, eventName: 'Borrow' });
  return { id: ev.args.loanId, loan: ev.args.loan as Loan };
}

beforeAll(async () => {
  ({ d, pub, wallet, test, send: tx } = await localDeployment());
  const r = d.record;
  for (const a of [lp, borrower, keeperAcct, anyone]) await test.setBalance({ address: a.address, value: parseEther('1000') });
  // Enough sales for a ready TWAP (5 sales over 30 min at least), each with a fresh floor round.
  for (let i = 0; i < 6; i++) {
    await mineAt((await latestTime()) + 600n);
    await floorRound();
    await sale();
  }
  await tx(lp, r.asset, wethAbi, 'deposit', [], parseEther('100'));
  await tx(lp, r.asset, wethAbi, 'approve', [r.pool, 2n ** 255n]);
  await tx(lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther('50'), lp.address]);
  await tx(borrower, r.collection721, demoApesAbi, 'setApprovalForAll', [r.pool, true]);
  // Two-day loans (grace stays two days), so a term passes in a few dozen blocks.
  await test.impersonateAccount({ address: r.timelock });
  await test.setBalance({ address: r.timelock, value: parseEther('10') });
  const hash = await wallet.writeContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'setTerms', args: [r.collection721, { ...(await defaultTerms(pub, 1)), duration: 2 * DAY }, parseEther('1000')], account: r.timelock, chain: foundry });
  expect((await pub.waitForTransactionReceipt({ hash })).status).toBe('success');
  await test.stopImpersonatingAccount({ address: r.timelock });
}, 180_000);

afterAll(async () => {
  await d?.anvil?.stop();
});

beforeEach(async () => {
  snapshot = await test.snapshot();
  lines = [];
});

afterEach(async () => {
  await test.revert({ id: snapshot });
});

describe('keeper checkpoints the outage clock', () => {
  it('checkpoints once more than 8 floor rounds were published since the last record, not before', async () => {
    const r = d.record;
    await borrow(1n); // the collection has an open loan: the keeper watches it
    await tx(anyone, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    expect(await recordedRound()).toBe(await latestRound());
    const k = keeper();
    // A quiet feed: 8 rounds, 5 minutes apart, no sale. Within the keeper's margin: nothing sent.
    for (let i = 0; i < 8; i++) {
      await mineAt((await latestTime()) + 300n);
      await floorRound();
    }
    const sent = await nonce(keeperAcct.address);
    let res = await k.tick();
    expect(res.checkpointed).toEqual([]);
    expect(await nonce(keeperAcct.address)).toBe(sent);
    expect(lines.filter((l) => /checkpoint/.test(l))).toEqual([]);

    // The ninth round: the keeper records the clock, and the record now holds the latest round.
    await mineAt((await latestTime()) + 300n);
    await floorRound();
    const before = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'outage', args: [r.collection721] });
    res = await k.tick();
    expect(res.checkpointed.map((a) => a.toLowerCase())).toEqual([r.collection721.toLowerCase()]);
    expect(await recordedRound()).toBe(await latestRound());
    expect(lines.some((l) => l.includes(`collection ${r.collection721}: checkpointed the valuation's outage clock (9 floor rounds since the last record, more than 8); gas `))).toBe(true);
    // Recording changes nothing the view said.
    expect(await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'outage', args: [r.collection721] })).toEqual(before);

    // Quiet again: the next tick sends nothing.
    const after = await nonce(keeperAcct.address);
    res = await k.tick();
    expect(res.checkpointed).toEqual([]);
    expect(await nonce(keeperAcct.address)).toBe(after);
  }, 60_000);

  it('leaves it alone with --no-checkpoint, or with no open loan in the collection', async () => {
    for (let i = 0; i < 12; i++) {
      await mineAt((await latestTime()) + 300n);
      await floorRound();
    }
    const sent = await nonce(keeperAcct.address);
    // No loan: the collection is not watched.
    expect((await keeper().tick()).checkpointed).toEqual([]);
    await borrow(2n); // the borrow's price() may record the clock; more rounds put it past the margin again
    for (let i = 0; i < 12; i++) {
      await mineAt((await latestTime()) + 300n);
      await floorRound();
    }
    expect((await latestRound()) - (await recordedRound())).toBeGreaterThan(8n);
    expect((await keeper({ checkpoint: false }).tick()).checkpointed).toEqual([]);
    expect(await nonce(keeperAcct.address)).toBe(sent);
    // The same state with the policy on: it checkpoints.
    expect((await keeper().tick()).checkpointed).toHaveLength(1);
  }, 60_000);
});

describe('keeper and a floor feed that reverts', () => {
  const REVERT: Hex = '0x60006000fd'; // PUSH1 0 PUSH1 0 REVERT: every call to the feed reverts, as a broken proxy would
  const outage = async () => {
    const [since, cumulative] = await pub.readContract({ address: d.record.valuation, abi: iValuationAdminAbi, functionName: 'outage', args: [d.record.collection721] });
    return { since: BigInt(since), cumulative: BigInt(cumulative) };
  };

  it('without a record the outage is gone once the feed answers again; the keeper keeps it by checkpointing', async () => {
    const r = d.record;
    await borrow(3n);
    await tx(anyone, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    const recordedAt = await latestTime();
    const c0 = (await outage()).cumulative;
    const code = await pub.getCode({ address: r.feed721 });
    if (!code) throw new Error('the local floor feed has no code');
    await test.setCode({ address: r.feed721, bytecode: REVERT });

    // The view: an outage from the record on.
    await mineAt(recordedAt + 700n);
    expect(await outage()).toEqual({ since: recordedAt, cumulative: c0 });

    // With nobody recording it, the feed answering again erases it: an auction's clock would jump 700 s forward.
    const erased = await test.snapshot();
    await test.setCode({ address: r.feed721, bytecode: code });
    expect(await outage()).toEqual({ since: 0n, cumulative: c0 });
    await test.revert({ id: erased });

    // The keeper: the record is 700 s old (more than 600), so it checkpoints, and the outage survives the recovery.
    const res = await keeper().tick();
    expect(res.checkpointed.map((a) => a.toLowerCase())).toEqual([r.collection721.toLowerCase()]);
    expect(lines.some((l) => l.includes(`collection ${r.collection721}: checkpointed the valuation's outage clock (floor feed ${r.feed721} does not answer (`) && l.includes('last record 700 s ago)'))).toBe(true);
    const [clk] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'outageClock', args: [r.collection721] });
    expect(clk.since).toBe(Number(recordedAt));
    await test.setCode({ address: r.feed721, bytecode: code });
    expect(await outage()).toEqual({ since: 0n, cumulative: c0 + BigInt(clk.asOf) - recordedAt });
    expect(BigInt(clk.asOf) - recordedAt).toBeGreaterThanOrEqual(700n);
  }, 60_000);

  it('sends one checkpoint per interval, not one per tick', async () => {
    const r = d.record;
    await borrow(5n);
    await tx(anyone, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    await test.setCode({ address: r.feed721, bytecode: REVERT });
    await mineAt((await latestTime()) + 700n);
    const k = keeper();
    expect((await k.tick()).checkpointed).toHaveLength(1);
    // The record is fresh again: the next ticks, 100 s apart, send nothing until it is 600 s old.
    const sent = await nonce(keeperAcct.address);
    for (let i = 0; i < 5; i++) {
      await mineAt((await latestTime()) + 100n);
      expect((await k.tick()).checkpointed).toEqual([]);
    }
    expect(await nonce(keeperAcct.address)).toBe(sent);
    await mineAt((await latestTime()) + 150n);
    expect((await k.tick()).checkpointed).toHaveLength(1);
  }, 60_000);

  it('waits until the last record is revertCheckpointSec old, and sends nothing with --no-checkpoint', async () => {
    const r = d.record;
    await borrow(4n);
    await tx(anyone, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    const recordedAt = await latestTime();
    await test.setCode({ address: r.feed721, bytecode: REVERT });
    await mineAt(recordedAt + 300n);
    const sent = await nonce(keeperAcct.address);
    expect((await keeper().tick()).checkpointed).toEqual([]);
    expect(lines.some((l) => l.includes('does not answer') && l.includes('the outage clock was recorded 300 s ago, next checkpoint after 600 s'))).toBe(true);
    expect((await keeper({ checkpoint: false }).tick()).checkpointed).toEqual([]);
    expect(await nonce(keeperAcct.address)).toBe(sent);
    // A shorter interval: it records now.
    expect((await keeper({ revertCheckpointSec: 120 }).tick()).checkpointed).toHaveLength(1);
    expect(() => keeper({ revertCheckpointSec: 1.5 })).toThrow('Keeper: revertCheckpointSec must be a whole number of seconds, at least 60, not 1.5');
    expect(() => keeper({ revertCheckpointSec: 0 })).toThrow('Keeper: revertCheckpointSec must be a whole number of seconds, at least 60, not 0');
  }, 60_000);
});

describe('keeper and due dates extended by an outage', () => {
  it('does not start a loan whose due date a real outage extended, and starts it when the pool allows', async () => {
    const r = d.record;
    const { id, loan } = await borrow(3n);
    const terms = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'terms', args: [r.collection721, loan.termsId] });
    const grace = BigInt(terms.grace);
    expect(terms.duration).toBe(2 * DAY);
    // Every 6 h a floor round and a sale (no outage), except that the feed stops publishing for 42 h: its last round
    // goes stale after its 1-day heartbeat, so about 18 h of real outage, then it resumes.
    const STEP = BigInt(6 * HOUR);
    const step = async (feed: boolean) => {
      await mineAt((await latestTime()) + STEP);
      if (feed) await floorRound();
      await sale();
    };
    /** Fresh rounds until the latest block is within 20 minutes before `t`, then a last one there. */
    const freshUntil = async (t: bigint) => {
      while ((await latestTime()) + STEP < t - 1200n) await step(true);
      await mineAt(t - 1200n);
      await floorRound();
      await sale();
    };
    await step(true);
    for (let i = 0; i < 6; i++) await step(false);
    await step(true);
    const outage = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'outage', args: [r.collection721] });
    expect(outage[0]).toBe(0n); // over
    const extension = outage[1] - loan.outageBase;
    expect(extension).toBeGreaterThan(BigInt(17 * HOUR));
    expect(extension).toBeLessThan(BigInt(19 * HOUR));
    const due = effectiveDueTime(loan, terms.duration, outage, await latestTime());
    expect(due).toBe(BigInt(loan.dueTime) + extension);

    // At the unextended due date plus grace plus one second the loan would be late without the extension.
    const unextendedLate = BigInt(loan.dueTime) + grace + 1n;
    await freshUntil(unextendedLate);
    await mineAt(unextendedLate);
    const k = keeper();
    let res = await k.tick();
    expect(res.started).toEqual([]);
    const reason = res.skipped.find((s) => s.loanId === id)?.reason ?? '';
    expect(reason).toMatch(new RegExp(`^healthy \\(health factor [0-9.]+\\); due date extended by ${extension} s of oracle outage, late after ${due + grace}$`));
    // The pool's own answer (differential): the same extended date plus grace.
    const err = await pub.simulateContract({ address: r.auction, abi: [...dutchAuctionAbi, ...iLendingPoolAbi.filter((x) => x.type === 'error')], functionName: 'start', args: [id, loan], account: keeperAcct }).catch((e: unknown) => e);
    expect(reasonOf(err)).toMatch(new RegExp(`^LoanNotLiquidatable\\(${id}, \\d+, ${due + grace}\\)$`));

    // The latest block at the extended due date plus grace: the pool refuses a start there (the node simulates at the
    // latest block's time), so the keeper waits without trying.
    await freshUntil(due + grace);
    await mineAt(due + grace);
    res = await k.tick();
    expect(res.started).toEqual([]);
    expect(res.skipped.find((s) => s.loanId === id)?.reason).toMatch(/^healthy .*due date extended/);
    // One second later it is late: effective due + grace + 1.
    await mineAt(due + grace + 1n);
    res = await k.tick();
    expect(res.started, lines.slice(-3).join(' / ')).toEqual([id]);
    expect(lines.some((l) => l.startsWith(`loan ${id}: started its auction (past maturity plus grace)`))).toBe(true);
  }, 120_000);
});
