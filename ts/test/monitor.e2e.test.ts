// The monitor end to end on anvil, against the protocol as ts/deploy deploys it (forge script, Safe, timelock, real
// valuation and auction module). One scenario walks the chain through every shipped rule's trigger, with a near miss
// before it (the same quantity just short of the threshold, or a second rule instance whose threshold the trigger does
// not cross), and asserts after each pass exactly which rules fired and how many times.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, encodeFunctionData, formatUnits, parseEther, parseEventLogs, type Hex, type PublicClient, type TransactionReceipt, type WalletClient } from 'viem';
import { foundry } from 'viem/chains';
import { localAccount, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { dutchAuctionAbi, iLendingPoolAbi, iValuationAdminAbi, localFloorFeedAbi, timelockControllerAbi, demoApesAbi, wethAbi, iTraitPricerAbi } from '../generated/contracts.js';
import { executeViaSafe, proposeViaSafe, safeExec, type SafeHandle, type TimelockCall } from '../deploy/safe.js';
import type { Loan } from '../keeper/keeper.js';
import { applyLog, type Book } from '../monitor/book.js';
import type { Alert, Channel } from '../monitor/channels.js';
import { parseConfig } from '../monitor/config.js';
import { Monitor, type Addresses } from '../monitor/monitor.js';
import { FileStore } from '../monitor/store.js';
import { StatusSource } from '../monitor/status.js';
import { localDeployment } from './fixtures/local-deployment.js';
import type { Send } from './fixtures/send.js';

const HOUR = 3600;
/** Sales 12 h apart leave the TWAP short of its minimum now and then (TwapNotReady): valuation-not-ok is right to
 * fire during those days, and is tested on its own above. */
const SPARSE = ['valuation-not-ok'];
let d: DeployResult;
let pub: PublicClient;
let wallet: WalletClient;
let tx: Send;
let test: ReturnType<typeof createTestClient>;
let monitor: Monitor;
const got: Alert[] = [];
let lastMuted = 0;
let addrs: Addresses;
const reporter = localAccount(LOCAL_ROLES.reporter);
const [lp1, lp2, borrower, keeper] = [10, 11, 12, 15].map(localAccount);
let floors = { apes: parseEther('30'), items: parseEther('1.5') };

/** A call from an address the node impersonates (the timelock, the Safe as guardian). */
const as: Send = async (who, address, abi, functionName, args, value) => {
  const at = typeof who === 'string' ? who : who.address;
  await test.impersonateAccount({ address: at });
  await test.setBalance({ address: at, value: parseEther('10') });
  try {
    return await tx(who, address, abi, functionName, args, value);
  } finally {
    await test.stopImpersonatingAccount({ address: at });
  }
};
async function now() {
  return Number((await pub.getBlock()).timestamp);
}
async function warp(seconds: number) {
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}
async function oracleRound() {
  const r = d.record;
  await tx(reporter, r.feed721, localFloorFeedAbi, 'update', [floors.apes]);
  await tx(reporter, r.feed1155, localFloorFeedAbi, 'update', [floors.items]);
  const ts = BigInt(await now());
  await tx(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection721, floors.apes, ts]);
  await tx(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection1155, floors.items, ts]);
}
async function passTime(seconds: number) {
  while (seconds > 0) {
    const s = Math.min(Math.max(seconds, 600), 12 * HOUR);
    await warp(s);
    await oracleRound();
    seconds -= s;
  }
}
async function book(): Promise<Book> {
  const b: Book = new Map();
  for (const l of await pub.getLogs({ address: [d.record.pool, d.record.auction], fromBlock: 0n, toBlock: 'latest' })) applyLog(b, d.record.pool, d.record.auction, l);
  return b;
}
function loanOf(receipt: TransactionReceipt, eventName: 'Borrow' | 'Repay'): { id: bigint; loan: Loan } {
  const [ev] = parseEventLogs({ abi: iLendingPoolAbi, logs: receipt.logs, eventName });
  return { id: ev.args.loanId, loan: ev.args.loan };
}
/** One monitor pass; asserts exactly `want` (rule id -> count) fired and nothing else. */
async function expectPass(want: Record<string, number>, label: string, ignore: string[] = []): Promise<Alert[]> {
  const r = await monitor.pass();
  lastMuted = r.muted;
  const counts: Record<string, number> = {};
  for (const a of r.alerts) if (!ignore.includes(a.rule)) counts[a.rule] = (counts[a.rule] ?? 0) + 1;
  expect(counts, `${label}: ${r.alerts.map((a) => a.message).join(' | ')}`).toEqual(want);
  return r.alerts;
}
const hf = async (loan: Loan) => pub.readContract({ address: d.record.pool, abi: iLendingPoolAbi, functionName: 'healthFactor', args: [loan] });
const debtOf = async (loan: Loan) => pub.readContract({ address: d.record.pool, abi: iLendingPoolAbi, functionName: 'debtOf', args: [loan] });

