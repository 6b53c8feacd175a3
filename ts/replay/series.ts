// Market series for the crash replay: the two CSV formats of shared/data/crashes (hourly floors and per-event
// prices), checked row by row, resampled to one floor per hour; and the seeded synthetic crash generator.
import { existsSync, readFileSync } from 'node:fs';

export const HOUR = 3600;

/** Bad input: the message names the file and, where there is one, the line (1-based, the header is line 1). */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    what: string,
  ) {
    super(line === undefined ? `${file}: ${what}` : `${file}:${line}: ${what}`);
  }
}

/** One floor per hour, contiguous: `floors[i]` holds over [start + i h, start + (i + 1) h). */
export interface Series {
  name: string;
  /** Where it came from: a file path or the generator's parameters. */
  source: string;
  format: 'hourly-floor' | 'events' | 'synthetic';
  /** Unix seconds of the first hour (a whole hour). */
  start: number;
  floors: number[];
  /** Hours that carry no observation of their own (forward-filled from the previous one). */
  filled: number;
}

/** Splits one CSV line; double quotes enclose fields with commas, "" is a quote inside them. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function parseTime(file: string, line: number, text: string): number {
  const s = text.trim();
  if (!ISO.test(s)) throw new InputError(file, line, `timestamp '${s}' is not an ISO date or UTC date-time`);
  const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
  if (!Number.isFinite(ms)) throw new InputError(file, line, `timestamp '${s}' is not a valid date`);
  return Math.floor(ms / 1000);
}

function parsePrice(file: string, line: number, text: string): number {
  const s = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new InputError(file, line, `price '${s}' is not a number`);
  const v = Number(s);
  if (!(v > 0) || !Number.isFinite(v)) throw new InputError(file, line, `price ${s} is not positive`);
  return v;
}

export interface LoadOptions {
  /** Events format: the longest allowed time between two events, in hours (default 72). */
  maxGapHours?: number;
}

/**
 * Reads a series. Formats, told apart by the header:
 * - `timestamp,floor_eth,...`: one row per hour, strictly one hour apart (no gap, no duplicate, sorted);
 * - `timestamp,price_eth,...`: one row per event (a sale or a swap), sorted; several events may share a timestamp
 *   (one block); events at most `maxGapHours` apart. Each hour's floor is its last event's price; an hour without an
 *   event keeps the previous hour's floor.
 */
export function loadSeries(file: string, opts: LoadOptions = {}): Series {
  if (!existsSync(file)) throw new InputError(file, undefined, 'no such file');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, undefined, `cannot read it (${(e as Error).message})`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new InputError(file, 1, 'empty file: expected a header timestamp,floor_eth or timestamp,price_eth');
  const header = splitCsv(lines[0]).map((h) => h.trim().toLowerCase());
  let format: 'hourly-floor' | 'events';
  if (header[0] === 'timestamp' && header[1] === 'floor_eth') format = 'hourly-floor';
  else if (header[0] === 'timestamp' && header[1] === 'price_eth') format = 'events';
  else throw new InputError(file, 1, `unknown format: header '${lines[0].slice(0, 60)}' is neither timestamp,floor_eth,... nor timestamp,price_eth,...`);

  const rows: { t: number; p: number; line: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i].trim() === '') throw new InputError(file, line, 'empty row');
    const cells = splitCsv(lines[i]);
    if (cells.length < 2) throw new InputError(file, line, `malformed row: expected at least 2 fields, got ${cells.length}`);
    const t = parseTime(file, line, cells[0]);
    const p = parsePrice(file, line, cells[1]);
    const prev = rows[rows.length - 1];
    if (prev) {
      if (t < prev.t) throw new InputError(file, line, `timestamp ${cells[0].trim()} is before the previous row's (line ${prev.line}): rows must be sorted`);
      if (t === prev.t && format === 'hourly-floor') throw new InputError(file, line, `duplicate timestamp ${cells[0].trim()} (also on line ${prev.line})`);
    }
    rows.push({ t, p, line });
  }
  if (rows.length < 2) throw new InputError(file, lines.length, `too short: ${rows.length} row(s), at least 2 needed`);

  if (format === 'hourly-floor') {
    if (rows[0].t % HOUR !== 0) throw new InputError(file, 2, 'the first timestamp is not on a whole hour');
    for (let i = 1; i < rows.length; i++) {
      const d = rows[i].t - rows[i - 1].t;
      if (d !== HOUR) {
        throw new InputError(file, rows[i].line, d > HOUR
          ? `gap: ${(d / HOUR).toFixed(2)} h since the previous row (line ${rows[i - 1].line}); hourly rows must be one hour apart`
          : `rows ${(d / 60).toFixed(0)} min apart (line ${rows[i - 1].line}); hourly rows must be one hour apart`);
      }
    }
    return { name: '', source: file, format, start: rows[0].t, floors: rows.map((r) => r.p), filled: 0 };
  }

  const maxGap = (opts.maxGapHours ?? 72) * HOUR;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].t - rows[i - 1].t > maxGap) {
      throw new InputError(file, rows[i].line, `gap: ${((rows[i].t - rows[i - 1].t) / HOUR).toFixed(1)} h since the previous event (line ${rows[i - 1].line}), more than ${maxGap / HOUR} h`);
    }
  }
  const start = Math.floor(rows[0].t / HOUR) * HOUR;
  const hours = Math.floor(rows[rows.length - 1].t / HOUR) - start / HOUR + 1;
  const floors: number[] = new Array(hours);
  let k = 0;
  let last = rows[0].p;
  let filled = 0;
  for (let h = 0; h < hours; h++) {
    const end = start + (h + 1) * HOUR;
    let seen = false;
    while (k < rows.length && rows[k].t < end) {
      last = rows[k].p;
      k++;
      seen = true;
    }
    if (!seen) filled++;
    floors[h] = last;
  }
  return { name: '', source: file, format, start, floors, filled };
}

