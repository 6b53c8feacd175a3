// The monitor's command line (`make monitor ARGS=...`): watches the deployment in deployments/<chainId>.json at
// RPC_URL and sends alerts to the configured channels. Read-only: it never sends a transaction and needs no key.
// Exit status: 0 (--once: no alert), 3 (--once: at least one alert fired), 2 bad input (flags, config, deployment
// record), 1 a failure at run time (RPC unreachable, a channel that would not take an alert).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, getAddress, http, isAddress, type Address, type PublicClient } from 'viem';
import { parseCommand, redactIn, redactUrl, wantsHelp, CliError } from '../lib/cli.js';
import { recordPath } from '../deploy/record.js';
import { stdoutChannel, webhookChannel, type Channel } from './channels.js';
import { ConfigError, defaultConfig, parseConfig, type MonitorConfig } from './config.js';
import { Monitor, type Addresses } from './monitor.js';
import { openStore } from './store.js';

export const MONITOR_USAGE = `usage: tsx ts/monitor/main.ts [--config <file.json>] [--deployment <file>] [--once] [--block <n>]
         [--from-block <n>] [--confirmations <n>] [--state-file <path>] [--interval <s>]     (make monitor ARGS=...)
Watches a deployment (deployments/<chainId>.json of the chain at RPC_URL) and alerts on its events and state: the
rules and channels come from --config (docs/monitor.md; without it every shipped rule, on stdout as JSON lines).
  --once             evaluate up to one block (--block, default the confirmed head) and exit: 0 no alert, 3 alerts fired
  --from-block <n>   first block to read without a checkpoint (default the record's startBlock)
  --confirmations    blocks below the head left unevaluated (default the config's, else 2; 0 on chains 31337/1337)
  --state-file       the checkpoint file when REDIS_URL is unset (default cache/monitor/<chainId>-<pool>.json)
  --interval <s>     seconds between passes (default the config's intervalSec, 12)
  --help             this text
environment: RPC_URL (required), REDIS_URL (optional: checkpoint and sent alerts in Redis instead of the file)
exit status: 0 ok / no alert, 3 alerts fired (--once), 2 bad input, 1 failure at run time`;

const OPTIONS = {
  config: { type: 'string' },
  deployment: { type: 'string' },
  once: { type: 'boolean' },
  block: { type: 'string' },
  'from-block': { type: 'string' },
  confirmations: { type: 'string' },
  'state-file': { type: 'string' },
  interval: { type: 'string' },
} as const;

class Usage extends Error {}

function uint(flag: string, v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Usage(`--${flag}: ${v} is not a non-negative integer`);
  return BigInt(v);
}

/** The addresses the monitor needs from a deployment record; a missing or malformed one is bad input. */
export function loadDeployment(file: string, chainId: number): { addrs: Addresses; startBlock: bigint } {
  if (!existsSync(file)) throw new Usage(`no deployment for chain ${chainId}: ${file} does not exist (give --deployment <file>)`);
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Usage(`${file} is not JSON (a deployment record is expected)`);
  }
  if (r.chainId !== undefined && Number(r.chainId) !== chainId) throw new Usage(`${file} is the deployment on chain ${r.chainId}, but RPC_URL is chain ${chainId}`);
  const addr = (k: string): Address => {
    const v = r[k];
    if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw new Usage(`${file}: ${k} is missing or not an address`);
    return getAddress(v);
  };
  const addrs: Addresses = {
    pool: addr('pool'), auction: addr('auction'), valuation: addr('valuation'), traitPricer: addr('traitPricer'), timelock: addr('timelock'),
    collections: ['collection721', 'collection1155'].filter((k) => r[k]).map(addr),
  };
  const sb = r.startBlock ?? 0;
  if (!/^\d+$/.test(String(sb))) throw new Usage(`${file}: startBlock is not a block number`);
  return { addrs, startBlock: BigInt(sb as number) };
}

export function loadConfig(file: string | undefined): MonitorConfig {
  if (!file) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Usage(`cannot read the config ${file}`);
  }
  try {
    return parseConfig(text);
  } catch (e) {
    if (e instanceof ConfigError) throw new Usage(`config ${file}: ${e.message}`);
    throw e;
  }
}

