// The liquidation keeper: follows a pool's loans through its events, starts Dutch auctions for liquidatable loans,
// buys collateral when the price is below its value by more than the gas (costed in the pool's asset) and a margin,
// closes auctions that ended without a buyer (so their shortfall is written off), claims its keeper rewards, and records
// the valuation's outage clock (`checkpoint`) of every collection it watches once its floor feed has published more
// rounds since the last record than the replay can safely read back (see `checkpointRounds`).
// Every transaction is estimated first; nothing is sent that the node says would revert. One `tick()` is one pass over
// every open loan; the caller decides how often to tick.
//
// Real networks: events are read by topic in spans that halve on a provider's limits (logs.ts); the last
// `reorgWindow` blocks are read again every pass so a reorg is reconciled, and only older events enter the persisted
// book (`stateFile`); every loan's commitment is checked against the pool each pass, so one closed or changed while
// missed is dropped or refreshed; a failed sync leaves the known loans checked and raises an alert. Reads go through
// Multicall3; loans are taken largest debt first; transactions are pipelined through one nonce counter, and a stuck
// one is replaced by fee at its nonce, never duplicated (sender.ts).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeEventLog,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  formatUnits,
  hexToBigInt,
  isAddressEqual,
  keccak256,
  maxUint256,
  numberToHex,
  parseAbi,
  serializeTransaction,
  toEventSelector,
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type AbiParameter,
  type Account,
  type ContractFunctionArgs,
  type EstimateContractGasParameters,
  type ContractFunctionReturnType,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { dutchAuctionAbi, iLendingPoolAbi, iValuationAdminAbi } from '../generated/contracts.js';
import { LogReader, type RawLog } from './logs.js';
import { Sender, type Mined, type SenderOptions } from './sender.js';

/** A loan as the pool commits it (`ILendingPoolTypes.Loan`), decoded from the pool's events. Its shape is the
 * generated binding's (ts/generated), so a field the contract adds, drops or retypes fails the compiler here.
 * `premium` is the trait premium per unit proven at origination, `premiumMultipleWad` that premium over the unit
 * price then; `outageBase` is the valuation's outage seconds before the term began (later ones extend the due date,
 * by one term at most). */
export type Loan = ContractFunctionArgs<typeof iLendingPoolAbi, 'view', 'healthFactor'>[0];

/** An auction as the module commits it (`IDutchAuction.Auction`), decoded from its `AuctionStarted` event; `round` is
 * 0 for the first auction, one more per relist (an ended round without a bid is relisted by `settle`). */
export type Auction = ContractFunctionArgs<typeof dutchAuctionAbi, 'nonpayable', 'buy'>[2];

/** The terms of a loan (`ILendingPoolTypes.Terms`) as `terms(collection, termsId)` returns them. */
export type Terms = ContractFunctionReturnType<typeof iLendingPoolAbi, 'view', 'terms'>;

export interface KeeperConfig {
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** The pool (proxy) whose loans to watch. */
  pool: Address;
  /** The pool's liquidation module (`DutchAuction` proxy). */
  auction: Address;
  /** First block to read events from when there is no cursor in `stateFile` (default 0; the command line refuses to
   * start without one, a cursor or a deployment record). */
  fromBlock?: bigint;
  /** After the keeper sent a transaction for a loan, or tried to and the simulation or the chain refused, it leaves
   * that loan alone for this many seconds (default 60) of the cooldown clock: chain time (the latest block's
   * timestamp at the start of each tick) unless `now` is given. */
  cooldownSec?: number;
  /** Buy only when value + own keeper reward - price - gas >= this, in the asset's smallest unit (default 0). */
  minProfitWei?: bigint;
  /** Buy collateral at all (default true). Starting and closing auctions do not depend on it. */
  buy?: boolean;
  /** Receives one line per decision worth reporting (default: silent). */
  log?: (line: string) => void;
  /** Record the valuation's outage clock (`checkpoint(collection)`, permissionless) of each collection with open
   * loans or auctions when its floor feed published more than `checkpointRounds` rounds since the last record
   * (default true). Past `OutageLib.MAX_ROUND_LOOKBACK` (16) rounds the replay counts a phantom outage that extends due
   * dates and slows auctions with no real outage (docs/valuation.md, Outage clock). */
  checkpoint?: boolean;
  /** Rounds since the last record above which the keeper checkpoints (default 8, half the look-back, so a keeper that
   * ticks late still records within 16; 1 to 15). */
  checkpointRounds?: number;
  /** While the floor feed of a watched collection does not answer (or answers with `updatedAt` 0 or in the future)
   * and the valuation reports an outage, checkpoint whenever the valuation's last record is this many seconds old
   * (default 600, at least 60). The view counts such a feed as an outage from the last record on, but only a record
   * keeps it: once the feed answers properly again, its rounds are replayed and the unrecorded part is gone, so
   * running auctions' clocks jump forward by it. What can be lost is then at most this interval plus the tick
   * interval and the time to inclusion. */
  revertCheckpointSec?: number;

  // Optional additions to the agreed interface.
  /** The sending account; default the wallet client's account, else the node's first unlocked account. */
  account?: Account | Address;
  /** The cooldown clock in seconds (default: chain time, so a local chain moved forward by a test or a demo moves
   * the cooldown with it). */
  now?: () => number;
  /** Read events only up to `latest - confirmations` (default 2; 0 suits a local chain whose blocks are final). */
  confirmations?: number;
  /** Blocks below the confirmed head that every sync reads again (default 64): events in them are applied to a copy
   * of the book, so a reorg inside the window (or a lagging node that answered for them without them) is reconciled
   * on the next pass. Only events older than the window are folded into the book for good and into `stateFile`. */
  reorgWindow?: number;
  /** Widest block span per `eth_getLogs` (default 5,000); it halves on a provider's range or result-size refusal. */
  logChunk?: bigint;
  /** A backlog of final blocks is folded in and saved this many blocks at a time (default 100,000). */
  syncSliceBlocks?: bigint;
  /** A file holding the cursor and the final part of the loan book: read at the first tick (when it names the same
   * pool and module), written after every successful sync, so a restart resumes instead of rescanning. */
  stateFile?: string;
  /** Multicall3 to batch the per-loan reads through (default: the canonical 0xcA11bde0... when it has code; without
   * one, reads go out as separate concurrent calls). */
  multicall?: Address | null;
  /** Bytes of calldata per multicall request (default 32 KiB, about 70 calls with a loan each). */
  multicallBatchBytes?: number;
  /** Gas price used to cost a purchase (default: `eth_gasPrice` at the time). */
  gasPriceWei?: bigint;
  /** Asset units per 1e18 wei of the gas token, to cost gas in the asset: 1e18 for a WETH pool, 3000e6 for a USDC pool
   * with ether at 3,000 USD. Default: `nativePriceFeed` when set; else 1e18 when the asset's symbol is WETH; else
   * unknown, and the keeper does not buy (it cannot tell a profit from a loss). */
  assetPerNativeWad?: bigint;
  /** A Chainlink-style feed (AggregatorV3) pricing the gas token in the asset (e.g. ETH/USD for a USDC pool). */
  nativePriceFeed?: Address;
  /** Oldest feed answer accepted, in seconds of chain time (default 86,400). */
  nativePriceMaxAgeSec?: number;
  /** OP-stack `GasPriceOracle` (0x420000000000000000000000000000000000000F on OP chains): when set, the L1 data fee
   * of a purchase (`getL1Fee` of its serialized transaction) is added to its execution gas. */
  l1FeeOracle?: Address;
  /** Claim the keeper rewards once the claimable balance reaches this (default 1) and exceeds the claim's own gas
   * cost in the asset when that is known. */
  minClaimWei?: bigint;
  /** How long a tick waits at its end for the receipts of what it sent (default 30 s); later ones are picked up by
   * the next tick. */
  receiptWaitMs?: number;
  /** Replacement of unmined transactions (see `Sender`). */
  sender?: SenderOptions;
  /** Receives each alert line (also logged, prefixed `ALERT:`). */
  alert?: (line: string) => void;
  /** What the collateral of `loan` is worth to this keeper, in the asset; null when unknown (then it does not buy).
   * Default: the pool's valuation, price x amount x (1 + trait premium), as the pool values it; null in an outage. */
  collateralValue?: (loan: Loan) => Promise<bigint | null>;
}

