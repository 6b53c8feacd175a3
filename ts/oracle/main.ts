// The oracle service's command: `tsx ts/oracle/main.ts [options]` (make oracle ARGS="..."), against RPC_URL, with
// its state in REDIS_URL (in memory when unset). Keys from the environment, a file or a keystore (keys.ts), never argv.
// --help prints the usage (exit 0); bad input is one line on stderr (exit 2); a failure at start-up exits 1. In a loop,
// a failed round is logged and the next one starts after the interval; SIGINT/SIGTERM end it after the round.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, getAddress, http, isAddress, type Address, type PublicClient, type WalletClient } from 'viem';
import { CliError, parseCommand, redactIn, redactUrl, wantsHelp } from '../lib/cli.js';
import { openKv, redactUrl as redactKvUrl, type Kv } from '../lib/kv.js';
import { recordPath } from '../deploy/record.js';
import { keySources, roleAccount } from '../lib/keys.js';
import { readHealth, runOracleOnce, reasonOf, type OracleCtx, type RoundReport } from './service.js';
import { readTraitTable, type TraitTable } from './traits.js';

export const ORACLE_USAGE = `usage: tsx ts/oracle/main.ts [--deployment <record.json>] [--once] [--interval <s>] [--write-feeds]
         [--collection <address>]... [--trait-table <file>]... [--trait-out <dir>]
         [--median-window <n>] [--median-band-bps <n>] [--twap-band-bps <n>] [--floor-band-bps <n>]
         [--deviation-bps <n>] [--heartbeat <s>] [--deadline <s>] [--floor-refresh <s>] [--prefix <kv prefix>]
         [--health]
The oracle service (docs/oracle-service.md): reads the indexer's sales from the store, filters outliers, relays at most
one signed SaleReport per collection per minimum spacing to the valuation, keeps local floor feeds fresh, publishes
trait roots from price tables.
  --deployment     the deployment record (default deployments/<chainId>.json): valuation, trait pricer, collections
  --collection     a collection to serve (repeatable; default the record's collection721 and collection1155)
  --once           one round, then exit (0: the round had no error, 1: it had one)
  --interval       seconds between rounds (default 12)
  --write-feeds    keep the local floor feeds fresh from the accepted sales (refused on chain id 1: Chainlink's)
  --trait-table    a collection,tokenId,premium table (CSV or JSON) whose root is published when it changes (repeatable)
  --trait-out      write each published tree (root and proofs) there as <collection>-<epoch>.json
  --median-window, --median-band-bps, --twap-band-bps, --floor-band-bps   the outlier filter (defaults 9, 3000, 2500, 5000)
  --deviation-bps, --heartbeat                                          the push triggers (defaults 200 bps, 3600 s)
  --deadline       seconds a signed report stays relayable (default 600)
  --floor-refresh  re-publish a floor feed at least this often (default 21600 s)
  --prefix         prefix of every key in the store (default none)
  --health         print the service's health hash (last round, last push, last error, counts) as JSON and exit
  --help           this text
environment: RPC_URL (required), REDIS_URL (optional: in memory without it);
  the reporter's key (required): ${keySources('ORACLE_REPORTER')};
  ORACLE_RELAYER_* (default the reporter's), ORACLE_FEED_UPDATER_* (default the reporter's), ORACLE_TRAIT_SIGNER_*
  (required with --trait-table), each in the same three forms.`;

const OPTIONS = {
  deployment: { type: 'string' },
  collection: { type: 'string', multiple: true },
  once: { type: 'boolean' },
  interval: { type: 'string' },
  'write-feeds': { type: 'boolean' },
  'trait-table': { type: 'string', multiple: true },
  'trait-out': { type: 'string' },
  'median-window': { type: 'string' },
  'median-band-bps': { type: 'string' },
  'twap-band-bps': { type: 'string' },
  'floor-band-bps': { type: 'string' },
  'deviation-bps': { type: 'string' },
  heartbeat: { type: 'string' },
  deadline: { type: 'string' },
  'floor-refresh': { type: 'string' },
  prefix: { type: 'string' },
  health: { type: 'boolean' },
} as const;

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CliError(`--${name}: ${v} is not an integer in ${min}..${max}`);
  return Number(v);
}

