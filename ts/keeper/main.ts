// The keeper's command line: `tsx ts/keeper/main.ts --pool 0x... [options]`, against the chain at RPC_URL.
// Keys come from the environment or an encrypted keystore (see account.ts), never from the command line.
// Bad input ends the program with one line on stderr and exit status 2; a failure at run time with status 1.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  isAddress,
  isAddressEqual,
  webSocket,
  type Account,
  type Address,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { redactUrl, wantsHelp } from '../lib/cli.js';
import { keySources, roleAccount } from '../lib/keys.js';
import { recordPath } from '../deploy/record.js';
import { Keeper, reasonOf, type KeeperHealth, type TickResult } from './keeper.js';

const KEY_SOURCES = keySources('KEEPER');

const USAGE = `usage: tsx ts/keeper/main.ts --pool <address> [--auction <address>] [--from-block <n>] [--interval <s>]
         [--cooldown <s>] [--min-profit-wei <n>] [--confirmations <n>] [--no-buy] [--once] [--help]
         [--state-file <path>] [--deployment <record.json>] [--reorg-window <blocks>] [--log-chunk <blocks>]
         [--multicall <address>] [--asset-per-native-wad <n> | --native-price-feed <address>]
         [--l1-fee-oracle <address>] [--metrics-file <path>] [--checkpoint-rounds <n> | --no-checkpoint]
         [--revert-checkpoint <s>]
start block: --from-block, else the cursor in --state-file, else the startBlock of the deployment record
             (default deployments/<chainId>.json) when it names this pool; never block 0 by default.
confirmations: default 2 (0 on the local chain ids 31337 and 1337); reorg window 64 blocks.
gas in the asset: --asset-per-native-wad (asset units per 1e18 wei) or --native-price-feed (an AggregatorV3 pricing
             the gas token in the asset); without either only a WETH pool buys. --l1-fee-oracle adds an OP-stack L1 fee.
checkpoints: the keeper records the valuation's outage clock (checkpoint) of each collection with open loans or
             auctions once its floor feed published more than --checkpoint-rounds rounds (default 8, 1 to 15) since
             the last record (the replay reads 16 back), and while the feed does not answer (or gives no usable
             time) and the valuation reports an outage, whenever the last record is --revert-checkpoint seconds old
             (default 600, at least 60): only a record keeps such an outage once the feed recovers.
             --no-checkpoint leaves all of that to someone else.
--metrics-file: Prometheus text written after every tick (keeper_sync_failures > 0 or a growing keeper_lag_blocks
             needs a look).
environment: RPC_URL (required); the key in ${KEY_SOURCES};
             or KEEPER_UNLOCKED_ACCOUNT=<address> for an account the node itself unlocks (local chains)`;

export interface Options {
  pool: Address;
  auction?: Address;
  fromBlock?: bigint;
  intervalSec: number;
  cooldownSec: number;
  minProfitWei: bigint;
  /** Unset: 2, or 0 on a local chain. */
  confirmations?: number;
  buy: boolean;
  /** Checkpoint the valuation's outage clock (default true), past this many floor rounds (unset: the keeper's 8). */
  checkpoint: boolean;
  checkpointRounds?: number;
  revertCheckpointSec?: number;
  once: boolean;
  stateFile?: string;
  deployment?: string;
  reorgWindow?: number;
  logChunk?: bigint;
  multicall?: Address;
  assetPerNativeWad?: bigint;
  nativePriceFeed?: Address;
  l1FeeOracle?: Address;
  metricsFile?: string;
}

/** Bad input: reported as one line, exit status 2. */
export class UsageError extends Error {}

const KEY_FLAGS = new Set(['--private-key', '--key', '--mnemonic', '--password', '--keystore-password']);