export interface TickResult {
  /** Open loans looked at (live or in auction). */
  scanned: number;
  /** Loans whose start, purchase or closing transaction was mined during this tick. */
  started: bigint[];
  bought: bigint[];
  settled: bigint[];
  /** Collections whose outage clock this keeper's `checkpoint` recorded (mined) during this tick. */
  checkpointed: Address[];
  /** Loans the keeper looked at and left alone, with why (healthy, cooldown, unprofitable, simulation refused...). */
  skipped: { loanId: bigint; reason: string }[];
  /** Transactions sent and not yet mined when the tick ended. */
  pending: number;
  /** Keeper rewards claimed this tick (mined), in the asset. */
  claimed: bigint;
  /** False when this tick could not read the new events (the known loans were still checked). */
  synced: boolean;
}

/** What an operator watches: any non-zero `syncFailures`, or a growing `lagBlocks`, needs a look. */
export interface KeeperHealth {
  /** Consecutive ticks whose event sync failed (0 after a good one). */
  syncFailures: number;
  /** Last block whose events are in the book, the chain head at the last tick, and how far the first is behind the
   * head less confirmations (0 when the keeper is up to date). */
  syncedBlock: bigint;
  headBlock: bigint;
  lagBlocks: bigint;
  tracked: number;
  pending: number;
  replacements: number;
  alerts: number;
  lastAlert?: string;
}

const WAD = 10n ** 18n;
const BPS = 10_000n;
/** `OutageLib.MAX_ROUND_LOOKBACK`: floor-feed rounds the valuation's replay reads back since its last clock record. */
export const MAX_ROUND_LOOKBACK = 16;
/** Default of `KeeperConfig.revertCheckpointSec`. */
export const DEFAULT_REVERT_CHECKPOINT_SEC = 600;
/** Default of `KeeperConfig.checkpointRounds`: half the look-back. */
export const DEFAULT_CHECKPOINT_ROUNDS = 8;
/** A collection whose clock record could not be read is asked again after this long. */
const NO_CLOCK_RETRY_SEC = 3_600;
/** Multicall3's address on every chain where it was deployed the canonical way. */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11';

/** Errors raised below the module (token transfers) that its ABI does not list. */
const extraErrors = parseAbi([
  'error TransferFromFailed()',
  'error TransferFailed()',
  'error ValuationUnavailable(address collection, uint8 status)',
]);
const feedAbi = parseAbi([
  'function decimals() view returns (uint8)',
  'function latestRoundData() view returns (uint80, int256 answer, uint256, uint256 updatedAt, uint80)',
]);
const l1OracleAbi = parseAbi(['function getL1Fee(bytes) view returns (uint256)']);

type Item<A extends readonly unknown[]> = A[number];
const isError = <T extends { type: string }>(x: T): x is Extract<T, { type: 'error' }> => x.type === 'error';
/** Pool functions the keeper reads through `callAbi` too (their names do not collide with the module's). */
const POOL_READS = ['healthFactor', 'debtOf', 'loanHash'] as const;
type PoolRead = Extract<Item<typeof iLendingPoolAbi>, { type: 'function'; name: (typeof POOL_READS)[number] }>;
const isPoolRead = (x: Item<typeof iLendingPoolAbi>): x is PoolRead =>
  x.type === 'function' && (POOL_READS as readonly string[]).includes(x.name);
/** The module's ABI plus the pool reads and every error that can bubble up through a call into it. */
const callAbi = [
  ...dutchAuctionAbi,
  ...iLendingPoolAbi.filter(isPoolRead),
  ...iLendingPoolAbi.filter(isError),
  ...iValuationAdminAbi.filter(isError),
  ...extraErrors,
];

interface Tracked {
  loan: Loan;
  auction?: Auction;
  /** Block of the latest event applied to this loan. */
  block: bigint;
}
type Book = Map<bigint, Tracked>;

/** How a sale at `price` splits under the pool's settlement waterfall (ILendingPool.settleAuction): the frozen debt
 * first, then the penalty (rounded up, capped by what is left), of which the keeper's share (rounded down), then the
 * surplus to the borrower. The keeper reads the split through this one function only. */
export function settlementSplit(loan: Pick<Loan, 'frozenDebt'>, price: bigint, terms: Pick<Terms, 'penaltyBps' | 'keeperShareBps'>) {
  const debt = loan.frozenDebt;
  const repaid = price < debt ? price : debt;
  let penalty = (debt * BigInt(terms.penaltyBps) + BPS - 1n) / BPS;
  if (penalty > price - repaid) penalty = price - repaid;
  const keeper = (penalty * BigInt(terms.keeperShareBps)) / BPS;
  return { repaid, penalty, keeper, reserve: penalty - keeper, surplus: price - repaid - penalty };
}

/** The loan's due date as the pool reads it at `now` (`PoolBase._dueTime` over `_outageTotal`): `dueTime` extended by
 * the valuation's outage seconds since the term began (`outage` is `IValuation.outage(collection)`: the running
 * outage's start, 0 for none, and the seconds of ended ones; `loan.outageBase` is that total at the term's start), by
 * one term (`duration`) at most. */
export function effectiveDueTime(loan: Pick<Loan, 'dueTime' | 'outageBase'>, duration: number, outage: readonly [bigint, bigint], now: bigint): bigint {
  const [since, cumulative] = outage;
  const total = since === 0n ? cumulative : cumulative + (now > since ? now - since : 0n);
  const extension = total > loan.outageBase ? total - loan.outageBase : 0n;
  const cap = BigInt(duration);
  return BigInt(loan.dueTime) + (extension < cap ? extension : cap);
}

/** One pass with a fresh keeper (no cursor unless `cfg.stateFile` holds one): for callers that use the keeper as a
 * library (replays, scripts). Returns the pass's result and the keeper, whose later `tick()`s continue from it. */
export async function runPass(cfg: KeeperConfig): Promise<{ result: TickResult; keeper: Keeper }> {
  const keeper = new Keeper(cfg);
  return { result: await keeper.tick(), keeper };
}

type ReadResult = { ok: true; value: unknown } | { ok: false; error: unknown };
interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: unknown[];
}

