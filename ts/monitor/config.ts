// The monitor's configuration: rules and channels as data (a JSON file), checked field by field by hand (no schema
// package). A bad file is refused with one line naming the field: `rules[2].params.percent: must be a number in
// (0, 100]`. Every rule kind, its parameters, defaults and meaning is in RULE_KINDS; docs/monitor.md renders the same
// table for people.

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export type ChannelConfig =
  | { type: 'stdout' }
  | {
      type: 'webhook';
      url: string;
      /** 'json' (default): the alert object; 'slack': `{text, blocks}` as Slack's incoming webhooks take it. */
      format: 'json' | 'slack';
      /** Attempts after the first (default 4). */
      retries: number;
      /** First pause before a retry, doubled each time (default 500 ms). */
      backoffMs: number;
      timeoutMs: number;
      headers: Record<string, string>;
    };

export interface RuleConfig {
  id: string;
  kind: RuleKind;
  severity: Severity;
  /** Seconds (chain time) during which the same rule and subject (a loan, a collection, the pool) is not alerted
   * again; 0 = every occurrence. */
  cooldownSec: number;
  channels: string[];
  enabled: boolean;
  params: Record<string, number | string>;
}

export interface MonitorConfig {
  /** Blocks below the head that are evaluated (default: 2, or 0 on chain ids 31337/1337). */
  confirmations?: number;
  /** Seconds between passes in the watch mode (default 12). */
  intervalSec: number;
  channels: Record<string, ChannelConfig>;
  rules: RuleConfig[];
}

type ParamSpec = { type: 'number'; default: number; min?: number; max?: number; minExclusive?: boolean; doc: string } | { type: 'amount'; default: string; doc: string };

export interface KindSpec {
  source: 'event' | 'state';
  severity: Severity;
  cooldownSec: number;
  doc: string;
  params: Record<string, ParamSpec>;
}

export const RULE_KINDS = {
  'auction-started': {
    source: 'event', severity: 'warning', cooldownSec: 0, params: {},
    doc: 'an auction started (pool AuctionStarted): loan, collection, frozen debt, start and reserve price',
  },
  'auction-no-bid': {
    source: 'event', severity: 'warning', cooldownSec: 0, params: {},
    doc: 'an auction round ended without a bid and was relisted (module AuctionRelisted)',
  },
  'write-off': {
    source: 'event', severity: 'critical', cooldownSec: 0, params: {},
    doc: 'bad debt written off (pool BadDebt): amount, the part the reserve absorbed, the part lenders lost',
  },
  'timelock-operation': {
    source: 'event', severity: 'warning', cooldownSec: 0, params: {},
    doc: 'a timelock operation scheduled, cancelled or executed: target, decoded function and arguments, ready time',
  },
  upgrade: {
    source: 'event', severity: 'critical', cooldownSec: 0, params: {},
    doc: 'a proxy (pool, valuation, trait pricer, auction) now points at a new implementation (ERC-1967 Upgraded)',
  },
  'guardian-action': {
    source: 'event', severity: 'critical', cooldownSec: 0, params: {},
    doc: 'borrows paused, a collection frozen (pool or valuation), a debt ceiling lowered, a reporter or a trait root revoked',
  },
  'large-withdrawal': {
    source: 'event', severity: 'warning', cooldownSec: 0,
    params: { percent: { type: 'number', default: 10, min: 0, max: 100, minExclusive: true, doc: 'share of the pool assets (before the withdrawal) above which a withdrawal alerts' } },
    doc: 'a withdrawal larger than `percent` % of the pool assets',
  },
  'key-change': {
    source: 'event', severity: 'warning', cooldownSec: 0, params: {},
    doc: 'an oracle reporter authorised or removed, or the trait signer rotated',
  },
  'utilisation-above-kink': {
    source: 'state', severity: 'warning', cooldownSec: 3600, params: {},
    doc: 'utilisation above the rate curve kink (once per episode)',
  },
  'valuation-not-ok': {
    source: 'state', severity: 'critical', cooldownSec: 3600,
    params: { forSec: { type: 'number', default: 900, min: 0, doc: 'seconds of chain time a status other than Ok must last' } },
    doc: "a collection's valuation status not Ok (stale, jumped, frozen, sequencer down...) for longer than `forSec`",
  },
  'valuation-drop': {
    source: 'state', severity: 'warning', cooldownSec: 3600,
    params: {
      percent: { type: 'number', default: 20, min: 0, max: 100, minExclusive: true, doc: 'drop from the highest valuation within the window' },
      windowSec: { type: 'number', default: 3600, min: 1, doc: 'look-back window in seconds of chain time' },
    },
    doc: "a collection's valuation down more than `percent` % from its high within `windowSec`",
  },
  'health-factor-low': {
    source: 'state', severity: 'warning', cooldownSec: 3600,
    params: { below: { type: 'number', default: 1.05, min: 0, minExclusive: true, doc: 'health factor threshold' } },
    doc: 'live loans with a health factor below `below` (their ids)',
  },
  'auction-overdue': {
    source: 'state', severity: 'warning', cooldownSec: 3600,
    params: { graceSec: { type: 'number', default: 600, min: 0, doc: 'seconds past the end before it alerts' } },
    doc: 'an auction past its end (outages included) and neither bought nor settled',
  },
  'reserve-below-floor': {
    source: 'state', severity: 'warning', cooldownSec: 3600,
    params: { floor: { type: 'amount', default: '0', doc: "the first-loss reserve's floor, in the asset's smallest unit (a decimal string)" } },
    doc: 'the reserve below `floor` (edge-triggered)',
  },
  'share-price-drop': {
    source: 'state', severity: 'critical', cooldownSec: 0, params: {},
    doc: 'the value of a pool share lower than one block before (a loss reached lenders)',
  },
} as const satisfies Record<string, KindSpec>;

