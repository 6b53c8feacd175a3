// The monitor's engine. One `pass()` reads every event of the protocol's contracts (pool, auction module, valuation,
// trait pricer, timelock) from the block after the checkpoint to the confirmed head (head - confirmations), applies
// the event rules to each, evaluates the state rules at the confirmed head, delivers the alerts, and only then moves
// the checkpoint. Alert ids are deterministic (rule, subject, block, log), so a pass repeated after a crash or a
// restart produces the same ids and a channel that already took one does not get it again.
// State rules are edge-triggered: an alert when a condition becomes true (a loan's health factor drops below the
// threshold, the reserve falls under its floor...), none while it stays true, re-armed once it is false again. The
// cooldown (chain time) additionally mutes a rule for the same subject for a while after it alerted.
import {
  decodeEventLog,
  decodeFunctionData,
  formatUnits,
  isAddressEqual,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { dutchAuctionAbi, iLendingPoolAbi, iTraitPricerAbi, iValuationAdminAbi, timelockControllerAbi } from '../generated/contracts.js';
import { LogReader, type RawLog } from '../keeper/logs.js';
import { applyLog, bookFromJson, bookToJson, type Book, type BookJson } from './book.js';
import { toJson, type Alert, type Channel } from './channels.js';
import { RULE_KINDS, type MonitorConfig, type RuleConfig } from './config.js';
import type { Store } from './store.js';

export const STATUS_NAMES = ['Ok', 'UnknownCollection', 'TwapNotReady', 'TwapStale', 'FloorStale', 'FloorInvalid', 'Jumped', 'Frozen', 'SequencerDown'];

export interface Addresses {
  pool: Address;
  auction: Address;
  valuation: Address;
  traitPricer: Address;
  timelock: Address;
  /** Collections known at the start (the deployment record's); collections listed later are added from TermsSet. */
  collections: Address[];
}

export interface MonitorOptions {
  pub: PublicClient;
  chainId: number;
  addrs: Addresses;
  config: MonitorConfig;
  store: Store;
  channels: Map<string, Channel>;
  /** First block to read when there is no checkpoint. */
  startBlock: bigint;
  confirmations: number;
  /** Blocks stepped back when the checkpointed block's hash changed (a reorg deeper than the confirmations). */
  reorgWindow?: number;
  logChunk?: bigint;
  /** Diagnostics (not alerts). */
  log?: (line: string) => void;
}

interface RuleState {
  /** Subjects whose condition holds: since (chain time) and the block it started. */
  active: Record<string, { since: number; block: number }>;
  /** Chain time of the last alert per subject (cooldown). */
  lastSent: Record<string, number>;
}

interface Checkpoint {
  version: 1;
  pool: Address;
  /** Last block evaluated, and its hash (a change means a reorg below the confirmations). */
  cursor: number;
  cursorHash: Hex | null;
  book: BookJson;
  collections: Address[];
  rules: Record<string, RuleState>;
  /** First time each collection was seen with a status other than Ok. */
  notOkSince: Record<string, number>;
  /** Valuation samples per collection: [timestamp, price]. */
  prices: Record<string, [number, string][]>;
  sharePrice: string | null;
  /** Scheduled timelock operations by id, to describe a cancellation. */
  operations: Record<string, string>;
}

export interface PassResult {
  from: number;
  to: number;
  alerts: Alert[];
  /** Alerts a cooldown held back. */
  muted: number;
  /** Alerts evaluated again (after a restart or a crash) that every channel had already taken: not sent again. */
  repeated: number;
}

const upgradedEvent = dutchAuctionAbi.filter((x) => x.type === 'event' && x.name === 'Upgraded');

export class Monitor {
  private readonly pub: PublicClient;
  private readonly reader: LogReader;
  private readonly log: (line: string) => void;
  private state!: Checkpoint;
  private shareUnit = 0n;
  private decimals = 18;
  private symbol = '';
  constructor(private readonly o: MonitorOptions) {
    this.pub = o.pub;
    this.reader = new LogReader(o.pub, { maxSpan: o.logChunk ?? 2_000n, log: o.log });
    this.log = o.log ?? (() => {});
  }

  async init(): Promise<void> {
    const a = this.o.addrs;
    const [shareDecimals, asset] = await Promise.all([
      this.pub.readContract({ address: a.pool, abi: iLendingPoolAbi, functionName: 'decimals' }),
      this.pub.readContract({ address: a.pool, abi: iLendingPoolAbi, functionName: 'asset' }),
    ]);
    this.shareUnit = 10n ** BigInt(shareDecimals);
    const erc20 = [
      { type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] },
      { type: 'function', name: 'symbol', stateMutability: 'view', inputs: [], outputs: [{ type: 'string' }] },
    ] as const;
    this.decimals = Number(await this.pub.readContract({ address: asset, abi: erc20, functionName: 'decimals' }));
    this.symbol = await this.pub.readContract({ address: asset, abi: erc20, functionName: 'symbol' }).catch(() => '');
    const saved = await this.o.store.loadCheckpoint();
    if (saved) {
      const s = JSON.parse(saved) as Checkpoint;
      if (s.version !== 1 || !isAddressEqual(s.pool, a.pool)) throw new Error(`the checkpoint in the ${this.o.store.kind} store belongs to pool ${s.pool}, not ${a.pool}`);
      this.state = s;
      this.log(`resumed from the ${this.o.store.kind} checkpoint at block ${s.cursor}`);
    } else {
      this.state = {
        version: 1, pool: a.pool, cursor: Number(this.o.startBlock) - 1, cursorHash: null, book: {}, collections: [...a.collections],
        rules: {}, notOkSince: {}, prices: {}, sharePrice: null, operations: {},
      };
    }
  }

  get cursor(): number {
    return this.state.cursor;
  }

  private amount(x: bigint): string {
    return `${formatUnits(x, this.decimals)}${this.symbol ? ` ${this.symbol}` : ''}`;
  }

  /** One pass up to `target` (default: the confirmed head). Throws when the chain cannot be read or a channel could
   * not take an alert; the checkpoint then stays where it was. */
  async pass(target?: bigint): Promise<PassResult> {
    const head = await this.pub.getBlockNumber({ cacheTime: 0 });
    const to = Number(target ?? head - BigInt(this.o.confirmations));
    const s: Checkpoint = JSON.parse(JSON.stringify(this.state));
    // A reorg below the confirmations: step back and read again (alert ids repeat, so nothing is sent twice).
    if (s.cursorHash && s.cursor >= 0) {
      const b = await this.pub.getBlock({ blockNumber: BigInt(s.cursor) }).catch(() => null);
      if (b && b.hash !== s.cursorHash) {
        const back = Math.max(Number(this.o.startBlock) - 1, s.cursor - (this.o.reorgWindow ?? 64));
        this.log(`block ${s.cursor} changed hash (a reorg deeper than ${this.o.confirmations} confirmations): reading again from ${back + 1}`);
        s.cursor = back;
      }
    }
    const from = s.cursor + 1;
    if (to < from) return { from, to, alerts: [], muted: 0, repeated: 0 };
    const book = bookFromJson(s.book);
    const a = this.o.addrs;
    const logs = await this.reader.read({ address: [a.pool, a.auction, a.valuation, a.traitPricer, a.timelock], topics: [] }, BigInt(from), BigInt(to));
    const blocks = new Map<number, number>();
    const timeOf = async (n: number) => {
      let t = blocks.get(n);
      if (t === undefined) {
        t = Number((await this.pub.getBlock({ blockNumber: BigInt(n) })).timestamp);
        blocks.set(n, t);
      }
      return t;
    };
    const out: Alert[] = [];
    let muted = 0;
    const emit = (rule: RuleConfig, subject: string, key: string, block: number, ts: number, message: string, data: Record<string, unknown>, txHash?: string) => {
      const rs = (s.rules[rule.id] ??= { active: {}, lastSent: {} });
      const last = rs.lastSent[subject];
      if (rule.cooldownSec > 0 && last !== undefined && ts - last < rule.cooldownSec) {
        muted++;
        return;
      }
      rs.lastSent[subject] = ts;
      out.push({ id: `${rule.id}:${key}`, rule: rule.id, kind: rule.kind, severity: rule.severity, subject, message, chainId: this.o.chainId, block, timestamp: ts, txHash, data });
    };
    const rules = this.o.config.rules.filter((r) => r.enabled);
    const byKind = (k: string) => rules.filter((r) => r.kind === k);

    // Events, in chain order; module events of the same transaction are at hand for the pool's AuctionStarted.
    for (const log of logs) {
      const n = Number(log.blockNumber);
      const ev = applyLog(book, a.pool, a.auction, log) ?? this.decode(log);
      if (!ev) continue;
      const fire = async (kind: string, subject: string, message: string, data: Record<string, unknown>) => {
        const ts = await timeOf(n);
        for (const r of byKind(kind)) emit(r, subject, `${subject}:${n}:${log.logIndex}`, n, ts, message, data, log.transactionHash);
      };
      const at = (x: Address) => isAddressEqual(log.address, x);
      const args = ev.args;
      if (at(a.pool)) {
        switch (ev.eventName) {
          case 'AuctionStarted': {
            const loan = args.loan as { collection: Address; tokenId: bigint; frozenDebt: bigint };
            const mod = logs.find((l) => l.transactionHash === log.transactionHash && isAddressEqual(l.address, a.auction));
            const auction = mod ? (decodeEventLog({ abi: dutchAuctionAbi, data: mod.data, topics: mod.topics as [Hex, ...Hex[]] }).args as { auction?: { startPrice: bigint; reservePrice: bigint; duration: number } }).auction : undefined;
            await fire('auction-started', `loan ${args.loanId}`, `auction started for loan ${args.loanId} (${loan.collection} #${loan.tokenId}): frozen debt ${this.amount(loan.frozenDebt)}${auction ? `, ${this.amount(auction.startPrice)} falling to ${this.amount(auction.reservePrice)} over ${auction.duration / 3600} h` : ''}`, {
              loanId: args.loanId, keeper: args.keeper, collection: loan.collection, tokenId: loan.tokenId, frozenDebt: loan.frozenDebt, impairment: args.impairment,
              startPrice: auction?.startPrice, reservePrice: auction?.reservePrice, duration: auction?.duration,
            });
            break;
          }
          case 'BadDebt':
            await fire('write-off', `loan ${args.loanId}`, `bad debt written off on loan ${args.loanId}: ${this.amount(args.amount as bigint)} (reserve used ${this.amount(args.fromReserve as bigint)}, lenders lost ${this.amount(args.fromLenders as bigint)})`, {
              loanId: args.loanId, amount: args.amount, fromReserve: args.fromReserve, fromLenders: args.fromLenders,
            });
            break;
          case 'Withdraw': {
            const rules = byKind('large-withdrawal');
            if (!rules.length) break;
            const before = await this.pub.readContract({ address: a.pool, abi: iLendingPoolAbi, functionName: 'totalAssets', blockNumber: BigInt(n - 1) });
            const assets = args.assets as bigint;
            const ts = await timeOf(n);
            for (const r of rules) {
              const bps = BigInt(Math.round(Number(r.params.percent) * 100));
              if (assets * 10_000n > bps * before) {
                emit(r, `owner ${args.owner}`, `${args.owner}:${n}:${log.logIndex}`, n, ts, `withdrawal of ${this.amount(assets)} by ${args.owner}: ${before ? ((Number((assets * 1_000_000n) / before) / 10_000).toFixed(2)) : '100'} % of the pool assets (${this.amount(before)}), above ${r.params.percent} %`, { owner: args.owner, receiver: args.receiver, assets, shares: args.shares, poolAssetsBefore: before }, log.transactionHash);
              }
            }
            break;
          }
          case 'RateConfigSet': {
            const rc = args.config as { borrowPaused: boolean };
            if (!rc.borrowPaused) break;
            const prev = await this.pub.readContract({ address: a.pool, abi: iLendingPoolAbi, functionName: 'rateConfig', blockNumber: BigInt(n - 1) });
            if (!prev.borrowPaused) await fire('guardian-action', 'pool', 'borrows paused on the pool', { action: 'pauseBorrows' });
            break;
          }
          case 'CollectionFrozenSet':
            if (args.frozen) await fire('guardian-action', `collection ${args.collection}`, `collection ${args.collection} frozen on the pool (no new loans)`, { action: 'setCollectionFrozen', collection: args.collection });
            break;
          case 'DebtCeilingSet': {
            const [, prevCeiling] = await this.pub.readContract({ address: a.pool, abi: iLendingPoolAbi, functionName: 'collectionState', args: [args.collection as Address], blockNumber: BigInt(n - 1) });
            if ((args.ceiling as bigint) < prevCeiling) {
              await fire('guardian-action', `collection ${args.collection}`, `debt ceiling of ${args.collection} lowered from ${this.amount(prevCeiling)} to ${this.amount(args.ceiling as bigint)}`, { action: 'setDebtCeiling', collection: args.collection, from: prevCeiling, to: args.ceiling });
            }
            break;
          }
          case 'TermsSet':
            if (!s.collections.some((c) => isAddressEqual(c, args.collection as Address))) s.collections.push(args.collection as Address);
            break;
        }
      } else if (at(a.auction) && ev.eventName === 'AuctionRelisted') {
        const au = args.auction as { round: number; startPrice: bigint; reservePrice: bigint };
        await fire('auction-no-bid', `loan ${args.loanId}`, `auction of loan ${args.loanId} ended without a bid: relisted as round ${au.round} (${this.amount(au.startPrice)} falling to ${this.amount(au.reservePrice)})`, { loanId: args.loanId, round: au.round, startPrice: au.startPrice, reservePrice: au.reservePrice });
      } else if (at(a.valuation)) {
        if (ev.eventName === 'CollectionFrozen') await fire('guardian-action', `collection ${args.collection}`, `valuation of ${args.collection} frozen`, { action: 'freeze', collection: args.collection });
        if (ev.eventName === 'ReporterSet') {
          if (!args.authorised) await fire('guardian-action', `reporter ${args.reporter}`, `oracle reporter ${args.reporter} revoked`, { action: 'revokeReporter', reporter: args.reporter });
          await fire('key-change', `reporter ${args.reporter}`, `oracle reporter ${args.reporter} ${args.authorised ? 'authorised' : 'removed'}`, { reporter: args.reporter, authorised: args.authorised });
        }
      } else if (at(a.traitPricer)) {
        if (ev.eventName === 'RootRevoked') await fire('guardian-action', `collection ${args.collection}`, `trait root of ${args.collection} (epoch ${args.epoch}) revoked`, { action: 'revokeRoot', collection: args.collection, epoch: args.epoch });
        if (ev.eventName === 'SignerRotated') await fire('key-change', 'trait signer', `trait signer rotated to ${args.signer} (generation ${args.generation})`, { signer: args.signer, generation: args.generation });
      }
      if (at(a.timelock)) {
        const id = args.id as Hex;
        if (ev.eventName === 'CallScheduled') {
          const ts = await timeOf(n);
          const call = this.describeCall(args.target as Address, args.data as Hex);
          const readyAt = ts + Number(args.delay);
          s.operations[`${id}:${args.index}`] = call.text;
          await fire('timelock-operation', `operation ${id}`, `timelock: scheduled ${call.text} (ready ${new Date(readyAt * 1000).toISOString()})`, { event: 'scheduled', id, index: args.index, target: args.target, value: args.value, function: call.fn, args: call.args, readyAt, predecessor: args.predecessor });
        } else if (ev.eventName === 'CallExecuted') {
          const call = this.describeCall(args.target as Address, args.data as Hex);
          await fire('timelock-operation', `operation ${id}`, `timelock: executed ${call.text}`, { event: 'executed', id, index: args.index, target: args.target, function: call.fn, args: call.args });
        } else if (ev.eventName === 'Cancelled') {
          const known = Object.entries(s.operations).filter(([k]) => k.startsWith(`${id}:`)).map(([, v]) => v);
          await fire('timelock-operation', `operation ${id}`, `timelock: cancelled operation ${id}${known.length ? ` (${known.join('; ')})` : ''}`, { event: 'cancelled', id });
        }
      }
      if (ev.eventName === 'Upgraded' && (at(a.pool) || at(a.auction) || at(a.valuation) || at(a.traitPricer))) {
        const which = at(a.pool) ? 'pool' : at(a.auction) ? 'auction' : at(a.valuation) ? 'valuation' : 'traitPricer';
        await fire('upgrade', `proxy ${which}`, `${which} proxy ${log.address} upgraded to implementation ${args.implementation}`, { proxy: log.address, name: which, implementation: args.implementation });
      }
    }

    // State at the confirmed head.
    const blockTag = BigInt(to);
    const ts = await timeOf(to);
    await this.stateRules(s, book, to, blockTag, ts, rules, emit, from);

    s.book = bookToJson(book);
    s.cursor = to;
    s.cursorHash = (await this.pub.getBlock({ blockNumber: blockTag })).hash;
    const fresh = await this.deliver(out);
    await this.o.store.saveCheckpoint(JSON.stringify(s));
    this.state = s;
    return { from, to, alerts: fresh, muted, repeated: out.length - fresh.length };
  }

  private async stateRules(
    s: Checkpoint, book: Book, to: number, blockNumber: bigint, ts: number, rules: RuleConfig[],
    emit: (rule: RuleConfig, subject: string, key: string, block: number, ts: number, message: string, data: Record<string, unknown>) => void, from: number,
  ): Promise<void> {
    const a = this.o.addrs;
    const byKind = (k: string) => rules.filter((r) => r.kind === k);
    /** Edge trigger: alerts for subjects that became true, forgets those no longer true. */
    const edge = (rule: RuleConfig, now: Map<string, { message: string; data: Record<string, unknown> }>) => {
      const rs = (s.rules[rule.id] ??= { active: {}, lastSent: {} });
      for (const subject of Object.keys(rs.active)) if (!now.has(subject)) delete rs.active[subject];
      for (const [subject, v] of now) {
        if (rs.active[subject]) continue;
        rs.active[subject] = { since: ts, block: to };
        emit(rule, subject, `${subject}:${to}`, to, ts, v.message, v.data);
      }
    };
    const read = <T>(address: Address, abi: Abi, functionName: string, args: unknown[] = [], bn = blockNumber) =>
      this.pub.readContract({ address, abi, functionName, args, blockNumber: bn }) as Promise<T>;

    for (const r of byKind('utilisation-above-kink')) {
      const [[, util], rc] = await Promise.all([read<[bigint, bigint]>(a.pool, iLendingPoolAbi, 'borrowRate'), read<{ kinkBps: number }>(a.pool, iLendingPoolAbi, 'rateConfig')]);
      const kink = BigInt(rc.kinkBps) * 10n ** 14n;
      const now = new Map<string, { message: string; data: Record<string, unknown> }>();
      if (util > kink) now.set('pool', { message: `utilisation ${(Number(util) / 1e16).toFixed(2)} % is above the kink (${rc.kinkBps / 100} %)`, data: { utilisationWad: util, kinkBps: rc.kinkBps } });
      edge(r, now);
    }

    const needValuation = byKind('valuation-not-ok').length + byKind('valuation-drop').length > 0;
    const valuations = new Map<string, { price: bigint; status: number }>();
    if (needValuation) {
      for (const c of s.collections) {
        const [[price, status], [outSince]] = await Promise.all([
          read<[bigint, number]>(a.valuation, iValuationAdminAbi, 'priceView', [c]),
          read<[bigint, bigint]>(a.valuation, iValuationAdminAbi, 'outage', [c]).catch(() => [0n, 0n] as [bigint, bigint]),
        ]);
        valuations.set(c, { price, status });
        // Since when: the valuation's own outage clock when it runs, else the first pass that saw the status.
        if (status === 0) delete s.notOkSince[c];
        else s.notOkSince[c] = outSince > 0n && Number(outSince) <= ts ? Math.min(Number(outSince), s.notOkSince[c] ?? ts) : (s.notOkSince[c] ?? ts);
        if (status === 0 && price > 0n) {
          const maxWindow = Math.max(3600, ...byKind('valuation-drop').map((x) => Number(x.params.windowSec)));
          const hist = (s.prices[c] ??= []).filter(([t]) => t >= ts - maxWindow && t < ts);
          hist.push([ts, price.toString()]);
          s.prices[c] = hist.slice(-500);
        }
      }
    }
    for (const r of byKind('valuation-not-ok')) {
      const now = new Map<string, { message: string; data: Record<string, unknown> }>();
      for (const [c, v] of valuations) {
        const since = s.notOkSince[c];
        if (v.status !== 0 && since !== undefined && ts - since >= Number(r.params.forSec)) {
          now.set(`collection ${c}`, { message: `valuation of ${c} is ${STATUS_NAMES[v.status] ?? v.status} since ${new Date(since * 1000).toISOString()} (${ts - since} s)`, data: { collection: c, status: STATUS_NAMES[v.status] ?? v.status, since } });
        }
      }
      edge(r, now);
    }
    for (const r of byKind('valuation-drop')) {
      const now = new Map<string, { message: string; data: Record<string, unknown> }>();
      for (const [c, v] of valuations) {
        if (v.status !== 0) continue;
        const window = (s.prices[c] ?? []).filter(([t]) => t >= ts - Number(r.params.windowSec));
        const high = window.reduce((m, [, p]) => (BigInt(p) > m ? BigInt(p) : m), 0n);
        const bps = BigInt(Math.round(Number(r.params.percent) * 100));
        if (high > 0n && v.price * 10_000n < high * (10_000n - bps)) {
          const drop = Number(((high - v.price) * 1_000_000n) / high) / 10_000;
          now.set(`collection ${c}`, { message: `valuation of ${c} down ${drop.toFixed(2)} % within ${r.params.windowSec} s: ${this.amount(high)} -> ${this.amount(v.price)}`, data: { collection: c, high, price: v.price, dropPercent: drop } });
        }
      }
      edge(r, now);
    }

    const hfRules = byKind('health-factor-low');
    if (hfRules.length) {
      const live = [...book].filter(([, e]) => e.loan.auctionStart === 0);
      const hfs = await Promise.all(live.map(([, e]) => read<bigint>(a.pool, iLendingPoolAbi, 'healthFactor', [e.loan]).catch(() => null)));
      for (const r of hfRules) {
        const limit = BigInt(Math.round(Number(r.params.below) * 1e6)) * 10n ** 12n;
        const now = new Map<string, { message: string; data: Record<string, unknown> }>();
        const rs = s.rules[r.id];
        live.forEach(([id, e], i) => {
          const hf = hfs[i];
          // Unreadable (the valuation is not Ok): unknown, not healthy; a loan already alerted stays so.
          if (hf === null && rs?.active[`loan ${id}`]) now.set(`loan ${id}`, { message: '', data: {} });
          if (hf !== null && hf < limit) now.set(`loan ${id}`, { message: `loan ${id} (${e.loan.collection} #${e.loan.tokenId}, borrower ${e.loan.borrower}) has health factor ${(Number(hf) / 1e18).toFixed(4)} < ${r.params.below}`, data: { loanId: id, healthFactorWad: hf, borrower: e.loan.borrower, collection: e.loan.collection, tokenId: e.loan.tokenId } });
        });
        edge(r, now);
      }
    }

    const overdueRules = byKind('auction-overdue');
    if (overdueRules.length) {
      const running = [...book].filter(([, e]) => e.auction);
      const elapsed = await Promise.all(running.map(([, e]) => read<bigint>(a.auction, dutchAuctionAbi, 'elapsed', [e.loan.collection, e.auction])));
      for (const r of overdueRules) {
        const now = new Map<string, { message: string; data: Record<string, unknown> }>();
        running.forEach(([id, e], i) => {
          const over = Number(elapsed[i]) - e.auction!.duration;
          if (over >= Number(r.params.graceSec)) now.set(`loan ${id}`, { message: `auction of loan ${id} (round ${e.auction!.round}) ended ${over} s ago and is neither bought nor settled`, data: { loanId: id, round: e.auction!.round, overSec: over } });
        });
        edge(r, now);
      }
    }

    for (const r of byKind('reserve-below-floor')) {
      const reserve = await read<bigint>(a.pool, iLendingPoolAbi, 'reserve');
      const floor = BigInt(r.params.floor as string);
      const now = new Map<string, { message: string; data: Record<string, unknown> }>();
      if (reserve < floor) now.set('pool', { message: `reserve ${this.amount(reserve)} is below its floor ${this.amount(floor)}`, data: { reserve, floor } });
      edge(r, now);
    }

    const spRules = byKind('share-price-drop');
    if (spRules.length) {
      // Every block since the last pass (the last 64 when more): a drop inside a block is what the rule is about.
      const first = Math.max(from, to - 63);
      let prev = s.sharePrice !== null && first === from ? BigInt(s.sharePrice) : first > 0 ? await read<bigint>(a.pool, iLendingPoolAbi, 'convertToAssets', [this.shareUnit], BigInt(first - 1)).catch(() => null) : null;
      for (let b = first; b <= to; b++) {
        // Null before the pool existed (a first pass from its deployment block).
        const p = await read<bigint>(a.pool, iLendingPoolAbi, 'convertToAssets', [this.shareUnit], BigInt(b)).catch(() => null);
        if (prev !== null && p !== null && p < prev) {
          const bts = b === to ? ts : Number((await this.pub.getBlock({ blockNumber: BigInt(b) })).timestamp);
          for (const r of spRules) emit(r, 'pool', `pool:${b}`, b, bts, `share price fell in block ${b}: ${this.amount(prev)} -> ${this.amount(p)} per share`, { before: prev, after: p, lossPpm: Number(((prev - p) * 1_000_000n) / prev) });
        }
        prev = p;
      }
      s.sharePrice = prev === null ? null : prev.toString();
    }
  }

  /** Sends each alert to each of its rule's channels that has not taken it yet; marks it per channel. Returns the
   * alerts at least one channel took now (not those every channel had already). */
  private async deliver(alerts: Alert[]): Promise<Alert[]> {
    let failure: Error | undefined;
    const fresh: Alert[] = [];
    for (const al of alerts) {
      const rule = this.o.config.rules.find((r) => r.id === al.rule)!;
      let isNew = false;
      for (const name of rule.channels) {
        const key = `${al.id}@${name}`;
        if (await this.o.store.wasSent(key)) continue;
        isNew = true;
        try {
          await this.o.channels.get(name)!.send(al);
          await this.o.store.markSent(key, toJson(al), al.timestamp);
        } catch (e) {
          failure ??= e as Error;
          this.log((e as Error).message);
        }
      }
      if (isNew) fresh.push(al);
    }
    if (failure) throw failure;
    return fresh;
  }

  private decode(log: RawLog): { eventName: string; args: Record<string, unknown> } | undefined {
    const a = this.o.addrs;
    const abis: readonly Abi[] = isAddressEqual(log.address, a.valuation)
      ? [iValuationAdminAbi, upgradedEvent]
      : isAddressEqual(log.address, a.traitPricer)
        ? [iTraitPricerAbi, upgradedEvent]
        : isAddressEqual(log.address, a.timelock)
          ? [timelockControllerAbi]
          : [upgradedEvent];
    for (const abi of abis) {
      try {
        // The ABI is picked at run time from several (a wide `Abi`), so viem types the arguments as unknown; the return type names the shape.
        return decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as never;
      } catch {
        /* the next ABI */
      }
    }
    return undefined;
  }

  /** `pool.setRateConfig((...))` from a timelock call's target and calldata, with the ABI of the target. */
  describeCall(target: Address, data: Hex): { text: string; fn?: string; args?: unknown[] } {
    const a = this.o.addrs;
    const named: [Address, string, Abi][] = [
      [a.pool, 'pool', iLendingPoolAbi], [a.valuation, 'valuation', iValuationAdminAbi], [a.traitPricer, 'traitPricer', iTraitPricerAbi],
      [a.auction, 'auction', dutchAuctionAbi], [a.timelock, 'timelock', timelockControllerAbi],
    ];
    const hit = named.find(([addr]) => isAddressEqual(addr, target));
    for (const [, name, abi] of hit ? [hit] : named) {
      try {
        const d = decodeFunctionData({ abi, data });
        const args = (d.args ?? []) as unknown[];
        return { text: `${hit ? name : target}.${d.functionName}(${args.map((x) => toJson(x)).join(', ')})`, fn: d.functionName, args };
      } catch {
        /* not this ABI */
      }
    }
    return { text: `${target} with calldata ${data.slice(0, 10)}… (${(data.length - 2) / 2} bytes)` };
  }
}

export const KIND_NAMES = Object.keys(RULE_KINDS);