export class Keeper {
  private readonly cfg: KeeperConfig;
  private readonly pub: PublicClient;
  private readonly wallet: WalletClient;
  // The generated bindings (ts/generated): every call below is checked against them by the compiler.
  private readonly poolAbi = iLendingPoolAbi;
  private readonly auctionAbi = dutchAuctionAbi;
  /** The valuation (`IValuationAdmin` extends `IValuation`): `priceView`, `outage`, `outageClock`, `collectionConfig`,
   * `checkpoint`. */
  private readonly valuationAbi = iValuationAdminAbi;
  /** ABI used for calls into the module: its own entries plus every error that can bubble up through it. */
  private readonly callAbi = callAbi;
  private readonly loanType: AbiParameter;
  private readonly topics0: Hex[];
  private readonly reader: LogReader;
  /** The book as of the last final block (`cursor - 1`): what the state file holds. */
  private confirmed: Book = new Map();
  /** The working book: `confirmed` plus the events of the trailing window, plus this keeper's own receipts. */
  private loans: Book = new Map();
  /** Events this keeper saw outside its sync (its own receipts, a loan's refresh): applied over the rebuilt book while
   * newer than what the sync read, dropped once final. */
  private overlay: RawLog[] = [];
  private readonly lastAction = new Map<bigint, number>();
  /** Per collection (lower case): when the keeper last sent or tried a checkpoint (cooldown clock). */
  private readonly lastCheckpoint = new Map<string, number>();
  /** Collections whose clock record could not be read (a valuation without one, or a provider's error), with when:
   * asked again an hour of the cooldown clock later; noted in the log once. */
  private readonly noClock = new Map<string, number>();
  private readonly termsCache = new Map<string, Terms>();
  private cursor: bigint;
  private account?: Account | Address;
  private me?: Address;
  private decimals?: number;
  private symbol?: string;
  private asset?: Address;
  private valuation?: Address;
  private multicall?: Address | null;
  private sender?: Sender;
  private running = false;
  /** Chain time at the start of the current tick: the default cooldown clock. */
  private passClock = 0;
  private readonly stats: KeeperHealth = {
    syncFailures: 0, syncedBlock: -1n, headBlock: 0n, lagBlocks: 0n, tracked: 0, pending: 0, replacements: 0, alerts: 0,
  };

  constructor(cfg: KeeperConfig) {
    this.cfg = cfg;
    this.pub = cfg.publicClient;
    this.wallet = cfg.walletClient;
    this.cursor = cfg.fromBlock ?? 0n;
    const rounds = cfg.checkpointRounds ?? DEFAULT_CHECKPOINT_ROUNDS;
    if (!Number.isInteger(rounds) || rounds < 1 || rounds >= MAX_ROUND_LOOKBACK) {
      throw new Error(`Keeper: checkpointRounds must be an integer from 1 to ${MAX_ROUND_LOOKBACK - 1} (the replay reads ${MAX_ROUND_LOOKBACK} rounds back), not ${rounds}`);
    }
    const revertEvery = cfg.revertCheckpointSec ?? DEFAULT_REVERT_CHECKPOINT_SEC;
    if (!Number.isInteger(revertEvery) || revertEvery < 60) {
      throw new Error(`Keeper: revertCheckpointSec must be a whole number of seconds, at least 60, not ${revertEvery}`);
    }
    const hf = this.poolAbi.find((x) => x.type === 'function' && x.name === 'healthFactor') as AbiFunction;
    this.loanType = hf.inputs[0];
    const wanted = (abi: Abi, names: string[]) =>
      abi.filter((x): x is AbiEvent => x.type === 'event' && names.includes(x.name)).map((x) => toEventSelector(x));
    this.topics0 = [
      ...wanted(this.poolAbi, ['Borrow', 'Repay', 'Renew', 'AuctionStarted', 'AuctionRelisted', 'LoanRepaid', 'AuctionSettled']),
      ...wanted(this.auctionAbi, ['AuctionStarted', 'AuctionRelisted', 'AuctionBought', 'AuctionClosed']),
    ];
    this.reader = new LogReader(this.pub, { maxSpan: cfg.logChunk ?? 5_000n, log: (l) => this.say(l) });
  }

  /** The loans the keeper currently follows, by id (a copy). */
  tracked(): Map<bigint, { loan: Loan; auction?: Auction }> {
    return new Map([...this.loans].map(([id, t]) => [id, { loan: t.loan, auction: t.auction }]));
  }

  /** Counters for monitoring (see `KeeperHealth`). */
  health(): KeeperHealth {
    return { ...this.stats, tracked: this.loans.size, pending: this.sender?.pending.size ?? 0, replacements: this.sender?.replacements ?? 0 };
  }

  /** eth_getLogs requests made so far and the span the reader uses now (tests, benchmark). */
  logStats(): { requests: number; span: bigint } {
    return { requests: this.reader.requests, span: this.reader.span };
  }