beforeAll(async () => {
  ({ d, pub, wallet, test, send: tx } = await localDeployment());
  for (const a of [lp1, lp2, borrower, keeper]) await test.setBalance({ address: a.address, value: parseEther('10000') });
  const r = d.record;
  addrs = { pool: r.pool, auction: r.auction, valuation: r.valuation, traitPricer: r.traitPricer, timelock: r.timelock, collections: [r.collection721, r.collection1155] };
  const config = parseConfig(JSON.stringify({
    channels: { mem: { type: 'stdout' } },
    rules: [
      { kind: 'large-withdrawal', params: { percent: 10 } },
      { id: 'large-withdrawal-11', kind: 'large-withdrawal', params: { percent: 11 } },
      { id: 'large-withdrawal-cooled', kind: 'large-withdrawal', params: { percent: 10 }, cooldownSec: 3600 },
      { kind: 'valuation-not-ok', params: { forSec: 900 } },
      { kind: 'valuation-drop', params: { percent: 20, windowSec: 6 * HOUR } },
      { id: 'valuation-drop-40', kind: 'valuation-drop', params: { percent: 40, windowSec: 6 * HOUR } },
      { kind: 'health-factor-low', params: { below: 1.05 } },
      { kind: 'auction-overdue', params: { graceSec: 600 } },
      { kind: 'reserve-below-floor', params: { floor: '1' } },
      { id: 'reserve-below-zero', kind: 'reserve-below-floor', params: { floor: '0' } },
    ],
  }));
  const mem: Channel = { name: 'mem', send: async (a) => void got.push(a) };
  monitor = new Monitor({
    pub, chainId: 31337, addrs, config, store: new FileStore(join(mkdtempSync(join(tmpdir(), 'monitor-')), 'state.json')),
    channels: new Map([['mem', mem]]), startBlock: 0n, confirmations: 0,
  });
  await monitor.init();
}, 120_000);

afterAll(async () => {
  await d?.anvil?.stop();
});