export type RuleKind = keyof typeof RULE_KINDS;

/** A bad configuration: the message names the file and the field. */
export class ConfigError extends Error {}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function fail(path: string, what: string): never {
  throw new ConfigError(`${path}: ${what}`);
}

function only(obj: Record<string, unknown>, path: string, allowed: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(`${path}${path ? '.' : ''}${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
}

function num(v: unknown, path: string, min: number, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    fail(path, `must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
  }
  return v;
}

function parseChannel(v: unknown, path: string): ChannelConfig {
  if (!isObj(v)) fail(path, 'must be an object');
  if (v.type === 'stdout') {
    only(v, path, ['type']);
    return { type: 'stdout' };
  }
  if (v.type !== 'webhook') fail(`${path}.type`, 'must be "stdout" or "webhook"');
  only(v, path, ['type', 'url', 'format', 'retries', 'backoffMs', 'timeoutMs', 'headers']);
  if (typeof v.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(v.url)) fail(`${path}.url`, 'must be an http(s):// URL');
  const format = v.format ?? 'json';
  if (format !== 'json' && format !== 'slack') fail(`${path}.format`, 'must be "json" or "slack"');
  const headers = v.headers ?? {};
  if (!isObj(headers) || Object.values(headers).some((h) => typeof h !== 'string')) fail(`${path}.headers`, 'must be an object of strings');
  return {
    type: 'webhook',
    url: v.url,
    format,
    retries: v.retries === undefined ? 4 : num(v.retries, `${path}.retries`, 0),
    backoffMs: v.backoffMs === undefined ? 500 : num(v.backoffMs, `${path}.backoffMs`, 0),
    timeoutMs: v.timeoutMs === undefined ? 5_000 : num(v.timeoutMs, `${path}.timeoutMs`, 1),
    headers: headers as Record<string, string>,
  };
}