  /** One pass: read new events, then look at every open loan once. */
  async tick(): Promise<TickResult> {
    if (this.running) throw new Error('Keeper.tick: the previous tick is still running');
    this.running = true;
    try {
      return await this.pass();
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<TickResult> {
    await this.init();
    const result: TickResult = { scanned: 0, started: [], bought: [], settled: [], checkpointed: [], skipped: [], pending: 0, claimed: 0n, synced: true };
    const block = await this.pub.getBlock({ blockTag: 'latest' });
    const chainNow = block.timestamp;
    this.passClock = Number(chainNow);
    this.stats.headBlock = block.number;
    try {
      await this.sync(block.number);
      this.stats.syncFailures = 0;
    } catch (e) {
      result.synced = false;
      this.stats.syncFailures++;
      this.alert(`event sync failed (${this.stats.syncFailures} in a row) at block ${this.cursor}: ${reasonOf(e)}; checking the ${this.loans.size} loan(s) already known`);
    }
    const confirmedHead = block.number - BigInt(this.cfg.confirmations ?? 2);
    this.stats.lagBlocks = confirmedHead > this.stats.syncedBlock ? confirmedHead - this.stats.syncedBlock : 0n;
    this.absorb(await this.sender!.poll(), result);
    this.sender!.forgetNonceIfIdle();

    // One batch of reads for the whole book: each loan's commitment, and what deciding about it needs.
    const ids = [...this.loans.keys()];
    const calls: Call[] = [];
    const slot = new Map<bigint, number>();
    for (const id of ids) {
      const t = this.loans.get(id)!;
      slot.set(id, calls.length);
      calls.push({ address: this.cfg.pool, abi: this.callAbi, functionName: 'loanHash', args: [id] });
      if (t.loan.auctionStart === 0) {
        calls.push({ address: this.cfg.pool, abi: this.callAbi, functionName: 'healthFactor', args: [t.loan] });
        calls.push({ address: this.cfg.pool, abi: this.callAbi, functionName: 'debtOf', args: [t.loan] });
      } else if (t.auction) {
        calls.push({ address: this.cfg.auction, abi: this.callAbi, functionName: 'elapsed', args: [t.loan.collection, t.auction] });
        calls.push({ address: this.cfg.auction, abi: this.callAbi, functionName: 'currentPrice', args: [id, t.loan, t.auction] });
      }
    }
    const claimSlot = calls.length;
    calls.push({ address: this.cfg.pool, abi: this.poolAbi, functionName: 'claimable', args: [this.me!] });
    const reads = await this.batch(calls);

    // Loans the chain no longer holds as we know them: closed while we missed it, or changed by a missed event.
    for (const id of ids) {
      const r = reads[slot.get(id)!];
      if (!r.ok) continue;
      const onChain = r.value as Hex;
      const t = this.loans.get(id)!;
      if (onChain === this.hashOf(t.loan)) continue;
      if (/^0x0+$/.test(onChain)) {
        this.forget(id);
        this.say(`loan ${id}: unknown to the pool now (repaid or settled in blocks not yet read); dropped`);
      } else {
        const fresh = await this.refresh(id, t).catch(() => undefined);
        const why = fresh ? 'refreshed from its events' : 'its latest events could not be read yet';
        this.say(`loan ${id}: changed on chain since its last event read; ${why}`);
      }
      slot.delete(id); // decide about it next tick, from the refreshed record
      result.skipped.push({ loanId: id, reason: 'changed on chain; looked at again next tick' });
      result.scanned++;
    }

    // Debt at risk first: the largest debts are the costliest to leave unliquidated in a crash.
    const debtOf = (id: bigint) => {
      const t = this.loans.get(id)!;
      if (t.loan.auctionStart !== 0) return t.loan.frozenDebt;
      const r = reads[slot.get(id)! + 2];
      return r?.ok ? (r.value as bigint) : t.loan.principal;
    };
    const order = [...slot.keys()].filter((id) => this.loans.has(id))
      .map((id) => ({ id, debt: debtOf(id) }))
      .sort((a, b) => (a.debt === b.debt ? (a.id < b.id ? -1 : 1) : a.debt > b.debt ? -1 : 1));

    const budget = { committed: 0n };
    const cooldown = this.cfg.cooldownSec ?? 60;
    for (const { id } of order) {
      const t = this.loans.get(id);
      if (!t) continue;
      result.scanned++;
      const skip = (reason: string) => {
        result.skipped.push({ loanId: id, reason });
        this.say(`loan ${id}: skipped, ${reason}`);
      };
      const pending = this.sender!.pendingFor(id);
      if (pending) {
        skip(`${pending.label} pending at nonce ${pending.nonce} (${pending.hashes.length} version(s) sent)`);
        continue;
      }
      const last = this.lastAction.get(id);
      const clock = this.clock();
      if (last !== undefined && clock - last < cooldown) {
        skip(`cooldown (${Math.ceil(cooldown - (clock - last))} s left)`);
        continue;
      }
      const at = slot.get(id)!;
      try {
        if (t.loan.auctionStart === 0) await this.considerStart(id, t.loan, chainNow, reads[at + 1], skip);
        else if (t.auction) await this.considerAuction(id, t.loan, t.auction, reads[at + 1], reads[at + 2], budget, skip);
        else skip('in auction, but not one this module started');
      } catch (e) {
        // A read failed (RPC trouble or a state change under our feet): report and look again after the cooldown.
        this.lastAction.set(id, this.clock());
        skip(`error: ${reasonOf(e)}`);
      }
    }

    if (this.cfg.checkpoint !== false) {
      await this.considerCheckpoints().catch((e) => this.say(`checkpoints not considered: ${reasonOf(e)}`));
    }

    const claimable = reads[claimSlot];
    if (claimable.ok) await this.considerClaim(claimable.value as bigint).catch((e) => this.say(`claim not sent: ${reasonOf(e)}`));

    this.absorb(await this.sender!.settle(this.cfg.receiptWaitMs ?? 30_000), result);
    result.pending = this.sender!.pending.size;
    this.save();
    return result;
  }

  /*//////////////////////////////////////////////////////////////
                              DECISIONS
  //////////////////////////////////////////////////////////////*/

  private async considerStart(id: bigint, loan: Loan, chainNow: bigint, hfRead: ReadResult, skip: (reason: string) => void): Promise<void> {
    if (!hfRead.ok) {
      // The pool refuses to start an auction during an oracle outage, due or not; any other failure is not an outage.
      if (revertName(hfRead.error) === 'ValuationUnavailable') return skip(`no auction during an oracle outage (${reasonOf(hfRead.error)})`);
      return skip(`health factor unreadable, not an oracle outage: ${reasonOf(hfRead.error)}`);
    }
    const terms = await this.terms(loan);
    const due = await this.dueTime(loan, terms, chainNow);
    const liquidatableAt = due + BigInt(terms.grace);
    // The pool's test is `block.timestamp > liquidatableAt`, and the node simulates the start at the latest block's
    // time: at `liquidatableAt` itself the simulation would refuse it and leave the loan in cooldown.
    const pastDue = chainNow > liquidatableAt;
    const hf = hfRead.value as bigint;
    if (hf >= WAD && !pastDue) {
      const extended = due > BigInt(loan.dueTime) ? `; due date extended by ${due - BigInt(loan.dueTime)} s of oracle outage, late after ${liquidatableAt}` : '';
      return skip(`healthy (health factor ${formatUnits(hf, 18).slice(0, 8)})${extended}`);
    }

    const why = hf < WAD ? `health factor ${formatUnits(hf, 18).slice(0, 8)}` : 'past maturity plus grace';
    await this.execute(id, 'start', [id, loan], `started its auction (${why})`, skip);
  }

  private async considerAuction(
    id: bigint,
    loan: Loan,
    auction: Auction,
    elapsedRead: ReadResult,
    priceRead: ReadResult,
    budget: { committed: bigint },
    skip: (reason: string) => void,
  ): Promise<void> {
    if (!elapsedRead.ok) throw elapsedRead.error;
    const elapsed = elapsedRead.value as bigint;
    const ended = elapsed >= BigInt(auction.duration);
    let why = ended ? 'ended without a buyer' : `running (${BigInt(auction.duration) - elapsed} s of decay left)`;

    if (this.cfg.buy === false) {
      why = `buying is off; auction ${why}`;
    } else {
      if (!priceRead.ok) throw priceRead.error;
      const verdict = await this.considerBuy(id, loan, auction, priceRead.value as bigint, budget);
      if (verdict.sent) return;
      why = `${verdict.reason}; auction ${why}`;
    }
    if (!ended) return skip(why);
    await this.execute(id, 'settle', [id, loan, auction], `settled its auction round without a buyer, relisted or closed (${why})`, skip);
  }

  /** Buys when value + reward - price - gas (in the asset) >= minProfit. Returns why not otherwise. */
  private async considerBuy(id: bigint, loan: Loan, auction: Auction, price: bigint, budget: { committed: bigint }): Promise<{ sent: boolean; reason: string }> {
    const value = await (this.cfg.collateralValue ?? ((l: Loan) => this.valuationValue(l)))(loan);
    if (value === null) return { sent: false, reason: 'no buy: the collateral has no value to judge by (oracle outage)' };
    const reward = isAddressEqual(auction.keeper, this.me!) ? settlementSplit(loan, price, await this.terms(loan)).keeper : 0n;
    const minProfit = this.cfg.minProfitWei ?? 0n;
    const f = (x: bigint) => formatUnits(x, this.decimals!);
    const before = value + reward - price;
    if (before < minProfit) {
      return { sent: false, reason: `no buy: price ${f(price)} vs value ${f(value)} + reward ${f(reward)} leaves ${f(before)} before gas, below ${f(minProfit)}` };
    }
    const perNative = await this.assetPerNative();
    if (perNative === null) {
      return { sent: false, reason: 'no buy: the gas token has no price in the asset (set assetPerNativeWad or nativePriceFeed)' };
    }

    const balance = (await this.pub.readContract({ address: this.asset!, abi: erc20Abi, functionName: 'balanceOf', args: [this.me!] })) - budget.committed;
    if (balance < price) return { sent: false, reason: `no buy: balance ${f(balance)} below price ${f(price)}` };
    const allowance = await this.pub.readContract({ address: this.asset!, abi: erc20Abi, functionName: 'allowance', args: [this.me!, this.cfg.auction] });
    if (allowance < price + budget.committed) {
      // One standing approval of the module, which pulls exactly the price of each purchase.
      if (!(await this.approve())) return { sent: false, reason: 'no buy: the approval of the module is not mined yet' };
    }

    // Estimate at the price just read as the limit: later blocks only lower it. A revert here is the simulation's no.
    const args = [id, loan, auction, price] as const;
    const gas = await this.pub.estimateContractGas({
      address: this.cfg.auction, abi: this.callAbi, functionName: 'buy', args, account: this.account!,
    }).catch((e: unknown) => e);
    if (typeof gas !== 'bigint') {
      this.lastAction.set(id, this.clock());
      return { sent: false, reason: `buy not sent, the simulation reverted: ${reasonOf(gas)}` };
    }
    const gasPrice = this.cfg.gasPriceWei ?? (await this.pub.getGasPrice());
    const data = encodeFunctionData({ abi: this.callAbi, functionName: 'buy', args });
    const l1 = this.cfg.l1FeeOracle ? await this.l1Fee(data, gas, gasPrice) : 0n;
    const gasCost = ((gas * gasPrice + l1) * perNative + WAD - 1n) / WAD; // rounded up: against buying
    const profit = before - gasCost;
    const l1Note = this.cfg.l1FeeOracle ? ` + L1 data ${l1} wei` : '';
    if (profit < minProfit) {
      return { sent: false, reason: `no buy: ${f(before)} before gas minus gas ${f(gasCost)} (${gas} gas${l1Note}) is below ${f(minProfit)}` };
    }
    const sent = await this.execute(id, 'buy', args,
      `bought its collateral for ${f(price)} (value ${f(value)}, reward ${f(reward)}, gas ${f(gasCost)}${l1Note}, expected profit ${f(profit)})`,
      (reason) => this.say(`loan ${id}: ${reason}`), gas);
    if (!sent) return { sent: false, reason: 'no buy: the purchase was refused' };
    budget.committed += price;
    return { sent: true, reason: '' };
  }

  /** Records the outage clock of every collection with open loans or auctions whose floor feed published more than
   * `checkpointRounds` rounds since the valuation's last record (`outageClock(collection).floorRound` against the
   * feed's latest round id; a Chainlink proxy's new phase gives ids far above the record's, and an id below it, a
   * replaced feed, is taken as beyond the look-back too). The replay reads at most 16 rounds back; past them it counts
   * a phantom outage that extends due dates and slows auctions, and a checkpoint ends it. A quiet feed costs three
   * batched reads per collection and tick.
   * Also while the feed gives no time the valuation can use (it reverts, or answers with `updatedAt` 0 or in the
   * future) and the valuation's view agrees an outage is running: once the last record is `revertCheckpointSec` old.
   * Such an outage is counted from the last record on, but only a record keeps it (see `revertCheckpointSec`). */
  private async considerCheckpoints(): Promise<void> {
    const threshold = BigInt(this.cfg.checkpointRounds ?? DEFAULT_CHECKPOINT_ROUNDS);
    const watched = new Map<string, Address>();
    for (const t of this.loans.values()) watched.set(t.loan.collection.toLowerCase(), t.loan.collection);
    const retryAfter = (key: string) => (this.noClock.get(key) ?? -Infinity) + NO_CLOCK_RETRY_SEC;
    const collections = [...watched].filter(([key]) => this.clock() >= retryAfter(key)).map(([, a]) => a);
    if (collections.length === 0) return;
    const clocks = await this.batch(collections.flatMap((collection) => [
      { address: this.valuation!, abi: this.valuationAbi, functionName: 'outageClock', args: [collection] },
      { address: this.valuation!, abi: this.valuationAbi, functionName: 'collectionConfig', args: [collection] },
    ]));
    const candidates: { collection: Address; recorded: bigint; asOf: number; feed: Address }[] = [];
    collections.forEach((collection, i) => {
      const [clockRead, configRead] = [clocks[2 * i], clocks[2 * i + 1]];
      const key = collection.toLowerCase();
      if (!clockRead.ok || !configRead.ok) {
        const why = reasonOf(clockRead.ok ? (configRead as { error: unknown }).error : clockRead.error);
        if (!this.noClock.has(key)) this.say(`collection ${collection}: outage clock record unreadable (outageClock/collectionConfig: ${why}); no checkpoint, asked again in ${NO_CLOCK_RETRY_SEC} s`);
        this.noClock.set(key, this.clock());
        return;
      }
      this.noClock.delete(key);
      const [clk] = clockRead.value as [{ asOf: number; floorRound: bigint }];
      const [feedConfig] = configRead.value as [{ feed: Address; listed: boolean }];
      if (clk.asOf === 0 || !feedConfig.listed) return; // never listed, or delisted: nothing to record
      candidates.push({ collection, recorded: BigInt(clk.floorRound), asOf: Number(clk.asOf), feed: feedConfig.feed });
    });
    if (candidates.length === 0) return;
    const latest = await this.batch(candidates.map((x) => ({ address: x.feed, abi: feedAbi, functionName: 'latestRoundData' })));
    const cooldown = this.cfg.cooldownSec ?? 60;
    const revertEvery = this.cfg.revertCheckpointSec ?? DEFAULT_REVERT_CHECKPOINT_SEC;
    for (const [i, { collection, recorded, asOf, feed }] of candidates.entries()) {
      const key = collection.toLowerCase();
      const label = `checkpoint:${collection}`;
      const r = latest[i];
      let published: string;
      const updatedAt = r.ok ? (r.value as [bigint, bigint, bigint, bigint])[3] : 0n;
      if (!r.ok || updatedAt === 0n || updatedAt > BigInt(this.passClock)) {
        // The view counts such a feed as an outage from the last record on, but only a record keeps it: when the
        // feed answers properly again, the unrecorded part is gone and running auctions' clocks jump forward by it.
        const why = r.ok ? `floor feed ${feed} answers with updatedAt ${updatedAt}` : `floor feed ${feed} does not answer (${reasonOf(r.error)})`;
        const age = this.passClock - asOf;
        if (age < revertEvery) {
          this.say(`collection ${collection}: ${why}; the outage clock was recorded ${age} s ago, next checkpoint after ${revertEvery} s`);
          continue;
        }
        // Only when the valuation sees it too: a read that failed for the keeper alone (an RPC error, a feed that
        // refuses other callers) is no outage.
        const view = await this.pub.readContract({ address: this.valuation!, abi: this.valuationAbi, functionName: 'outage', args: [collection] })
          .then((v) => v as readonly [number | bigint, number | bigint], (e: unknown) => e);
        if (!Array.isArray(view) || BigInt(view[0]) === 0n) {
          this.say(`collection ${collection}: ${why}, but the valuation reports no outage running${Array.isArray(view) ? '' : ` (outage() unreadable: ${reasonOf(view)})`}; no checkpoint`);
          continue;
        }
        published = `${why}; last record ${age} s ago`;
      } else {
        const round = (r.value as [bigint])[0];
        const since = round >= recorded ? round - recorded : undefined;
        if (since !== undefined && since <= threshold) continue;
        published = since === undefined ? `round ${round} below the recorded ${recorded}` : `${since} floor rounds since the last record, more than ${threshold}`;
      }
      if (this.sender!.pendingLabel(label)) continue;
      const last = this.lastCheckpoint.get(key);
      if (last !== undefined && this.clock() - last < cooldown) continue;
      this.lastCheckpoint.set(key, this.clock());
      const args = [collection] as const;
      const gas = await this.pub.estimateContractGas({
        address: this.valuation!, abi: this.valuationAbi, functionName: 'checkpoint', args, account: this.account!,
      }).catch((e: unknown) => e);
      if (typeof gas !== 'bigint') {
        this.say(`collection ${collection}: checkpoint not sent (${published}), the simulation reverted: ${reasonOf(gas)}`);
        continue;
      }
      const data = encodeFunctionData({ abi: this.valuationAbi, functionName: 'checkpoint', args });
      try {
        // The replay's cost grows with the rounds published meanwhile: the same 25 % margin as the module's calls.
        await this.sender!.send(label, { to: this.valuation!, data, gas: (gas * 5n) / 4n }, undefined,
          `collection ${collection}: checkpointed the valuation's outage clock (${published})`);
      } catch (e) {
        this.lastCheckpoint.delete(key);
        this.say(`collection ${collection}: checkpoint not sent: ${reasonOf(e)}`);
      }
    }
  }

  /** Claims the keeper rewards the pool holds for this account once they exceed the claim's gas. */
  private async considerClaim(claimable: bigint): Promise<void> {
    if (claimable === 0n || claimable < (this.cfg.minClaimWei ?? 1n) || this.sender!.pendingLabel('claim')) return;
    const args = [this.me!] as const;
    const gas = await this.pub.estimateContractGas({ address: this.cfg.pool, abi: this.poolAbi, functionName: 'claim', args, account: this.account! });
    const perNative = await this.assetPerNative();
    if (perNative !== null) {
      const gasPrice = this.cfg.gasPriceWei ?? (await this.pub.getGasPrice());
      const cost = (gas * gasPrice * perNative) / WAD;
      if (claimable <= cost) return this.say(`keeper rewards of ${formatUnits(claimable, this.decimals!)} left unclaimed: the claim costs ${formatUnits(cost, this.decimals!)} in gas`);
    }
    const data = encodeFunctionData({ abi: this.poolAbi, functionName: 'claim', args });
    await this.sender!.send('claim', { to: this.cfg.pool, data, gas: (gas * 5n) / 4n }, undefined, `claimed ${formatUnits(claimable, this.decimals!)} of keeper rewards`);
  }

  /** Estimates `functionName` on the module (a revert is the simulation's refusal) and sends it through the nonce
   * manager without waiting; the receipt is picked up at the end of the tick or by a later one. Either way the loan
   * enters its cooldown. */
  private async execute<F extends 'start' | 'buy' | 'settle'>(
    id: bigint,
    functionName: F,
    args: ContractFunctionArgs<typeof callAbi, 'nonpayable', F>,
    note: string,
    skip: (reason: string) => void,
    knownGas?: bigint,
  ): Promise<boolean> {
    this.lastAction.set(id, this.clock());
    let gas = knownGas;
    if (gas === undefined) {
      try {
        gas = await this.pub.estimateContractGas({
          address: this.cfg.auction, abi: this.callAbi, functionName, args, account: this.account!,
        } as EstimateContractGasParameters<typeof callAbi, F>);
      } catch (e) {
        skip(`${functionName} not sent, the simulation reverted: ${reasonOf(e)}`);
        return false;
      }
    }
    // The estimate is taken at the latest block; the transaction lands a block or more later, where the pool may take
    // another path (interest accrues once per timestamp) or the price is different. A 25 % margin covers it.
    const data = encodeFunctionData({ abi: this.callAbi as Abi, functionName: functionName as string, args: args as readonly unknown[] });
    try {
      await this.sender!.send(functionName, { to: this.cfg.auction, data, gas: (gas * 5n) / 4n }, id, note);
    } catch (e) {
      // Not a refusal of the action but of the request (a provider's error): no cooldown, the next tick tries again.
      this.lastAction.delete(id);
      skip(`${functionName} not sent: ${reasonOf(e)}`);
      return false;
    }
    return true;
  }

  /** Sends the standing approval and waits for it (a purchase cannot be simulated before it is mined). */
  private async approve(): Promise<boolean> {
    let tx = this.sender!.pendingLabel('approve');
    if (!tx) {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [this.cfg.auction, maxUint256] });
      const gas = await this.pub.estimateGas({ account: this.account!, to: this.asset!, data });
      tx = await this.sender!.send('approve', { to: this.asset!, data, gas: (gas * 5n) / 4n }, undefined, 'approved the auction module to pull the asset for purchases');
    }
    const mined = await this.sender!.settle(this.cfg.receiptWaitMs ?? 30_000);
    const ok = mined.find((m) => m.tx === tx);
    this.absorb(mined, undefined);
    return ok?.receipt.status === 'success';
  }

