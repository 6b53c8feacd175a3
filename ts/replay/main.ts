// `make replay`: replays a market series against the real protocol on an embedded anvil and writes one folder with
// report.md, summary.json, plot.svg and plot.png. `--help` lists every option.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describe } from '../deploy/deploy.js';
import { DEFAULT_SCENARIO, runReplay, type RunResult, type Scenario } from './engine.js';
import { loadParams, type ParamSet } from './params.js';
import { figures, markdown, plotSpec, render, summaryJson, type Figures } from './report.js';
import { DEFAULT_CRASH, InputError, loadSeries, syntheticSeries, type CrashSpec, type Series } from './series.js';

/** Where the real series are: CRASH_DATA, else ../shared/data/crashes (CI has them beside the clone). */
export const dataDir = () => process.env.CRASH_DATA ?? '../shared/data/crashes';
export const DATA_DIR = dataDir();
export const DEFAULT_SERIES = 'bayc_2022-07_2022-09_benddao_floorask_1h_reservoir.csv';

const HELP = `usage: tsx ts/replay/main.ts [options]      (make replay REPLAY_ARGS="...")

Replays a market series hour by hour against the protocol deployed as \`make deploy\` does (embedded anvil) and
writes <out>/report.md, summary.json, plot.svg and plot.png. Same inputs and seed: byte-identical outputs.

input
  --series FILE          CSV: timestamp,floor_eth,... (hourly) or timestamp,price_eth,... (events)
                         (default ${DATA_DIR}/${DEFAULT_SERIES}; when that is missing and
                         no --series is given, the seeded synthetic crash below is used, with a note)
  --synthetic            use the seeded synthetic crash generator instead of a file
  --hours N              replay only the first N hours of the series
  --max-gap-hours N      events format: longest allowed gap between events (default 72)
  --params FILE          parameter set (default replay/params/ours.json; see replay/params/)
  --out DIR              output folder (default replay/out/<params>-<series>); replaced whole at the end
synthetic crash (with --synthetic)
  --start-price ETH      floor before the crash (default ${DEFAULT_CRASH.startPrice})
  --calm-hours N         hours before the crash (default ${DEFAULT_CRASH.calmHours})
  --crash-depth X        fall as a fraction, 0 < X < 1 (default ${DEFAULT_CRASH.depth})
  --crash-hours N        hours from the top to the bottom (default ${DEFAULT_CRASH.crashHours})
  --bottom-hours N       hours at the bottom (default ${DEFAULT_CRASH.bottomHours})
  --recovery X           share of the fall recovered, 0..1 (default ${DEFAULT_CRASH.recovery})
  --recovery-hours N     hours of the recovery (default ${DEFAULT_CRASH.recoveryHours})
  --noise X              hourly log-price noise (default ${DEFAULT_CRASH.noise})
scenario
  --loans N              loans in the book (default ${DEFAULT_SCENARIO.loans})
  --ltv-min X            smallest loan as a fraction of the maximum LTV (default ${DEFAULT_SCENARIO.ltvMin})
  --open-hours N         hours over which the book opens (default ${DEFAULT_SCENARIO.openHours})
  --open-at N|peak       hour at which the book starts to open; peak: the open hours before the series' highest
                         floor (default 0: the first hour)
  --utilisation X        deposits = planned book / X (default ${DEFAULT_SCENARIO.utilisation})
  --lenders N            lenders sharing the deposits (default ${DEFAULT_SCENARIO.lenders})
  --repay-share X        share of borrowers who repay when health falls below --repay-hf (default ${DEFAULT_SCENARIO.repayShare})
  --repay-hf X           that health level (default ${DEFAULT_SCENARIO.repayHf})
  --discount X           bidders buy at or below (1 - X) x the hour's floor (default ${DEFAULT_SCENARIO.discount})
  --depth K              at most K purchases a day across all auctions (default ${DEFAULT_SCENARIO.depth})
  --run-share X          share of lenders who run on a share-price dip or utilisation above the kink (default ${DEFAULT_SCENARIO.runShare})
  --sale-noise X         derived sales: floor x (1 + |N(0, X)|) (default ${DEFAULT_SCENARIO.saleNoise})
  --tail-hours N         hours at the last floor after the series so auctions end (default ${DEFAULT_SCENARIO.tailHours}; raised to
                         every round of an auction started at the last hour and its unlock:
                         4 x (duration + 1 h) + 24 h + the unlock period; ends once nothing is open or locked)
  --seed N               seed of the book, the sales and the synthetic series (default ${DEFAULT_SCENARIO.seed})
other
  --quiet                no progress lines
  --help                 this text

Exit status: 0 done; 1 bad input file (one line naming the file and line) or a failed run; 2 bad usage.`;

