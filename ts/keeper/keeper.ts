// The liquidation keeper: follows a pool's loans through its events, starts Dutch auctions for liquidatable loans,
// buys collateral when the price is below its value by more than the gas and a margin, and closes auctions that ended
// without a buyer (so their shortfall is written off). Every transaction is simulated first; nothing is sent that the
// simulation says would revert. One `tick()` is one pass over every open loan; the caller decides how often to tick.
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeEventLog,
  erc20Abi,
  formatUnits,
  isAddressEqual,
  maxUint256,
  parseAbi,
  type Abi,
  type Account,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';
import { loadArtifact } from '../lib/artifacts.js';

/** A loan as the pool commits it (`ILendingPoolTypes.Loan`), decoded from the pool's events. */
export interface Loan {
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
}

/** An auction as the module commits it (`IDutchAuction.Auction`), decoded from its `AuctionStarted` event. */
export interface Auction {
  keeper: Address;
  valuation: Address;
  startPrice: bigint;
  reservePrice: bigint;
  start: number;
  duration: number;
  outageBase: bigint;
  /** 0 for the first auction, one more per relist (an ended round without a bid is relisted by `settle`). */
  round: number;
}

interface Terms {
  standard: number;
  penaltyBps: number;
  keeperShareBps: number;
  grace: number;
  auctionDuration: number;
}

export interface KeeperConfig {
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** The pool (proxy) whose loans to watch. */
  pool: Address;
  /** The pool's liquidation module (`DutchAuction` proxy). */
  auction: Address;
  /** First block to read events from (default 0: the whole chain; set it to the pool's deployment block). */
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

  // Optional additions to the agreed interface.
  /** The sending account; default the wallet client's account, else the node's first unlocked account. */
  account?: Account | Address;
  /** The cooldown clock in seconds (default: chain time, so a local chain moved forward by a test or a demo moves
   * the cooldown with it). */
  now?: () => number;
  /** Read events only up to `latest - confirmations` (default 0). */
  confirmations?: number;
  /** Blocks per `eth_getLogs` request (default 5,000; public RPCs limit the range). */
  logChunk?: bigint;
  /** Gas price used to cost a purchase (default: `eth_gasPrice` at the time). */
  gasPriceWei?: bigint;
  /** Asset units per 1e18 wei of the gas token, to cost gas in the asset (default 1e18: a WETH pool). */
  assetPerNativeWad?: bigint;
  /** What the collateral of `loan` is worth to this keeper, in the asset; null when unknown (then it does not buy).
   * Default: the pool's valuation, price x amount x (1 + trait premium), as the pool values it; null in an outage. */
  collateralValue?: (loan: Loan) => Promise<bigint | null>;
}

export interface TickResult {
  /** Open loans looked at (live or in auction). */
  scanned: number;
  started: bigint[];
  bought: bigint[];
  settled: bigint[];
  /** Loans the keeper looked at and left alone, with why (healthy, cooldown, unprofitable, simulation refused...). */
  skipped: { loanId: bigint; reason: string }[];
}

const WAD = 10n ** 18n;
const BPS = 10_000n;

/** Errors raised below the module (token transfers) that its ABI does not list. */
const extraErrors = parseAbi([
  'error TransferFromFailed()',
  'error TransferFailed()',
  'error ValuationUnavailable(address collection, uint8 status)',
]);

interface Tracked {
  loan: Loan;
  auction?: Auction;
}

export class Keeper {
  private readonly cfg: KeeperConfig;
  private readonly pub: PublicClient;
  private readonly wallet: WalletClient;
  private readonly poolAbi: Abi;
  private readonly auctionAbi: Abi;
  private readonly valuationAbi: Abi;
  /** ABI used for calls into the module: its own entries plus every error that can bubble up through it. */
  private readonly callAbi: Abi;
  private readonly loans = new Map<bigint, Tracked>();
  private readonly lastAction = new Map<bigint, number>();
  private readonly termsCache = new Map<string, Terms>();
  private cursor: bigint;
  private account?: Account | Address;
  private me?: Address;
  private decimals?: number;
  private asset?: Address;
  private valuation?: Address;
  private running = false;
  /** Chain time at the start of the current tick: the default cooldown clock. */
  private passClock = 0;

  constructor(cfg: KeeperConfig) {
    this.cfg = cfg;
    this.pub = cfg.publicClient;
    this.wallet = cfg.walletClient;
    this.cursor = cfg.fromBlock ?? 0n;
    this.poolAbi = loadArtifact('ILendingPool').abi;
    this.auctionAbi = loadArtifact('DutchAuction').abi;
    this.valuationAbi = loadArtifact('IValuation').abi;
    const errors = (abi: Abi) => abi.filter((x) => x.type === 'error');
    // Pool functions the keeper reads go through this ABI too (the names do not collide with the module's).
    const healthFactor = this.poolAbi.filter((x) => x.type === 'function' && x.name === 'healthFactor');
    this.callAbi = [...this.auctionAbi, ...healthFactor, ...errors(this.poolAbi), ...errors(this.valuationAbi), ...extraErrors];
  }