/** A small seeded generator (mulberry32): the same seed gives the same numbers on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CrashSpec {
  /** Floor before the crash (ETH). */
  startPrice: number;
  /** Hours of flat market before the crash starts (the book is opened in them). */
  calmHours: number;
  /** Fall from the start price to the bottom, as a fraction (0.5: the floor halves). */
  depth: number;
  /** Hours from the crash's start to its bottom (the crash speed: fewer hours, faster). */
  crashHours: number;
  /** Hours at the bottom. */
  bottomHours: number;
  /** Share of the fall recovered after the bottom (0: none, 1: back to the start price). */
  recovery: number;
  /** Hours the recovery takes. */
  recoveryHours: number;
  /** Hourly noise: standard deviation of the log-price step (0.01: about 1 % an hour). */
  noise: number;
  seed: number;
}

export const DEFAULT_CRASH: CrashSpec = {
  startPrice: 80,
  calmHours: 48,
  depth: 0.5,
  crashHours: 72,
  bottomHours: 168,
  recovery: 0.3,
  recoveryHours: 240,
  noise: 0.005,
  seed: 1,
};

/** A crash: calm, a fall of `depth` over `crashHours` (log-linear), a bottom, a partial recovery; multiplicative
 * noise around that path (seeded; Box-Muller on the generator above). Starts at 2030-01-01T00Z (any whole hour). */
export function syntheticSeries(spec: CrashSpec): Series {
  const r = rng(spec.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const bottom = spec.startPrice * (1 - spec.depth);
  const recovered = bottom + (spec.startPrice - bottom) * spec.recovery;
  const total = spec.calmHours + spec.crashHours + spec.bottomHours + spec.recoveryHours;
  const floors: number[] = [];
  for (let h = 0; h < total; h++) {
    let path: number;
    if (h < spec.calmHours) path = spec.startPrice;
    else if (h < spec.calmHours + spec.crashHours) {
      const x = (h - spec.calmHours + 1) / spec.crashHours;
      path = spec.startPrice * Math.pow(bottom / spec.startPrice, x);
    } else if (h < spec.calmHours + spec.crashHours + spec.bottomHours) path = bottom;
    else {
      const x = (h - spec.calmHours - spec.crashHours - spec.bottomHours + 1) / spec.recoveryHours;
      path = bottom + (recovered - bottom) * x;
    }
    const noisy = h < spec.calmHours ? path : path * Math.exp(spec.noise * gauss());
    floors.push(Number(noisy.toFixed(6)));
  }
  const source = `synthetic: start ${spec.startPrice} ETH, depth ${spec.depth * 100} % over ${spec.crashHours} h, ` +
    `${spec.bottomHours} h at the bottom, ${spec.recovery * 100} % recovered over ${spec.recoveryHours} h, noise ${spec.noise}, seed ${spec.seed}`;
  return { name: 'synthetic', source, format: 'synthetic', start: 1_893_456_000, floors, filled: 0 };
}