  /** Folds mined transactions into the book and the tick's result. */
  private absorb(mined: Mined[], result: TickResult | undefined): void {
    for (const { tx, receipt } of mined) {
      const what = tx.loanId !== undefined ? `loan ${tx.loanId}: ` : '';
      if (tx.loanId !== undefined) this.lastAction.set(tx.loanId, this.clock());
      if (receipt.status !== 'success') {
        const reason = `${tx.label} reverted on chain (${receipt.transactionHash})`;
        if (tx.loanId !== undefined) result?.skipped.push({ loanId: tx.loanId, reason });
        this.say(`${what}${reason}`);
        continue;
      }
      for (const log of receipt.logs) {
        const raw = toRaw(log);
        if (!raw) continue;
        this.overlay.push(raw);
        this.apply(this.loans, raw);
      }
      if (tx.loanId !== undefined && result) {
        if (tx.label === 'start') result.started.push(tx.loanId);
        else if (tx.label === 'buy') result.bought.push(tx.loanId);
        else if (tx.label === 'settle') result.settled.push(tx.loanId);
      }
      if (tx.label.startsWith('checkpoint:') && result) result.checkpointed.push(tx.label.slice('checkpoint:'.length) as Address);
      if (tx.label === 'claim' && result) {
        const claimed = receipt.logs.find((l) => isAddressEqual(l.address, this.cfg.pool) && l.topics[0] === this.claimTopic);
        if (claimed) result.claimed += hexToBigInt(claimed.data.slice(0, 66) as Hex);
      }
      this.say(`${what}${tx.note ?? tx.label}; gas ${receipt.gasUsed}, tx ${receipt.transactionHash}`);
    }
  }

