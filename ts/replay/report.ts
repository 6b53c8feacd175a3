// The replay's outputs: figures computed from a run, a Markdown report, a JSON summary and a plot (SVG from
// vega-lite, PNG from resvg with an explicit font). Nothing here depends on the wall clock, so the same run gives
// byte-identical files.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatEther } from 'viem';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from './engine.js';

const require = createRequire(import.meta.url);

export const FONT_FILE = process.env.REPLAY_FONT ?? '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const FONT_FAMILY = 'DejaVu Sans';

export interface Figures {
  series: string;
  params: string;
  hours: number;
  loans: number;
  deposits: number;
  badDebt: number;
  badDebtPct: number;
  reserveUsed: number;
  auctionsStarted: number;
  auctionsCleared: number;
  auctionsNoBid: number;
  auctionsOpenAtEnd: number;
  /** Relists: rounds that ended without a bid and were put up again (the first round not counted). */
  relistedRounds: number;
  /** Auctions that sold in a relisted round. */
  soldAfterRelist: number;
  /** Settlement rewards paid to settlers (WETH). */
  settlerRewards: number;
  /** Recoveries still locked at the end, not yet in the share price (WETH). */
  lockedRecoveryAtEnd: number;
  clearingOverFloorMedian: number | null;
  clearingOverFloorMin: number | null;
  hoursToStartMedian: number | null;
  hoursToStartMax: number | null;
  lpReturnAnnualised: number;
  maxDrawdown: number;
  lendersOutBeforeLoss: number;
  lendersOutAfterLoss: number;
  lendersStayed: number;
  unsoldFloorValue: number;
  identityResidualWei: string;
}

const eth = (w: bigint) => Number(formatEther(w));
const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** deposits + interest + penalties + custody recoveries − keeper and settler rewards − bad debt − withdrawals −
 * (pool assets + recovery still locked + reserve): 0. `totalAssets()` excludes the locked part of past recoveries, which
 * the lenders own all the same, so the identity adds it back as the pool's `lockedRecovery()` reports it. */
export function identityResidual(r: RunResult): bigint {
  const L = r.ledger;
  return L.deposits + L.interest + L.penalties + L.recoveries - L.keeperRewards - L.badDebt - L.withdrawals - (L.totalAssets + L.lockedRecovery + L.reserve);
}

export function figures(r: RunResult): Figures {
  const sold = r.loans.filter((l) => l.end === 'sold');
  const ratios = sold.map((l) => eth(l.price!) / l.floorAtSale!);
  const waits = r.loans.filter((l) => l.auctionHour !== undefined && l.firstBelow1Hour !== undefined).map((l) => l.auctionHour! - l.firstBelow1Hour!);
  const sp0 = r.hours[0]?.sharePrice ?? 1;
  const sp1 = r.hours[r.hours.length - 1]?.sharePrice ?? 1;
  const years = r.hours.length / (24 * 365);
  let peak = 0;
  let dd = 0;
  for (const h of r.hours) {
    peak = Math.max(peak, h.sharePrice);
    dd = Math.max(dd, (peak - h.sharePrice) / peak);
  }
  let before = 0;
  let after = 0;
  let stayed = 0;
  for (const l of r.lenders) {
    if (l.exitHour === undefined) stayed++;
    else if (l.withdrawn + l.held >= l.deposited) before++;
    else after++;
  }
  const unsold = r.loans.filter((l) => l.end === 'written-off' || l.end === 'in-auction');
  const deposits = eth(r.ledger.deposits);
  return {
    series: r.series.name,
    params: r.params.name,
    hours: r.series.hours,
    loans: r.loans.length,
    deposits,
    badDebt: eth(r.ledger.badDebt),
    badDebtPct: deposits > 0 ? (100 * eth(r.ledger.badDebt)) / deposits : 0,
    reserveUsed: eth(r.ledger.badDebtFromReserve),
    auctionsStarted: r.loans.filter((l) => l.auctionHour !== undefined).length,
    auctionsCleared: sold.length,
    auctionsNoBid: r.loans.filter((l) => l.end === 'written-off').length,
    auctionsOpenAtEnd: r.loans.filter((l) => l.end === 'in-auction').length,
    relistedRounds: r.loans.reduce((n, l) => n + l.relists, 0),
    soldAfterRelist: sold.filter((l) => l.relists > 0).length,
    settlerRewards: eth(r.ledger.settlerRewards),
    lockedRecoveryAtEnd: eth(r.ledger.lockedRecovery),
    clearingOverFloorMedian: median(ratios),
    clearingOverFloorMin: ratios.length ? Math.min(...ratios) : null,
    hoursToStartMedian: median(waits),
    hoursToStartMax: waits.length ? Math.max(...waits) : null,
    lpReturnAnnualised: years > 0 ? Math.pow(sp1 / sp0, 1 / years) - 1 : 0,
    maxDrawdown: dd,
    lendersOutBeforeLoss: before,
    lendersOutAfterLoss: after,
    lendersStayed: stayed,
    unsoldFloorValue: unsold.length * r.lastFloor,
    identityResidualWei: identityResidual(r).toString(),
  };
}