  /** The loans the keeper currently follows, by id (a copy). */
  tracked(): Map<bigint, { loan: Loan; auction?: Auction }> {
    return new Map([...this.loans].map(([id, t]) => [id, { ...t }]));
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
    await this.sync();
    const result: TickResult = { scanned: 0, started: [], bought: [], settled: [], skipped: [] };
    const block = await this.pub.getBlock({ blockTag: 'latest' });
    const chainNow = block.timestamp;
    this.passClock = Number(chainNow);
    const ids = [...this.loans.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) {
      const t = this.loans.get(id);
      if (!t) continue; // closed by a transaction earlier in this pass
      result.scanned++;
      const skip = (reason: string) => {
        result.skipped.push({ loanId: id, reason });
        this.say(`loan ${id}: skipped, ${reason}`);
      };
      const last = this.lastAction.get(id);
      const cooldown = this.cfg.cooldownSec ?? 60;
      const clock = this.clock();
      if (last !== undefined && clock - last < cooldown) {
        skip(`cooldown (${Math.ceil(cooldown - (clock - last))} s left)`);
        continue;
      }
      try {
        if (t.loan.auctionStart === 0) await this.considerStart(id, t.loan, chainNow, result, skip);
        else if (t.auction) await this.considerAuction(id, t.loan, t.auction, result, skip);
        else skip('in auction, but not one this module started');
      } catch (e) {
        // A read failed (RPC trouble or a state change under our feet): report and look again after the cooldown.
        this.lastAction.set(id, this.clock());
        skip(`error: ${reasonOf(e)}`);
      }
    }
    return result;
  }

  /*//////////////////////////////////////////////////////////////
                              DECISIONS
  //////////////////////////////////////////////////////////////*/

  private async considerStart(
    id: bigint,
    loan: Loan,
    chainNow: bigint,
    result: TickResult,
    skip: (reason: string) => void,
  ): Promise<void> {
    const terms = await this.terms(loan);
    const liquidatableAt = BigInt(loan.dueTime) + BigInt(terms.grace);
    const pastDue = chainNow >= liquidatableAt; // the next block is later than the latest one
    let hf: bigint | undefined;
    try {
      hf = (await this.read(this.cfg.pool, this.callAbi, 'healthFactor', [loan])) as bigint;
    } catch (e) {
      // The pool refuses to start an auction during an oracle outage, due or not.
      return skip(`no auction during an oracle outage (${reasonOf(e)})`);
    }
    if (hf >= WAD && !pastDue) return skip(`healthy (health factor ${formatUnits(hf, 18).slice(0, 8)})`);

    const why = hf < WAD ? `health factor ${formatUnits(hf, 18).slice(0, 8)}` : 'past maturity plus grace';
    const receipt = await this.execute(id, 'start', [id, loan], skip);
    if (!receipt) return;
    result.started.push(id);
    this.say(`loan ${id}: started its auction (${why}); gas ${receipt.gasUsed}, tx ${receipt.transactionHash}`);
  }

  private async considerAuction(
    id: bigint,
    loan: Loan,
    auction: Auction,
    result: TickResult,
    skip: (reason: string) => void,
  ): Promise<void> {
    const elapsed = (await this.read(this.cfg.auction, this.callAbi, 'elapsed', [loan.collection, auction])) as bigint;
    const ended = elapsed >= BigInt(auction.duration);
    let why = ended ? 'ended without a buyer' : `running (${BigInt(auction.duration) - elapsed} s of decay left)`;

    if (this.cfg.buy === false) {
      why = `buying is off; auction ${why}`;
    } else {
      const verdict = await this.considerBuy(id, loan, auction);
      if (verdict.bought) {
        result.bought.push(id);
        return;
      }
      why = `${verdict.reason}; auction ${why}`;
    }
    if (!ended) return skip(why);

    const receipt = await this.execute(id, 'settle', [id, loan, auction], skip);
    if (!receipt) return;
    result.settled.push(id);
    this.say(`loan ${id}: settled its auction round without a buyer, relisted or closed (${why}); gas ${receipt.gasUsed}, tx ${receipt.transactionHash}`);
  }