/** Parses argv (without node and the script). Strict: unknown flags, missing or malformed values are errors. */
export function parseArgs(argv: string[]): Options {
  for (const a of argv) {
    const flag = a.split('=')[0];
    if (KEY_FLAGS.has(flag) || /^(0x)?[0-9a-fA-F]{64}$/.test(a)) {
      throw new UsageError(`refusing a key on the command line (every local process can read it): set ${KEY_SOURCES}`);
    }
  }
  const o: Partial<Options> = { intervalSec: 15, cooldownSec: 60, minProfitWei: 0n, buy: true, checkpoint: true, once: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--pool': o.pool = address(flag, value()); break;
      case '--auction': o.auction = address(flag, value()); break;
      case '--from-block': o.fromBlock = integer(flag, value()); break;
      case '--interval': o.intervalSec = seconds(flag, value(), 1); break;
      case '--cooldown': o.cooldownSec = seconds(flag, value(), 0); break;
      case '--min-profit-wei': o.minProfitWei = integer(flag, value()); break;
      case '--confirmations': o.confirmations = Number(integer(flag, value())); break;
      case '--no-buy': o.buy = false; break;
      case '--no-checkpoint': o.checkpoint = false; break;
      case '--checkpoint-rounds': {
        const n = integer(flag, value());
        if (n < 1n || n > 15n) throw new UsageError(`${flag}: ${n} is not from 1 to 15 (the valuation reads 16 rounds back)`);
        o.checkpointRounds = Number(n);
        break;
      }
      case '--revert-checkpoint': {
        const n = integer(flag, value());
        if (n < 60n) throw new UsageError(`${flag}: ${n} is below 60 seconds`);
        o.revertCheckpointSec = Number(n);
        break;
      }
      case '--state-file': o.stateFile = value(); break;
      case '--deployment': o.deployment = value(); break;
      case '--reorg-window': o.reorgWindow = Number(integer(flag, value())); break;
      case '--log-chunk': o.logChunk = positive(flag, value()); break;
      case '--multicall': o.multicall = address(flag, value()); break;
      case '--asset-per-native-wad': o.assetPerNativeWad = positive(flag, value()); break;
      case '--native-price-feed': o.nativePriceFeed = address(flag, value()); break;
      case '--l1-fee-oracle': o.l1FeeOracle = address(flag, value()); break;
      case '--metrics-file': o.metricsFile = value(); break;
      case '--once': o.once = true; break;
      case '--help': case '-h': throw new UsageError(USAGE);
      default: throw new UsageError(`unknown argument ${argv[i]} (--help lists the options)`);
    }
  }
  if (!o.pool) throw new UsageError('--pool <address> is required');
  if (o.checkpoint === false && o.checkpointRounds !== undefined) throw new UsageError('--checkpoint-rounds and --no-checkpoint are alternatives: give one');
  if (o.checkpoint === false && o.revertCheckpointSec !== undefined) throw new UsageError('--revert-checkpoint and --no-checkpoint are alternatives: give one');
  if (o.assetPerNativeWad !== undefined && o.nativePriceFeed) throw new UsageError('--asset-per-native-wad and --native-price-feed are alternatives: give one');
  return o as Options;
}

function address(flag: string, v: string): Address {
  if (!isAddress(v, { strict: false })) throw new UsageError(`${flag}: ${v} is not an address`);
  return getAddress(v);
}