describe('monitor rules on the deployed protocol', () => {
  it('reads the deployment itself: four proxies set up, the timelock operations, the reporter authorised', async () => {
    const r = await monitor.pass();
    const by = (rule: string) => r.alerts.filter((a) => a.rule === rule);
    expect(by('upgrade').map((a) => a.data.name).sort()).toEqual(['auction', 'pool', 'traitPricer', 'valuation']);
    expect(by('key-change').map((a) => a.data.reporter)).toContain(d.record.oracleReporter);
    expect(by('timelock-operation').length).toBeGreaterThan(0);
    expect(by('timelock-operation').some((a) => /pool\.setLiquidator\(/.test(a.message))).toBe(true);
    // The reserve is 0 before any interest: below the floor of 1 wei, never below 0.
    expect(by('reserve-below-floor')).toHaveLength(1);
    expect(by('reserve-below-zero')).toHaveLength(0);
    // An idle pass: nothing.
    await expectPass({}, 'idle');
  }, 60_000);

  it('large-withdrawal: 10.5 % fires the 10 % rule once, not the 11 % one; 9.9 % fires none; a cooldown mutes a repeat', async () => {
    const r = d.record;
    for (const [lp, amount] of [[lp1, '120'], [lp2, '80']] as const) {
      await tx(lp, r.asset, wethAbi, 'deposit', [], ).catch(() => undefined);
      const hash = await wallet.writeContract({ address: r.asset, abi: wethAbi, functionName: 'deposit', value: parseEther(amount), account: lp, chain: foundry });
      await pub.waitForTransactionReceipt({ hash });
      await tx(lp, r.asset, wethAbi, 'approve', [r.pool, 2n ** 255n]);
      await tx(lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther(amount), lp.address]);
    }
    for (let i = 0; i < 6; i++) {
      await warp(600);
      await oracleRound();
    }
    await expectPass({}, 'deposits');
    let total = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalAssets' });
    await tx(lp2, r.pool, iLendingPoolAbi, 'withdraw', [(total * 99n) / 1000n, lp2.address, lp2.address]);
    await expectPass({}, '9.9 %');
    total = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalAssets' });
    await tx(lp1, r.pool, iLendingPoolAbi, 'withdraw', [(total * 105n) / 1000n, lp1.address, lp1.address]);
    const [a] = await expectPass({ 'large-withdrawal': 1, 'large-withdrawal-cooled': 1 }, '10.5 %');
    expect(a.data.owner).toBe(lp1.address);
    expect(got.map((x) => x.id)).toContain(a.id);
    // The same owner again a minute later: the rule without a cooldown fires again, the one with an hour's is muted.
    await warp(60);
    total = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalAssets' });
    await tx(lp1, r.pool, iLendingPoolAbi, 'withdraw', [(total * 105n) / 1000n, lp1.address, lp1.address]);
    await expectPass({ 'large-withdrawal': 1 }, 'again within the cooldown');
    expect(lastMuted).toBe(1);
  }, 120_000);

  let x: { id: bigint; loan: Loan }, y: { id: bigint; loan: Loan }, z: { id: bigint; loan: Loan };
  it('valuation-not-ok after 900 s of Jumped (not at 600 s); valuation-drop 20 % fires, 40 % does not; health-factor-low for the loans below 1.05 only', async () => {
    const r = d.record;
    await tx(borrower, r.collection721, demoApesAbi, 'setApprovalForAll', [r.pool, true]);
    const loans = [];
    for (const id of [1n, 2n, 3n]) {
      await tx(borrower, r.collection721, demoApesAbi, 'mint', [borrower.address, id]);
      loans.push(loanOf(await tx(borrower, r.pool, iLendingPoolAbi, 'borrow', [r.collection721, id, 1n, parseEther('9.7'), borrower.address, 0n, []]), 'Borrow'));
    }
    [x, y, z] = loans;
    await expectPass({}, 'three loans at health factor 1.4');
    // The floor falls by a third: the valuation stops (Jumped) for its cool-down.
    await warp(1800);
    floors = { ...floors, apes: parseEther('20') };
    await tx(reporter, r.feed721, localFloorFeedAbi, 'update', [floors.apes]);
    await tx(keeper, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    const [, status] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection721] });
    expect(status).toBe(6); // Jumped
    await expectPass({}, 'Jumped just now');
    await warp(600);
    await expectPass({}, 'Jumped for 600 s');
    await warp(360);
    const [na] = await expectPass({ 'valuation-not-ok': 1 }, 'Jumped for 960 s');
    expect(na.data).toMatchObject({ collection: r.collection721, status: 'Jumped' });
    await warp(600);
    await expectPass({}, 'still Jumped: no second alert');
    // After the cool-down the valuation re-anchors at the new floor.
    await warp(HOUR);
    await tx(keeper, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    // The re-anchored TWAP needs its minimum of sales again: six rounds ten minutes apart.
    for (let i = 0; i < 6; i++) {
      await warp(600);
      await oracleRound();
    }
    const [price, st] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection721] });
    expect(st).toBe(0);
    expect(price).toBeLessThan(parseEther('24'));
    // x repays to a health factor of 1.07 (a near miss), y to 1.03; z stays below 1 (liquidatable).
    await tx(borrower, r.asset, wethAbi, 'approve', [r.pool, 2n ** 255n]);
    for (const [l, target] of [[x, 1070n], [y, 1030n]] as const) {
      const h = await hf(l.loan);
      const debt = await debtOf(l.loan);
      const keep = (debt * h) / ((target * 10n ** 18n) / 1000n);
      l.loan = loanOf(await tx(borrower, r.pool, iLendingPoolAbi, 'repay', [l.id, l.loan, debt - keep]), 'Repay').loan;
    }
    expect(Number(await hf(x.loan)) / 1e18).toBeGreaterThan(1.05);
    expect(Number(await hf(y.loan)) / 1e18).toBeLessThan(1.05);
    expect(Number(await hf(z.loan)) / 1e18).toBeLessThan(1);
    const alerts = await expectPass({ 'valuation-drop': 1, 'health-factor-low': 2 }, 're-anchored');
    expect(alerts.filter((a) => a.rule === 'health-factor-low').map((a) => a.data.loanId).sort()).toEqual([String(y.id), String(z.id)].sort());
    await warp(60);
    await expectPass({}, 'nothing new');
  }, 180_000);

  it('auction-started once; auction-overdue past its end + 600 s (not 1 h before); auction-no-bid on each relist; the reserve emptied by the first relist; the write-off on the close; the share price at the start', async () => {
    const r = d.record;
    await tx(keeper, r.auction, dutchAuctionAbi, 'start', [z.id, z.loan]);
    // The auction's start books the loan's impairment: the share price falls in that block (docs/loss-accounting.md).
    const started = await expectPass({ 'auction-started': 1, 'share-price-drop': 1 }, 'start');
    const st = started.find((a) => a.rule === 'auction-started')!;
    expect(st.data.loanId).toBe(z.id);
    expect(st.message).toMatch(/falling to/);
    const duration = (await book()).get(String(z.id))!.auction!.duration;
    // The status page lists the running auction at the module's current price.
    const snap = await new StatusSource(pub, addrs, 0n).snapshot();
    const e0 = (await book()).get(String(z.id))!;
    const price = await pub.readContract({ address: r.auction, abi: dutchAuctionAbi, functionName: 'currentPrice', args: [z.id, e0.loan, e0.auction!] });
    expect(snap.sections.auctions).toContain(`<tr data-auction="${z.id}">`);
    expect(snap.sections.auctions).toContain(`${Number(formatUnits(price, 18)).toLocaleString('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 })} WETH`);
    expect(snap.sections.loans).not.toContain(`data-loan="${z.id}"`);
    await passTime(duration - HOUR);
    await expectPass({}, 'an hour before the end', SPARSE);
    await passTime(HOUR + 600 + 120);
    const [od] = await expectPass({ 'auction-overdue': 1 }, 'past the end', SPARSE);
    expect(od.data.loanId).toBe(String(z.id));
    for (let round = 1; round <= 3; round++) {
      const e = (await book()).get(String(z.id))!;
      await tx(keeper, r.auction, dutchAuctionAbi, 'settle', [z.id, e.loan, e.auction!]);
      // The first relist pays the settler from the reserve, which empties it: below the 1-wei floor, not below 0.
      const relisted = await expectPass(round === 1 ? { 'auction-no-bid': 1, 'reserve-below-floor': 1 } : { 'auction-no-bid': 1 }, `relist ${round}`, SPARSE);
      const nb = relisted.find((a) => a.rule === 'auction-no-bid')!;
      expect(nb.data.round).toBe(round);
      // Until the round has run its duration (valuation outages extend it).
      for (;;) {
        const e = (await book()).get(String(z.id))!;
        const el = await pub.readContract({ address: r.auction, abi: dutchAuctionAbi, functionName: 'elapsed', args: [e.loan.collection, e.auction!] });
        if (el >= BigInt(duration)) break;
        await passTime(Math.min(Number(BigInt(duration) - el) + 60, 12 * HOUR));
      }
    }
    const e = (await book()).get(String(z.id))!;
    await tx(keeper, r.auction, dutchAuctionAbi, 'settle', [z.id, e.loan, e.auction!]);
    const alerts = await expectPass({ 'write-off': 1 }, 'closed unsold', SPARSE);
    const wo = alerts.find((a) => a.rule === 'write-off')!;
    expect(BigInt(wo.data.amount as bigint)).toBeGreaterThan(0n);
    expect(BigInt(wo.data.fromLenders as bigint)).toBeGreaterThan(0n);
    // The status page's reserve and bad-debt cells hold the pool's numbers, the loss now among them.
    const [bad, absorbed] = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' });
    const reserve = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'reserve' });
    expect(bad).toBeGreaterThan(0n);
    const weth = (x: bigint) => `${Number(formatUnits(x, 18)).toLocaleString('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 })} WETH`;
    const page = (await new StatusSource(pub, addrs, 0n).snapshot()).numbers;
    expect({ reserve: page.reserve, bad: page['bad-debt'], absorbed: page['bad-debt-absorbed'] }).toEqual({ reserve: weth(reserve), bad: weth(bad), absorbed: weth(absorbed) });
    // The loss reached the share price at the auction's start (impairment), not again at the write-off.
  }, 240_000);

  it('utilisation-above-kink: fires at 76 %, not at 74 %', async () => {
    const r = d.record;
    const withdrawTo = async (util: number) => {
      const cash = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'cash' });
      const debt = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalDebt' });
      const want = (debt * 10_000n) / BigInt(Math.round(util * 10_000)) - debt; // cash left for that utilisation
      let left = cash - want;
      for (const lp of [lp1, lp2]) {
        const max = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'maxWithdraw', args: [lp.address] });
        const take = left < max ? left : max;
        if (take > 0n) await tx(lp, r.pool, iLendingPoolAbi, 'withdraw', [take, lp.address, lp.address]);
        left -= take;
      }
      expect(left).toBe(0n);
    };
    await withdrawTo(0.74);
    const a = await monitor.pass();
    expect(a.alerts.filter((x) => x.rule === 'utilisation-above-kink')).toHaveLength(0);
    await withdrawTo(0.76);
    const b = await monitor.pass();
    expect(b.alerts.filter((x) => x.rule === 'utilisation-above-kink')).toHaveLength(1);
    await warp(60);
    await expectPass({}, 'still above: no second alert');
  }, 60_000);

  it('timelock-operation: scheduled (decoded, ready time), executed, cancelled; nothing for a Safe call that is not one', async () => {
    const r = d.record;
    const owners = LOCAL_ROLES.owners.map(localAccount);
    const safe: SafeHandle = { address: r.safe, owners: [owners[0], owners[1]] };
    const relayer = localAccount(LOCAL_ROLES.deployer);
    const call: TimelockCall = { target: r.pool, abi: iLendingPoolAbi, functionName: 'setUnlockPeriod', args: [7200n], salt: `0x${'07'.padStart(64, '0')}` as Hex };
    await proposeViaSafe(pub, wallet, relayer.address, safe, r.timelock, call);
    const [s] = await expectPass({ 'timelock-operation': 1 }, 'scheduled');
    expect(s.message).toMatch(/scheduled pool\.setUnlockPeriod\("7200"\)/);
    expect(s.data.readyAt).toBe(s.timestamp + r.timelockDelay);
    await warp(r.timelockDelay);
    for (let i = 0; i < 6; i++) {
      await warp(600);
      await oracleRound();
    }
    await executeViaSafe(pub, wallet, relayer.address, safe, r.timelock, call);
    const [ex] = await expectPass({ 'timelock-operation': 1 }, 'executed');
    expect(ex.data.event).toBe('executed');
    const other: TimelockCall = { ...call, args: [3600n] };
    const id = await proposeViaSafe(pub, wallet, relayer.address, safe, r.timelock, other);
    await expectPass({ 'timelock-operation': 1 }, 'second scheduled');
    await safeExec(pub, wallet, relayer.address, safe, r.timelock, encodeFunctionData({ abi: timelockControllerAbi, functionName: 'cancel', args: [id] }));
    const [c] = await expectPass({ 'timelock-operation': 1 }, 'cancelled');
    expect(c.message).toMatch(/cancelled .*setUnlockPeriod\("3600"\)/);
  }, 60_000);

  it('guardian-action, key-change and upgrade: each once on its trigger, none on the near miss', async () => {
    const r = d.record;
    // A ceiling raised by the timelock is not a guardian action; lowered, it is.
    await as(r.timelock, r.pool, iLendingPoolAbi, 'setDebtCeiling', [r.collection1155, parseEther('2000')]);
    await expectPass({}, 'ceiling raised');
    await as(r.guardian, r.pool, iLendingPoolAbi, 'setDebtCeiling', [r.collection1155, parseEther('500')]);
    await expectPass({ 'guardian-action': 1 }, 'ceiling lowered');
    await as(r.guardian, r.pool, iLendingPoolAbi, 'pauseBorrows');
    await expectPass({ 'guardian-action': 1 }, 'paused');
    await as(r.guardian, r.traitPricer, iTraitPricerAbi, 'revokeRoot', [r.collection721]);
    await expectPass({ 'guardian-action': 1 }, 'root revoked');
    const newReporter = localAccount(9).address;
    await as(r.timelock, r.valuation, iValuationAdminAbi, 'setReporter', [newReporter, true]);
    await expectPass({ 'key-change': 1 }, 'reporter added');
    await as(r.guardian, r.valuation, iValuationAdminAbi, 'revokeReporter', [newReporter]);
    await expectPass({ 'key-change': 1, 'guardian-action': 1 }, 'reporter revoked');
    await as(r.guardian, r.pool, iLendingPoolAbi, 'setCollectionFrozen', [r.collection1155, true]);
    await expectPass({ 'guardian-action': 1 }, 'collection frozen on the pool');
    await as(r.guardian, r.valuation, iValuationAdminAbi, 'freeze', [r.collection1155]);
    const [fz] = await expectPass({ 'guardian-action': 1 }, 'valuation frozen');
    expect(fz.data).toMatchObject({ action: 'freeze', collection: r.collection1155 });
    await as(r.timelock, r.traitPricer, iTraitPricerAbi, 'setSigner', [localAccount(8).address]);
    const [sg] = await expectPass({ 'key-change': 1 }, 'trait signer rotated');
    expect(sg.data.signer).toBe(localAccount(8).address);
    const impl = r.poolImpl;
    await as(r.timelock, r.pool, [{ type: 'function', name: 'upgradeToAndCall', stateMutability: 'payable', inputs: [{ type: 'address' }, { type: 'bytes' }], outputs: [] }], 'upgradeToAndCall', [impl, '0x']);
    const [u] = await expectPass({ upgrade: 1 }, 'upgrade');
    expect(u.data).toMatchObject({ name: 'pool', implementation: impl });
  }, 60_000);
});
