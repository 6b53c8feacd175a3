// The keeper against a real local chain: the compiled pool and auction module behind their proxies, driven only
// through the keeper's `tick()`. Each test starts from the same chain snapshot (one lender, a funded keeper).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAddressEqual, parseEther, zeroHash, type Address, type Hex } from 'viem';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { deployAuction, type AuctionModule } from './fixtures/auction.js';
import { connect, read, send, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from './fixtures/protocol.js';
import { Keeper, type KeeperConfig, type Loan } from '../keeper/keeper.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

let anvil: Anvil;
let c: Chain;
let p: Protocol;
let m: AuctionModule;
let deployer: Address;
let custody: Address;
let lender: Address;
let borrower: Address;
let keeperAcct: Address;
let rival: Address;
let fromBlock: bigint;
let snapshot: Hex;
let clock: number;
let lines: string[];

beforeAll(async () => {
  anvil = await startAnvil();
  c = await connect(anvil.rpcUrl);
  const [d, timelock, guardian, cust, liquidator, l, b, k, r] = c.accounts;
  deployer = d;
  custody = cust;
  lender = l;
  borrower = b;
  keeperAcct = k;
  rival = r;
  fromBlock = await c.pub.getBlockNumber();
  p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
  m = await deployAuction(c, p, { deployer, timelock, guardian });
  await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('30')]);
  await send(c, lender, p.weth, p.abi.erc20, 'mint', [lender, parseEther('100')]);
  await send(c, lender, p.weth, p.abi.erc20, 'approve', [p.pool, parseEther('100')]);
  await send(c, lender, p.pool, p.abi.pool, 'deposit', [parseEther('100'), lender]);
  await send(c, keeperAcct, p.weth, p.abi.erc20, 'mint', [keeperAcct, parseEther('50')]);
  await send(c, borrower, p.apes, p.abi.erc721, 'setApprovalForAll', [p.pool, true]);
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
});

beforeEach(async () => {
  snapshot = await c.test.snapshot();
  clock = 1_000_000;
  lines = [];
});

afterEach(async () => {
  await c.test.revert({ id: snapshot });
});

/** Moves the chain `seconds` past its latest block and mines one block there. */
async function advance(seconds: number): Promise<void> {
  const latest = await c.pub.getBlock({ blockTag: 'latest' });
  await c.test.setNextBlockTimestamp({ timestamp: latest.timestamp + BigInt(seconds) });
  await c.test.mine({ blocks: 1 });
}

function keeper(over: Partial<KeeperConfig> = {}): Keeper {
  return new Keeper({
    publicClient: c.pub,
    walletClient: c.wallet,
    pool: p.pool,
    auction: m.auction,
    fromBlock,
    account: keeperAcct,
    cooldownSec: 300,
    confirmations: 0, // anvil mines each transaction into a final block
    now: () => clock,
    log: (line) => lines.push(line),
    ...over,
  });
}

async function openLoan(tokenId: bigint, principal = parseEther('9')): Promise<bigint> {
  await send(c, borrower, p.apes, p.abi.erc721, 'mint', [borrower, tokenId]);
  const { result } = await send(c, borrower, p.pool, p.abi.pool, 'borrow', [p.apes, tokenId, 1n, principal, borrower, 0n, []]);
  return (result as [bigint, Loan])[0];
}

const setApePrice = (eth: string) => send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther(eth)]);
const nonce = (who: Address) => c.pub.getTransactionCount({ address: who });
const wethOf = (who: Address) => read<bigint>(c, p.weth, p.abi.erc20, 'balanceOf', [who]);
const owner = (tokenId: bigint) => read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [tokenId]);
const auctionHash = (id: bigint) => read<Hex>(c, m.auction, m.abi, 'auctionHash', [id]);
const reasonFor = (r: { skipped: { loanId: bigint; reason: string }[] }, id: bigint) =>
  r.skipped.find((s) => s.loanId === id)?.reason ?? '';