const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
const pct = (x: number | null, d = 2) => (x === null ? 'n/a' : `${(x * 100).toFixed(d)} %`);
const iso = (t: number) => new Date(t * 1000).toISOString().replace(':00.000Z', 'Z');
const w = (x: bigint) => `${Number(formatEther(x)).toFixed(6)}`;

export function markdown(r: RunResult, fig: Figures): string {
  const s = r.scenario;
  const L = r.ledger;
  const out: string[] = [];
  out.push(`# Crash replay: ${r.params.name} on ${r.series.name}`, '');
  out.push(`- Series: ${r.series.source} (${r.series.format}; ${r.series.hours} hours from ${iso(r.series.start)}${r.series.filled ? `; ${r.series.filled} hours without an event, forward-filled` : ''}), then ${r.hours.length - r.series.hours} hours at the last floor so every auction ends.`);
  out.push(`- Parameter set: \`${r.params.name}\` (${r.params.file}). ${r.params.description}`);
  out.push(`- Terms in force: LTV ${r.terms.ltvBps / 100} %, liquidation threshold ${r.terms.liqThresholdBps / 100} %, haircut ${r.terms.haircutBps / 100} %, penalty ${r.terms.penaltyBps / 100} % (keeper ${r.terms.keeperShareBps / 100} % of it), auction ${r.terms.auctionStartBps / 100} % → ${r.terms.auctionReserveBps / 100} % of the value over ${r.terms.auctionDuration / 3600} h, loans ${r.terms.duration / 86400} d + ${r.terms.grace / 86400} d grace; valuation ${r.params.valuation.mode}.`);
  out.push(`- Rates: base ${pct(r.rate.baseRate)}, slope ${pct(r.rate.slope1)} to the ${r.rate.kinkBps / 100} % kink, ${pct(r.rate.slope2)} above; reserve factor ${r.rate.reserveFactorBps / 100} %.`);
  out.push(`- Scenario: ${s.loans} loans opened over ${s.openHours} h from hour ${s.openAt} at ${s.ltvMin * 100}–100 % of the maximum LTV; deposits sized for ${s.utilisation * 100} % utilisation across ${s.lenders} lenders; ${s.repayShare * 100} % of borrowers repay below health ${s.repayHf} (the rest walk away; healthy loans are renewed at maturity); bidders buy at or below ${(1 - s.discount) * 100} % of the hour's floor, at most ${s.depth} purchases a day; ${s.runShare * 100} % of lenders run once the share price dips or utilisation passes the kink; sale noise ${s.saleNoise}; seed ${s.seed}.`);
  out.push('', '![replay](plot.svg)', '', '## Figures', '');
  out.push('| figure | value |', '|---|---|');
  const rows: [string, string][] = [
    ['bad debt', `${f(fig.badDebt, 4)} WETH (${f(fig.badDebtPct, 3)} % of ${f(fig.deposits, 0)} WETH deposits)`],
    ['reserve used', `${f(fig.reserveUsed, 4)} WETH`],
    ['auctions started / cleared / without a bid / open at the end', `${fig.auctionsStarted} / ${fig.auctionsCleared} / ${fig.auctionsNoBid} / ${fig.auctionsOpenAtEnd}`],
    ['rounds relisted after no bid (auctions sold in a relisted round)', `${fig.relistedRounds} (${fig.soldAfterRelist})`],
    ['settlement rewards paid', `${f(fig.settlerRewards, 4)} WETH`],
    ['recovery still locked at the end (not yet in the share price)', `${f(fig.lockedRecoveryAtEnd, 4)} WETH`],
    ['clearing price ÷ floor (median, min)', `${f(fig.clearingOverFloorMedian, 3)}, ${f(fig.clearingOverFloorMin, 3)}`],
    ['hours from health < 1 to auction start (median, max)', `${f(fig.hoursToStartMedian, 0)}, ${f(fig.hoursToStartMax, 0)}`],
    ['LP return (annualised)', pct(fig.lpReturnAnnualised)],
    ['largest share-price drawdown', pct(fig.maxDrawdown, 4)],
    ['lenders out before a loss / after a loss / stayed', `${fig.lendersOutBeforeLoss} / ${fig.lendersOutAfterLoss} / ${fig.lendersStayed}`],
    ['NFTs written off or unsold at the end, at the last floor', `${f(fig.unsoldFloorValue, 2)} WETH`],
  ];
  for (const [k, v] of rows) out.push(`| ${k} | ${v} |`);
  out.push('', '## Accounting identity (wei)', '');
  out.push('deposits + interest + penalties + custody recoveries − keeper and settler rewards − bad debt − withdrawals = pool assets + locked recovery + reserve', '');
  out.push('| term | wei |', '|---|---|');
  for (const [k, v] of [
    ['deposits (Deposit events)', L.deposits],
    ['interest (what borrowers paid, renewed, were sold for, had written off or still owe, less principal)', L.interest],
    ['penalties (auction proceeds − debt repaid − borrower surplus)', L.penalties],
    ['custody recoveries (RecoveryBooked events)', L.recoveries],
    ['keeper and settler rewards (claimed + claimable)', L.keeperRewards],
    ['of which settlement rewards (SettlerPaid events)', L.settlerRewards],
    ['bad debt (BadDebt events = badDebt())', L.badDebt],
    ['withdrawals (Withdraw events)', L.withdrawals],
    ['pool assets (totalAssets())', L.totalAssets],
    ['recovery still locked (lockedRecovery())', L.lockedRecovery],
    ['reserve (reserve())', L.reserve],
  ] as [string, bigint][]) out.push(`| ${k} | ${v} |`);
  out.push(`| **residual** | **${fig.identityResidualWei}** |`);

  const lost = r.loans.filter((l) => (l.badDebt ?? 0n) > 0n || l.end === 'in-auction');
  out.push('', '## Loans that lost', '');
  if (!lost.length) out.push('None: every liquidated loan was sold for at least its debt.');
  else {
    out.push('| loan | principal | LTV at open (of floor) | health < 1 at hour | auction at hour | end | price | floor then | bad debt |', '|---|---|---|---|---|---|---|---|---|');
    for (const l of lost) {
      out.push(`| ${l.id} | ${w(l.principal)} | ${pct(l.ltvAtOpen, 1)} | ${l.firstBelow1Hour ?? '-'} | ${l.auctionHour ?? '-'} | ${l.end}${l.endHour !== undefined ? ` (hour ${l.endHour})` : ''} | ${l.price !== undefined ? w(l.price) : '-'} | ${l.floorAtSale ?? '-'} | ${l.badDebt !== undefined ? w(l.badDebt) : '-'} |`);
    }
    out.push('', 'Why: an auction round that found no bidder at or below the bidders\' limit within its duration (the day\'s depth was taken, or its reserve stayed above (1 − discount) × floor) was settled by the keeper and relisted from its last reserve down to half of it; after the last relist ended unsold too, the keeper\'s settlement wrote the whole frozen debt off (booked as a loss since the auction started) and sent the NFT to custody; a sale below the frozen debt writes off the difference.');
  }
  out.push('', '## Loan book', '');
  out.push('| loan | borrower repays | principal | LTV at open | renewals | health < 1 at hour | auction at hour | relists | end | price | price ÷ floor | bad debt |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of r.loans) {
    out.push(`| ${l.id} | ${l.responsive ? 'yes' : 'no'} | ${w(l.principal)} | ${pct(l.ltvAtOpen, 1)} | ${l.renewals} | ${l.firstBelow1Hour ?? '-'} | ${l.auctionHour ?? '-'} | ${l.auctionHour !== undefined ? l.relists : '-'} | ${l.end}${l.endHour !== undefined ? ` (${l.endHour})` : ''} | ${l.price !== undefined ? w(l.price) : '-'} | ${l.price !== undefined && l.floorAtSale ? f(eth(l.price) / l.floorAtSale, 3) : '-'} | ${l.badDebt !== undefined ? w(l.badDebt) : '-'} |`);
  }
  out.push('', '## Lenders', '');
  out.push('| lender | runs | deposited | withdrawn | held at the end | out at hour |', '|---|---|---|---|---|---|');
  r.lenders.forEach((l, i) => out.push(`| ${i} | ${l.runner ? 'yes' : 'no'} | ${w(l.deposited)} | ${w(l.withdrawn)} | ${w(l.held)} | ${l.exitHour ?? '-'} |`));
  out.push('');
  return out.join('\n');
}

