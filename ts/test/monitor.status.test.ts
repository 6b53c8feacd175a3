// The status page in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): it loads, shows
// the numbers the chain has (pool assets, the loan's health factor, the collections' status, the rate curve, the
// monitor's alerts), and updates by itself after a new block changes them; a loan's due date is the one the pool applies,
// extended by the oracle's outages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, formatUnits, parseEther } from 'viem';
import { localAccount, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { demoApesAbi, iLendingPoolAbi, iValuationAdminAbi, localFloorFeedAbi, wethAbi } from '../generated/contracts.js';
import type { Loan } from '../keeper/keeper.js';
import { parseConfig } from '../monitor/config.js';
import { Monitor } from '../monitor/monitor.js';
import { startStatusServer, StatusSource } from '../monitor/status.js';
import { FileStore } from '../monitor/store.js';
import { localDeployment } from './fixtures/local-deployment.js';
import type { Send } from './fixtures/send.js';

let d: DeployResult;
let browser: Browser | undefined;
let page: { url: string; close: () => Promise<void> } | undefined;
let tx: Send;
let test: ReturnType<typeof createTestClient>;
const lp = localAccount(10);
const borrower = localAccount(12);
const reporter = localAccount(LOCAL_ROLES.reporter);

const fmt = (x: bigint, digits = 4) => `${Number(formatUnits(x, 18)).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} WETH`;

beforeAll(async () => {
  ({ d, test, send: tx } = await localDeployment());
  const r = d.record;
  for (const a of [lp, borrower]) await test.setBalance({ address: a.address, value: parseEther('1000') });
  for (let i = 0; i < 6; i++) {
    await test.increaseTime({ seconds: 600 });
    await test.mine({ blocks: 1 });
    await tx(reporter, r.feed721, localFloorFeedAbi, 'update', [parseEther('30')]);
    await tx(reporter, r.feed1155, localFloorFeedAbi, 'update', [parseEther('1.5')]);
    const ts = (await d.pub.getBlock()).timestamp;
    await tx(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection721, parseEther('30'), ts]);
    await tx(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection1155, parseEther('1.5'), ts]);
  }
  await tx(lp, r.asset, wethAbi, 'deposit', [], parseEther('100'));
  await tx(lp, r.asset, wethAbi, 'approve', [r.pool, 2n ** 255n]);
  await tx(lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther('50'), lp.address]);
  await tx(borrower, r.collection721, demoApesAbi, 'mint', [borrower.address, 42n]);
  await tx(borrower, r.collection721, demoApesAbi, 'setApprovalForAll', [r.pool, true]);
  await tx(borrower, r.pool, iLendingPoolAbi, 'borrow', [r.collection721, 42n, 1n, parseEther('9'), borrower.address, 0n, []]);
  const addrs = { pool: r.pool, auction: r.auction, valuation: r.valuation, traitPricer: r.traitPricer, timelock: r.timelock, collections: [r.collection721, r.collection1155] };
  // The monitor's store, with the alerts of one pass over the deployment (the page lists them).
  const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'status-')), 'state.json'));
  const config = parseConfig(JSON.stringify({ defaults: false, rules: [{ kind: 'upgrade' }] }));
  const m = new Monitor({ pub: d.pub, chainId: 31337, addrs, config, store, channels: new Map([['stdout', { name: 'stdout', send: async () => {} }]]), startBlock: 0n, confirmations: 0 });
  await m.init();
  await m.pass();
  page = await startStatusServer({ source: new StatusSource(d.pub, addrs, 0n, store), title: 'test pool', pollMs: 500 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await d?.anvil?.stop();
});

