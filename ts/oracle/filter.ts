// The oracle service's judgement of a sale (pure functions; docs/oracle-service.md explains the rules):
//   outliers  a sale far from the median of the collection's recent sales, or far from the on-chain TWAP when the
//             recent sales do not confirm a move, or (with neither reference) far from the floor feed, is never pushed;
//   push      at most one sale per minimum spacing, and only when it says something: the TWAP is still bootstrapping,
//             the sale deviates from the TWAP by the deviation trigger, or the heartbeat is due.
import type { Sale } from '../indexer/sale.js';

export interface FilterConfig {
  /** How many earlier sales make the median (default 9). */
  medianWindow: number;
  /** Fewest earlier sales for the median rule to apply (default 3). */
  medianMinSales: number;
  /** A sale further than this from the median of the earlier sales is an outlier (bps, default 3,000 = 30 %). */
  medianBandBps: number;
  /** A sale further than this from the on-chain TWAP is an outlier unless the median confirms it (default 2,500). */
  twapBandBps: number;
  /** With no TWAP and too few earlier sales: a sale further than this from the floor feed is an outlier (5,000). */
  floorBandBps: number;
}

export interface PushConfig {
  /** Push when the sale is at least this far from the TWAP (bps, default 200 = 2 %). */
  deviationBps: number;
  /** Push when the newest observation is at least this old (seconds, default 3,600). */
  heartbeatSec: number;
}

export const DEFAULT_FILTER: FilterConfig = { medianWindow: 9, medianMinSales: 3, medianBandBps: 3_000, twapBandBps: 2_500, floorBandBps: 5_000 };
export const DEFAULT_PUSH: PushConfig = { deviationBps: 200, heartbeatSec: 3_600 };

export type OutlierReason = 'far-from-median' | 'far-from-twap' | 'far-from-floor' | 'no-reference' | 'self-trade';

/** What the filter knows about the collection besides the sales. */
export interface References {
  /** The on-chain TWAP when it has at least minSales observations (it is then clamped on chain), else undefined. */
  twap?: bigint;
  /** The floor feed's answer in pool-asset units, when it is valid. */
  floor?: bigint;
}

export function median(xs: readonly bigint[]): bigint {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2n;
}

/** |a - b| >= ref x bps / 10,000, in integers. */
export function deviatesAtLeast(a: bigint, ref: bigint, bps: number): boolean {
  const d = a > ref ? a - ref : ref - a;
  return d * 10_000n >= ref * BigInt(bps);
}
const beyond = (a: bigint, ref: bigint, bps: number) => {
  const d = a > ref ? a - ref : ref - a;
  return d * 10_000n > ref * BigInt(bps);
};

/**
 * Judges every sale of `sales` (oldest first) against the sales before it: returns the reason each outlier is one
 * (undefined: accepted). Each sale's median is taken over the `medianWindow` sales before it, outliers included
 * (self-trades excepted): one far-off sale never moves it, and a real move is followed once it is the majority of the
 * window (5 of 9 sales by default). A burst that large is the on-chain clamp's to bound (docs/oracle-service.md).
 */
export function judge(sales: readonly Sale[], refs: References, cfg: FilterConfig = DEFAULT_FILTER): (OutlierReason | undefined)[] {
  const out: (OutlierReason | undefined)[] = [];
  const kept: bigint[] = [];
  for (const s of sales) {
    const p = s.unitPrice;
    let why: OutlierReason | undefined;
    if (s.seller.toLowerCase() === s.buyer.toLowerCase()) why = 'self-trade';
    const recent = kept.slice(-cfg.medianWindow);
    const med = recent.length >= cfg.medianMinSales ? median(recent) : undefined;
    if (!why && med !== undefined && beyond(p, med, cfg.medianBandBps)) why = 'far-from-median';
    if (!why && refs.twap !== undefined && refs.twap > 0n && beyond(p, refs.twap, cfg.twapBandBps)) {
      // The market may have moved: accepted when the recent sales' median sits beyond the band on the same side
      // (a majority of the earlier sales agree). Each accepted sale is then clamped on chain around the anchor.
      const confirmed = med !== undefined && beyond(med, refs.twap, cfg.twapBandBps) && (med > refs.twap) === (p > refs.twap);
      if (!confirmed) why = 'far-from-twap';
    }
    if (!why && refs.twap === undefined && med === undefined) {
      if (refs.floor === undefined || refs.floor === 0n) why = 'no-reference';
      else if (beyond(p, refs.floor, cfg.floorBandBps)) why = 'far-from-floor';
    }
    out.push(why);
    if (why !== 'self-trade') kept.push(p);
  }
  return out;
}

/** The on-chain TWAP state the push decision needs. */
export interface TwapView {
  twap: bigint;
  ready: boolean;
  count: number;
  minSales: number;
  /** Timestamp of the newest observation (0: none). */
  newestTime: number;
  minSpacing: number;
}

export type PushDecision =
  | { push: true; why: 'bootstrap' | 'deviation' | 'heartbeat' }
  | { push: false; why: 'too-soon' | 'no-trigger' | 'not-newer' | 'in-future' };

/** Whether to push the sale at `timestamp` and `price` now (block time `now`). */
export function decidePush(sale: { timestamp: number; price: bigint }, t: TwapView, now: number, cfg: PushConfig = DEFAULT_PUSH): PushDecision {
  if (sale.timestamp > now) return { push: false, why: 'in-future' };
  if (t.count > 0 && sale.timestamp <= t.newestTime) return { push: false, why: 'not-newer' };
  if (t.count > 0 && sale.timestamp < t.newestTime + t.minSpacing) return { push: false, why: 'too-soon' };
  if (t.count < t.minSales || !t.ready) return { push: true, why: 'bootstrap' };
  if (deviatesAtLeast(sale.price, t.twap, cfg.deviationBps)) return { push: true, why: 'deviation' };
  if (now - t.newestTime >= cfg.heartbeatSec) return { push: true, why: 'heartbeat' };
  return { push: false, why: 'no-trigger' };
}