const LOCAL = new Set([31337, 1337]);

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (l: string) => void = (l) => process.stdout.write(`${l}\n`), err: (l: string) => void = (l) => process.stderr.write(`${l}\n`), signal?: AbortSignal): Promise<number> {
  if (wantsHelp(argv)) {
    out(MONITOR_USAGE);
    return 0;
  }
  let values: ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];
  let config: MonitorConfig;
  let block: bigint | undefined, fromBlock: bigint | undefined, confirmations: bigint | undefined;
  const rpcUrl = env.RPC_URL?.trim();
  try {
    values = parseCommand(argv, { name: 'monitor', usage: MONITOR_USAGE, options: OPTIONS }).values;
    block = uint('block', values.block);
    fromBlock = uint('from-block', values['from-block']);
    confirmations = uint('confirmations', values.confirmations);
    if (values.interval !== undefined && !(Number(values.interval) > 0)) throw new Usage(`--interval: ${values.interval} is not a positive number of seconds`);
    if (block !== undefined && !values.once) throw new Usage('--block goes with --once');
    config = loadConfig(values.config);
    if (!rpcUrl) throw new Usage('RPC_URL is not set');
    if (!/^https?:\/\//.test(rpcUrl)) throw new Usage('RPC_URL must be an http(s):// URL');
  } catch (e) {
    if (e instanceof Usage || e instanceof CliError) {
      err(`monitor: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const shown = redactUrl(rpcUrl);
  const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 15_000, retryCount: 1 }) }) as PublicClient;
  let chainId: number;
  try {
    chainId = await pub.getChainId();
  } catch (e) {
    err(`monitor: cannot reach the RPC at ${shown}: ${redactIn(((e as { shortMessage?: string }).shortMessage ?? String(e)).split('\n')[0], rpcUrl)}`);
    return 1;
  }
  let dep: ReturnType<typeof loadDeployment>;
  try {
    dep = loadDeployment(values.deployment ?? recordPath(chainId), chainId);
    if ((await pub.getCode({ address: dep.addrs.pool })) === undefined) throw new Usage(`no contract at the recorded pool ${dep.addrs.pool} on chain ${chainId} (a record of another chain or a reset one?)`);
  } catch (e) {
    err(`monitor: ${(e as Error).message.split('\n')[0]}`);
    return e instanceof Usage ? 2 : 1;
  }
  const channels = new Map<string, Channel>();
  for (const [name, c] of Object.entries(config.channels)) {
    channels.set(name, c.type === 'stdout' ? stdoutChannel(name, out) : webhookChannel(name, c, (l) => err(`monitor: ${l}`)));
  }
  const store = await openStore({
    redisUrl: env.REDIS_URL?.trim() || undefined,
    file: values['state-file'] ?? join('cache', 'monitor', `${chainId}-${dep.addrs.pool.toLowerCase()}.json`),
    prefix: `monitor:${chainId}:${dep.addrs.pool.toLowerCase()}:`,
  }).catch((e) => {
    err(`monitor: ${(e as Error).message}`);
    return null;
  });
  if (!store) return 1;
  const conf = Number(confirmations ?? config.confirmations ?? (LOCAL.has(chainId) ? 0 : 2));
  const monitor = new Monitor({
    pub, chainId, addrs: dep.addrs, config, store, channels, startBlock: fromBlock ?? dep.startBlock, confirmations: conf,
    log: (l) => err(`monitor: ${l}`),
  });
  try {
    await monitor.init();
    err(`monitor: chain ${chainId} at ${shown}, pool ${dep.addrs.pool}, ${config.rules.filter((r) => r.enabled).length} rules, channels ${[...channels.keys()].join(', ')}, ${store.kind} checkpoint at block ${monitor.cursor}, ${conf} confirmations`);
    const interval = Number(values.interval ?? config.intervalSec) * 1000;
    for (;;) {
      try {
        const r = await monitor.pass(values.once ? (block ?? undefined) : undefined);
        if (values.once) {
          err(`monitor: evaluated blocks ${r.from}..${r.to}: ${r.alerts.length} alert(s)${r.muted ? `, ${r.muted} muted by cooldown` : ''}${r.repeated ? `, ${r.repeated} already sent before` : ''}`);
          return r.alerts.length ? 3 : 0;
        }
      } catch (e) {
        err(`monitor: pass failed: ${redactIn(((e as { shortMessage?: string }).shortMessage ?? (e as Error).message).split('\n')[0], rpcUrl)}`);
        if (values.once) return 1;
      }
      if (signal?.aborted) return 0;
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, interval);
        signal?.addEventListener('abort', () => { clearTimeout(t); ok(); }, { once: true });
      });
      if (signal?.aborted) return 0;
    }
  } catch (e) {
    err(`monitor: ${redactIn((e as Error).message.split('\n')[0], rpcUrl)}`);
    return 1;
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  process.once('SIGTERM', () => ctl.abort());
  main(process.argv.slice(2), process.env, undefined, undefined, ctl.signal).then((code) => process.exit(code), (e) => {
    process.stderr.write(`monitor: unexpected error: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  });
}
