// The crash replay's engine: deploys the real system with the code of `make deploy`, then drives it hour by hour
// through a market series. The floor feed (the local stand-in) takes the series; derived, seeded sales are signed as
// EIP-712 SaleReports with the shared helper and relayed to the valuation; borrowers, bidders and lenders act on
// what the chain says; the real keeper (ts/keeper) starts and closes auctions. The pool is read only through its
// public views and events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeEventLog,
  encodeFunctionData,
  http,
  isAddressEqual,
  maxUint256,
  type Abi,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
} from 'viem';
import { foundry } from 'viem/chains';
import { deploy, localAccount, LOCAL_ROLES } from '../deploy/deploy.js';
import type { DeploymentRecord } from '../deploy/record.js';
import { demoApesAbi, dutchAuctionAbi, iLendingPoolAbi, iValuationAdminAbi, localFloorFeedAbi, wethAbi } from '../generated/contracts.js';
import { loadArtifact } from '../lib/artifacts.js';
import { signSaleReport } from '../lib/eip712.js';
import { Keeper, type Auction, type Loan } from '../keeper/keeper.js';
import type { ParamSet } from './params.js';
import { HOUR, rng, type Series } from './series.js';

const WAD = 10n ** 18n;
const BPS = 10_000n;
const YEAR = 365n * 24n * 3600n;
/** Chain time of the replay's first hour: 2030-01-01T00Z plus one hour of oracle warm-up. The chain clock only moves
 * forward, so a series is replayed at this fixed chain time (its own timestamps are kept for the report). */
export const CHAIN_BASE = 1_893_456_000;
const WARMUP = HOUR;
const GAS = 2_000_000n;

export interface Scenario {
  loans: number;
  /** Each loan borrows max × (ltvMin + (1 − ltvMin) × u), u uniform on [0, 1) (seeded). */
  ltvMin: number;
  /** Hours over which the book is opened (loans spread evenly). */
  openHours: number;
  /** Hour at which the book starts to open (before it the pool only has its deposits). */
  openAt: number;
  /** Deposits = the planned book / this utilisation. */
  utilisation: number;
  lenders: number;
  /** Share of borrowers who repay when their health factor falls below `repayHf` (the rest walk away). */
  repayShare: number;
  repayHf: number;
  /** Bidders buy at or below (1 − discount) × the hour's floor. */
  discount: number;
  /** At most this many purchases per day across all auctions. */
  depth: number;
  /** Share of lenders (by deposit) who try to leave once the share price drops or utilisation passes the kink. */
  runShare: number;
  /** Derived sales: floor × (1 + |N(0, saleNoise)|) (min-twap-floor) or × 1.25 (floor-only). */
  saleNoise: number;
  /** Hours after the series during which the floor stays at its last value so every auction ends. The engine extends
   * it to at least every round of an auction started at the series' last hour (the first round and each relist, one
   * auction duration each, plus an hour per settlement and the capped outage extension). */
  tailHours: number;
  seed: number;
}

export const DEFAULT_SCENARIO: Scenario = {
  loans: 50,
  ltvMin: 0.5,
  openHours: 24,
  openAt: 0,
  utilisation: 0.6,
  lenders: 10,
  repayShare: 0.5,
  repayHf: 1.05,
  discount: 0.1,
  depth: 3,
  runShare: 0.3,
  saleNoise: 0.02,
  tailHours: 7 * 24,
  seed: 1,
};

export interface HourRow {
  /** Series time (unix s) of the hour. */
  t: number;
  floor: number;
  /** min(TWAP, floor) when the valuation answers, else null (outage). */
  valuation: number | null;
  status: number;
  below1: number;
  sharePrice: number;
  badDebt: number;
  reserve: number;
  utilisation: number;
}

export interface LoanOutcome {
  id: bigint;
  borrower: Address;
  responsive: boolean;
  principal: bigint;
  openedHour: number;
  ltvAtOpen: number;
  firstBelow1Hour?: number;
  auctionHour?: number;
  end: 'open' | 'repaid' | 'sold' | 'written-off' | 'in-auction';
  /** Rounds the auction was relisted after ending without a bid (0 when the first round sold or never started). */
  relists: number;
  endHour?: number;
  price?: bigint;
  floorAtSale?: number;
  badDebt?: bigint;
  repaid?: bigint;
  renewals: number;
}

export interface LenderOutcome {
  address: Address;
  runner: boolean;
  deposited: bigint;
  withdrawn: bigint;
  /** Value of the shares still held at the end (convertToAssets). */
  held: bigint;
  exitHour?: number;
}

