// The main job (`make demo`): start a local chain, deploy everything with the same scripts as a real deployment
// (ts/deploy: forge script -> verification -> deployments/<chainId>.json), then drive a lending scenario with
// progress output and end with a summary table:
//   lenders deposit; loans against an ERC-721 (with a signed trait premium) and an ERC-1155; 20 days of interest;
//   the floor falls, the oracle holds liquidations for its jump cool-down, an auction starts and a bidder buys;
//   an expired loan's auction ends with no bid and is written off; a parameter change goes Safe -> timelock ->
//   executed after 48 h of chain time.
// RPC_URL points it at another anvil (it needs evm_increaseTime and the default dev mnemonic's accounts).
import { BaseError, ContractFunctionRevertedError, createTestClient, createWalletClient, formatEther, http, parseEther, type Address, type Hex, type PublicClient, type WalletClient } from 'viem';
import type { LocalAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { deploy, DeployError, describe, localAccount, LOCAL_ROLES } from '../deploy/deploy.js';
import { executeViaSafe, proposeViaSafe, type SafeHandle, type TimelockCall } from '../deploy/safe.js';
import type { DeploymentRecord } from '../deploy/record.js';
import {
  demoApesAbi,
  demoItemsAbi,
  dutchAuctionAbi,
  iLendingPoolAbi,
  iTraitPricerAbi,
  iValuationAdminAbi,
  localFloorFeedAbi,
  wethAbi,
} from '../generated/contracts.js';
import { signTraitRoot } from '../lib/eip712.js';
import { buildTree, leafHash } from '../lib/merkle.js';
import { Keeper, type Auction, type Loan } from '../keeper/keeper.js';
import { cli, redactIn, redactUrl } from '../lib/cli.js';

export const DEMO_USAGE = `usage: tsx ts/demo/main.ts      (make demo)
Deploys the whole protocol on a local chain with the real deployment scripts, then drives a lending scenario (deposits,
two loans, interest, a price drop, an auction sold, one written off, a governance change through the Safe and the
timelock) and prints a summary.
  --help   this text
environment (all optional):
  RPC_URL      a plain anvil to use instead of an embedded one (started with its default dev mnemonic; it needs
               anvil_setBalance and evm_increaseTime). Its dev accounts play every role: #0 deployer, #1-3 Safe owners,
               #4 oracle reporter, #5 trait signer, #10-15 lenders, borrowers, bidder, keeper. Nothing else is needed.
  DEMO_DEBUG   print the whole error on failure`;

const HOUR = 3600;
const STATUS = ['Ok', 'UnknownCollection', 'TwapNotReady', 'TwapStale', 'FloorStale', 'FloorInvalid', 'Jumped', 'Frozen', 'SequencerDown'];
const DAY = 24 * HOUR;
const t0 = Date.now();
let stepNo = 0;
const step = (msg: string) => console.log(`[${String(++stepNo).padStart(2)}] ${msg}`);
const info = (msg: string) => console.log(`     ${msg}`);
const eth = (x: bigint, d = 4) => Number(formatEther(x)).toFixed(d);

interface Ctx {
  pub: PublicClient;
  wallet: WalletClient;
  test: ReturnType<typeof createTestClient>;
  r: DeploymentRecord;
  relayer: LocalAccount;
  reporter: LocalAccount;
}

/** Simulates (so a revert shows its decoded error), sends from `from`, waits; returns the simulated result. */
async function tx<T = unknown>(c: Ctx, from: LocalAccount, address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[] = []): Promise<{ result: T; gasUsed: bigint }> {
  const { request, result } = await c.pub.simulateContract({ address, abi, functionName, args, account: from } as never);
  // A 25 % gas margin, as ts/lib/chain.ts send(): the estimate is taken against the latest block, and the transaction
  // is mined in the next, where interest may accrue along another path (seen on a plain anvil: bob's borrow ran out).
  const gas = await c.pub.estimateContractGas({ address, abi, functionName, args, account: from } as never);
  const hash = await c.wallet.writeContract({ ...(request as object), gas: (gas * 5n) / 4n, account: from, chain: foundry } as never);
  const receipt = await c.pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${functionName} reverted on chain (${hash})`);
  return { result: result as T, gasUsed: receipt.gasUsed };
}

/** The custom error name or revert string of a failed call, if any. */
function revertName(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (!(r instanceof ContractFunctionRevertedError)) return undefined;
  return r.data?.errorName && r.data.errorName !== 'Error' ? r.data.errorName : r.reason;
}

/** The auction of `loanId` as committed: the module's AuctionStarted (auction) and the pool's (loan, debt frozen). */
async function auctionOf(c: Ctx, loanId: bigint): Promise<{ loan: Loan; auction: Auction }> {
  const [m] = await c.pub.getContractEvents({ address: c.r.auction, abi: dutchAuctionAbi, eventName: 'AuctionStarted', args: { loanId }, fromBlock: 0n });
  const [p] = await c.pub.getContractEvents({ address: c.r.pool, abi: iLendingPoolAbi, eventName: 'AuctionStarted', args: { loanId }, fromBlock: 0n });
  if (!m || !p) throw new Error(`no AuctionStarted event for loan ${loanId}`);
  return { loan: p.args.loan as Loan, auction: m.args.auction as Auction };
}

async function now(c: Ctx): Promise<bigint> {
  return (await c.pub.getBlock()).timestamp;
}

async function warp(c: Ctx, seconds: number) {
  await c.test.increaseTime({ seconds });
  await c.test.mine({ blocks: 1 });
}

/** The oracle service's round: both floor feeds re-published, one sale per collection (one per block each). */
async function oracleRound(c: Ctx, floors: { apes: bigint; items: bigint }) {
  await tx(c, c.reporter, c.r.feed721, localFloorFeedAbi, 'update', [floors.apes]);
  await tx(c, c.reporter, c.r.feed1155, localFloorFeedAbi, 'update', [floors.items]);
  const ts = await now(c);
  await tx(c, c.reporter, c.r.valuation, iValuationAdminAbi, 'reportSale', [c.r.collection721, floors.apes, ts]);
  await tx(c, c.reporter, c.r.valuation, iValuationAdminAbi, 'reportSale', [c.r.collection1155, floors.items, ts]);
}

/** Advances chain time in steps of 10 min to 12 h, with an oracle round after each (feeds have a 24 h heartbeat). */
async function passTime(c: Ctx, seconds: number, floors: { apes: bigint; items: bigint }) {
  while (seconds > 0) {
    // At least 10 minutes per step: the valuation refuses sales closer together than its minimum spacing.
    const s = Math.min(Math.max(seconds, 10 * 60), 12 * HOUR);
    await warp(c, s);
    await oracleRound(c, floors);
    seconds -= s;
  }
}

/** What one pool share (10^24 base units: 18 decimals plus the vault's 6-decimal offset) is worth in WETH. */
async function sharePrice(c: Ctx): Promise<bigint> {
  return c.pub.readContract({ address: c.r.pool, abi: iLendingPoolAbi, functionName: 'convertToAssets', args: [10n ** 24n] });
}

async function fundWeth(c: Ctx, who: LocalAccount, amount: bigint, spender: Address) {
  if (amount > 0n) {
    const hash = await c.wallet.writeContract({ address: c.r.asset, abi: wethAbi, functionName: 'deposit', value: amount, account: who, chain: foundry });
    await c.pub.waitForTransactionReceipt({ hash });
  }
  await tx(c, who, c.r.asset, wethAbi, 'approve', [spender, 2n ** 255n]);
}

/** The demo plays every role with anvil's dev accounts: RPC_URL must be an anvil (not a real network). */
async function checkDevChain(rpcUrl: string): Promise<void> {
  const need = `RPC_URL must be a plain anvil with its default dev mnemonic (the demo sends from its dev accounts and moves chain time); unset RPC_URL to use an embedded one`;
  let client = '';
  try {
    const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'web3_clientVersion', params: [] }) });
    client = String(((await res.json()) as { result?: string }).result ?? '');
  } catch {
    throw new DeployError(`cannot reach the RPC at ${redactUrl(rpcUrl)}: ${need}`);
  }
  if (!/^anvil\//i.test(client)) throw new DeployError(`${redactUrl(rpcUrl)} is ${client || 'not an anvil'}: ${need}`);
}

async function main() {
  console.log('make demo: deploy the protocol on a local chain and run a lending scenario\n');
  const external = process.env.RPC_URL?.trim();
  if (external) await checkDevChain(external);
  const { record: r, rpcUrl, anvil, pub } = await deploy({
    keepAnvil: true,
    dev: true,
    env: { ...process.env, ...(external ? { RPC_URL: external } : {}) },
    log: (l) => info(`deploy: ${l}`),
  });
  try {
    const transport = http(rpcUrl, { timeout: 30_000 });
    const c: Ctx = {
      pub,
      wallet: createWalletClient({ chain: foundry, transport }),
      test: createTestClient({ chain: foundry, mode: 'anvil', transport }),
      r,
      relayer: localAccount(LOCAL_ROLES.deployer),
      reporter: localAccount(LOCAL_ROLES.reporter),
    };
    const owners = LOCAL_ROLES.owners.map(localAccount);
    const safe: SafeHandle = { address: r.safe, owners: [owners[0], owners[2]] }; // 2 of 3 sign
    const traitSigner = localAccount(LOCAL_ROLES.traitSigner);
    const [lp1, lp2, alice, bob, bidder, keeper] = [10, 11, 12, 13, 14, 15].map(localAccount);
    for (const a of [lp1, lp2, alice, bob, bidder, keeper]) await c.test.setBalance({ address: a.address, value: parseEther('10000') });
    step(`deployed on chain ${r.chainId} (${anvil ? 'embedded anvil' : redactUrl(rpcUrl)}): Safe ${r.safe} (${r.safeThreshold}-of-${r.safeOwners.length}), timelock ${r.timelock} (${r.timelockDelay / HOUR} h), pool ${r.pool}`);
    info(`every role is with the Safe behind the timelock; the deployer holds none (verified on chain); a throwaway chain, so no deployments/ record is written`);

    // Oracle: a TWAP needs 5 sales over at least 30 minutes.
    const floors = { apes: parseEther('30'), items: parseEther('1.5') };
    for (let i = 0; i < 6; i++) {
      await warp(c, 10 * 60);
      await oracleRound(c, floors);
    }
    const [apesPrice] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection721] });
    const [itemsPrice] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection1155] });
    step(`oracle service reported 6 sales per collection over an hour: Demo Apes ${eth(apesPrice, 2)} WETH, Demo Items ${eth(itemsPrice, 2)} WETH per unit`);

    // Lenders.
    for (const [lp, amount] of [[lp1, '120'], [lp2, '80']] as const) {
      await fundWeth(c, lp, parseEther(amount), r.pool);
      await tx(c, lp, r.pool, iLendingPoolAbi, 'deposit', [parseEther(amount), lp.address]);
    }
    step(`two lenders deposited 200 WETH; one share (npWETH) is worth ${eth(await sharePrice(c))} WETH`);

    // Trait premiums: a signed Merkle root; Ape #42 carries a 6 WETH premium.
    const epoch = 1n;
    const entries = [42n, 7n, 99n].map((tokenId, i) => ({ collection: r.collection721, tokenId, premium: parseEther(['6', '2', '4'][i]), epoch }));
    const tree = buildTree(entries.map(leafHash));
    const expiry = (await now(c)) + BigInt(25 * DAY);
    const update = { collection: r.collection721, epoch, root: tree.root, expiry };
    const signature = await signTraitRoot(traitSigner, BigInt(r.chainId), r.traitPricer, update);
    await tx(c, c.relayer, r.traitPricer, iTraitPricerAbi, 'publishRoot', [update, signature]);
    step(`trait root ${tree.root.slice(0, 10)}… for 3 apes published with the pricer signer's EIP-712 signature`);

    // Borrowers.
    const loans = new Map<bigint, Loan>();
    let sold = 0;
    let writtenOff = 0;
    await tx(c, alice, r.collection721, demoApesAbi, 'mint', [alice.address, 42n]);
    await tx(c, alice, r.collection721, demoApesAbi, 'setApprovalForAll', [r.pool, true]);
    const a = await tx<[bigint, Loan]>(c, alice, r.pool, iLendingPoolAbi, 'borrow', [r.collection721, 42n, 1n, parseEther('11.5'), alice.address, entries[0].premium, tree.proofs[0]]);
    loans.set(a.result[0], a.result[1]);
    step(`alice borrowed 11.5 WETH against Ape #42 with its trait proof (premium ${eth(entries[0].premium, 1)} WETH; without it the cap would be 9.75); loan ${a.result[0]}, gas ${a.gasUsed}`);

    await tx(c, bob, r.collection1155, demoItemsAbi, 'mint', [bob.address, 7n, 10n]);
    await tx(c, bob, r.collection1155, demoItemsAbi, 'setApprovalForAll', [r.pool, true]);
    const b = await tx<[bigint, Loan]>(c, bob, r.pool, iLendingPoolAbi, 'borrow', [r.collection1155, 7n, 10n, parseEther('4.5'), bob.address, 0n, []]);
    loans.set(b.result[0], b.result[1]);
    step(`bob borrowed 4.5 WETH against 10 units of Demo Items #7 (ERC-1155); loan ${b.result[0]}, gas ${b.gasUsed}`);
    const opened = loans.size;
    const [rate, util] = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'borrowRate' });
    info(`utilisation ${(Number(util) / 1e16).toFixed(2)} %, borrow rate ${(Number(rate * 31_536_000n) / 1e16).toFixed(2)} % APR`);

    // Time passes.
    const priceBefore = await sharePrice(c);
    await warp(c, 20 * DAY);
    await oracleRound(c, floors);
    const aliceDebt = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'debtOf', args: [loans.get(a.result[0])!] });
    step(`20 days later: alice owes ${eth(aliceDebt)} WETH; one share is worth ${eth(priceBefore)} -> ${eth(await sharePrice(c))} WETH; reserve ${eth(await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'reserve' }))} WETH`);

    // The floor falls by 40 %: a jump. The oracle stops new liquidations until its cool-down has passed.
    // Half an hour later (the oracle was fresh in between: the outage of the 20-day gap has ended) the floor falls.
    await warp(c, 30 * 60);
    floors.apes = parseEther('18');
    await tx(c, c.reporter, r.feed721, localFloorFeedAbi, 'update', [floors.apes]);
    await tx(c, c.relayer, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    const [, status] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection721] });
    step(`the Demo Apes floor fell from 30 to 18 WETH; the valuation reports ${STATUS[status] ?? status}: no new borrow or liquidation for 1 h`);
    const keeperLines: string[] = [];
    const flushKeeper = () => {
      for (const line of keeperLines.splice(0)) info(`keeper: ${line}`);
    };
    const keeperBot = new Keeper({
      publicClient: pub,
      walletClient: createWalletClient({ account: keeper, chain: foundry, transport }),
      pool: r.pool,
      auction: r.auction,
      fromBlock: BigInt(r.startBlock),
      confirmations: 0, // the demo's anvil mines each transaction into a final block
      buy: false, // it starts and closes auctions; the purchase is left to a bidder
      // The keeper's own lines are printed after the step that announces what it did, not before it.
      log: (line) => keeperLines.push(line),
    });
    let round = await keeperBot.tick();
    flushKeeper();
    info(`keeper round during the cool-down: ${round.started.length} auction(s) started, ${round.skipped.length} loan(s) skipped`);
    if (round.started.length) throw new Error('an auction started during the oracle cool-down');
    await warp(c, HOUR + 60);
    await tx(c, c.relayer, r.valuation, iValuationAdminAbi, 'checkpoint', [r.collection721]);
    await oracleRound(c, floors);
    const [apesNow] = await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [r.collection721] });
    const hf = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'healthFactor', args: [loans.get(a.result[0])!] });
    step(`after the cool-down the valuation re-anchors at ${eth(apesNow, 2)} WETH; alice's health factor is ${(Number(hf) / 1e18).toFixed(3)}`);

    // The keeper starts the auction; a bidder buys 8 hours in.
    round = await keeperBot.tick();
    if (!round.started.includes(a.result[0])) throw new Error("the keeper did not start alice's auction");
    const aliceAuction = await auctionOf(c, a.result[0]);
    step(`keeper started the auction of loan ${a.result[0]} (health factor below 1): ${eth(aliceAuction.auction.startPrice, 2)} WETH decaying to ${eth(aliceAuction.auction.reservePrice, 2)} over ${aliceAuction.auction.duration / HOUR} h`);
    flushKeeper();
    await passTime(c, 8 * HOUR, floors);
    const price = await pub.readContract({ address: r.auction, abi: dutchAuctionAbi, functionName: 'currentPrice', args: [a.result[0], aliceAuction.loan, aliceAuction.auction] });
    await fundWeth(c, bidder, price, r.auction);
    const bought = await tx<bigint>(c, bidder, r.auction, dutchAuctionAbi, 'buy', [a.result[0], aliceAuction.loan, aliceAuction.auction, price]);
    const surplus = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'claimable', args: [alice.address] });
    const keeperReward = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'claimable', args: [keeper.address] });
    step(`8 h in, a bidder bought Ape #42 for ${eth(bought.result, 3)} WETH (gas ${bought.gasUsed}): debt repaid, ${eth(keeperReward, 3)} WETH to the keeper, ${eth(surplus, 3)} WETH surplus claimable by alice`);
    loans.delete(a.result[0]);
    sold += 1;

    // Bob never repays: past maturity plus grace his loan is auctioned, nobody bids, the keeper closes it.
    const bobLoan = loans.get(b.result[0])!;
    const terms = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'terms', args: [bobLoan.collection, bobLoan.termsId] });
    const wait = Number(BigInt(bobLoan.dueTime) + BigInt(terms.grace) - (await now(c))) + 60;
    await passTime(c, wait, floors);
    round = await keeperBot.tick();
    if (!round.started.includes(b.result[0])) throw new Error("the keeper did not start bob's auction");
    const bobAuction = await auctionOf(c, b.result[0]);
    step(`bob's loan is past maturity plus grace: keeper started its auction (${eth(bobAuction.auction.startPrice, 2)} -> ${eth(bobAuction.auction.reservePrice, 2)} WETH over ${bobAuction.auction.duration / HOUR} h); frozen debt ${eth(bobAuction.loan.frozenDebt)} WETH`);
    flushKeeper();
    await passTime(c, bobAuction.auction.duration + 60, floors);
    const [badBefore, absorbedBefore] = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' });
    round = await keeperBot.tick();
    if (!round.settled.includes(b.result[0])) throw new Error("the keeper did not close bob's auction");
    const [badAfter, absorbed] = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' });
    const custodyUnits = await pub.readContract({ address: r.collection1155, abi: demoItemsAbi, functionName: 'balanceOf', args: [r.safe, 7n] });
    step(`no bid in ${bobAuction.auction.duration / HOUR} h: the keeper closed it and ${eth(badAfter - badBefore)} WETH was written off in the same transaction (reserve absorbed ${eth(absorbed - absorbedBefore)}, lenders ${eth(badAfter - badBefore - (absorbed - absorbedBefore))}); the ${custodyUnits} units went to the Safe (custody)`);
    flushKeeper();
    loans.delete(b.result[0]);
    writtenOff += 1;

    // Governance: Safe -> timelock -> 48 h -> executed.
    const rc = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'rateConfig' });
    const newRc = { ...rc, slope1: Math.floor((Number(rc.slope1) * 4) / 3) };
    try {
      await pub.simulateContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'setRateConfig', args: [newRc], account: r.safe });
      throw new Error('a direct parameter change by the Safe was accepted');
    } catch (e) {
      if (revertName(e) !== 'NotTimelock') throw e;
      info('a direct setRateConfig from the Safe reverts NotTimelock: parameters change only through the timelock');
    }
    const call: TimelockCall = { target: r.pool, abi: iLendingPoolAbi, functionName: 'setRateConfig', args: [newRc], salt: `0x${'01'.padStart(64, '0')}` as Hex };
    const opId = await proposeViaSafe(pub, c.wallet, c.relayer.address, safe, r.timelock, call);
    step(`Safe (2 of 3 owners) proposed slope1 15 % -> 20 % APR on the timelock: operation ${opId.slice(0, 10)}…`);
    try {
      await executeViaSafe(pub, c.wallet, c.relayer.address, safe, r.timelock, call);
      throw new Error('the timelock executed before its delay');
    } catch (e) {
      if (revertName(e) !== 'GS013') throw e;
      info('executing it at once fails inside the Safe (GS013): the timelock operation is not ready for 48 h');
    }
    await warp(c, r.timelockDelay);
    await executeViaSafe(pub, c.wallet, c.relayer.address, safe, r.timelock, call);
    const after = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'rateConfig' });
    step(`48 h of chain time later the Safe executed it: slope1 is now ${((Number(after.slope1) * 31_536_000) / 1e16).toFixed(2)} % APR`);
    await oracleRound(c, floors);

    // Summary.
    const [bad, fromReserve] = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' });
    const read = (fn: 'totalAssets' | 'cash' | 'totalDebt' | 'reserve' | 'totalSupply') => pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: fn });
    const rows: [string, string][] = [
      ['pool assets (WETH)', eth(await read('totalAssets'))],
      ['  idle cash (WETH)', eth(await read('cash'))],
      ['  live debt (WETH)', eth(await read('totalDebt'))],
      ['value of one share (WETH)', `${eth(priceBefore)} -> ${eth(await sharePrice(c))}`],
      ['loans', `${opened} opened, ${sold} liquidated by a sale, ${writtenOff} written off, ${loans.size} open`],
      ['bad debt written off (WETH)', `${eth(bad)} (reserve absorbed ${eth(fromReserve)})`],
      ['first-loss reserve (WETH)', eth(await read('reserve'))],
      ['governance', `Safe ${r.safeThreshold}-of-${r.safeOwners.length} -> timelock ${r.timelockDelay / HOUR} h; 1 change executed`],
    ];
    console.log('\nsummary');
    console.log(`  ${'─'.repeat(74)}`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(38)} ${v}`);
    console.log(`  ${'─'.repeat(74)}`);
    console.log(`  finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await anvil?.stop();
  }
}

cli({ name: 'demo', usage: DEMO_USAGE });
main().catch((e) => {
  if (process.env.DEMO_DEBUG) console.error(e);
  console.error(`demo failed: ${redactIn(describe(e), process.env.RPC_URL)}`);
  process.exit(1);
});
