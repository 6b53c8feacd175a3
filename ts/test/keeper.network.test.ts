// The keeper against what real networks do and anvil does not: a provider's limits (a proxy in front of anvil caps
// the eth_getLogs range and result size, fails a request every N calls and serves logs from a node that lags the
// head), reorgs (snapshot/revert), restarts, stuck transactions (automine off), a USDC pool whose gas must be costed
// in USDC, and the order in which a crash is worked through.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPublicClient,
  createWalletClient,
  http,
  isAddressEqual,
  parseEther,
  zeroHash,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { loadArtifact } from '../lib/artifacts.js';
import { deployAuction, type AuctionModule } from './fixtures/auction.js';
import { connect, deploy, read, send, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from './fixtures/protocol.js';
import { Keeper, settlementSplit, type KeeperConfig, type Loan, type Terms } from '../keeper/keeper.js';
import { startProxy, type Proxy } from './rpc-proxy.js';

const HOUR = 3600;

let anvil: Anvil;
let c: Chain;
let p: Protocol;
let m: AuctionModule;
let usdc: Protocol;
let um: AuctionModule;
let feed: Address;
let multicall: Address;
let deployer: Address;
let borrower: Address;
let keeperAcct: Address;
let fromBlock: bigint;
let snapshot: Hex;
let clock: number;
let lines: string[];
let proxy: Proxy | undefined;

beforeAll(async () => {
  anvil = await startAnvil();
  c = await connect(anvil.rpcUrl);
  const [d, timelock, guardian, custody, liquidator, lender, b, k] = c.accounts;
  deployer = d;
  borrower = b;
  keeperAcct = k;
  fromBlock = await c.pub.getBlockNumber();
  multicall = await deploy(c, d, 'Multicall');
  p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
  m = await deployAuction(c, p, { deployer, timelock, guardian });
  usdc = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator }, { name: 'USD Coin', symbol: 'USDC', decimals: 6 });
  um = await deployAuction(c, usdc, { deployer, timelock, guardian });
  feed = await deploy(c, d, 'MockAggregator', [8]);
  for (const [q, unit] of [[p, 10n ** 18n], [usdc, 10n ** 6n]] as const) {
    await send(c, deployer, q.valuation, q.abi.valuation, 'setPrice', [q.apes, 30n * unit * (q === usdc ? 1000n : 1n)]);
    await send(c, lender, q.weth, q.abi.erc20, 'mint', [lender, 1_000_000n * unit]);
    await send(c, lender, q.weth, q.abi.erc20, 'approve', [q.pool, 1_000_000n * unit]);
    await send(c, lender, q.pool, q.abi.pool, 'deposit', [(q === usdc ? 500_000n : 100n) * unit, lender]);
    await send(c, keeperAcct, q.weth, q.abi.erc20, 'mint', [keeperAcct, (q === usdc ? 50_000n : 50n) * unit]);
    await send(c, borrower, q.apes, q.abi.erc721, 'setApprovalForAll', [q.pool, true]);
  }
}, 180_000);

afterAll(async () => {
  await anvil?.stop();
});

beforeEach(async () => {
  snapshot = await c.test.snapshot();
  clock = 1_000_000;
  lines = [];
});

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await c.test.setAutomine(true);
  await c.test.revert({ id: snapshot });
});

async function advance(seconds: number): Promise<void> {
  const latest = await c.pub.getBlock({ blockTag: 'latest' });
  await c.test.setNextBlockTimestamp({ timestamp: latest.timestamp + BigInt(seconds) });
  await c.test.mine({ blocks: 1 });
}

/** Clients that go through the provider proxy (a short transport retry, as a real deployment would configure). */
function clientsVia(url: string): { publicClient: PublicClient; walletClient: WalletClient } {
  const transport = http(url, { retryCount: 2, retryDelay: 10, timeout: 30_000 });
  return {
    publicClient: createPublicClient({ chain: foundry, transport }) as PublicClient,
    walletClient: createWalletClient({ chain: foundry, transport }),
  };
}

function keeper(over: Partial<KeeperConfig> = {}, q: { p: Protocol; m: AuctionModule } = { p, m }): Keeper {
  return new Keeper({
    publicClient: c.pub,
    walletClient: c.wallet,
    pool: q.p.pool,
    auction: q.m.auction,
    fromBlock,
    account: keeperAcct,
    cooldownSec: 300,
    confirmations: 0,
    multicall,
    now: () => clock,
    log: (line) => lines.push(line),
    ...over,
  });
}