export interface RunResult {
  series: { name: string; source: string; format: string; start: number; hours: number; filled: number };
  params: ParamSet;
  scenario: Scenario;
  terms: Record<string, number>;
  rate: Record<string, number>;
  hours: HourRow[];
  loans: LoanOutcome[];
  lenders: LenderOutcome[];
  ledger: {
    deposits: bigint;
    withdrawals: bigint;
    principal: bigint;
    /** Everything borrowers owed above principal: paid back, renewed, sold, written off or still owed. */
    interest: bigint;
    penalties: bigint;
    /** What the keeper and any settler were paid (penalty shares and settlement rewards): claimed plus claimable. */
    keeperRewards: bigint;
    /** Of which settlement rewards (SettlerPaid events). */
    settlerRewards: bigint;
    /** Custody sales paid back to the pool (RecoveryBooked events). */
    recoveries: bigint;
    /** Bad debt as the pool's BadDebt events add it up (checked against badDebt()). */
    badDebt: bigint;
    badDebtFromReserve: bigint;
    reserve: bigint;
    totalAssets: bigint;
    /** Recoveries still locked at the end (lockedRecovery()): the lenders' but not yet in totalAssets. */
    lockedRecovery: bigint;
    openDebt: bigint;
  };
  /** Rounds of every auction (first round plus relists) and the tail actually replayed. */
  auctionRounds: number;
  tailHours: number;
  lastFloor: number;
  keeperTicks: number;
  transactions: number;
  /** Milliseconds spent replaying (not in the report: it must be byte-identical across runs). */
  elapsedMs: number;
}

type Rec = DeploymentRecord;

/** Everything the engine sends goes through eth_sendTransaction from an impersonated address, without a prior
 * estimate, into anvil's pool (automine is off); `mine` then mines everything pending in one block (the block gas
 * limit is raised so it all fits), so nothing polls for receipts. `checked` calls read the receipt. */
