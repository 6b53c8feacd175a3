// Parameter sets as files (replay/params/*.json): overrides of the terms and rate model that `make deploy` sets, and
// how the valuation is driven. An empty override keeps the deployed default (script/lib/DefaultParams.sol), which the
// replay reads back from the pool, so the defaults are never copied here.
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from './series.js';

export const TERM_KEYS = [
  'ltvBps', 'liqThresholdBps', 'haircutBps', 'penaltyBps', 'keeperShareBps', 'auctionStartBps', 'auctionReserveBps',
  'duration', 'grace', 'auctionDuration',
] as const;
export const RATE_KEYS = ['baseRate', 'slope1', 'slope2', 'kinkBps', 'reserveFactorBps'] as const;

export type TermKey = (typeof TERM_KEYS)[number];
export type RateKey = (typeof RATE_KEYS)[number];

export interface ParamSet {
  name: string;
  description: string;
  file: string;
  /** Overrides of the listing terms (bps and seconds as the contracts take them). */
  terms: Partial<Record<TermKey, number>>;
  /** Overrides of the rate model; rates as APR fractions (0.15 = 15 %/year), the rest in bps. */
  rate: Partial<Record<RateKey, number>>;
  /** min-twap-floor: derived sales at the floor plus noise, so min(TWAP, floor) is the valuation we ship.
   * floor-only: derived sales 25 % above the floor, so the floor is (almost always) the minimum. */
  valuation: { mode: 'min-twap-floor' | 'floor-only' };
}

function lineOf(text: string, pos: number): number {
  return text.slice(0, pos).split('\n').length;
}

export function loadParams(file: string): ParamSet {
  if (!existsSync(file)) throw new InputError(file, undefined, 'no such file');
  const text = readFileSync(file, 'utf8');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new InputError(file, m ? lineOf(text, Number(m[1])) : undefined, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const where = (key: string) => {
    const i = text.indexOf(`"${key}"`);
    return i < 0 ? undefined : lineOf(text, i);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(file, 1, 'expected a JSON object');
  const known = new Set(['name', 'description', 'terms', 'rate', 'valuation']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new InputError(file, where(k), `unknown key '${k}'`);
  if (typeof raw.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(raw.name)) {
    throw new InputError(file, where('name'), "'name' must be a lower-case word (letters, digits, dashes)");
  }
  const num = (group: string, keys: readonly string[], obj: unknown, integer: (k: string) => boolean) => {
    if (obj === undefined) return {};
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(file, where(group), `'${group}' must be an object`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (!keys.includes(k)) throw new InputError(file, where(k), `unknown ${group} key '${k}' (known: ${keys.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer(k) && !Number.isInteger(v))) {
        throw new InputError(file, where(k), `${group}.${k} must be a non-negative ${integer(k) ? 'integer' : 'number'}`);
      }
      out[k] = v;
    }
    return out;
  };
  const terms = num('terms', TERM_KEYS, raw.terms, () => true);
  const rate = num('rate', RATE_KEYS, raw.rate, (k) => k.endsWith('Bps'));
  const v = (raw.valuation ?? { mode: 'min-twap-floor' }) as { mode?: unknown };
  if (v.mode !== 'min-twap-floor' && v.mode !== 'floor-only') {
    throw new InputError(file, where('mode'), "valuation.mode must be 'min-twap-floor' or 'floor-only'");
  }
  return {
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : '',
    file,
    terms,
    rate,
    valuation: { mode: v.mode },
  };
}