function integer(flag: string, v: string): bigint {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag}: ${v} is not a non-negative integer`);
  return BigInt(v);
}

function positive(flag: string, v: string): bigint {
  const n = integer(flag, v);
  if (n === 0n) throw new UsageError(`${flag}: must be at least 1`);
  return n;
}

function seconds(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n < min) throw new UsageError(`${flag}: ${v} is not a number of seconds >= ${min}`);
  return n;
}

/** The RPC's origin without credentials or path (API keys often live in the URL): the one shared redaction. */
const redact = redactUrl;

const auctionView = [
  { type: 'function', name: 'pool', stateMutability: 'view', inputs: [], outputs: [{ type: 'address' }] },
] as const;
const poolView = [
  { type: 'function', name: 'liquidator', stateMutability: 'view', inputs: [], outputs: [{ type: 'address' }] },
] as const;

/** Runs the keeper; resolves to the exit status. `out`/`err` receive whole lines. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (l) => console.log(l),
  err: (line: string) => void = (l) => console.error(l),
  signal?: AbortSignal,
): Promise<number> {
  let opts: Options;
  let account: Account | Address;
  let transport: Transport;
  // --help anywhere: the usage on stdout and nothing else (the shared convention of every command, ts/lib/cli.ts).
  if (wantsHelp(argv)) {
    out(USAGE);
    return 0;
  }
  try {
    opts = parseArgs(argv);
    const rpcUrl = env.RPC_URL?.trim();
    if (!rpcUrl) throw new UsageError('RPC_URL is not set');
    if (!/^(https?|wss?):\/\//.test(rpcUrl)) throw new UsageError('RPC_URL must be an http(s):// or ws(s):// URL');
    transport = rpcUrl.startsWith('ws') ? webSocket(rpcUrl) : http(rpcUrl, { timeout: 30_000, retryCount: 1 });
    const local = roleAccount(env, 'KEEPER');
    if (local) account = local;
    else if (env.KEEPER_UNLOCKED_ACCOUNT) account = address('KEEPER_UNLOCKED_ACCOUNT', env.KEEPER_UNLOCKED_ACCOUNT);
    else throw new UsageError(`no signing key: set ${KEY_SOURCES} (or KEEPER_UNLOCKED_ACCOUNT on a local chain)`);
  } catch (e) {
    err(`keeper: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const rpc = redact(env.RPC_URL!);

  let keeper: Keeper;
  try {
    const probe = createPublicClient({ transport });
    const chainId = await probe.getChainId().catch((e) => {
      throw new Error(`cannot reach the RPC at ${rpc} (${reasonOf(e)})`);
    });
    const chain = defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [] } },
    });
    const publicClient = createPublicClient({ chain, transport });
    const walletClient = createWalletClient({ chain, transport, account });
    if ((await publicClient.getCode({ address: opts.pool })) === undefined) {
      throw new UsageError(`no contract at --pool ${opts.pool} on chain ${chainId}`);
    }
    const liquidator = await publicClient
      .readContract({ address: opts.pool, abi: poolView, functionName: 'liquidator' })
      .catch(() => {
        throw new UsageError(`--pool ${opts.pool} does not answer liquidator(): not a lending pool`);
      });
    const auction = opts.auction ?? liquidator;
    if ((await publicClient.getCode({ address: auction })) === undefined) {
      throw new UsageError(`no contract at the auction module ${auction}`);
    }
    const served = await publicClient.readContract({ address: auction, abi: auctionView, functionName: 'pool' }).catch(() => {
      throw new UsageError(`${auction} does not answer pool(): not an auction module`);
    });
    if (!isAddressEqual(served, opts.pool)) throw new UsageError(`the auction module ${auction} serves pool ${served}, not ${opts.pool}`);
    if (!isAddressEqual(liquidator, auction)) {
      throw new UsageError(`the auction module ${auction} is not the pool's liquidator (${liquidator}): it cannot start auctions`);
    }
    const fromBlock = opts.fromBlock ?? startBlock(opts, chainId);
    const me = typeof account === 'string' ? account : account.address;
    out(`keeper ${me} on chain ${chainId} at ${rpc}: pool ${opts.pool}, auction ${auction}` +
      `${opts.buy ? '' : ', buying off'}${opts.checkpoint ? '' : ', checkpoints off'}, cooldown ${opts.cooldownSec} s, min profit ${opts.minProfitWei} wei`);
    keeper = new Keeper({
      publicClient: publicClient as unknown as PublicClient,
      walletClient: walletClient as unknown as WalletClient,
      pool: opts.pool,
      auction,
      account,
      fromBlock,
      cooldownSec: opts.cooldownSec,
      minProfitWei: opts.minProfitWei,
      buy: opts.buy,
      checkpoint: opts.checkpoint,
      checkpointRounds: opts.checkpointRounds,
      revertCheckpointSec: opts.revertCheckpointSec,
      confirmations: opts.confirmations ?? (LOCAL_CHAINS.has(chainId) ? 0 : 2),
      stateFile: opts.stateFile,
      reorgWindow: opts.reorgWindow,
      logChunk: opts.logChunk,
      multicall: opts.multicall,
      assetPerNativeWad: opts.assetPerNativeWad,
      nativePriceFeed: opts.nativePriceFeed,
      l1FeeOracle: opts.l1FeeOracle,
      log: (line) => out(`  ${line}`),
      alert: (line) => err(`keeper: ALERT: ${line}`),
    });
  } catch (e) {
    err(`keeper: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }

  let tickFailures = 0;
  for (;;) {
    try {
      out(summary(await keeper.tick()));
    } catch (e) {
      tickFailures++;
      err(`keeper: tick failed: ${reasonOf(e)}`);
      if (opts.once) {
        if (opts.metricsFile) writeMetrics(opts.metricsFile, keeper.health(), tickFailures);
        return 1;
      }
    }
    if (opts.metricsFile) writeMetrics(opts.metricsFile, keeper.health(), tickFailures);
    if (opts.once || signal?.aborted) return 0;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, opts.intervalSec * 1000);
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    if (signal?.aborted) return 0;
  }
}

export function summary(r: TickResult): string {
  const ids = (xs: bigint[]) => (xs.length ? xs.join(',') : '-');
  const extra = `${r.pending ? `, pending ${r.pending}` : ''}${r.claimed ? `, claimed ${r.claimed}` : ''}${r.synced ? '' : ', SYNC FAILED'}`;
  return `tick: ${r.scanned} loans, started ${ids(r.started)}, bought ${ids(r.bought)}, settled ${ids(r.settled)}, skipped ${r.skipped.length}${extra}`;
}

/** Chain ids of local development chains, whose blocks are final once mined. */
const LOCAL_CHAINS = new Set([31337, 1337]);

/** The block to start reading at when --from-block is not given: the state file's cursor (the keeper reads it), else
 * the deployment record's start block when the record names this pool. Never block 0 by default: a real chain's
 * history is millions of blocks of eth_getLogs. */
export function startBlock(opts: Pick<Options, 'pool' | 'stateFile' | 'deployment'>, chainId: number): bigint | undefined {
  if (opts.stateFile && existsSync(opts.stateFile)) return undefined;
  const file = opts.deployment ?? recordPath(chainId);
  if (!existsSync(file)) {
    throw new UsageError(`no start block: give --from-block, a --state-file with a cursor, or a deployment record (${file} does not exist)`);
  }
  let record: { pool?: string; startBlock?: number | string };
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not JSON (a deployment record is expected)`);
  }
  if (!record.pool || !isAddress(record.pool, { strict: false }) || !isAddressEqual(record.pool as Address, opts.pool)) {
    const named = record.pool && isAddress(record.pool, { strict: false }) ? getAddress(record.pool) : (record.pool ?? '(none)');
    throw new UsageError(`${file} records pool ${named}, not ${opts.pool}: give --from-block`);
  }
  if (record.startBlock === undefined || !/^\d+$/.test(String(record.startBlock))) throw new UsageError(`${file} has no startBlock: give --from-block`);
  return BigInt(record.startBlock);
}

