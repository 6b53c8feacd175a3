// `make risk-report`: regenerates docs/risk/ in one command: the replay reports of both parameter sets on the three
// real series, the crash-speed x market-depth sweep on the synthetic generator, and the LTV frontier; then
// docs/risk/SUMMARY.md with the tables. One deployment is shared by every run (anvil snapshot and revert).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { describe } from '../deploy/deploy.js';
import { DEFAULT_SCENARIO, openChain, runOn, type ReplayChain, type Scenario } from './engine.js';
import { DATA_DIR, peakOpen, writeOutputs } from './main.js';
import { loadParams, type ParamSet } from './params.js';
import { render, type Figures } from './report.js';
import { DEFAULT_CRASH, InputError, loadSeries, syntheticSeries, type Series } from './series.js';

export const REAL_SERIES = [
  'bayc_2022-07_2022-09_benddao_floorask_1h_reservoir.csv',
  'bayc_2022-10_2022-12_ftx_floorask_1h_reservoir.csv',
  'cryptopunks_2021-07_2021-09_nftx_vault_swaps.csv',
];
export const SPEEDS = [6, 24, 72]; // hours from the top to the bottom of the crash
export const DEPTHS = [1, 3, 10]; // purchases per day
/** The sweep's fall: deep enough to reach the BendDAO-like set's liquidation level (90 % of the floor on loans of up
 * to 40 % of it: a fall of more than 55.6 % for the largest loans). */
export const SWEEP_DEPTH = 0.65;
export const LTVS = [5000, 6500, 8000];

const HELP = `usage: tsx ts/replay/risk.ts [options]      (make risk-report RISK_ARGS="...")

Regenerates docs/risk/: the replay of replay/params/ours.json and benddao.json on the three real series
(${REAL_SERIES.join(', ')}),
the synthetic sweep (a 65 % crash over ${SPEEDS.join(' / ')} h against ${DEPTHS.join(' / ')} purchases a day, both sets),
the LTV frontier of our design (max LTV ${LTVS.map((l) => l / 100).join(' / ')} %, liquidation threshold LTV + 20 points,
on the three real series and two fast thin-market crashes), and docs/risk/SUMMARY.md.

  --data DIR     folder of the real series (default ${DATA_DIR})
  --out DIR      output folder (default docs/risk)
  --parts LIST   comma-separated: reports, sweep, frontier (default all three)
  --help         this text`;

interface Row {
  label: string;
  fig: Figures;
}

const scenarioFor = (over: Partial<Scenario> = {}): Scenario => ({ ...DEFAULT_SCENARIO, ...over });

function sweepSeries(speed: number): Series {
  const s = syntheticSeries({ ...DEFAULT_CRASH, depth: SWEEP_DEPTH, calmHours: 36, crashHours: speed, bottomHours: 96, recovery: 0.3, recoveryHours: 72 });
  s.name = `synthetic-d${SWEEP_DEPTH * 100}-h${speed}`;
  return s;
}

function withLtv(base: ParamSet, ltv: number): ParamSet {
  return {
    ...base,
    name: `ours-ltv${ltv / 100}`,
    description: `Our design at a maximum LTV of ${ltv / 100} % (liquidation threshold ${Math.min(ltv + 2000, 9500) / 100} %), everything else the defaults.`,
    terms: { ...base.terms, ltvBps: ltv, liqThresholdBps: Math.min(ltv + 2000, 9500) },
  };
}

const n = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));

function figuresTable(rows: Row[]): string {
  const out = [
    '| run | bad debt (WETH) | % of deposits | reserve used | auctions started / cleared / no bid | clearing ÷ floor (median, min) | h from health < 1 to start (median, max) | LP return (ann.) | max drawdown | lenders out before / after a loss | unsold at floor (WETH) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { label, fig: f } of rows) {
    out.push(`| ${label} | ${n(f.badDebt, 3)} | ${n(f.badDebtPct, 3)} | ${n(f.reserveUsed, 3)} | ${f.auctionsStarted} / ${f.auctionsCleared} / ${f.auctionsNoBid} | ${n(f.clearingOverFloorMedian, 3)}, ${n(f.clearingOverFloorMin, 3)} | ${n(f.hoursToStartMedian, 0)}, ${n(f.hoursToStartMax, 0)} | ${(f.lpReturnAnnualised * 100).toFixed(2)} % | ${(f.maxDrawdown * 100).toFixed(3)} % | ${f.lendersOutBeforeLoss} / ${f.lendersOutAfterLoss} | ${n(f.unsoldFloorValue, 1)} |`);
  }
  return out.join('\n');
}