async function openLoan(tokenId: bigint, principal = parseEther('9'), q: Protocol = p): Promise<bigint> {
  await send(c, borrower, q.apes, q.abi.erc721, 'mint', [borrower, tokenId]);
  const { result } = await send(c, borrower, q.pool, q.abi.pool, 'borrow', [q.apes, tokenId, 1n, principal, borrower, 0n, []]);
  return (result as [bigint, Loan])[0];
}

const setApePrice = (value: bigint, q: Protocol = p) => send(c, deployer, q.valuation, q.abi.valuation, 'setPrice', [q.apes, value]);
const nonce = (who: Address, blockTag: 'latest' | 'pending' = 'latest') => c.pub.getTransactionCount({ address: who, blockTag });
const reasonFor = (r: { skipped: { loanId: bigint; reason: string }[] }, id: bigint) => r.skipped.find((s) => s.loanId === id)?.reason ?? '';
const sorted = (xs: Iterable<bigint>) => [...xs].sort((a, b) => (a < b ? -1 : 1));

describe('Keeper behind a provider with limits', () => {
  it('keeps up and misses nothing under a range cap, a result cap, an error every 7 calls and a lagging node', async () => {
    const ids: bigint[] = [];
    // The scan starts at the first loan's block, so its windows are aligned on the four dense loans whatever the
    // deployment before them took (one transaction more there once moved a window edge between them, and no range
    // met the result cap).
    const start = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
    for (let i = 1n; i <= 8n; i++) {
      ids.push(await openLoan(i, parseEther(String(4 + Number(i) % 5))));
      // Four loans in consecutive blocks (more logs than the result cap in one range), then one every 16 blocks.
      if (i > 4n) await c.test.mine({ blocks: 15 });
    }
    proxy = await startProxy(anvil.rpcUrl, { maxRange: 10, maxResults: 3, failEvery: 7, lagBlocks: 3 });
    const k = keeper({ ...clientsVia(proxy.url), reorgWindow: 16, fromBlock: start });

    let r = await k.tick();
    expect(r.synced).toBe(true);
    await c.test.mine({ blocks: 5 });
    r = await k.tick();
    expect(sorted(k.tracked().keys())).toEqual(ids);
    expect(r.started).toEqual([]);
    // Every limit was met on the way.
    expect(proxy.counts.rangeRefused).toBeGreaterThan(0);
    expect(proxy.counts.resultRefused).toBeGreaterThan(0);
    expect(proxy.counts.injected).toBeGreaterThan(0);
    expect(proxy.counts.lagged).toBeGreaterThan(0);
    expect(k.logStats().span <= 10n).toBe(true);

    // A crash: every loan is unhealthy at once; all of them are started through the same limited provider, each once
    // (a send that met an injected error is tried again at the next tick, at a nonce the node confirms).
    await setApePrice(parseEther('5'));
    const sent = await nonce(keeperAcct);
    const started: bigint[] = [];
    for (let tick = 0; tick < 3 && started.length < ids.length; tick++) {
      clock += 1000;
      r = await k.tick();
      started.push(...r.started);
      for (const s of r.skipped) if (!started.includes(s.loanId)) expect(s.reason).toMatch(/^start not sent: HTTP request failed/);
    }
    expect(sorted(started)).toEqual(ids);
    expect(await nonce(keeperAcct)).toBe(sent + ids.length);
    expect(k.health().syncFailures).toBe(0);
  });

  it('checks the loans it knows when a sync fails, alerts, and catches up once the provider answers again', async () => {
    const a = await openLoan(1n);
    const b = await openLoan(2n, parseEther('8'));
    proxy = await startProxy(anvil.rpcUrl);
    const alerts: string[] = [];
    const k = keeper({ ...clientsVia(proxy.url), alert: (l) => alerts.push(l) });
    expect((await k.tick()).scanned).toBe(2);

    proxy.limits.refuse = new Set(['eth_getLogs']);
    const late = await openLoan(3n, parseEther('7'));
    await setApePrice(parseEther('15'));
    let r = await k.tick();
    expect(r.synced).toBe(false);
    expect(sorted(r.started)).toEqual([a, b]); // the known loans are still worked
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^event sync failed \(1 in a row\) at block \d+: .*eth_getLogs.*not available.*; checking the 2 loan\(s\) already known$/);
    expect(lines.some((l) => l.startsWith('ALERT: event sync failed'))).toBe(true);
    expect(k.health()).toMatchObject({ syncFailures: 1, alerts: 1 });
    expect(k.health().lagBlocks).toBeGreaterThan(0n); // the blocks of the late loan and the price change

    proxy.limits.refuse = undefined;
    clock += 1000;
    r = await k.tick();
    expect(r.synced).toBe(true);
    expect(r.started).toEqual([late]);
    expect(k.health()).toMatchObject({ syncFailures: 0, lagBlocks: 0n });
  });

  it('drops a loan the pool no longer holds, and refreshes one changed in blocks it has not read', async () => {
    const a = await openLoan(1n);
    const b = await openLoan(2n);
    proxy = await startProxy(anvil.rpcUrl);
    const k = keeper({ ...clientsVia(proxy.url) });
    expect((await k.tick()).scanned).toBe(2);

    // Loan a is repaid while the provider refuses every log read: only its commitment tells.
    proxy.limits.refuse = new Set(['eth_getLogs']);
    const ta = k.tracked().get(a)!.loan;
    const debt = await read<bigint>(c, p.pool, p.abi.pool, 'debtOf', [ta]);
    await send(c, borrower, p.weth, p.abi.erc20, 'mint', [borrower, debt * 2n]);
    await send(c, borrower, p.weth, p.abi.erc20, 'approve', [p.pool, debt * 2n]);
    await send(c, borrower, p.pool, p.abi.pool, 'repay', [a, ta, debt + parseEther('1')]);
    await setApePrice(parseEther('15')); // b becomes unhealthy, a would have too
    const sent = await nonce(keeperAcct);
    let r = await k.tick();
    expect([...k.tracked().keys()]).toEqual([b]);
    expect(lines).toContain(`loan ${a}: unknown to the pool now (repaid or settled in blocks not yet read); dropped`);
    expect(r.started).toEqual([b]);
    expect(await nonce(keeperAcct)).toBe(sent + 1); // no start sent for the repaid loan

    // Loan c is partly repaid in the newest blocks, which the keeper does not read yet (5 confirmations): its
    // commitment no longer matches, and it is refreshed from its own events.
    proxy.limits.refuse = undefined;
    const cId = await openLoan(3n, parseEther('4'));
    const k2 = keeper({ ...clientsVia(proxy.url), confirmations: 5 });
    await c.test.mine({ blocks: 6 });
    await k2.tick();
    const before = k2.tracked().get(cId)!.loan;
    await send(c, borrower, p.pool, p.abi.pool, 'repay', [cId, before, parseEther('1')]);
    r = await k2.tick();
    expect(reasonFor(r, cId)).toBe('changed on chain; looked at again next tick');
    expect(lines).toContain(`loan ${cId}: changed on chain since its last event read; refreshed from its events`);
    const after = k2.tracked().get(cId)!.loan;
    expect(after.principal < before.principal).toBe(true);
    expect(await read<Hex>(c, p.pool, p.abi.pool, 'loanHash', [cId])).not.toBe(zeroHash);
    r = await k2.tick();
    expect(reasonFor(r, cId)).toMatch(/^healthy/);
  });

  it('tells a health-factor read that failed from an oracle outage', async () => {
    const id = await openLoan(1n);
    proxy = await startProxy(anvil.rpcUrl);
    const k = keeper({ ...clientsVia(proxy.url) });
    await k.tick();
    proxy.limits.refuse = new Set(['eth_call']);
    const r = await k.tick();
    expect(reasonFor(r, id)).toMatch(/^health factor unreadable, not an oracle outage: /);
    expect(reasonFor(r, id)).not.toMatch(/during an oracle outage/);
  });
});