  /** Buys when value + reward - price - gas >= minProfit. Returns why not otherwise. */
  private async considerBuy(id: bigint, loan: Loan, auction: Auction): Promise<{ bought: boolean; reason: string }> {
    const price = (await this.read(this.cfg.auction, this.callAbi, 'currentPrice', [id, loan, auction])) as bigint;
    const value = await (this.cfg.collateralValue ?? ((l: Loan) => this.valuationValue(l)))(loan);
    if (value === null) return { bought: false, reason: 'no buy: the collateral has no value to judge by (oracle outage)' };
    const reward = isAddressEqual(auction.keeper, this.me!) ? this.keeperCut(loan, price, await this.terms(loan)) : 0n;
    const minProfit = this.cfg.minProfitWei ?? 0n;
    const f = (x: bigint) => formatUnits(x, this.decimals!);
    const before = value + reward - price;
    if (before < minProfit) {
      return { bought: false, reason: `no buy: price ${f(price)} vs value ${f(value)} + reward ${f(reward)} leaves ${f(before)} before gas, below ${f(minProfit)}` };
    }

    const balance = (await this.read(this.asset!, erc20Abi, 'balanceOf', [this.me!])) as bigint;
    if (balance < price) return { bought: false, reason: `no buy: balance ${f(balance)} below price ${f(price)}` };
    const allowance = (await this.read(this.asset!, erc20Abi, 'allowance', [this.me!, this.cfg.auction])) as bigint;
    if (allowance < price) {
      // One standing approval of the module, which pulls exactly the price of each purchase.
      const { request } = await this.pub.simulateContract({
        address: this.asset!, abi: erc20Abi, functionName: 'approve', args: [this.cfg.auction, maxUint256], account: this.account!,
      } as never);
      const r = await this.pub.waitForTransactionReceipt({ hash: await this.wallet.writeContract(request as never) });
      if (r.status !== 'success') return { bought: false, reason: `no buy: approving the module reverted (${r.transactionHash})` };
      this.say(`approved the auction module to pull the asset for purchases; gas ${r.gasUsed}`);
    }

    // Simulate at the price just read as the limit: later blocks only lower it.
    const args = [id, loan, auction, price];
    const gas = await this.pub.estimateContractGas({
      address: this.cfg.auction, abi: this.callAbi, functionName: 'buy', args, account: this.account!,
    } as never).catch((e: unknown) => e);
    if (typeof gas !== 'bigint') {
      this.lastAction.set(id, this.clock());
      return { bought: false, reason: `buy not sent, the simulation reverted: ${reasonOf(gas)}` };
    }
    const gasPrice = this.cfg.gasPriceWei ?? (await this.pub.getGasPrice());
    const gasCost = (gas * gasPrice * (this.cfg.assetPerNativeWad ?? WAD)) / WAD;
    const profit = before - gasCost;
    if (profit < minProfit) {
      return { bought: false, reason: `no buy: ${f(before)} before gas minus gas ${f(gasCost)} (${gas} gas) is below ${f(minProfit)}` };
    }
    const receipt = await this.execute(id, 'buy', args, (reason) => this.say(`loan ${id}: ${reason}`));
    if (!receipt) return { bought: false, reason: 'no buy: the purchase was refused' };
    this.say(`loan ${id}: bought its collateral for ${f(price)} (value ${f(value)}, reward ${f(reward)}, expected profit ${f(profit)}); gas ${receipt.gasUsed}, tx ${receipt.transactionHash}`);
    return { bought: true, reason: '' };
  }