function addr(name: string, v: string): Address {
  if (!isAddress(v, { strict: false })) throw new CliError(`${name}: ${v} is not an address`);
  return getAddress(v);
}

export interface MainIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs the command; resolves to the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: MainIo = { out: (l) => console.log(l), err: (l) => console.error(l) }, signal?: AbortSignal): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(ORACLE_USAGE);
    return 0;
  }
  let values;
  let reporter, relayer, feedUpdater, traitSigner;
  let tables: TraitTable[] = [];
  let rpcUrl: string;
  try {
    values = parseCommand(argv, { name: 'oracle', usage: ORACLE_USAGE, options: OPTIONS }).values;
    int('interval', values.interval, 1, 86_400);
    for (const n of ['median-window', 'median-band-bps', 'twap-band-bps', 'floor-band-bps', 'deviation-bps', 'heartbeat', 'deadline', 'floor-refresh'] as const) {
      int(n, values[n], n === 'median-window' ? 1 : 0, n.endsWith('bps') ? 100_000 : 30 * 86_400);
    }
    for (const c of values.collection ?? []) addr('--collection', c);
    rpcUrl = env.RPC_URL?.trim() ?? '';
    if (!rpcUrl) throw new CliError('RPC_URL is not set');
    if (!/^https?:\/\//.test(rpcUrl)) throw new CliError('RPC_URL must be an http(s):// URL');
    try {
      reporter = roleAccount(env, 'ORACLE_REPORTER');
      relayer = roleAccount(env, 'ORACLE_RELAYER') ?? undefined;
      feedUpdater = values['write-feeds'] ? roleAccount(env, 'ORACLE_FEED_UPDATER') ?? reporter ?? undefined : undefined;
      traitSigner = roleAccount(env, 'ORACLE_TRAIT_SIGNER');
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (!reporter) throw new CliError(`no reporter key: set ${keySources('ORACLE_REPORTER')}`);
    if (values['trait-table']?.length && !traitSigner) throw new CliError(`--trait-table needs the pricer signer's key: set ${keySources('ORACLE_TRAIT_SIGNER')}`);
    try {
      tables = (values['trait-table'] ?? []).map(readTraitTable);
    } catch (e) {
      throw new CliError(`--trait-table ${(e as Error).message}`);
    }
  } catch (e) {
    io.err(`oracle: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof CliError ? 2 : 1;
  }

  let kv: Kv | undefined;
  let ctx: OracleCtx;
  try {
    const transport = http(rpcUrl, { timeout: 30_000, retryCount: 2 });
    const chainId = await createPublicClient({ transport }).getChainId().catch((e) => {
      throw new Error(`cannot reach the RPC at ${redactUrl(rpcUrl)} (${reasonOf(e)})`);
    });
    if (values['write-feeds'] && chainId === 1) throw new CliError('--write-feeds refused on chain id 1: the floor there is Chainlink\'s and read-only');
    const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
    const pub = createPublicClient({ chain, transport }) as PublicClient;
    const wallet = createWalletClient({ chain, transport }) as WalletClient;
    const file = values.deployment ?? recordPath(chainId);
    if (!existsSync(file)) throw new CliError(`no deployment record: ${file} does not exist (give --deployment)`);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new CliError(`${file} is not JSON (a deployment record is expected)`);
    }
    if (rec.chainId !== undefined && Number(rec.chainId) !== chainId) throw new CliError(`${file} is for chain ${rec.chainId}, the RPC is chain ${chainId}`);
    const valuation = addr(`${file}: valuation`, String(rec.valuation ?? ''));
    const collections = values.collection?.length
      ? values.collection.map((c) => getAddress(c))
      : [rec.collection721, rec.collection1155].filter((c) => typeof c === 'string' && isAddress(c)).map((c) => getAddress(c as string));
    if (!collections.length) throw new CliError(`${file} names no collection: give --collection`);
    if ((await pub.getCode({ address: valuation })) === undefined) throw new CliError(`no contract at the valuation ${valuation} on chain ${chainId}`);
    kv = await openKv({ url: env.REDIS_URL?.trim() || undefined, prefix: values.prefix });
    const f = values;
    ctx = {
      pub,
      wallet,
      kv,
      chainId,
      valuation,
      collections,
      reporter: reporter!,
      relayer,
      feedUpdater,
      traitPricer: typeof rec.traitPricer === 'string' && isAddress(rec.traitPricer) ? getAddress(rec.traitPricer) : undefined,
      traitSigner: traitSigner ?? undefined,
      traitTables: tables,
      config: {
        filter: {
          ...(f['median-window'] ? { medianWindow: Number(f['median-window']) } : {}),
          ...(f['median-band-bps'] ? { medianBandBps: Number(f['median-band-bps']) } : {}),
          ...(f['twap-band-bps'] ? { twapBandBps: Number(f['twap-band-bps']) } : {}),
          ...(f['floor-band-bps'] ? { floorBandBps: Number(f['floor-band-bps']) } : {}),
        },
        push: {
          ...(f['deviation-bps'] ? { deviationBps: Number(f['deviation-bps']) } : {}),
          ...(f.heartbeat ? { heartbeatSec: Number(f.heartbeat) } : {}),
        },
        ...(f.deadline ? { deadlineSec: Number(f.deadline) } : {}),
        ...(f['floor-refresh'] ? { floorRefreshSec: Number(f['floor-refresh']) } : {}),
      },
      log: (l) => io.out(`  ${l}`),
    };
    if (tables.length && !ctx.traitPricer) throw new CliError(`--trait-table: ${file} names no traitPricer`);
    if (!values.health) io.out(`oracle: chain ${chainId} at ${redactUrl(rpcUrl)}, valuation ${valuation}, ${collections.length} collection(s), store ${kv.kind === 'redis' ? redactKvUrl(env.REDIS_URL!) : 'in memory'}, reporter ${reporter!.address}${relayer ? `, relayer ${relayer.address}` : ''}${feedUpdater ? ', writing floor feeds' : ''}`);
  } catch (e) {
    await kv?.close();
    io.err(`oracle: ${redactIn(e instanceof Error ? e.message.split('\n')[0] : String(e), rpcUrl)}`);
    return e instanceof CliError ? 2 : 1;
  }

  if (values.health) {
    try {
      io.out(JSON.stringify(await readHealth(kv, ctx.chainId, ctx.valuation), null, 2));
      return 0;
    } catch (e) {
      io.err(`oracle: reading the health hash: ${reasonOf(e)}`);
      return 1;
    } finally {
      await kv.close();
    }
  }
  const interval = Number(values.interval ?? 12) * 1000;
  let failing = 0;
  try {
    for (;;) {
      let r: RoundReport | undefined;
      try {
        r = await runOracleOnce(ctx);
        io.out(summary(r));
        for (const e of r.errors) io.err(`oracle: ${redactIn(e, rpcUrl)}`);
      } catch (e) {
        io.err(`oracle: round failed: ${redactIn(reasonOf(e), rpcUrl)}`);
        if (values.once) return 1;
      }
      if (values.once) return r && r.errors.length === 0 ? 0 : 1;
      if (signal?.aborted) return 0;
      // Back-off while rounds fail (an RPC or a store that is down): 2x, 4x, 8x the interval, at most 16x.
      failing = r && r.errors.length === 0 ? 0 : Math.min(failing + 1, 4);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, interval * 2 ** failing);
        signal?.addEventListener('abort', () => (clearTimeout(t), ok()), { once: true });
      });
      if (signal?.aborted) return 0;
    }
  } finally {
    await kv.close();
  }
}

export function summary(r: RoundReport): string {
  const parts = r.collections.map((c) => {
    const rej = Object.entries(c.rejected).map(([k, n]) => `${k} ${n}`).join(', ');
    const what = c.pushed ? `pushed ${c.pushed.price} (${c.pushed.why})` : `held (${c.held ?? '-'})`;
    return `${c.collection.slice(0, 10)}…: ${what}${rej ? `; rejected ${rej}` : ''}${c.bad ? `; ${c.bad} bad` : ''}${c.floor ? `; floor -> ${c.floor.to}` : ''}`;
  });
  return `round at block ${r.block}: ${parts.join(' | ')}${r.resolved.length ? ` | resolved ${r.resolved.length}` : ''}${r.errors.length ? ` | ${r.errors.length} error(s)` : ''}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  process.once('SIGTERM', () => ctl.abort());
  main(process.argv.slice(2), process.env, undefined, ctl.signal).then((code) => process.exit(code));
}