  /*//////////////////////////////////////////////////////////////
                               STATE
  //////////////////////////////////////////////////////////////*/

  private claimTopic?: Hex;

  private async init(): Promise<void> {
    if (this.me) return;
    this.account = this.cfg.account ?? this.wallet.account;
    if (!this.account) {
      const [first] = await this.wallet.getAddresses();
      if (!first) throw new Error('Keeper: the wallet client has no account and the node exposes none');
      this.account = first;
    }
    const me = typeof this.account === 'string' ? this.account : this.account.address;
    this.asset = await this.pub.readContract({ address: this.cfg.pool, abi: this.poolAbi, functionName: 'asset' });
    this.valuation = await this.pub.readContract({ address: this.cfg.pool, abi: this.poolAbi, functionName: 'valuation' });
    this.decimals = await this.pub.readContract({ address: this.asset, abi: erc20Abi, functionName: 'decimals' });
    this.symbol = await this.pub.readContract({ address: this.asset, abi: erc20Abi, functionName: 'symbol' }).catch(() => '');
    if (this.cfg.multicall !== undefined) this.multicall = this.cfg.multicall;
    else this.multicall = (await this.pub.getCode({ address: MULTICALL3 })) ? MULTICALL3 : null;
    const claimEvent = this.poolAbi.find((x) => x.type === 'event' && x.name === 'Claim') as AbiEvent;
    this.claimTopic = toEventSelector(claimEvent);
    this.sender = new Sender(this.pub, this.wallet, this.account, {
      ...this.cfg.sender,
      log: (l) => this.say(l),
      alert: (l) => this.alert(l),
    });
    this.loadState();
    this.me = me;
  }