async function writePlot(dir: string, name: string, spec: TopLevelSpec): Promise<void> {
  const { svg, png } = await render(spec);
  writeFileSync(join(dir, `${name}.svg`), svg);
  writeFileSync(join(dir, `${name}.png`), png);
}

export async function risk(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { data: { type: 'string' }, out: { type: 'string' }, parts: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    console.error(`risk-report: ${(e as Error).message.split('\n')[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const parts = new Set(((values.parts as string | undefined) ?? 'reports,sweep,frontier').split(','));
  for (const p of parts) {
    if (!['reports', 'sweep', 'frontier'].includes(p)) {
      console.error(`risk-report: --parts: unknown part '${p}' (reports, sweep, frontier)`);
      return 2;
    }
  }
  const data = (values.data as string | undefined) ?? DATA_DIR;
  const out = resolve((values.out as string | undefined) ?? 'docs/risk');
  let real: Series[];
  let ours: ParamSet;
  let bend: ParamSet;
  try {
    real = REAL_SERIES.map((f) => {
      const s = loadSeries(join(data, f));
      s.name = f.replace(/\.csv$/, '');
      return s;
    });
    ours = loadParams('replay/params/ours.json');
    bend = loadParams('replay/params/benddao.json');
  } catch (e) {
    console.error(`risk-report: ${e instanceof InputError ? e.message : String(e)}`);
    return 1;
  }
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const say = (l: string) => console.log(`risk-report: ${l} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  let chain: ReplayChain | undefined;
  // Each part writes its own section file; SUMMARY.md joins those present, so a part can be re-run alone.
  const section = (part: string, text: string) => {
    writeFileSync(join(out, `${part}.section.md`), `${text}\n`);
    const body = ['reports', 'sweep', 'frontier'].filter((x) => existsSync(join(out, `${x}.section.md`))).map((x) => readFileSync(join(out, `${x}.section.md`), 'utf8'));
    writeFileSync(join(out, 'SUMMARY.md'), `# Crash replay: summary (generated by make risk-report)\n\n${body.join('\n')}`);
  };
  try {
    chain = await openChain();
    const c = chain;
    const run = async (series: Series, params: ParamSet, sc: Scenario) => {
      const r = await runOn(c, series, params, sc);
      say(`${params.name} on ${series.name}: ${r.hours.length} h in ${(r.elapsedMs / 1000).toFixed(1)} s (${(r.hours.length / (r.elapsedMs / 1000)).toFixed(1)} market-hours/s)`);
      return r;
    };

    if (parts.has('reports')) {
      const rows: Row[] = [];
      for (const s of real) {
        for (const p of [ours, bend]) {
          const r = await run(s, p, scenarioFor({ openAt: peakOpen(s, DEFAULT_SCENARIO.openHours) }));
          const fig = await writeOutputs(r, join(out, `${p.name}-${s.name}`));
          rows.push({ label: `[${p.name} on ${s.name}](${p.name}-${s.name}/report.md)`, fig });
        }
      }
      section('reports', `## Both parameter sets on the three real series\n\nDefault scenario, the book opened over the ${DEFAULT_SCENARIO.openHours} h before each series' highest floor (${DEFAULT_SCENARIO.loans} loans, bidders at ${(1 - DEFAULT_SCENARIO.discount) * 100} % of the floor, ${DEFAULT_SCENARIO.depth} purchases a day, seed ${DEFAULT_SCENARIO.seed}).\n\n${figuresTable(rows)}`);
    }

    if (parts.has('sweep')) {
      const rows: Row[] = [];
      const cells: { set: string; speed: number; depth: number; pct: number }[] = [];
      for (const speed of SPEEDS) {
        const s = sweepSeries(speed);
        for (const depth of DEPTHS) {
          for (const p of [ours, bend]) {
            const r = await run(s, p, scenarioFor({ depth, tailHours: 96 }));
            const { figures } = await import('./report.js');
            const fig = figures(r);
            rows.push({ label: `${p.name}, crash over ${speed} h, ${depth}/day`, fig });
            cells.push({ set: p.name, speed, depth, pct: fig.badDebtPct });
          }
        }
      }
      await writePlot(out, 'sweep', {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        background: 'white',
        config: { font: 'DejaVu Sans' },
        title: { text: `Bad debt (% of deposits): a ${SWEEP_DEPTH * 100} % crash, its speed against market depth`, fontSize: 14 },
        data: { values: cells.map((x) => ({ ...x, speed: `${x.speed} h`, label: x.pct.toFixed(2) })) },
        facet: { column: { field: 'set', type: 'nominal', title: null } },
        spec: {
          width: 260, height: 200,
          layer: [
            { mark: 'rect', encoding: { x: { field: 'depth', type: 'ordinal', title: 'purchases per day (K)', axis: { labelAngle: 0 } }, y: { field: 'speed', type: 'ordinal', title: 'crash from top to bottom', sort: SPEEDS.map((s) => `${s} h`) }, color: { field: 'pct', type: 'quantitative', title: '% bad debt', scale: { scheme: 'reds', domainMin: 0 } } } },
            { mark: { type: 'text', fontSize: 13 }, encoding: { x: { field: 'depth', type: 'ordinal' }, y: { field: 'speed', type: 'ordinal', sort: SPEEDS.map((s) => `${s} h`) }, text: { field: 'label' } } },
          ],
        },
      });
      section('sweep', `## Sweep: crash speed against market depth (synthetic, ${SWEEP_DEPTH * 100} % fall, 30 % of it recovered)\n\n![sweep](sweep.svg)\n\n${figuresTable(rows)}`);
    }

    if (parts.has('frontier')) {
      const rows: Row[] = [];
      const pts: { ltv: number; scenario: string; pct: number }[] = [];
      const scen: { s: Series; sc: Scenario; label: string }[] = [
        ...real.map((s, i) => ({ s, sc: scenarioFor({ openAt: peakOpen(s, DEFAULT_SCENARIO.openHours) }), label: ['BAYC Jul-Sep 2022', 'BAYC Oct-Dec 2022', 'Punks Jul-Sep 2021'][i] })),
        { s: sweepSeries(6), sc: scenarioFor({ depth: 1, tailHours: 96 }), label: 'synthetic 6 h, K=1' },
        { s: sweepSeries(24), sc: scenarioFor({ depth: 3, tailHours: 96 }), label: 'synthetic 24 h, K=3' },
      ];
      for (const ltv of LTVS) {
        const p = withLtv(ours, ltv);
        for (const { s, sc, label } of scen) {
          const r = await run(s, p, sc);
          const { figures } = await import('./report.js');
          const fig = figures(r);
          rows.push({ label: `LTV ${ltv / 100} % (${((ltv * (r.terms.haircutBps ?? 10_000)) / 1e6).toFixed(1)} % of the price), ${label}`, fig });
          pts.push({ ltv: ltv / 100, scenario: label, pct: fig.badDebtPct });
        }
      }
      await writePlot(out, 'frontier', {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        background: 'white',
        config: { font: 'DejaVu Sans', legend: { labelLimit: 400 } },
        title: { text: 'Our design: bad debt against the maximum LTV (haircut 65 %)', fontSize: 14 },
        width: 620, height: 300,
        data: { values: pts },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'ltv', type: 'quantitative', title: 'maximum LTV on the haircut value (%)', scale: { zero: false } },
          y: { field: 'pct', type: 'quantitative', title: 'bad debt (% of deposits)' },
          color: { field: 'scenario', type: 'nominal', title: null },
        },
      });
      section('frontier', `## LTV frontier of our design\n\n![frontier](frontier.svg)\n\n${figuresTable(rows)}`);
    }
    say('done');
    return 0;
  } catch (e) {
    if (process.env.REPLAY_DEBUG) console.error(e);
    console.error(`risk-report failed: ${describe(e)}`);
    return 1;
  } finally {
    await chain?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  risk(process.argv.slice(2)).then((code) => process.exit(code));
}