class Sender {
  count = 0;
  /** The chain's latest block number, followed locally (every block the engine mines goes through here). */
  head = 0n;
  private pending = 0;
  /** Next nonce per sender, as a promise chain: sends may be issued concurrently (one JSON-RPC batch) and anvil
   * still orders each sender's transactions by nonce. */
  private nonces = new Map<string, Promise<number>>();
  constructor(
    private pub: PublicClient,
    private test: ReturnType<typeof createTestClient>,
  ) {}
  private nonce(from: Address): Promise<number> {
    const key = from.toLowerCase();
    const n = this.nonces.get(key) ?? this.pub.getTransactionCount({ address: from, blockTag: 'pending' });
    this.nonces.set(key, n.then((x) => x + 1));
    return n;
  }
  async send(from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<Hex> {
    const data = encodeFunctionData({ abi, functionName, args });
    const nonce = this.nonce(from);
    this.count++;
    this.pending++;
    return (await this.pub.request({
      method: 'eth_sendTransaction',
      params: [{ from, to, data, nonce: `0x${(await nonce).toString(16)}`, gas: `0x${GAS.toString(16)}`, ...(value ? { value: `0x${value.toString(16)}` } : {}) }],
    } as never)) as Hex;
  }
  /** Mines one block at `timestamp` (default: the previous block's plus one second), pending or not. */
  async mineAt(timestamp?: number): Promise<void> {
    // Anvil's evm_mine takes a timestamp; viem's schema knows only the { blocks } form, hence the cast.
    await this.pub.request({ method: 'evm_mine', params: timestamp === undefined ? [] : [timestamp] } as never);
    this.pending = 0;
    this.head++;
  }
  /** Mines one block with everything sent so far (no-op when nothing is pending). */
  async mine(): Promise<void> {
    if (this.pending === 0) return;
    await this.mineAt();
  }
  async refreshHead(): Promise<void> {
    this.head = await this.pub.getBlockNumber({ cacheTime: 0 });
  }
  async ok(hashes: Hex[]): Promise<boolean[]> {
    await this.mine();
    const rs = await Promise.all(hashes.map((hash) => this.pub.getTransactionReceipt({ hash })));
    return rs.map((r) => r.status === 'success');
  }
  async checked(from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<Log[]> {
    const hash = await this.send(from, to, abi, functionName, args, value);
    await this.mine();
    const r = await this.pub.getTransactionReceipt({ hash });
    if (r.status !== 'success') {
      // Re-run it as a call to get the revert reason for the message.
      let why = 'reverted';
      try {
        await this.pub.simulateContract({ address: to, abi, functionName, args, account: from, value });
      } catch (e) {
        why = ((e as { shortMessage?: string }).shortMessage ?? String(e)).split('\n')[0];
      }
      throw new Error(`${functionName} from ${from} failed: ${why}`);
    }
    return r.logs as Log[];
  }
}

const addr = (label: string, i: number): Address => {
  // Deterministic actor addresses outside the dev accounts: 0x<label byte><index>.
  const tag = { lender: 'a1', borrower: 'b0', bidder: 'c0', keeper: 'd0' }[label] ?? 'e0';
  return `0x${tag}${'0'.repeat(30)}${i.toString(16).padStart(8, '0')}` as Address;
};

const toWei = (eth: number): bigint => BigInt(Math.round(eth * 1e6)) * 10n ** 12n;
const fromWei = (w: bigint): number => Number(w / 10n ** 9n) / 1e9;

export interface RunOptions {
  log?: (line: string) => void;
}

/** A deployment on an embedded anvil that several runs share: each starts from the same snapshot. */
export interface ReplayChain {
  rpcUrl: string;
  record: Rec;
  stop: () => Promise<void>;
  snapshot: Hex;
}

/** Deploys the system with `make deploy`'s code on an embedded anvil and snapshots it. */
export async function openChain(log: (line: string) => void = () => {}): Promise<ReplayChain> {
  const tmp = mkdtempSync(join(tmpdir(), 'replay-deploy-'));
  const env = { ...process.env };
  for (const k of ['RPC_URL', 'CHAIN_ID', 'DEPLOYER_PRIVATE_KEY', 'DEPLOYER_KEY_FILE', 'ETH_KEYSTORE']) delete env[k];
  try {
    const { record, rpcUrl, anvil } = await deploy({ env, keepAnvil: true, bindings: false, deploymentsDir: tmp, log: (l) => log(`deploy: ${l}`) });
    const test = createTestClient({ chain: { ...foundry, id: record.chainId }, mode: 'anvil', transport: http(rpcUrl) });
    return { rpcUrl, record, stop: async () => anvil?.stop(), snapshot: await test.snapshot() };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Replays on a shared deployment: back to its snapshot first, a fresh snapshot for the next run after. */
export async function runOn(c: ReplayChain, series: Series, params: ParamSet, scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const test = createTestClient({ chain: { ...foundry, id: c.record.chainId }, mode: 'anvil', transport: http(c.rpcUrl) });
  await test.revert({ id: c.snapshot });
  c.snapshot = await test.snapshot();
  await test.setAutomine(true);
  return drive(c.rpcUrl, c.record, series, params, scenario, opts.log ?? (() => {}));
}

/** Replays `series` under `params` and `scenario` on a deployment of its own (an embedded anvil, stopped after). */
export async function runReplay(series: Series, params: ParamSet, scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const c = await openChain(opts.log);
  try {
    return await drive(c.rpcUrl, c.record, series, params, scenario, opts.log ?? (() => {}));
  } finally {
    await c.stop();
  }
}

async function drive(rpcUrl: string, r: Rec, series: Series, params: ParamSet, sc: Scenario, log: (l: string) => void): Promise<RunResult> {
  const began = Date.now();
  const transport = http(rpcUrl, { timeout: 60_000, batch: true });
  const chain = { ...foundry, id: r.chainId };
  const pub = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient;
  const test = createTestClient({ chain, mode: 'anvil', transport });
  const tx = new Sender(pub, test);
  const poolAbi = iLendingPoolAbi as Abi;
  const auctionAbi = dutchAuctionAbi as Abi;
  const valAbi = iValuationAdminAbi as Abi;
  const apes = r.collection721;

  // Chain clock: fixed, one second per block, so a run is reproducible to the wei.
  const latest = await pub.getBlock({ blockTag: 'latest' });
  if (Number(latest.timestamp) >= CHAIN_BASE - WARMUP) throw new Error('the chain clock is already past the replay base time (2030-01-01)');
  // Not in viem's RPC schemas (nor a test action), hence the cast.
  await pub.request({ method: 'anvil_autoImpersonateAccount', params: [true] } as never);
  await test.setBlockTimestampInterval({ interval: 1 });
  await test.setBlockGasLimit({ gasLimit: 10n ** 10n });
  await test.setAutomine(false);
  const chainTime = (h: number) => CHAIN_BASE + h * HOUR;

  const reporterKey = localAccount(LOCAL_ROLES.reporter);
  const reporter = reporterKey.address;
  const relayer = localAccount(LOCAL_ROLES.deployer).address;
  const timelock = r.timelock;
  const keeperAddr = addr('keeper', 0);
  const bidder = addr('bidder', 0);
  const big = 10n ** 30n;
  for (const a of [timelock, relayer, reporter, keeperAddr, bidder]) await test.setBalance({ address: a, value: big });

  // A multicall contract for the hourly reads (script/local/Multicall.sol, Multicall3's aggregate3).
  const mcHash = (await pub.request({ method: 'eth_sendTransaction', params: [{ from: relayer, data: loadArtifact('Multicall').bytecode, gas: '0x1000000' }] } as never)) as Hex;
  await test.mine({ blocks: 1 });
  const multicallAddress = (await pub.getTransactionReceipt({ hash: mcHash })).contractAddress!;

  // Parameter set: the deployed defaults, then the file's overrides, through the timelock (impersonated: the 48 h
  // Safe -> timelock path is exercised by `make demo`; here only the resulting configuration matters).
  const deployed = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'terms', args: [apes, 1] })) as Record<string, number>;
  const terms = { ...deployed, ...params.terms } as Record<string, number>;
  const rc = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'rateConfig' })) as Record<string, unknown>;
  const rate: Record<string, unknown> = { ...rc };
  for (const [k, v] of Object.entries(params.rate)) rate[k] = k.endsWith('Bps') ? v : BigInt(Math.round(v * 1e18)) / YEAR;
  if (Object.keys(params.terms).length) await tx.checked(timelock, r.pool, poolAbi, 'setTerms', [apes, terms, 10n ** 27n]);
  else await tx.checked(timelock, r.pool, poolAbi, 'setDebtCeiling', [apes, 10n ** 27n]);
  if (Object.keys(params.rate).length) await tx.checked(timelock, r.pool, poolAbi, 'setRateConfig', [rate]);
  const haircut = BigInt(terms.haircutBps);
  const ltv = BigInt(terms.ltvBps);
  const kink = Number(rate.kinkBps) / 1e4;
  const floorOnly = params.valuation.mode === 'floor-only';

  // Derived sales: one per hour, seeded; floor-only prices them well above the floor.
  const saleRng = rng(sc.seed * 7919 + 17);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - saleRng())) * Math.cos(2 * Math.PI * saleRng());
  const salePrice = (floor: number) => (floorOnly ? floor * 1.25 : floor * (1 + Math.abs(gauss()) * sc.saleNoise));
  // One sender with consecutive nonces, so the four land in this order in the hour's block: the feed moves, the
  // signed sale is relayed, then the oracle service's keeper checkpoints (re-anchors after a jump's cool-down) and
  // records the valuation. Sent as one JSON-RPC batch; the block is mined at the hour.
  // Reports are bound to the collection's listing (void after a delist and relist) and expire an hour after the sale.
  const listingEpoch = (await pub.readContract({ address: r.valuation, abi: valAbi, functionName: 'listingEpoch', args: [apes] })) as bigint;
  const oracleRound = async (floor: number, ts: number, extra: () => Promise<unknown> = async () => {}) => {
    await tx.mine();
    const sale = { collection: apes, price: toWei(salePrice(floor)), timestamp: BigInt(ts), listingEpoch, deadline: BigInt(ts + 3600) };
    const signature = await signSaleReport(reporterKey, BigInt(r.chainId), r.valuation, sale);
    const hashes = await Promise.all([
      tx.send(reporter, r.feed721, localFloorFeedAbi as Abi, 'update', [toWei(floor)]),
      tx.send(reporter, r.valuation, valAbi, 'relaySale', [sale, signature]),
      tx.send(reporter, r.valuation, valAbi, 'checkpoint', [apes]),
      tx.send(reporter, r.valuation, valAbi, 'price', [apes]),
    ]);
    await extra();
    await tx.mineAt(ts);
    return hashes.slice(0, 2);
  };
  const checkRound = async (hashes: Hex[], ts: number) => {
    const ok = await tx.ok(hashes);
    if (!ok.every(Boolean)) throw new Error(`the oracle round at chain time ${ts} failed (feed ${ok[0]}, sale ${ok[1]})`);
  };

  const floors = series.floors;
  const hoursTotal = floors.length;
  // Warm-up: the TWAP needs 5 sales over 30 minutes; six rounds 10 minutes apart in the hour before hour 0.
  for (let i = 0; i < 6; i++) {
    const ts = chainTime(0) - WARMUP + i * 600;
    await checkRound(await oracleRound(floors[0], ts), ts);
  }

  // Loan book plan and lenders.
  const planRng = rng(sc.seed * 104729 + 3);
  const fracs = Array.from({ length: sc.loans }, () => sc.ltvMin + (1 - sc.ltvMin) * planRng());
  const responsive = Array.from({ length: sc.loans }, () => planRng() < sc.repayShare);
  const p0 = toWei(floors[sc.openAt]);
  const maxAt = (price: bigint) => (((price * haircut) / BPS) * ltv) / BPS;
  const planned = fracs.reduce((s, f) => s + (maxAt(p0) * BigInt(Math.floor(f * 1e6))) / 1_000_000n, 0n);
  const totalDeposit = ((planned * 1000n) / BigInt(Math.round(sc.utilisation * 1000)) / WAD + 1n) * WAD;
  const lenders: LenderOutcome[] = [];
  const runners = Math.round(sc.runShare * sc.lenders);
  for (let i = 0; i < sc.lenders; i++) {
    const a = addr('lender', i);
    const amount = totalDeposit / BigInt(sc.lenders);
    await test.setBalance({ address: a, value: amount + WAD });
    await tx.checked(a, r.asset, wethAbi as Abi, 'deposit', [], amount);
    await tx.checked(a, r.asset, wethAbi as Abi, 'approve', [r.pool, maxUint256]);
    await tx.checked(a, r.pool, poolAbi, 'deposit', [amount, a]);
    lenders.push({ address: a, runner: i < runners, deposited: amount, withdrawn: 0n, held: 0n });
  }
  await test.setBalance({ address: bidder, value: big });
  await tx.checked(bidder, r.asset, wethAbi as Abi, 'deposit', [], 10n ** 27n);
  await tx.checked(bidder, r.asset, wethAbi as Abi, 'approve', [r.auction, maxUint256]);
  log(`replay: ${params.name} on ${series.name}: ${hoursTotal} h, ${sc.loans} loans, deposits ${fromWei(totalDeposit)} WETH`);

  const keeper = new Keeper({
    publicClient: pub,
    walletClient: createWalletClient({ chain, transport, account: keeperAddr }),
    pool: r.pool,
    auction: r.auction,
    fromBlock: BigInt(r.startBlock),
    account: keeperAddr,
    buy: false,
    cooldownSec: 60,
  });

  // State followed from the pool's and the module's events.
  const loans = new Map<bigint, { loan: Loan; auction?: Auction; idx: number }>();
  const outcomes = new Map<bigint, LoanOutcome>();
  let cursor = BigInt(r.startBlock);
  await tx.refreshHead();
  const ledger = { deposits: 0n, withdrawals: 0n, principal: 0n, owedPaid: 0n, penalties: 0n, badDebt: 0n, badDebtFromReserve: 0n, claimed: 0n, settlerRewards: 0n, recoveries: 0n };
  // Everyone the pool pays rewards to (penalty shares, settlement rewards): the replay's keeper and any other settler
  // or auction keeper the events name. Their claims left the pool; what they can still claim is read at the end.
  const rewarded = new Map<string, Address>([[keeperAddr.toLowerCase(), keeperAddr]]);
  const reward = (a: Address) => rewarded.set(a.toLowerCase(), a);
  let auctionRounds = 0;
  let hour = -1;
  let curFloor = floors[0];
  const sync = async () => {
    await tx.mine();
    if (tx.head < cursor) return;
    const logs = await pub.getLogs({ address: [r.pool, r.auction], fromBlock: cursor, toBlock: tx.head });
    cursor = tx.head + 1n;
    for (const l of logs) {
      const fromPool = isAddressEqual(l.address, r.pool);
      let ev: { eventName: string; args: Record<string, unknown> };
      try {
        ev = decodeEventLog({ abi: fromPool ? iLendingPoolAbi : dutchAuctionAbi, data: l.data, topics: l.topics });
      } catch {
        continue;
      }
      const a = ev.args;
      const id = a.loanId as bigint;
      const o = id !== undefined ? outcomes.get(id) : undefined;
      if (fromPool) {
        switch (ev.eventName) {
          case 'Deposit': ledger.deposits += a.assets as bigint; break;
          case 'Withdraw': ledger.withdrawals += a.assets as bigint; break;
          // Paid-out claims (the keeper claims its rewards as it goes): they left the pool like withdrawals.
          case 'Claim': if (rewarded.has((a.account as Address).toLowerCase())) ledger.claimed += a.amount as bigint; break;
          // Settlement rewards: credited to the settler (claimable), paid from cash with the reserve absorbing first.
          case 'SettlerPaid': ledger.settlerRewards += a.reward as bigint; reward(a.settler as Address); break;
          case 'RecoveryBooked': ledger.recoveries += a.amount as bigint; break;
          // Write-offs as the pool books them: a sale below the frozen debt, or the last settlement of an unsold NFT.
          case 'BadDebt': ledger.badDebt += a.amount as bigint; ledger.badDebtFromReserve += a.fromReserve as bigint; break;
          // An unsold round was settled and relisted: the loan stays in auction under its updated commitment.
          case 'AuctionRelisted': loans.get(id)!.loan = a.loan as Loan; if (o) o.relists++; break;
          case 'Borrow': {
            const loan = a.loan as Loan;
            ledger.principal += loan.principal;
            const idx = Number(loan.tokenId);
            loans.set(id, { loan, idx });
            outcomes.set(id, { id, borrower: loan.borrower, responsive: responsive[idx], principal: loan.principal, openedHour: hour, ltvAtOpen: 0, end: 'open', relists: 0, renewals: 0 });
            break;
          }
          case 'Repay': ledger.owedPaid += a.paid as bigint; loans.get(id)!.loan = a.loan as Loan; break;
          case 'Renew': ledger.owedPaid += a.interestPaid as bigint; loans.get(id)!.loan = a.loan as Loan; if (o) o.renewals++; break;
          case 'LoanRepaid': ledger.owedPaid += a.paid as bigint; loans.delete(id); if (o) { o.end = 'repaid'; o.endHour = hour; o.repaid = a.paid as bigint; } break;
          case 'AuctionStarted': loans.get(id)!.loan = a.loan as Loan; reward(a.keeper as Address); auctionRounds++; if (o) { o.auctionHour = hour; o.end = 'in-auction'; } break;
          case 'AuctionSettled': {
            const proceeds = a.proceeds as bigint;
            const repaid = a.repaid as bigint;
            ledger.owedPaid += repaid + (a.badDebt as bigint);
            ledger.penalties += proceeds - repaid - (a.surplus as bigint);
            loans.delete(id);
            if (o) {
              o.end = proceeds > 0n ? 'sold' : 'written-off';
              o.endHour = hour;
              o.price = proceeds;
              o.floorAtSale = curFloor;
              o.badDebt = a.badDebt as bigint;
            }
            break;
          }
        }
      } else if (ev.eventName === 'AuctionStarted') {
        const t = loans.get(id);
        if (t) t.auction = a.auction as Auction;
      } else if (ev.eventName === 'AuctionRelisted') {
        // The module's new round (start price = the last reserve, reserve halved): what buy and settle take now.
        const t = loans.get(id);
        if (t) t.auction = a.auction as Auction;
        auctionRounds++;
      }
    }
  };
  await sync();

  // Borrowers: minted, approved, funded with a buffer for interest; loan i opens at hour floor(i × openHours / N).
  const borrowerOf = (i: number) => addr('borrower', i);
  for (let i = 0; i < sc.loans; i++) {
    const b = borrowerOf(i);
    await test.setBalance({ address: b, value: big });
    await tx.send(b, apes, demoApesAbi as Abi, 'mint', [b, BigInt(i)]);
    await tx.send(b, apes, demoApesAbi as Abi, 'setApprovalForAll', [r.pool, true]);
    await tx.send(b, r.asset, wethAbi as Abi, 'approve', [r.pool, maxUint256]);
    // A buffer for interest (renewals) and for repaying a loan whose principal the borrower spent elsewhere.
    await tx.send(b, r.asset, wethAbi as Abi, 'deposit', [], 10n ** 24n);
  }
  if (sc.openAt >= hoursTotal - 1) throw new Error(`the book opens at hour ${sc.openAt}, but the series has ${hoursTotal} hours`);
  const opensAt = (i: number) => sc.openAt + Math.floor((i * Math.min(sc.openHours, Math.max(1, Math.floor((hoursTotal - sc.openAt) / 4)))) / sc.loans);

  const hours: HourRow[] = [];
  let peakShare = 0;
  let running = false;
  let buysToday = 0;
  let keeperTicks = 0;
  const runnerExit = new Map<number, number>();
  const shareUnit = 10n ** BigInt(Number(await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'decimals' })));
  // The tail must let an auction started at the series' last hour run every round: the first and MAX_RELISTS relists,
  // each one auction duration, an hour for the keeper to settle each, and the outage extension's 24 h cap once.
  const maxRelists = Number(await pub.readContract({ address: r.auction, abi: auctionAbi, functionName: 'MAX_RELISTS' }));
  const roundHours = Math.ceil(Number(terms.auctionDuration) / HOUR) + 1;
  // Then the recovery lock: a sale in the last round is released to the share price over the unlock period, so the
  // run goes on until nothing is locked (else the lenders' return would miss recoveries they already own).
  const unlockHours = Math.ceil(Number(await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'unlockPeriod' })) / HOUR);
  const tailHours = Math.max(sc.tailHours, (maxRelists + 1) * roundHours + 24 + unlockHours);
  const end = hoursTotal + tailHours;
  let tailDone = false;

  for (hour = 0; hour < end && !tailDone; hour++) {
    const inTail = hour >= hoursTotal;
    curFloor = floors[Math.min(hour, hoursTotal - 1)];
    const ts = chainTime(hour);
    if (hour % 24 === 0) buysToday = 0;
    await oracleRound(curFloor, ts);

    // Loans due to open this hour.
    for (let i = 0; i < sc.loans; i++) {
      if (opensAt(i) !== hour || inTail) continue;
      await tx.mine();
      const [price, status] = (await pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [apes] })) as [bigint, number];
      if (status !== 0) continue; // no borrowing during an outage: the loan is not opened
      const principal = (maxAt(price) * BigInt(Math.floor(fracs[i] * 1e6))) / 1_000_000n;
      const b = borrowerOf(i);
      await tx.checked(b, r.pool, poolAbi, 'borrow', [apes, BigInt(i), 1n, principal, b, 0n, []]);
    }
    await sync();
    for (const [id, t] of loans) {
      const o = outcomes.get(id)!;
      if (o.ltvAtOpen === 0) o.ltvAtOpen = Number((t.loan.principal * 10_000n) / toWei(curFloor)) / 10_000;
    }

    // One multicall: the valuation, the pool's views, every loan's health and debt, every auction's price and clock.
    const ids = [...loans.keys()].sort((a, b) => (a < b ? -1 : 1));
    const contracts: { address: Address; abi: Abi; functionName: string; args?: unknown[] }[] = [
      { address: r.valuation, abi: valAbi, functionName: 'priceView', args: [apes] },
      { address: r.pool, abi: poolAbi, functionName: 'convertToAssets', args: [shareUnit] },
      { address: r.pool, abi: poolAbi, functionName: 'badDebt' },
      { address: r.pool, abi: poolAbi, functionName: 'reserve' },
      { address: r.pool, abi: poolAbi, functionName: 'borrowRate' },
      { address: r.feed721, abi: localFloorFeedAbi as Abi, functionName: 'latestRoundData' },
      { address: r.valuation, abi: valAbi, functionName: 'newestObservationAge', args: [apes] },
    ];
    for (const id of ids) {
      const t = loans.get(id)!;
      if (t.loan.auctionStart === 0) {
        contracts.push({ address: r.pool, abi: poolAbi, functionName: 'healthFactor', args: [t.loan] });
        contracts.push({ address: r.pool, abi: poolAbi, functionName: 'debtOf', args: [t.loan] });
      } else if (t.auction) {
        contracts.push({ address: r.auction, abi: auctionAbi, functionName: 'currentPrice', args: [id, t.loan, t.auction] });
        contracts.push({ address: r.auction, abi: auctionAbi, functionName: 'elapsed', args: [t.loan.collection, t.auction] });
      } else {
        contracts.push({ address: r.pool, abi: poolAbi, functionName: 'debtOf', args: [t.loan] });
        contracts.push({ address: r.pool, abi: poolAbi, functionName: 'debtOf', args: [t.loan] });
      }
    }
    const res = (await pub.multicall({ contracts: contracts as never, allowFailure: true, multicallAddress, batchSize: 0 })) as unknown as { status: 'success' | 'failure'; result?: unknown }[];
    const val = res[0].result as [bigint, number];
    if (res[1].status !== "success") throw new Error(`pool views unreadable: ${String((res[1] as { error?: unknown }).error).slice(0, 300)}`);
    const sharePrice = fromWei(res[1].result as bigint) / fromWei(shareUnit);
    const [bad] = res[2].result as [bigint, bigint];
    const reserve = res[3].result as bigint;
    const [, util] = res[4].result as [bigint, bigint];
    const utilisation = fromWei(util);
    // The hour's oracle round landed: the feed shows the floor and the newest sale is this hour's.
    const answer = (res[5].result as [bigint, bigint])?.[1];
    const age = res[6].result as bigint | undefined;
    if (answer !== toWei(curFloor) || age === undefined || age > 600n) throw new Error(`the oracle round of hour ${hour} did not land (feed ${answer}, newest sale ${age} s old)`);
    let below1 = 0;
    let keeperWork = false;
    const actions: { id: bigint; kind: 'repay' | 'renew' | 'buy'; price?: bigint }[] = [];
    ids.forEach((id, k) => {
      const t = loans.get(id)!;
      const o = outcomes.get(id)!;
      const a = res[7 + 2 * k];
      const b = res[8 + 2 * k];
      if (t.loan.auctionStart === 0) {
        const hf = a.status === 'success' ? (a.result as bigint) : undefined;
        const pastDue = ts >= t.loan.dueTime + terms.grace;
        if (hf !== undefined && hf < WAD) {
          below1++;
          if (o.firstBelow1Hour === undefined) o.firstBelow1Hour = hour;
          keeperWork = true;
        }
        if (pastDue) keeperWork = true;
        if (hf === undefined) return;
        const dueSoon = ts >= t.loan.dueTime - 12 * HOUR && ts < t.loan.dueTime;
        if (o.responsive && hf < BigInt(Math.round(sc.repayHf * 1e18))) actions.push({ id, kind: 'repay' });
        else if (dueSoon && hf >= WAD && !inTail) actions.push({ id, kind: 'renew' });
        else if (dueSoon && o.responsive) actions.push({ id, kind: 'repay' });
      } else if (t.auction) {
        const price = a.result as bigint;
        const elapsed = b.result as bigint;
        if (elapsed >= BigInt(t.auction.duration)) keeperWork = true;
        else if (a.status === 'success' && price <= (toWei(curFloor) * t.loan.amount * BigInt(Math.round((1 - sc.discount) * 1e6))) / 1_000_000n) {
          actions.push({ id, kind: 'buy', price });
        }
      }
    });

    // Borrowers act first (they watch their own loans), then bidders within the day's depth, then the keeper.
    for (const act of actions) {
      const t = loans.get(act.id)!;
      const b = t.loan.borrower;
      if (act.kind === 'repay') {
        const h = await tx.send(b, r.pool, poolAbi, 'repay', [act.id, t.loan, maxUint256]);
        void h;
      } else if (act.kind === 'renew') {
        await tx.send(b, r.pool, poolAbi, 'renew', [act.id, t.loan]);
      } else if (buysToday < sc.depth) {
        const h = await tx.send(bidder, r.auction, auctionAbi, 'buy', [act.id, t.loan, t.auction, act.price]);
        const [ok] = await tx.ok([h]);
        if (ok) buysToday++;
      }
    }
    await sync();
    if (keeperWork) {
      keeperTicks++;
      // The keeper sends and waits for its own receipts: anvil mines its transactions as they come.
      await test.setAutomine(true);
      await keeper.tick();
      await test.setAutomine(false);
      await tx.refreshHead();
      await sync();
    }

    // Lenders: the run. Runners try to leave once the share price is below its peak or utilisation is above the kink.
    peakShare = Math.max(peakShare, sharePrice);
    if (!running && (sharePrice < peakShare * (1 - 1e-9) || utilisation > kink)) running = true;
    if (running) {
      for (let i = 0; i < runners; i++) {
        const l = lenders[i];
        if (runnerExit.has(i)) continue;
        const max = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'maxWithdraw', args: [l.address] })) as bigint;
        if (max > 0n) await tx.send(l.address, r.pool, poolAbi, 'withdraw', [max, l.address, l.address]);
        await tx.mine();
        const left = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'balanceOf', args: [l.address] })) as bigint;
        if (left === 0n || (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'convertToAssets', args: [left] })) === 0n) {
          runnerExit.set(i, hour);
        }
      }
      await sync();
    }

    hours.push({
      t: series.start + hour * HOUR,
      floor: curFloor,
      valuation: val[1] === 0 ? fromWei(val[0]) : null,
      status: val[1],
      below1,
      sharePrice,
      badDebt: fromWei(bad),
      reserve: fromWei(reserve),
      utilisation,
    });
    if (inTail && ![...loans.values()].some((t) => t.loan.auctionStart !== 0) && !keeperWork) {
      const [locked] = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'lockedRecovery' })) as [bigint, bigint];
      if (locked === 0n) tailDone = true;
    }
    if (hour % 168 === 0) log(`replay: hour ${hour}/${hoursTotal}, floor ${curFloor}, ${loans.size} loans open, bad debt ${fromWei(bad)} WETH`);
  }

  // Final reads: the pool's views, what each lender holds, what is still owed, the keeper's rewards.
  await sync();
  // What is still owed, as the pool totals it (live debt and frozen auction debt).
  const openDebt =
    ((await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalDebt' })) as bigint) +
    ((await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'auctionDebt' })) as bigint);
  for (const [i, l] of lenders.entries()) {
    const shares = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'balanceOf', args: [l.address] })) as bigint;
    l.held = shares === 0n ? 0n : ((await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'convertToAssets', args: [shares] })) as bigint);
    const exit = runnerExit.get(i);
    if (exit !== undefined) l.exitHour = exit;
  }
  const wlogs = await pub.getContractEvents({ address: r.pool, abi: iLendingPoolAbi, eventName: 'Withdraw', fromBlock: BigInt(r.startBlock) });
  for (const w of wlogs) {
    const l = lenders.find((x) => isAddressEqual(x.address, w.args.owner as Address));
    if (l) l.withdrawn += w.args.assets as bigint;
  }
  const [badTotal, fromReserve] = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'badDebt' })) as [bigint, bigint];
  const [lockedRecovery] = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'lockedRecovery' })) as [bigint, bigint];
  const reserveEnd = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'reserve' })) as bigint;
  const totalAssets = (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'totalAssets' })) as bigint;
  // Rewards: what the keeper and the settlers already claimed (Claim events) plus what they can still claim.
  let keeperRewards = ledger.claimed;
  for (const a of [...rewarded.values()].sort()) keeperRewards += (await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'claimable', args: [a] })) as bigint;
  if (badTotal !== ledger.badDebt) throw new Error(`bad debt: the pool says ${badTotal}, its BadDebt events add up to ${ledger.badDebt}`);
  if (fromReserve !== ledger.badDebtFromReserve) throw new Error(`bad debt from the reserve: the pool says ${fromReserve}, its BadDebt events add up to ${ledger.badDebtFromReserve}`);
  return {
    series: { name: series.name, source: series.source, format: series.format, start: series.start, hours: hoursTotal, filled: series.filled },
    params,
    scenario: sc,
    terms: Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, Number(v)])),
    rate: Object.fromEntries(Object.entries(rate).map(([k, v]) => [k, ['baseRate', 'slope1', 'slope2'].includes(k) ? Number((BigInt(v as number) * YEAR * 10_000n) / WAD) / 10_000 : Number(v)])),
    hours,
    loans: [...outcomes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    lenders,
    ledger: {
      deposits: ledger.deposits,
      withdrawals: ledger.withdrawals,
      principal: ledger.principal,
      interest: ledger.owedPaid + openDebt - ledger.principal,
      penalties: ledger.penalties,
      keeperRewards,
      settlerRewards: ledger.settlerRewards,
      recoveries: ledger.recoveries,
      badDebt: badTotal,
      badDebtFromReserve: fromReserve,
      reserve: reserveEnd,
      totalAssets,
      lockedRecovery,
      openDebt,
    },
    auctionRounds,
    tailHours,
    lastFloor: curFloor,
    keeperTicks,
    transactions: tx.count,
    elapsedMs: Date.now() - began,
  };
}