  /** Reads the events from the cursor to the confirmed head: those older than the reorg window are folded into the
   * final book for good, the rest into a fresh copy of it (so they are read again, as the chain now has them, next
   * time). */
  private async sync(head: bigint): Promise<void> {
    const to = head - BigInt(this.cfg.confirmations ?? 2);
    const finalTo = to - BigInt(this.cfg.reorgWindow ?? 64);
    const filter = { address: [this.cfg.pool, this.cfg.auction], topics: [this.topics0] };
    // A backlog (a first start, a long outage) is folded in slices, each saved: a failure part-way keeps what was read.
    const slice = this.cfg.syncSliceBlocks ?? 100_000n;
    while (finalTo - this.cursor + 1n > slice) {
      const end = this.cursor + slice - 1n;
      for (const log of await this.reader.read(filter, this.cursor, end)) this.apply(this.confirmed, log);
      this.cursor = end + 1n;
      this.stats.syncedBlock = end;
      this.save();
    }
    if (to < this.cursor) {
      this.rebuild(to, []);
      this.stats.syncedBlock = to;
      return;
    }
    const logs = await this.reader.read(filter, this.cursor, to);
    for (const log of logs) if (log.blockNumber <= finalTo) this.apply(this.confirmed, log);
    if (finalTo >= this.cursor) this.cursor = finalTo + 1n;
    this.rebuild(to, logs.filter((l) => l.blockNumber > finalTo));
    this.stats.syncedBlock = to;
  }

  /** The working book: the final one, the window's events, then the overlay's events newer than what was read. */
  private rebuild(to: bigint, recent: RawLog[]): void {
    const book: Book = new Map([...this.confirmed].map(([id, t]) => [id, { ...t }]));
    for (const log of recent) this.apply(book, log);
    this.overlay = this.overlay.filter((l) => l.blockNumber >= this.cursor);
    // An overlay event newer than what the read gave for its loan still counts: the read may have ended short of it
    // (confirmations, or a node behind the head that answered without it). A reorg that dropped it is caught by the
    // loan's commitment check, and the event leaves the overlay once older than the window.
    for (const log of this.overlay) {
      const id = log.topics[1] ? hexToBigInt(log.topics[1]) : undefined;
      const known = id === undefined ? undefined : book.get(id);
      if (log.blockNumber > to || (known && known.block < log.blockNumber)) this.apply(book, log);
    }
    this.loans = book;
  }

  /** Re-reads one loan's events (by its indexed id) since its last known event and applies them to both books. */
  private async refresh(id: bigint, t: Tracked): Promise<boolean> {
    const head = await this.pub.getBlockNumber({ cacheTime: 0 });
    const from = t.block > BigInt(this.cfg.reorgWindow ?? 64) ? t.block - BigInt(this.cfg.reorgWindow ?? 64) : 0n;
    const logs = await this.reader.read(
      { address: [this.cfg.pool, this.cfg.auction], topics: [this.topics0, numberToHex(id, { size: 32 })] }, from, head);
    for (const log of logs) this.apply(this.loans, log);
    this.overlay.push(...logs);
    return logs.length > 0;
  }

  /** Folds one event into a book. Every event carries the full new state, so applying one twice is harmless. */
  private apply(book: Book, log: RawLog): void {
    const fromPool = isAddressEqual(log.address, this.cfg.pool);
    if (!fromPool && !isAddressEqual(log.address, this.cfg.auction)) return;
    const topics = log.topics as [Hex, ...Hex[]];
    const close = (id: bigint) => {
      book.delete(id);
      if (book === this.loans) this.lastAction.delete(id);
    };
    // An event the keeper does not need (shares, deposits, admin) may not decode: skipped.
    const decoded = <T>(decode: () => T): T | undefined => {
      try {
        return decode();
      } catch {
        return undefined;
      }
    };
    if (fromPool) {
      const ev = decoded(() => decodeEventLog({ abi: this.poolAbi, data: log.data, topics }));
      switch (ev?.eventName) {
        case 'Borrow':
        case 'Repay':
        case 'Renew':
        case 'AuctionStarted':
        case 'AuctionRelisted': {
          const id = ev.args.loanId;
          book.set(id, { loan: ev.args.loan, auction: book.get(id)?.auction, block: log.blockNumber });
          break;
        }
        case 'LoanRepaid':
        case 'AuctionSettled':
          close(ev.args.loanId);
          break;
      }
    } else {
      const ev = decoded(() => decodeEventLog({ abi: this.auctionAbi, data: log.data, topics }));
      switch (ev?.eventName) {
        case 'AuctionStarted':
        case 'AuctionRelisted': {
          const t = book.get(ev.args.loanId);
          if (t) book.set(ev.args.loanId, { ...t, auction: ev.args.auction, block: log.blockNumber });
          break;
        }
        case 'AuctionBought':
        case 'AuctionClosed':
          close(ev.args.loanId);
          break;
      }
    }
  }

  private forget(id: bigint): void {
    this.loans.delete(id);
    this.confirmed.delete(id);
    this.lastAction.delete(id);
  }

  private loadState(): void {
    const path = this.cfg.stateFile;
    if (!path || !existsSync(path)) return;
    const s = parseState(readFileSync(path, 'utf8'), path);
    if (!isAddressEqual(s.pool, this.cfg.pool) || !isAddressEqual(s.auction, this.cfg.auction)) {
      throw new Error(`${path} is the state of pool ${s.pool} / module ${s.auction}, not of ${this.cfg.pool} / ${this.cfg.auction}`);
    }
    this.cursor = s.cursor;
    this.confirmed = s.loans;
    this.loans = new Map([...s.loans].map(([id, t]) => [id, { ...t }]));
    this.say(`resumed from ${path}: ${s.loans.size} loan(s), events read up to block ${s.cursor - 1n}`);
  }