  /** Simulates `functionName` on the module, sends it, waits for it and applies its events. Returns the receipt,
   * or reports why nothing was sent or why it failed. Either way the loan enters its cooldown. */
  private async execute(
    id: bigint,
    functionName: 'start' | 'buy' | 'settle',
    args: unknown[],
    skip: (reason: string) => void,
  ): Promise<TransactionReceipt | undefined> {
    this.lastAction.set(id, this.clock());
    let request: unknown;
    try {
      ({ request } = await this.pub.simulateContract({
        address: this.cfg.auction, abi: this.callAbi, functionName, args, account: this.account!,
      } as never));
    } catch (e) {
      skip(`${functionName} not sent, the simulation reverted: ${reasonOf(e)}`);
      return undefined;
    }
    // The estimate is taken at the latest block; the transaction lands a block or more later, where the pool may take
    // another path (interest accrues once per timestamp) or the price is different. A 25 % margin covers it.
    const gas = await this.pub.estimateContractGas({
      address: this.cfg.auction, abi: this.callAbi, functionName, args, account: this.account!,
    } as never);
    const hash: Hex = await this.wallet.writeContract({ ...(request as object), gas: (gas * 5n) / 4n } as never);
    const receipt = await this.pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') {
      skip(`${functionName} reverted on chain (${hash})`);
      return undefined;
    }
    for (const log of receipt.logs) this.apply(log);
    this.lastAction.set(id, this.clock());
    return receipt;
  }

  /*//////////////////////////////////////////////////////////////
                               STATE
  //////////////////////////////////////////////////////////////*/

  private async init(): Promise<void> {
    if (this.me) return;
    this.account = this.cfg.account ?? this.wallet.account;
    if (!this.account) {
      const [first] = await this.wallet.getAddresses();
      if (!first) throw new Error('Keeper: the wallet client has no account and the node exposes none');
      this.account = first;
    }
    this.me = typeof this.account === 'string' ? this.account : this.account.address;
    this.asset = (await this.read(this.cfg.pool, this.poolAbi, 'asset')) as Address;
    this.valuation = (await this.read(this.cfg.pool, this.poolAbi, 'valuation')) as Address;
    this.decimals = Number(await this.read(this.asset, erc20Abi, 'decimals'));
  }

  /** Reads the pool's and the module's events from the cursor up to the head (less confirmations). */
  private async sync(): Promise<void> {
    const head = await this.pub.getBlockNumber({ cacheTime: 0 });
    const to = head - BigInt(this.cfg.confirmations ?? 0);
    const chunk = this.cfg.logChunk ?? 5_000n;
    while (this.cursor <= to) {
      const end = this.cursor + chunk - 1n < to ? this.cursor + chunk - 1n : to;
      const logs = await this.pub.getLogs({ address: [this.cfg.pool, this.cfg.auction], fromBlock: this.cursor, toBlock: end });
      logs.sort((a, b) => Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n)) || (a.logIndex ?? 0) - (b.logIndex ?? 0));
      for (const log of logs) this.apply(log);
      this.cursor = end + 1n;
    }
  }

  /** Folds one event into the loan book. Every event carries the full new state, so applying one twice is harmless. */
  private apply(log: Log): void {
    const fromPool = isAddressEqual(log.address, this.cfg.pool);
    if (!fromPool && !isAddressEqual(log.address, this.cfg.auction)) return;
    let ev: { eventName: string; args: Record<string, unknown> };
    try {
      ev = decodeEventLog({ abi: fromPool ? this.poolAbi : this.auctionAbi, data: log.data, topics: log.topics }) as never;
    } catch {
      return; // an event the keeper does not need (shares, deposits, admin)
    }
    const id = ev.args.loanId as bigint;
    if (fromPool) {
      switch (ev.eventName) {
        case 'Borrow':
        case 'Repay':
        case 'Renew':
        case 'AuctionStarted':
        case 'AuctionRelisted': {
          const prev = this.loans.get(id);
          this.loans.set(id, { loan: ev.args.loan as Loan, auction: prev?.auction });
          break;
        }
        case 'LoanRepaid':
        case 'AuctionSettled':
          this.loans.delete(id);
          this.lastAction.delete(id);
          break;
      }
    } else {
      switch (ev.eventName) {
        case 'AuctionStarted':
        case 'AuctionRelisted': {
          const t = this.loans.get(id);
          if (t) t.auction = ev.args.auction as Auction;
          break;
        }
        case 'AuctionBought':
        case 'AuctionClosed':
          this.loans.delete(id);
          this.lastAction.delete(id);
          break;
      }
    }
  }

  /*//////////////////////////////////////////////////////////////
                              HELPERS
  //////////////////////////////////////////////////////////////*/

  private async terms(loan: Loan): Promise<Terms> {
    const key = `${loan.collection.toLowerCase()}:${loan.termsId}`;
    let t = this.termsCache.get(key);
    if (!t) {
      // A terms record never changes once created, so one read per (collection, terms id) suffices.
      t = (await this.read(this.cfg.pool, this.poolAbi, 'terms', [loan.collection, loan.termsId])) as Terms;
      this.termsCache.set(key, t);
    }
    return t;
  }

  /** price x amount x (1 + premium), rounded down like the pool's collateral value; null during an outage. */
  private async valuationValue(loan: Loan): Promise<bigint | null> {
    const [unitPrice, status] = (await this.read(this.valuation!, this.valuationAbi, 'priceView', [loan.collection])) as [bigint, number];
    if (status !== 0) return null;
    const base = unitPrice * loan.amount;
    return loan.premiumWad === 0n ? base : (base * (WAD + loan.premiumWad)) / WAD;
  }

  /** The keeper's share of the penalty a sale at `price` pays, as the pool computes it at settlement. */
  private keeperCut(loan: Loan, price: bigint, terms: Terms): bigint {
    const debt = loan.frozenDebt;
    const repaid = price < debt ? price : debt;
    let penalty = (debt * BigInt(terms.penaltyBps) + BPS - 1n) / BPS;
    if (penalty > price - repaid) penalty = price - repaid;
    return (penalty * BigInt(terms.keeperShareBps)) / BPS;
  }

  private read(address: Address, abi: Abi, functionName: string, args: unknown[] = []): Promise<unknown> {
    return this.pub.readContract({ address, abi, functionName, args } as never);
  }

  private clock(): number {
    return this.cfg.now ? this.cfg.now() : this.passClock;
  }

  private say(line: string): void {
    this.cfg.log?.(line);
  }
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