/** Writes the keeper's health as Prometheus text (for node_exporter's textfile collector or any scraper), atomically. */
export function writeMetrics(path: string, h: KeeperHealth, tickFailures: number): void {
  const lines = [
    '# HELP keeper_sync_failures Consecutive ticks whose event sync failed (alert when > 0).',
    '# TYPE keeper_sync_failures gauge',
    `keeper_sync_failures ${h.syncFailures}`,
    '# HELP keeper_lag_blocks Blocks between the head (less confirmations) and the last block whose events were read.',
    '# TYPE keeper_lag_blocks gauge',
    `keeper_lag_blocks ${h.lagBlocks}`,
    `keeper_synced_block ${h.syncedBlock}`,
    `keeper_head_block ${h.headBlock}`,
    `keeper_loans_tracked ${h.tracked}`,
    `keeper_pending_transactions ${h.pending}`,
    `keeper_replacements_total ${h.replacements}`,
    `keeper_alerts_total ${h.alerts}`,
    `keeper_tick_failures_total ${tickFailures}`,
    `keeper_last_tick_seconds ${Math.floor(Date.now() / 1000)}`,
  ];
  writeFileSync(`${path}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${path}.tmp`, path);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  process.once('SIGTERM', () => ctl.abort());
  main(process.argv.slice(2), process.env, undefined, undefined, ctl.signal).then((code) => process.exit(code));
}