describe('Keeper across reorgs and restarts', () => {
  it('reconciles a reorg inside its window: a loan replaced by another with the same id, then one that vanished', async () => {
    const k = keeper({ reorgWindow: 64 });
    const fork = await c.test.snapshot();
    const id = await openLoan(1n);
    await k.tick();
    expect(k.tracked().get(id)!.loan.tokenId).toBe(1n);

    // The blocks that held that borrow are replaced: the same loan id now belongs to another token and amount.
    await c.test.revert({ id: fork });
    const fork2 = await c.test.snapshot();
    expect(await openLoan(2n, parseEther('4'))).toBe(id);
    await setApePrice(parseEther('8')); // 8 x 0.65 x 0.7 = 3.64 < 4: the new loan is unhealthy
    clock += 1000;
    let r = await k.tick();
    expect(k.tracked().get(id)!.loan.tokenId).toBe(2n);
    expect(r.started).toEqual([id]);
    expect(isAddressEqual(await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [2n]), p.pool)).toBe(true);

    // Reorged away entirely: nothing of it is left to act on.
    await c.test.revert({ id: fork2 });
    await c.test.mine({ blocks: 6 });
    clock += 1000;
    r = await k.tick();
    expect(k.tracked().size).toBe(0);
    expect(r.scanned).toBe(0);
  });

  it('persists its cursor: a restart resumes from the state file, never rescans, and refuses another pool\'s file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keeper-state-'));
    const stateFile = join(dir, 'state.json');
    const ids = [await openLoan(1n), await openLoan(2n), await openLoan(3n)];
    await c.test.mine({ blocks: 10 });
    const first = keeper({ stateFile, reorgWindow: 4 });
    await first.tick();
    expect(existsSync(stateFile)).toBe(true);
    const head = await c.pub.getBlockNumber({ cacheTime: 0 });
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(BigInt(saved.cursor)).toBe(head - 4n + 1n); // only events older than the window are final

    // The restarted keeper is told to start at the head: it finds the loans in its state file instead.
    const again = keeper({ stateFile, reorgWindow: 4, fromBlock: head });
    const r = await again.tick();
    expect(sorted(again.tracked().keys())).toEqual(ids);
    expect(r.scanned).toBe(3);
    expect(again.logStats().requests).toBe(1); // the window only

    writeFileSync(join(dir, 'other.json'), readFileSync(stateFile, 'utf8').replace(p.pool.slice(2), m.auction.slice(2)));
    await expect(keeper({ stateFile: join(dir, 'other.json') }).tick()).rejects.toThrow(/is the state of pool .* not of/);
  });

  it('folds a long backlog in saved slices, so a sync that fails part-way keeps what it read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keeper-backlog-'));
    const stateFile = join(dir, 'state.json');
    const a = await openLoan(1n);
    await c.test.mine({ blocks: 500 });
    const b = await openLoan(2n);
    // The provider answers one log read, then no more: the first 200-block slice is read, the rest refused.
    proxy = await startProxy(anvil.rpcUrl, { logsBudget: 1 });
    const cfg = { ...clientsVia(proxy.url), stateFile, syncSliceBlocks: 200n };
    const r = await keeper(cfg).tick();
    expect(r.synced).toBe(false);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(BigInt(saved.cursor)).toBe(fromBlock + 200n); // the slice it finished is kept
    expect(saved.loans.map(([id]: [string]) => BigInt(id))).toEqual([a]);

    // Resumed by a restarted keeper from the file, it reads only what is left and finds both loans.
    proxy.limits.logsBudget = undefined;
    const again = keeper(cfg);
    await again.tick();
    expect(sorted(again.tracked().keys())).toEqual([a, b]);
    expect(again.logStats().requests).toBe(2); // the second slice, then the rest up to the head
  });
});