const OPTIONS = {
  series: { type: 'string' },
  synthetic: { type: 'boolean' },
  hours: { type: 'string' },
  'max-gap-hours': { type: 'string' },
  params: { type: 'string' },
  out: { type: 'string' },
  'start-price': { type: 'string' },
  'calm-hours': { type: 'string' },
  'crash-depth': { type: 'string' },
  'crash-hours': { type: 'string' },
  'bottom-hours': { type: 'string' },
  recovery: { type: 'string' },
  'recovery-hours': { type: 'string' },
  noise: { type: 'string' },
  loans: { type: 'string' },
  'ltv-min': { type: 'string' },
  'open-hours': { type: 'string' },
  'open-at': { type: 'string' },
  utilisation: { type: 'string' },
  lenders: { type: 'string' },
  'repay-share': { type: 'string' },
  'repay-hf': { type: 'string' },
  discount: { type: 'string' },
  depth: { type: 'string' },
  'run-share': { type: 'string' },
  'sale-noise': { type: 'string' },
  'tail-hours': { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export class UsageError extends Error {}

export interface Invocation {
  help: boolean;
  quiet: boolean;
  series: Series;
  params: ParamSet;
  scenario: Scenario;
  out: string;
  note?: string;
}

/** The book opens over the `openHours` before the series' highest floor (its first hour at that level). */
export function peakOpen(series: Series, openHours: number): number {
  let peak = 0;
  series.floors.forEach((f, i) => {
    if (f > series.floors[peak]) peak = i;
  });
  return Math.min(Math.max(0, peak - openHours), series.floors.length - 2);
}

/** Parses argv (strict): unknown flags and missing values are usage errors; files are read and checked here. */
export function parseInvocation(argv: string[]): Invocation {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  if (values.help) return { help: true } as Invocation;
  const num = (name: string, def: number, check: (x: number) => boolean, what: string): number => {
    const v = values[name];
    if (v === undefined) return def;
    const x = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} ${v}: expected ${what}`);
    return x;
  };
  const int = (x: number) => Number.isInteger(x);
  const frac = (x: number) => x >= 0 && x <= 1;
  const scenario: Scenario = {
    loans: num('loans', DEFAULT_SCENARIO.loans, (x) => int(x) && x >= 1 && x <= 1000, 'an integer 1..1000'),
    ltvMin: num('ltv-min', DEFAULT_SCENARIO.ltvMin, (x) => x > 0 && x <= 1, 'a fraction in (0, 1]'),
    openHours: num('open-hours', DEFAULT_SCENARIO.openHours, (x) => int(x) && x >= 1, 'a positive integer'),
    openAt: 0,
    utilisation: num('utilisation', DEFAULT_SCENARIO.utilisation, (x) => x > 0 && x <= 1, 'a fraction in (0, 1]'),
    lenders: num('lenders', DEFAULT_SCENARIO.lenders, (x) => int(x) && x >= 1 && x <= 100, 'an integer 1..100'),
    repayShare: num('repay-share', DEFAULT_SCENARIO.repayShare, frac, 'a fraction 0..1'),
    repayHf: num('repay-hf', DEFAULT_SCENARIO.repayHf, (x) => x >= 1 && x <= 10, 'a number 1..10'),
    discount: num('discount', DEFAULT_SCENARIO.discount, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)'),
    depth: num('depth', DEFAULT_SCENARIO.depth, (x) => int(x) && x >= 0, 'a non-negative integer'),
    runShare: num('run-share', DEFAULT_SCENARIO.runShare, frac, 'a fraction 0..1'),
    saleNoise: num('sale-noise', DEFAULT_SCENARIO.saleNoise, (x) => x >= 0 && x <= 0.09, 'a number 0..0.09 (the oracle clamps sales to ±10 %)'),
    tailHours: num('tail-hours', DEFAULT_SCENARIO.tailHours, (x) => int(x) && x >= 0, 'a non-negative integer'),
    seed: num('seed', DEFAULT_SCENARIO.seed, (x) => int(x) && x >= 0 && x < 2 ** 31, 'an integer 0..2^31'),
  };
  const crash: CrashSpec = {
    startPrice: num('start-price', DEFAULT_CRASH.startPrice, (x) => x > 0 && x < 10_000, 'a price in (0, 10000) ETH'),
    calmHours: num('calm-hours', DEFAULT_CRASH.calmHours, (x) => int(x) && x >= 1, 'a positive integer'),
    depth: num('crash-depth', DEFAULT_CRASH.depth, (x) => x > 0 && x < 1, 'a fraction in (0, 1)'),
    crashHours: num('crash-hours', DEFAULT_CRASH.crashHours, (x) => int(x) && x >= 1, 'a positive integer'),
    bottomHours: num('bottom-hours', DEFAULT_CRASH.bottomHours, (x) => int(x) && x >= 0, 'a non-negative integer'),
    recovery: num('recovery', DEFAULT_CRASH.recovery, frac, 'a fraction 0..1'),
    recoveryHours: num('recovery-hours', DEFAULT_CRASH.recoveryHours, (x) => int(x) && x >= 1, 'a positive integer'),
    noise: num('noise', DEFAULT_CRASH.noise, (x) => x >= 0 && x <= 0.1, 'a number 0..0.1'),
    seed: scenario.seed,
  };
  const hoursLimit = values.hours === undefined ? undefined : num('hours', 0, (x) => int(x) && x >= 2, 'an integer >= 2');
  const maxGapHours = num('max-gap-hours', 72, (x) => x > 0, 'a positive number');
  if (values.synthetic && values.series) throw new UsageError('--series and --synthetic exclude each other');

  let series: Series;
  let note: string | undefined;
  const defaultFile = join(dataDir(), DEFAULT_SERIES);
  if (values.synthetic || (!values.series && !existsSync(defaultFile))) {
    if (!values.synthetic) note = `no data at ${defaultFile}: running the seeded synthetic series instead (--synthetic)`;
    series = syntheticSeries(crash);
    series.name = `synthetic-d${Math.round(crash.depth * 100)}-h${crash.crashHours}`;
  } else {
    const file = (values.series as string | undefined) ?? defaultFile;
    series = loadSeries(file, { maxGapHours });
    series.name = basename(file).replace(/\.csv$/i, '');
  }
  if (hoursLimit !== undefined) series.floors = series.floors.slice(0, hoursLimit);
  const openAt = values['open-at'];
  if (openAt === 'peak') scenario.openAt = peakOpen(series, scenario.openHours);
  else if (openAt !== undefined) {
    const x = Number(openAt);
    if (typeof openAt !== 'string' || openAt.trim() === '' || !Number.isInteger(x) || x < 0 || x >= series.floors.length - 1) {
      throw new UsageError(`--open-at ${openAt}: expected 'peak' or an hour 0..${series.floors.length - 2}`);
    }
    scenario.openAt = x;
  }
  const params = loadParams((values.params as string | undefined) ?? 'replay/params/ours.json');
  const out = (values.out as string | undefined) ?? join('replay/out', `${params.name}-${series.name}`);
  return { help: false, quiet: !!values.quiet, series, params, scenario, out, note };
}

/** Writes the run's files into `out` atomically: a temporary sibling folder, renamed over `out` at the end. */
export async function writeOutputs(r: RunResult, out: string): Promise<Figures> {
  const fig = figures(r);
  const target = resolve(out);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const { svg, png } = await render(plotSpec(r));
    writeFileSync(join(tmp, 'report.md'), markdown(r, fig));
    writeFileSync(join(tmp, 'summary.json'), summaryJson(r, fig));
    writeFileSync(join(tmp, 'plot.svg'), svg);
    writeFileSync(join(tmp, 'plot.png'), png);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return fig;
}

export async function main(argv: string[]): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseInvocation(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`replay: ${e.message} (see --help)`);
      return 2;
    }
    if (e instanceof InputError) {
      console.error(`replay: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if (inv.help) {
    console.log(HELP);
    return 0;
  }
  const log = inv.quiet ? () => {} : (l: string) => console.log(l);
  if (inv.note) console.log(`replay: ${inv.note}`);
  try {
    const started = Date.now();
    const r = await runReplay(inv.series, inv.params, inv.scenario, { log });
    const fig = await writeOutputs(r, inv.out);
    const s = (Date.now() - started) / 1000;
    console.log(`replay: ${r.series.hours} market hours (+${r.hours.length - r.series.hours} tail) in ${(r.elapsedMs / 1000).toFixed(1)} s of replay ` +
      `(${(r.hours.length / (r.elapsedMs / 1000)).toFixed(1)} market-hours/s; ${s.toFixed(1)} s with deployment and plots), ${r.transactions} transactions, ${r.keeperTicks} keeper ticks`);
    console.log(`replay: bad debt ${fig.badDebt.toFixed(4)} WETH (${fig.badDebtPct.toFixed(3)} %), auctions ${fig.auctionsStarted} started / ${fig.auctionsCleared} cleared / ${fig.auctionsNoBid} without a bid (${fig.relistedRounds} rounds relisted); identity residual ${fig.identityResidualWei} wei; ${inv.out}/report.md`);
    return 0;
  } catch (e) {
    if (process.env.REPLAY_DEBUG) console.error(e);
    console.error(`replay failed: ${describe(e)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