/** The vega-lite spec of the run's plot: price, loans below health 1, cumulative bad debt, share price. */
export function plotSpec(r: RunResult): TopLevelSpec {
  const sp0 = r.hours[0]?.sharePrice || 1;
  const rows = r.hours.map((h) => ({ t: h.t * 1000, floor: h.floor, valuation: h.valuation, below1: h.below1, badDebt: h.badDebt, sharePrice: h.sharePrice / sp0 }));
  const prices = rows.flatMap((x) => [
    { t: x.t, what: 'floor', v: x.floor },
    ...(x.valuation === null ? [] : [{ t: x.t, what: 'valuation min(TWAP, floor)', v: x.valuation }]),
  ]);
  const tOf = (h: number) => r.series.start * 1000 + h * 3_600_000;
  const marks = [
    ...r.loans.filter((l) => l.auctionHour !== undefined).map((l) => ({ t: tOf(l.auctionHour!), v: r.hours[l.auctionHour!]?.floor ?? r.lastFloor, what: 'auction start (at the floor)' })),
    ...r.loans.filter((l) => l.end === 'sold').map((l) => ({ t: tOf(l.endHour!), v: eth(l.price!), what: 'clearing price' })),
  ];
  const x = { field: 't', type: 'temporal', title: null, axis: { format: '%b %d' } } as const;
  const width = 860;
  const h = 150;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    config: { font: FONT_FAMILY, view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'top', labelFontSize: 11, labelLimit: 400 } },
    title: { text: `${r.params.name} on ${r.series.name}`, fontSize: 15 },
    vconcat: [
      {
        width, height: 220,
        layer: [
          { data: { values: prices }, mark: { type: 'line', strokeWidth: 1.4 }, encoding: { x, y: { field: 'v', type: 'quantitative', title: 'WETH', scale: { zero: false } }, color: { field: 'what', type: 'nominal', title: null, scale: { domain: ['floor', 'valuation min(TWAP, floor)', 'auction start (at the floor)', 'clearing price'], range: ['#1f77b4', '#ff7f0e', '#d62728', '#2ca02c'] } } } },
          { data: { values: marks }, mark: { type: 'point', filled: true, size: 40, opacity: 0.85 }, encoding: { x, y: { field: 'v', type: 'quantitative' }, color: { field: 'what', type: 'nominal', title: null }, shape: { field: 'what', type: 'nominal', title: null, scale: { domain: ['auction start (at the floor)', 'clearing price'], range: ['triangle-down', 'circle'] }, legend: null } } },
        ],
      },
      { width, height: h, data: { values: rows }, mark: { type: 'area', color: '#d62728', opacity: 0.6, interpolate: 'step-after' }, encoding: { x, y: { field: 'below1', type: 'quantitative', title: 'loans with health < 1' } } },
      { width, height: h, data: { values: rows }, mark: { type: 'line', color: '#7f0000' }, encoding: { x, y: { field: 'badDebt', type: 'quantitative', title: 'cumulative bad debt (WETH)' } } },
      { width, height: h, data: { values: rows }, mark: { type: 'line', color: '#2ca02c' }, encoding: { x, y: { field: 'sharePrice', type: 'quantitative', title: 'LP share price (start = 1)', scale: { zero: false } } } },
    ],
  };
}

/** SVG through vega (no browser), PNG through resvg with the DejaVu font given explicitly. */
export async function render(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  if (!existsSync(FONT_FILE)) {
    throw new Error(`font ${FONT_FILE} is missing: run 'make replay-setup' (installs Debian's fonts-dejavu-core) or set REPLAY_FONT to a TTF file`);
  }
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 1.5 },
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  }).render().asPng();
  return { svg, png: Buffer.from(png) };
}

/** The JSON summary: figures, the run's settings, loans, lenders and ledger (bigints as decimal strings). The
 * hourly rows are left out: for a real series they would be a copy of its floor column. */
export function summaryJson(r: RunResult, fig: Figures): string {
  const { elapsedMs: _omit, hours, ...rest } = r;
  void _omit;
  return JSON.stringify({ figures: fig, run: { ...rest, hourCount: hours.length } }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1) + '\n';
}