describe('Keeper on anvil', () => {
  it('leaves a healthy loan alone and sends nothing', async () => {
    const id = await openLoan(1n);
    const hashBefore = await read<Hex>(c, p.pool, p.abi.pool, 'loanHash', [id]);
    const sent = await nonce(keeperAcct);

    const r = await keeper().tick();

    expect(r.scanned).toBe(1);
    expect(r.started).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^healthy \(health factor 1\.51/); // 30 x 0.65 x 0.7 / 9
    expect(await read<Hex>(c, p.pool, p.abi.pool, 'loanHash', [id])).toBe(hashBefore);
    expect(await auctionHash(id)).toBe(zeroHash);
    expect(await nonce(keeperAcct)).toBe(sent);
  });

  it('with a valuation that keeps no outage clock (the mock), notes it once and sends no checkpoint', async () => {
    await openLoan(1n);
    const k = keeper();
    const sent = await nonce(keeperAcct);
    const r1 = await k.tick();
    await advance(600);
    clock += 600;
    const r2 = await k.tick();
    expect([r1.checkpointed, r2.checkpointed]).toEqual([[], []]);
    expect(lines.filter((l) => l.includes('outage clock record unreadable'))).toHaveLength(1);
    expect(await nonce(keeperAcct)).toBe(sent);
  });

  it('starts the auction of a loan made unhealthy by a price drop, and only that one', async () => {
    const sick = await openLoan(1n);
    const fine = await openLoan(2n, parseEther('4'));
    await setApePrice('15'); // 15 x 0.65 x 0.7 = 6.825 < 9, but > 4

    const k = keeper();
    const r = await k.tick();

    expect(r.started).toEqual([sick]);
    expect(reasonFor(r, fine)).toMatch(/^healthy/);
    expect(await auctionHash(sick)).not.toBe(zeroHash);
    expect(await auctionHash(fine)).toBe(zeroHash);
    const t = k.tracked().get(sick)!;
    expect(t.loan.auctionStart).toBeGreaterThan(0);
    expect(t.auction?.startPrice).toBe(parseEther('18')); // 120 % of 15
    expect(isAddressEqual(t.auction!.keeper, keeperAcct)).toBe(true);
  });

  it('starts the auction of a healthy loan only once it is past maturity plus grace', async () => {
    const id = await openLoan(1n);
    const k = keeper();
    await advance(30 * DAY + 2 * DAY - 10); // due + grace - 10 s: repayment still wins
    expect((await k.tick()).started).toEqual([]);
    await advance(20);
    clock += 1000;
    const r = await k.tick();
    expect(r.started).toEqual([id]);
    expect(lines.some((l) => l.includes('past maturity plus grace'))).toBe(true);
  });

  it('does not buy at a loss, then buys once value + reward - price pays for the gas', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    const k = keeper();
    expect((await k.tick()).started).toEqual([id]);
    const wethBefore = await wethOf(keeperAcct);

    await advance(1 * HOUR); // price ~ 17.5 against a value of 15
    clock += 1000;
    let r = await k.tick();
    expect(r.bought).toEqual([]);
    // Anvil mines on wall-clock seconds: under load the frozen debt (so the reward) and the price carry more decimals.
    expect(reasonFor(r, id)).toMatch(/^no buy: price 17\.\d+ vs value 1[45](\.\d+)? \+ reward 0\.22\d* leaves -\d\.\d+ before gas/);
    expect(await owner(1n)).toSatisfy((a: Address) => isAddressEqual(a, p.pool));
    expect(await wethOf(keeperAcct)).toBe(wethBefore);

    await advance(11 * HOUR); // 12 h in: price ~ 13.4
    clock += 1000;
    const loan = k.tracked().get(id)!;
    const price = await read<bigint>(c, m.auction, m.abi, 'currentPrice', [id, loan.loan, loan.auction]);
    r = await k.tick();
    expect(r.bought).toEqual([id]);
    expect(isAddressEqual(await owner(1n), keeperAcct)).toBe(true);
    const paid = wethBefore - (await wethOf(keeperAcct));
    expect(paid > 0n && paid <= price).toBe(true); // never more than the price it judged
    expect(paid < parseEther('15')).toBe(true); // below the collateral's value
    // Its share of the penalty (5 % of the frozen debt, half to the keeper) is claimable in the pool.
    const cut = await read<bigint>(c, p.pool, p.abi.pool, 'claimable', [keeperAcct]);
    expect(cut).toBe(((loan.loan.frozenDebt * 500n + 9999n) / 10_000n) / 2n);
    expect(k.tracked().has(id)).toBe(false);
  });

  it('counts the gas: a margin smaller than the gas cost is not bought', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    expect((await keeper().tick()).started).toEqual([id]);
    await advance(12 * HOUR); // margin ~ 1.8 WETH before gas
    const sent = await nonce(keeperAcct);

    // At 100,000 gwei a purchase costs ~15 WETH of gas: a loss after gas.
    let r = await keeper({ gasPriceWei: 100_000n * 10n ** 9n }).tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/before gas minus gas \d+\.\d+ \(\d+ gas\) is below 0/);
    // A margin demanded above what the sale leaves is not bought either.
    r = await keeper({ minProfitWei: parseEther('5') }).tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/below 5; auction running/);
    // The approval for purchases is the only transaction sent so far.
    expect(await nonce(keeperAcct)).toBe(sent + 1);

    r = await keeper().tick();
    expect(r.bought).toEqual([id]);
  });

  it('respects its cooldown on a loan it just acted on', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    const k = keeper({ cooldownSec: 300 });
    expect((await k.tick()).started).toEqual([id]);
    await advance(12 * HOUR); // profitable now

    clock += 299;
    let r = await k.tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toBe('cooldown (1 s left)');
    clock += 1;
    r = await k.tick();
    expect(r.bought).toEqual([id]);
  });

  it('by default runs its cooldown on chain time, so moving the chain forward ends it', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    await advance(12 * HOUR); // the auction will start here and be worth buying 12 h later
    const k = keeper({ now: undefined, cooldownSec: 600 });
    expect((await k.tick()).started).toEqual([id]);
    await advance(300);
    let r = await k.tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^cooldown \(\d+ s left\)$/);
    await advance(12 * HOUR);
    r = await k.tick();
    expect(r.bought).toEqual([id]);
  });

  it('closes an auction that ended without a buyer: the NFT goes to custody and the shortfall is written off', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    const k = keeper();
    expect((await k.tick()).started).toEqual([id]);
    await setApePrice('5'); // worth less than even the reserve (7.5): never worth buying

    await advance(35 * HOUR);
    clock += 1000;
    let r = await k.tick();
    expect(r.settled).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^no buy: .* auction running \(\d+ s of decay left\)$/);

    await advance(1 * HOUR);
    clock += 1000;
    const frozen = k.tracked().get(id)!.loan.frozenDebt;
    r = await k.tick();
    expect(r.bought).toEqual([]);
    expect(r.settled).toEqual([id]);
    // Issue 14: an unsold NFT is relisted (from the last reserve down to half of it) three times before custody, and
    // the keeper settles every round; with buying off it never buys the cheaper rounds.
    expect(k.tracked().get(id)!.auction!.round).toBe(1);
    expect(isAddressEqual(await owner(1n), p.pool)).toBe(true);
    const k2 = keeper({ buy: false });
    for (let round = 2; round <= 4; round++) {
      await advance(36 * HOUR);
      clock += 1000;
      r = await k2.tick();
      expect(r.settled).toEqual([id]);
    }
    expect(isAddressEqual(await owner(1n), custody)).toBe(true);
    const [total] = await read<[bigint, bigint]>(c, p.pool, p.abi.pool, 'badDebt');
    expect(total).toBe(frozen);
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'auctionDebt')).toBe(0n);
    expect(k2.tracked().size).toBe(0);
  });

  it('with buying off, only starts and closes auctions', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    const k = keeper({ buy: false });
    expect((await k.tick()).started).toEqual([id]);
    await advance(12 * HOUR);
    clock += 1000;
    let r = await k.tick();
    expect(r.bought).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^buying is off; auction running/);
    await advance(25 * HOUR);
    clock += 1000;
    r = await k.tick();
    expect(r.settled).toEqual([id]);
  });

  it('buys an auction another keeper started, without counting a reward it will not get', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    expect((await keeper({ account: rival }).tick()).started).toEqual([id]);
    await advance(12 * HOUR);
    const r = await keeper().tick();
    expect(r.bought).toEqual([id]);
    expect(lines.some((l) => /reward 0,/.test(l))).toBe(true);
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'claimable', [keeperAcct])).toBe(0n);
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'claimable', [rival]) > 0n).toBe(true);
  });

  it('starts nothing during an oracle outage', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    await send(c, deployer, p.valuation, p.abi.valuation, 'setStatus', [p.apes, 1]);
    const sent = await nonce(keeperAcct);
    const r = await keeper().tick();
    expect(r.started).toEqual([]);
    expect(reasonFor(r, id)).toMatch(/^no auction during an oracle outage \(ValuationUnavailable/);
    expect(await nonce(keeperAcct)).toBe(sent);
  });

  it('simulates first: neither a start nor a purchase that would revert is sent', async () => {
    const a = await openLoan(1n);
    const b = await openLoan(2n);
    await setApePrice('15');
    const k = keeper();
    expect((await k.tick()).started).toEqual([a, b]);
    await advance(12 * HOUR);
    await send(c, keeperAcct, p.weth, p.abi.erc20, 'approve', [m.auction, parseEther('50')]);
    // A third loan, against ERC-1155 units, made unhealthy without touching the apes' value.
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.items, parseEther('1')]);
    await send(c, borrower, p.items, p.abi.erc1155, 'mint', [borrower, 7n, 20n]);
    await send(c, borrower, p.items, p.abi.erc1155, 'setApprovalForAll', [p.pool, true]);
    const { result } = await send(c, borrower, p.pool, p.abi.pool, 'borrow', [p.items, 7n, 20n, parseEther('6'), borrower, 0n, []]);
    const c3 = (result as [bigint, Loan])[0];
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.items, parseEther('0.5')]);
    // The timelock replaces the liquidation module: every view the keeper reads still answers, but the pool now
    // refuses this module's calls.
    await send(c, c.accounts[1], p.pool, p.abi.pool, 'setLiquidator', [rival]);
    const sent = await nonce(keeperAcct);
    clock += 1000;

    const r = await k.tick();
    expect(r.started).toEqual([]);
    // Issue 14: a replaced module still sells the auctions it started before the change, so none is stranded...
    expect(r.bought).toEqual([a, b]);
    expect(isAddressEqual(await owner(1n), p.pool)).toBe(false);
    // ...but it can start no new one: the start is simulated, refused, and not sent.
    expect(reasonFor(r, c3)).toMatch(/^start not sent, the simulation reverted: NotLiquidator\(/);
    expect(await nonce(keeperAcct)).toBe(sent + 2);
    // The refusal puts the loan in its cooldown.
    clock += 10;
    expect(reasonFor(await k.tick(), c3)).toMatch(/^cooldown/);
  });

  it('drops a loan repaid in full during its auction', async () => {
    const id = await openLoan(1n);
    await setApePrice('15');
    const k = keeper();
    expect((await k.tick()).started).toEqual([id]);
    const t = k.tracked().get(id)!;
    const owed = t.loan.frozenDebt + (t.loan.frozenDebt * 500n + 9999n) / 10_000n;
    await send(c, borrower, p.weth, p.abi.erc20, 'mint', [borrower, owed]);
    await send(c, borrower, p.weth, p.abi.erc20, 'approve', [p.pool, owed]);
    await send(c, borrower, p.pool, p.abi.pool, 'repay', [id, t.loan, owed]);
    await advance(12 * HOUR);
    clock += 1000;
    const r = await k.tick();
    expect(r.scanned).toBe(0);
    expect(isAddressEqual(await owner(1n), borrower)).toBe(true);
  });

  it('follows loans through their events only', async () => {
    const a = await openLoan(1n);
    const b = await openLoan(2n);
    const k = keeper();
    expect((await k.tick()).scanned).toBe(2);
    const t = k.tracked().get(a)!.loan;
    const debt = await read<bigint>(c, p.pool, p.abi.pool, 'debtOf', [t]);
    await send(c, borrower, p.weth, p.abi.erc20, 'mint', [borrower, debt + parseEther('1')]);
    await send(c, borrower, p.weth, p.abi.erc20, 'approve', [p.pool, debt + parseEther('1')]);
    await send(c, borrower, p.pool, p.abi.pool, 'repay', [a, t, debt + parseEther('1')]);
    const r = await k.tick();
    expect(r.scanned).toBe(1);
    expect([...k.tracked().keys()]).toEqual([b]);
  });
});
