// The crash replay (ts/replay): bad input files and usage through the command line (one line, the file and line
// named, non-zero exit, nothing written), then a short synthetic replay on the real deployment: the accounting
// identity to the wei, every auction cleared or written off, the report files parse, and a second run with the same
// inputs gives byte-identical files.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { figures, identityResidual } from '../replay/report.js';
import { main, parseInvocation, writeOutputs } from '../replay/main.js';
import { runReplay, type RunResult } from '../replay/engine.js';
import { InputError, loadSeries } from '../replay/series.js';

const dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command as a user runs it (a child process: exit status, stdout and stderr). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile('node_modules/.bin/tsx', ['ts/replay/main.ts', ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `main` in this process: its exit status and what it printed on stderr. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const errs: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.join(' ')));
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(args);
    return { code, stderr: errs.join('\n') };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

const HOURLY = 'timestamp,floor_eth,source\n';
const hourly = (rows: [string, string][]) => HOURLY + rows.map(([t, p]) => `${t},${p},x`).join('\n') + '\n';

describe('replay: bad input', () => {
  const cases: { name: string; body: string; line: number | null; says: RegExp }[] = [
    { name: 'malformed row', body: hourly([['2022-07-01T00:00:00Z', '80']]) + 'garbage\n', line: 3, says: /malformed row/ },
    { name: 'price not a number', body: hourly([['2022-07-01T00:00:00Z', '80'], ['2022-07-01T01:00:00Z', '8o']]), line: 3, says: /not a number/ },
    { name: 'unsorted timestamps', body: hourly([['2022-07-01T01:00:00Z', '80'], ['2022-07-01T00:00:00Z', '80']]), line: 3, says: /sorted/ },
    { name: 'duplicate timestamps', body: hourly([['2022-07-01T00:00:00Z', '80'], ['2022-07-01T00:00:00Z', '81']]), line: 3, says: /duplicate timestamp/ },
    { name: 'gap', body: hourly([['2022-07-01T00:00:00Z', '80'], ['2022-07-01T01:00:00Z', '80'], ['2022-07-01T04:00:00Z', '80']]), line: 4, says: /gap: 3\.00 h/ },
    { name: 'zero price', body: hourly([['2022-07-01T00:00:00Z', '80'], ['2022-07-01T01:00:00Z', '0']]), line: 3, says: /not positive/ },
    { name: 'negative price', body: hourly([['2022-07-01T00:00:00Z', '-3'], ['2022-07-01T01:00:00Z', '80']]), line: 2, says: /not positive/ },
    { name: 'unknown format', body: 'date,close\n2022-07-01,80\n', line: 1, says: /unknown format/ },
    { name: 'event gap', body: 'timestamp,price_eth\n2021-07-01T00:00:00Z,10\n2021-07-05T00:00:00Z,11\n', line: 3, says: /gap: 96\.0 h/ },
  ];
  for (const c of cases) {
    it(`${c.name}: one line naming the file and line, exit 1, no output folder`, async () => {
      const file = join(dir, `${c.name.replace(/ /g, '-')}.csv`);
      writeFileSync(file, c.body);
      const out = join(dir, `out-${c.name.replace(/ /g, '-')}`);
      const r = await run(['--series', file, '--out', out]);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${file}:${c.line}:`);
      expect(lines[0]).toMatch(c.says);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    });
  }

  it('missing file: one line naming it, exit 1', async () => {
    const r = await run(['--series', join(dir, 'nope.csv'), '--out', join(dir, 'out-missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`replay: ${join(dir, 'nope.csv')}: no such file`);
  });

  it('a bad parameter file names the file and line', () => {
    const file = join(dir, 'params.json');
    writeFileSync(file, '{\n  "name": "x",\n  "terms": { "ltvBps": -1 }\n}\n');
    expect(() => parseInvocation(['--synthetic', '--params', file])).toThrow(`${file}:3: terms.ltvBps must be a non-negative integer`);
  });

  it('with no data present it says so and runs the seeded synthetic series', () => {
    const before = process.env.CRASH_DATA;
    process.env.CRASH_DATA = join(dir, 'no-data-here');
    try {
      const inv = parseInvocation(['--hours', '50']);
      expect(inv.note).toBe(`no data at ${join(dir, 'no-data-here', 'bayc_2022-07_2022-09_benddao_floorask_1h_reservoir.csv')}: running the seeded synthetic series instead (--synthetic)`);
      expect(inv.series.format).toBe('synthetic');
      expect(inv.series.floors).toHaveLength(50);
      expect(parseInvocation(['--hours', '50']).series.floors).toEqual(inv.series.floors);
    } finally {
      if (before === undefined) delete process.env.CRASH_DATA;
      else process.env.CRASH_DATA = before;
    }
  });

  it('the events format resamples to hours and allows several events in one block', () => {
    const file = join(dir, 'events.csv');
    writeFileSync(file, 'timestamp,price_eth,block_number\n2021-07-01T00:10:00Z,10,1\n2021-07-01T00:10:00Z,12,1\n2021-07-01T03:30:00Z,9,2\n');
    const s = loadSeries(file);
    expect(s.floors).toEqual([12, 12, 12, 9]);
    expect(s.filled).toBe(2);
    expect(() => loadSeries(join(dir, 'nope.csv'))).toThrow(InputError);
  });

  it('as a process: --help on stdout with exit 0; bad usage one line with exit 2; a bad file one line with exit 1', async () => {
    const file = join(dir, 'zero.csv');
    writeFileSync(file, hourly([['2022-07-01T00:00:00Z', '80'], ['2022-07-01T01:00:00Z', '0']]));
    const [h, u, m, v, b] = await Promise.all([
      cli(['--help']),
      cli(['--bogus']),
      cli(['--loans']),
      cli(['--loans', 'many']),
      cli(['--series', file, '--out', join(dir, 'out-zero')]),
    ]);
    expect(h.code).toBe(0);
    expect(h.stderr).toBe('');
    for (const opt of ['--series', '--synthetic', '--params', '--out', '--loans', '--depth', '--discount', '--run-share', '--crash-hours', '--seed']) {
      expect(h.stdout).toContain(opt);
    }
    for (const x of [u, m, v]) {
      expect(x.code).toBe(2);
      expect(x.stdout).toBe('');
      expect(x.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(v.stderr).toMatch(/--loans many: expected an integer/);
    expect(b.code).toBe(1);
    expect(b.stderr.trim()).toBe(`replay: ${file}:3: price 0 is not positive`);
    expect(existsSync(join(dir, 'out-zero'))).toBe(false);
  }, 120_000);
});

describe('replay: a short synthetic crash on the real deployment', () => {
  // A crash fast and deep enough that some auctions clear and, with one purchase a day, some find no bidder. Since
  // issue 14 an unsold NFT is relisted three times (each round down to half the last reserve) before it is written
  // off, so the book is 16 loans and bidders only buy at 20 % of the floor: with 8 loans and 80 % every auction
  // sold within its relists and the write-off path went untested.
  const args = ['--synthetic', '--calm-hours', '12', '--crash-hours', '24', '--crash-depth', '0.6', '--bottom-hours', '48',
    '--recovery-hours', '12', '--loans', '16', '--open-hours', '6', '--depth', '1', '--discount', '0.8', '--tail-hours', '72',
    '--run-share', '0.3', '--seed', '7'];
  let first: RunResult;
  const outA = join(dir, 'run-a');
  const outB = join(dir, 'run-b');

  beforeAll(async () => {
    const inv = parseInvocation([...args, '--out', outA]);
    first = await runReplay(inv.series, inv.params, inv.scenario);
    await writeOutputs(first, outA);
  }, 240_000);

  it('the accounting identity holds to the wei', () => {
    const L = first.ledger;
    expect(L.deposits).toBeGreaterThan(0n);
    expect(L.interest).toBeGreaterThan(0n);
    expect(identityResidual(first)).toBe(0n);
    // totalAssets() leaves out the part of recoveries still locked (issue 14); the lenders own it all the same.
    expect(L.deposits + L.interest + L.penalties + L.recoveries - L.keeperRewards - L.badDebt - L.withdrawals).toBe(L.totalAssets + L.lockedRecovery + L.reserve);
  });

  it('every auction cleared or was written off, and both happened', () => {
    const fig = figures(first);
    expect(fig.auctionsStarted).toBeGreaterThan(0);
    expect(fig.auctionsOpenAtEnd).toBe(0);
    expect(fig.auctionsCleared + fig.auctionsNoBid).toBe(fig.auctionsStarted);
    expect(fig.auctionsCleared).toBeGreaterThan(0);
    expect(fig.auctionsNoBid).toBeGreaterThan(0);
    expect(first.ledger.badDebt).toBeGreaterThan(0n);
    // Issue 14: an unsold NFT is relisted three times before its fourth settlement writes it off, and every
    // settlement pays its settler.
    expect(fig.relistedRounds).toBeGreaterThanOrEqual(3 * fig.auctionsNoBid);
    expect(fig.soldAfterRelist).toBeGreaterThan(0);
    expect(first.ledger.settlerRewards).toBeGreaterThan(0n);
  });

  it('writes report.md, summary.json, plot.svg and plot.png, and they parse', () => {
    const md = readFileSync(join(outA, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Crash replay: ours on synthetic/);
    expect(md).toContain('| **residual** | **0** |');
    const json = JSON.parse(readFileSync(join(outA, 'summary.json'), 'utf8'));
    expect(json.figures.auctionsStarted).toBe(figures(first).auctionsStarted);
    expect(json.run.hourCount).toBe(first.hours.length);
    expect(json.run.ledger.totalAssets).toBe(first.ledger.totalAssets.toString());
    const svg = readFileSync(join(outA, 'plot.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('cumulative bad debt');
    const png = readFileSync(join(outA, 'plot.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('the same inputs and seed give byte-identical files', async () => {
    const inv = parseInvocation([...args, '--out', outB]);
    const again = await runReplay(inv.series, inv.params, inv.scenario);
    await writeOutputs(again, outB);
    for (const f of ['report.md', 'summary.json', 'plot.svg', 'plot.png']) {
      expect(readFileSync(join(outB, f)).equals(readFileSync(join(outA, f))), f).toBe(true);
    }
  }, 240_000);
});