describe('status page in headless Chromium', () => {
  it('shows what the chain has, and updates after a block', async () => {
    const r = d.record;
    const p = await browser!.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(page!.url, { timeout: 10_000 });
    const read = (fn: string) => d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: fn as 'totalAssets' }) as Promise<bigint>;
    expect(await p.textContent('#total-assets')).toBe(fmt(await read('totalAssets')));
    expect(await p.textContent('#total-debt')).toBe(fmt(await read('totalDebt')));
    const [, util] = await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'borrowRate' });
    expect(await p.textContent('#utilisation')).toBe(`${(Number(util) / 1e16).toFixed(2)} %`);
    expect(await p.locator('#rate-curve polyline').count()).toBe(1);
    expect(Number(await p.getAttribute('#util-point', 'cx'))).toBeGreaterThan(30);
    // The loan, with its health factor as the pool computes it.
    const loanRow = p.locator('tr[data-loan="1"]');
    expect(await loanRow.count()).toBe(1);
    const [ev] = await d.pub.getContractEvents({ address: r.pool, abi: iLendingPoolAbi, eventName: 'Borrow', fromBlock: 0n });
    const hf = await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'healthFactor', args: [ev.args.loan!] });
    expect(await loanRow.locator('td').nth(3).textContent()).toBe((Number(hf) / 1e18).toFixed(4));
    expect(await p.textContent(`tr[data-collection="${r.collection721}"] td:nth-child(3)`)).toBe('Ok');
    expect(await p.locator('#sec-alerts li').count()).toBe(4); // the four proxies' upgrades at deployment
    expect(await p.textContent('#sec-auctions')).toMatch(/no running auctions/);
    // A deposit in a new block: the page follows without a reload.
    const before = await p.textContent('#total-assets');
    await tx(lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther('25'), lp.address]);
    const want = fmt(await read('totalAssets'));
    expect(want).not.toBe(before);
    await p.waitForFunction((w) => document.getElementById('total-assets')?.textContent === w, want, { timeout: 10_000 });
    expect(await p.textContent('#block')).toBe(String(await d.pub.getBlockNumber({ cacheTime: 0 })));
    expect(errors).toEqual([]);
    // Read-only: nothing but GET.
    expect((await fetch(page!.url, { method: 'POST' })).status).toBe(405);
  }, 30_000);

  it('shows the due date extended by an oracle outage, and by how much', async () => {
    const r = d.record;
    const p = await browser!.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(page!.url, { timeout: 10_000 });
    const [ev] = await d.pub.getContractEvents({ address: r.pool, abi: iLendingPoolAbi, eventName: 'Borrow', fromBlock: 0n });
    const loan = ev.args.loan as Loan;
    const when = (t: bigint) => new Date(Number(t) * 1000).toISOString().slice(0, 16).replace('T', ' ');
    const cell = 'tr[data-loan="1"] td.due';
    expect(await p.textContent(cell)).toBe(when(BigInt(loan.dueTime))); // no outage since the borrow
    // The floor feed publishes nothing for 30 h (sales every 6 h keep the TWAP fresh), then resumes: its last round
    // goes stale after the 1-day heartbeat, so about 6 h of outage, which the pool adds to the due date.
    for (let i = 0; i < 5; i++) {
      await test.increaseTime({ seconds: 6 * 3600 });
      await test.mine({ blocks: 1 });
      await tx(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection721, parseEther('30'), (await d.pub.getBlock()).timestamp]);
    }
    await tx(reporter, r.feed721, localFloorFeedAbi, 'update', [parseEther('30')]);
    const [since, cumulative] = await d.pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'outage', args: [r.collection721] });
    expect(since).toBe(0n);
    const ext = cumulative - loan.outageBase;
    expect(Number(ext)).toBeGreaterThan(5.5 * 3600);
    expect(Number(ext)).toBeLessThan(6.5 * 3600);
    const want = `${when(BigInt(loan.dueTime) + ext)} (extended ${ext} s, ${(Number(ext) / 3600).toFixed(1)} h, by oracle outages)`;
    await p.waitForFunction(([sel, w]) => document.querySelector(sel)?.textContent === w, [cell, want] as const, { timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 30_000);

  it('shows the reserve and the bad debt the pool reports', async () => {
    const r = d.record;
    const p = await browser!.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(page!.url, { timeout: 10_000 });
    // Sixty days of interest on the loan, booked by a deposit: the reserve's share of it is well above the page's
    // last digit, so a cell showing another number (or none) cannot pass.
    await test.increaseTime({ seconds: 60 * 86_400 });
    await test.mine({ blocks: 1 });
    await tx(lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther('1'), lp.address]);
    const reserve = await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'reserve' });
    const [bad, absorbed] = await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' });
    expect(fmt(reserve)).not.toBe(fmt(0n));
    const want = { reserve: fmt(reserve), 'bad-debt': fmt(bad), 'bad-debt-absorbed': fmt(absorbed) };
    await p.waitForFunction((w) => document.getElementById('reserve')?.textContent === w, want.reserve, { timeout: 10_000 });
    for (const [id, text] of Object.entries(want)) expect(await p.textContent(`#${id}`), id).toBe(text);
    expect(errors).toEqual([]);
  }, 30_000);
});