describe('Keeper transactions', () => {
  it('replaces a stuck transaction by fee at the same nonce, and never sends a duplicate', async () => {
    const id = await openLoan(1n);
    await setApePrice(parseEther('15'));
    const start = await nonce(keeperAcct);
    await c.test.setAutomine(false);
    const k = keeper({ receiptWaitMs: 300, sender: { replaceAfterMs: 0, replaceAfterBlocks: 100 } });

    let r = await k.tick();
    expect(r.started).toEqual([]);
    expect(r.pending).toBe(1);
    expect(await nonce(keeperAcct, 'pending')).toBe(start + 1);
    const pool1 = await mempool(keeperAcct);
    expect(pool1).toHaveLength(1);

    clock += 1000; // past the cooldown: the old keeper would have sent it again at the next nonce
    r = await k.tick();
    expect(reasonFor(r, id)).toBe(`start pending at nonce ${start} (2 version(s) sent)`);
    const pool2 = await mempool(keeperAcct);
    expect(pool2).toHaveLength(1); // replaced, not added to
    expect(pool2[0].nonce).toBe(start);
    expect(pool2[0].maxFeePerGas > pool1[0].maxFeePerGas).toBe(true);
    expect(pool2[0].hash).not.toBe(pool1[0].hash);
    expect(lines.some((l) => /^start of loan \d+ unmined at nonce \d+: replaced at max fee \d+ wei\/gas/.test(l))).toBe(true);

    await c.test.mine({ blocks: 1 });
    await c.test.setAutomine(true);
    r = await k.tick();
    expect(r.started).toEqual([id]);
    expect(r.pending).toBe(0);
    expect(await nonce(keeperAcct)).toBe(start + 1);
    expect(await read<Hex>(c, m.auction, m.abi, 'auctionHash', [id])).not.toBe(zeroHash);
    expect(k.health().replacements).toBe(1);
  });

  it('after a restart, sends nothing while a transaction of its account from before is still pending', async () => {
    const id = await openLoan(1n);
    await setApePrice(parseEther('15'));
    const start = await nonce(keeperAcct);
    await c.test.setAutomine(false);
    // What the crashed process left in the mempool (here a plain transfer; it could as well be this very start, which
    // a node that estimates at the latest block would not see).
    await c.wallet.sendTransaction({ account: keeperAcct, chain: c.wallet.chain, to: keeperAcct, value: 1n });

    const alerts: string[] = [];
    const k = keeper({ receiptWaitMs: 200, alert: (l) => alerts.push(l) });
    let r = await k.tick();
    expect(reasonFor(r, id)).toBe(`start not sent: 1 earlier transaction(s) of this account are pending (nonces ${start}..${start}); waiting for them`);
    expect(alerts[0]).toMatch(/^1 transaction\(s\) of 0x[0-9a-fA-F]{40} not sent by this process are pending in the node's mempool/);
    expect(await mempool(keeperAcct)).toHaveLength(1);

    await c.test.mine({ blocks: 1 });
    await c.test.setAutomine(true);
    clock += 1000;
    r = await k.tick();
    expect(r.started).toEqual([id]);
    expect(await nonce(keeperAcct)).toBe(start + 2); // the transfer, then its start at the next nonce
  });

  it('reads its nonce again after a pass: a transaction of its account sent by someone else costs it no action', async () => {
    const a = await openLoan(1n);
    const k = keeper();
    await setApePrice(parseEther('15'));
    expect((await k.tick()).started).toEqual([a]);
    // The operator uses the keeper's account between passes (an approval, a transfer): its nonce moves on.
    const start = await nonce(keeperAcct);
    await c.wallet.sendTransaction({ account: keeperAcct, chain: c.wallet.chain, to: keeperAcct, value: 1n });
    const b = await openLoan(2n, parseEther('4'));
    await setApePrice(parseEther('5'));
    clock += 1000;
    const r = await k.tick();
    expect(r.started).toEqual([b]); // not "nonce too low", which would lose the start for this pass
    expect(lines.some((l) => /nonce/i.test(l) && /too low|lower than/i.test(l))).toBe(false);
    expect(await nonce(keeperAcct)).toBe(start + 2);
  });

  it('works a crash largest debt first and pipelines the starts through its nonce counter', async () => {
    const small = await openLoan(1n, parseEther('5'));
    const big = await openLoan(2n, parseEther('9'));
    const mid = await openLoan(3n, parseEther('7'));
    await setApePrice(parseEther('5'));
    const start = await nonce(keeperAcct);
    const r = await keeper().tick();
    expect(r.started).toEqual([big, mid, small]);
    expect(await nonce(keeperAcct)).toBe(start + 3);
    // In that order on chain, too: the auction events carry increasing block numbers.
    const logs = await c.pub.getContractEvents({ address: m.auction, abi: m.abi, eventName: 'AuctionStarted', fromBlock: 'earliest' });
    expect(logs.map((l) => (l.args as { loanId: bigint }).loanId).slice(-3)).toEqual([big, mid, small]);
  });
});

describe('Keeper on a USDC pool (6 decimals)', () => {
  const USDC = 10n ** 6n;
  const GAS_PRICE = 10n ** 12n; // 1,000 gwei: gas matters against a margin of a few hundred USDC

  async function auctionAt12h() {
    const id = await openLoan(1n, 9_000n * USDC, usdc);
    await setApePrice(15_000n * USDC, usdc);
    const k = keeper({}, { p: usdc, m: um });
    expect((await k.tick()).started).toEqual([id]);
    await advance(12 * HOUR);
    clock += 1000;
    const t = k.tracked().get(id)!;
    const terms = await read<Terms>(c, usdc.pool, usdc.abi.pool, 'terms', [t.loan.collection, t.loan.termsId]);
    const price = await read<bigint>(c, um.auction, um.abi, 'currentPrice', [id, t.loan, t.auction]);
    const reward = settlementSplit(t.loan, price, terms).keeper;
    const before = 15_000n * USDC + reward - price; // value + own reward - price
    await send(c, keeperAcct, usdc.weth, usdc.abi.erc20, 'approve', [um.auction, 2n ** 255n]);
    const gas = await c.pub.estimateContractGas({ address: um.auction, abi: um.abi, functionName: 'buy', args: [id, t.loan, t.auction!, price], account: keeperAcct });
    // The ether price (8 decimals, in USD = USDC) at which the purchase's gas eats the whole margin.
    const breakEven = (before * 10n ** 8n * 10n ** 18n) / (gas * GAS_PRICE * USDC);
    return { id, t, before, gas, breakEven };
  }

  it('buys exactly when the margin pays for the gas at the feed\'s ether price, and claims its reward after', async () => {
    const { id, gas, breakEven } = await auctionAt12h();
    const cfg = { gasPriceWei: GAS_PRICE, nativePriceFeed: feed };
    const k = () => keeper(cfg, { p: usdc, m: um });

    // Without any price of ether in USDC it cannot judge, so it does not buy (the old keeper counted wei as USDC).
    let r = await keeper({ gasPriceWei: GAS_PRICE }, { p: usdc, m: um }).tick();
    expect(reasonFor(r, id)).toMatch(/^no buy: the gas token has no price in the asset/);

    await send(c, deployer, feed, loadArtifact('MockAggregator').abi, 'setAnswer', [(breakEven * 105n) / 100n]);
    r = await k().tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^no buy: \d+\.\d+ before gas minus gas \d+\.\d+ \(\d+ gas\) is below 0; auction running/);

    // An L1 data fee of a fifth of the execution gas turns a 5 % profit into a loss.
    await send(c, deployer, feed, loadArtifact('MockAggregator').abi, 'setAnswer', [(breakEven * 95n) / 100n]);
    const oracle: Address = '0x420000000000000000000000000000000000000F';
    await c.test.setCode({ address: oracle, bytecode: returnsConstant((gas * GAS_PRICE) / 5n) });
    r = await keeper({ ...cfg, l1FeeOracle: oracle }, { p: usdc, m: um }).tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/\(\d+ gas \+ L1 data \d+ wei\) is below 0/);

    // A stale feed is no price at all.
    const latest = await c.pub.getBlock({ blockTag: 'latest' });
    await send(c, deployer, feed, loadArtifact('MockAggregator').abi, 'setUpdatedAt', [latest.timestamp - 2n * 86_400n]);
    r = await k().tick();
    expect(reasonFor(r, id)).toMatch(/^no buy: the gas token has no price in the asset/);
    expect(lines.some((l) => /^ALERT: the gas token's price feed .* is stale or invalid/.test(l))).toBe(true);

    await send(c, deployer, feed, loadArtifact('MockAggregator').abi, 'setAnswer', [(breakEven * 95n) / 100n]);
    const balance0 = await read<bigint>(c, usdc.weth, usdc.abi.erc20, 'balanceOf', [keeperAcct]);
    const kk = k();
    r = await kk.tick();
    expect(r.bought).toEqual([id]);
    const reward = await read<bigint>(c, usdc.pool, usdc.abi.pool, 'claimable', [keeperAcct]);
    expect(reward > 0n).toBe(true);

    // The next tick claims the keeper reward (at an ordinary gas price: at 1,000 gwei the claim would cost more).
    r = await keeper({ nativePriceFeed: feed, gasPriceWei: 10n ** 9n }, { p: usdc, m: um }).tick();
    expect(r.claimed).toBe(reward);
    expect(await read<bigint>(c, usdc.pool, usdc.abi.pool, 'claimable', [keeperAcct])).toBe(0n);
    const balance1 = await read<bigint>(c, usdc.weth, usdc.abi.erc20, 'balanceOf', [keeperAcct]);
    expect(balance1 < balance0).toBe(true); // paid the price, got the reward back
  });
});

/** Runtime code that returns `value` as one word to any call. */
function returnsConstant(value: bigint): Hex {
  return `0x7f${value.toString(16).padStart(64, '0')}60005260206000f3`;
}

/** The account's transactions waiting in anvil's mempool. */
async function mempool(who: Address): Promise<{ nonce: number; hash: Hex; maxFeePerGas: bigint }[]> {
  const content = await c.test.getTxpoolContent();
  const mine = Object.entries(content.pending).find(([a]) => isAddressEqual(a as Address, who))?.[1] ?? {};
  // The keeper sends EIP-1559 transactions: each has a maxFeePerGas.
  return Object.values(mine).map((tx) => ({ nonce: Number(tx.nonce), hash: tx.hash, maxFeePerGas: BigInt(tx.maxFeePerGas!) }));
}