function parseRule(v: unknown, path: string, channels: Record<string, ChannelConfig>, seen: Set<string>): RuleConfig {
  if (!isObj(v)) fail(path, 'must be an object');
  only(v, path, ['id', 'kind', 'severity', 'cooldownSec', 'channels', 'enabled', 'params']);
  if (typeof v.kind !== 'string' || !(v.kind in RULE_KINDS)) fail(`${path}.kind`, `must be one of ${Object.keys(RULE_KINDS).join(', ')}`);
  const kind = v.kind as RuleKind;
  const spec: KindSpec = RULE_KINDS[kind];
  const id = v.id ?? kind;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,63}$/i.test(id)) fail(`${path}.id`, 'must be 1-64 letters, digits, . _ -');
  if (seen.has(id)) fail(`${path}.id`, `"${id}" is used by another rule`);
  seen.add(id);
  const severity = v.severity ?? spec.severity;
  if (typeof severity !== 'string' || !SEVERITIES.includes(severity as Severity)) fail(`${path}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
  const ruleChannels = v.channels ?? Object.keys(channels);
  if (!Array.isArray(ruleChannels) || ruleChannels.length === 0) fail(`${path}.channels`, 'must be a non-empty list of channel names');
  ruleChannels.forEach((c, i) => {
    if (typeof c !== 'string' || !(c in channels)) fail(`${path}.channels[${i}]`, `no channel named ${JSON.stringify(c)} (defined: ${Object.keys(channels).join(', ')})`);
  });
  if (v.enabled !== undefined && typeof v.enabled !== 'boolean') fail(`${path}.enabled`, 'must be true or false');
  const rawParams = v.params ?? {};
  if (!isObj(rawParams)) fail(`${path}.params`, 'must be an object');
  only(rawParams, `${path}.params`, Object.keys(spec.params));
  const params: Record<string, number | string> = {};
  for (const [name, p] of Object.entries(spec.params) as [string, ParamSpec][]) {
    const x = rawParams[name];
    const at = `${path}.params.${name}`;
    if (p.type === 'amount') {
      const s = x === undefined ? p.default : x;
      if (typeof s !== 'string' || !/^\d+$/.test(s)) fail(at, 'must be a decimal string of the amount in the smallest unit');
      params[name] = s;
    } else {
      const n = x === undefined ? p.default : x;
      const lo = p.min ?? -Infinity;
      const hi = p.max ?? Infinity;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < lo || n > hi || (p.minExclusive && n === lo)) {
        fail(at, `must be a number in ${p.minExclusive ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : `${hi}]`}`);
      }
      params[name] = n;
    }
  }
  return {
    id,
    kind,
    severity: severity as Severity,
    cooldownSec: v.cooldownSec === undefined ? spec.cooldownSec : num(v.cooldownSec, `${path}.cooldownSec`, 0),
    channels: ruleChannels as string[],
    enabled: v.enabled !== false,
    params,
  };
}

/** Parses and checks a configuration; throws ConfigError naming the first bad field. */
export function parseConfig(text: string): MonitorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(raw)) fail('(top level)', 'must be an object');
  only(raw, '', ['confirmations', 'intervalSec', 'channels', 'rules', 'defaults']);
  if (raw.defaults !== undefined && typeof raw.defaults !== 'boolean') fail('defaults', 'must be true or false');
  const channelsRaw = raw.channels ?? { stdout: { type: 'stdout' } };
  if (!isObj(channelsRaw) || Object.keys(channelsRaw).length === 0) fail('channels', 'must be an object naming at least one channel');
  const channels: Record<string, ChannelConfig> = {};
  for (const [name, c] of Object.entries(channelsRaw)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(name)) fail(`channels.${name}`, 'a channel name is 1-32 letters, digits, _ -');
    channels[name] = parseChannel(c, `channels.${name}`);
  }
  const seen = new Set<string>();
  if (raw.rules !== undefined && !Array.isArray(raw.rules)) fail('rules', 'must be a list');
  const rules = ((raw.rules as unknown[] | undefined) ?? []).map((r, i) => parseRule(r, `rules[${i}]`, channels, seen));
  // "defaults": true (the default) adds every shipped rule not configured explicitly, on every channel.
  if (raw.defaults !== false) {
    for (const kind of Object.keys(RULE_KINDS)) {
      if (!seen.has(kind) && !rules.some((r) => r.kind === kind)) rules.push(parseRule({ kind }, `(default rule ${kind})`, channels, seen));
    }
  }
  return {
    confirmations: raw.confirmations === undefined ? undefined : num(raw.confirmations, 'confirmations', 0),
    intervalSec: raw.intervalSec === undefined ? 12 : num(raw.intervalSec, 'intervalSec', 0.1, false),
    channels,
    rules,
  };
}

/** The configuration used without --config: every shipped rule with its defaults, on stdout. */
export function defaultConfig(): MonitorConfig {
  return parseConfig('{}');
}