  private save(): void {
    const path = this.cfg.stateFile;
    if (!path) return;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, stateJson(this.cfg.pool, this.cfg.auction, this.cursor, this.confirmed));
    renameSync(tmp, path);
  }

  /*//////////////////////////////////////////////////////////////
                              HELPERS
  //////////////////////////////////////////////////////////////*/

  private hashOf(loan: Loan): Hex {
    return keccak256(encodeAbiParameters([this.loanType], [loan]));
  }

  /** Reads through Multicall3 in batches when there is one, else as concurrent single calls; never throws for one
   * failed call (its error is returned in its place). */
  private async batch(calls: Call[]): Promise<ReadResult[]> {
    if (calls.length === 0) return [];
    if (this.multicall) {
      const out = (await this.pub.multicall({
        contracts: calls as never,
        allowFailure: true,
        multicallAddress: this.multicall,
        batchSize: this.cfg.multicallBatchBytes ?? 32_768,
      } as never)) as Array<{ status: 'success' | 'failure'; result?: unknown; error?: unknown }>;
      return out.map((r): ReadResult => (r.status === 'success' ? { ok: true, value: r.result } : { ok: false, error: r.error }));
    }
    const out: ReadResult[] = [];
    for (let i = 0; i < calls.length; i += 32) {
      const chunk = calls.slice(i, i + 32);
      out.push(...(await Promise.all(chunk.map((c) =>
        this.readOne(c).then((value): ReadResult => ({ ok: true, value }), (error): ReadResult => ({ ok: false, error }))))));
    }
    return out;
  }

  private async terms(loan: Loan): Promise<Terms> {
    const key = `${loan.collection.toLowerCase()}:${loan.termsId}`;
    let t = this.termsCache.get(key);
    if (!t) {
      // A terms record never changes once created, so one read per (collection, terms id) suffices.
      t = await this.pub.readContract({ address: this.cfg.pool, abi: this.poolAbi, functionName: 'terms', args: [loan.collection, loan.termsId] });
      this.termsCache.set(key, t);
    }
    return t;
  }

  /** The loan's due date as the pool reads it now (see `effectiveDueTime`). */
  private async dueTime(loan: Loan, terms: Terms, chainNow: bigint): Promise<bigint> {
    const outage = await this.pub.readContract({ address: this.valuation!, abi: this.valuationAbi, functionName: 'outage', args: [loan.collection] });
    return effectiveDueTime(loan, terms.duration, outage, chainNow);
  }

  /** Asset units per 1e18 wei of the gas token, or null when the keeper has no trustworthy figure. */
  private async assetPerNative(): Promise<bigint | null> {
    if (this.cfg.assetPerNativeWad !== undefined) return this.cfg.assetPerNativeWad;
    if (this.cfg.nativePriceFeed) {
      const [dec, round] = await Promise.all([
        this.pub.readContract({ address: this.cfg.nativePriceFeed, abi: feedAbi, functionName: 'decimals' }),
        this.pub.readContract({ address: this.cfg.nativePriceFeed, abi: feedAbi, functionName: 'latestRoundData' }),
      ]);
      const [, answer, , updatedAt] = round;
      const age = BigInt(this.passClock) - updatedAt;
      if (answer <= 0n || age > BigInt(this.cfg.nativePriceMaxAgeSec ?? 86_400)) {
        this.alert(`the gas token's price feed ${this.cfg.nativePriceFeed} is stale or invalid (answer ${answer}, ${age} s old): not buying`);
        return null;
      }
      return (answer * 10n ** BigInt(this.decimals!)) / 10n ** BigInt(dec);
    }
    if (this.decimals === 18 && this.symbol?.toUpperCase() === 'WETH') return WAD;
    return null;
  }

  /** The L1 data fee of sending `data` to the module, from the OP-stack gas price oracle, in wei. */
  private async l1Fee(data: Hex, gas: bigint, gasPrice: bigint): Promise<bigint> {
    const chainId = this.pub.chain?.id ?? (await this.pub.getChainId());
    const unsigned = serializeTransaction({
      chainId, type: 'eip1559', to: this.cfg.auction, data, gas, nonce: 0, maxFeePerGas: gasPrice, maxPriorityFeePerGas: gasPrice,
    });
    return await this.pub.readContract({ address: this.cfg.l1FeeOracle!, abi: l1OracleAbi, functionName: 'getL1Fee', args: [unsigned] });
  }

  /** (price + premium, counted at most its multiple at origination x the price) x amount, like the pool's collateral
   * value; null during an outage. */
  private async valuationValue(loan: Loan): Promise<bigint | null> {
    const [unitPrice, status] = await this.pub.readContract({ address: this.valuation!, abi: this.valuationAbi, functionName: 'priceView', args: [loan.collection] });
    if (status !== 0) return null;
    const most = (unitPrice * loan.premiumMultipleWad) / WAD;
    return (unitPrice + (loan.premium < most ? loan.premium : most)) * loan.amount;
  }

  /** One call of a heterogeneous batch (`Call`: any ABI, so viem cannot check it; the typed reads call `readContract`
   * directly). */
  private readOne(c: Call): Promise<unknown> {
    return this.pub.readContract(c as never);
  }

  private clock(): number {
    return this.cfg.now ? this.cfg.now() : this.passClock;
  }

  private say(line: string): void {
    this.cfg.log?.(line);
  }

  private alert(line: string): void {
    this.stats.alerts++;
    this.stats.lastAlert = line;
    this.say(`ALERT: ${line}`);
    this.cfg.alert?.(line);
  }
}

/** The custom error's name of a revert, if the error is one. */
export function revertName(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined;
}

function toRaw(log: Log): RawLog | undefined {
  if (log.blockNumber === null || log.logIndex === null) return undefined;
  return {
    address: log.address, topics: log.topics as Hex[], data: log.data, blockNumber: log.blockNumber,
    blockHash: log.blockHash!, logIndex: log.logIndex, transactionHash: log.transactionHash!,
  };
}

/*//////////////////////////////////////////////////////////////
                          STATE FILE
//////////////////////////////////////////////////////////////*/

const big = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function stateJson(pool: Address, auction: Address, cursor: bigint, loans: Book): string {
  return `${JSON.stringify({ version: 2, pool, auction, cursor, loans: [...loans] }, big, 1)}\n`;
}

function parseState(text: string, path: string): { pool: Address; auction: Address; cursor: bigint; loans: Book } {
  let s: { version?: number; pool?: Address; auction?: Address; cursor?: string; loans?: [string, Record<string, any>][] };
  try {
    s = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON (a keeper state file is expected)`);
  }
  if (s.version === 1) {
    // Version 1 holds loans of format 1 (13 words): a pool of format 2 (15 words) commits them differently. Rescan.
    throw new Error(`${path} is a keeper state file of version 1 (loan format 1): move it away to rescan from the pool's deployment block`);
  }
  if (s.version !== 2 || !s.pool || !s.auction || s.cursor === undefined || !Array.isArray(s.loans)) {
    throw new Error(`${path} is not a keeper state file (version 2)`);
  }
  const loans: Book = new Map();
  for (const [id, t] of s.loans) {
    const l = t.loan;
    const loan: Loan = {
      borrower: l.borrower, collection: l.collection, tokenId: BigInt(l.tokenId), amount: BigInt(l.amount),
      principal: BigInt(l.principal), scaledDebt: BigInt(l.scaledDebt), premium: BigInt(l.premium), premiumMultipleWad: BigInt(l.premiumMultipleWad),
      frozenDebt: BigInt(l.frozenDebt), impairment: BigInt(l.impairment), startTime: Number(l.startTime),
      dueTime: Number(l.dueTime), auctionStart: Number(l.auctionStart), termsId: Number(l.termsId),
      outageBase: BigInt(l.outageBase),
    };
    const a = t.auction;
    const auction: Auction | undefined = a && {
      keeper: a.keeper, valuation: a.valuation, startPrice: BigInt(a.startPrice), reservePrice: BigInt(a.reservePrice),
      start: Number(a.start), duration: Number(a.duration), outageBase: BigInt(a.outageBase),
    };
    loans.set(BigInt(id), { loan, auction, block: BigInt(t.block) });
  }
  return { pool: s.pool, auction: s.auction, cursor: BigInt(s.cursor), loans };
}

/** The decoded custom error of a revert (`Name(arg, ...)`), else viem's short message, on one line. */
export function reasonOf(e: unknown): string {
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
      const args = (revert.data.args ?? []).map((a) => String(a)).join(', ');
      return `${revert.data.errorName}(${args})`;
    }
    return e.shortMessage.split('\n')[0];
  }
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}
