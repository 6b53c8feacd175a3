// The sales indexer's command line: `tsx ts/indexer/main.ts [options]` (make indexer ARGS="...").
// Bad input is one line on stderr and exit status 2; a failure at run time (RPC or store unreachable after the
// retries) one line and status 1. Progress lines go to stdout.
import { readFileSync } from 'node:fs';
import { createPublicClient, getAddress, http, isAddress, type Address } from 'viem';
import { cli, CliError, redactIn, redactUrl } from '../lib/cli.js';
import { openKv, redactUrl as redactRedis } from '../lib/kv.js';
import { SEAPORT } from '../lib/seaport.js';
import { parseRecord, recordPath } from '../deploy/record.js';
import { Indexer } from './indexer.js';

const USAGE = `usage: tsx ts/indexer/main.ts [--rpc <url>] [--collections <a,b,...> --asset <address> | --config <file.json>
         | --deployment <record.json>] [--from <block>] [--confirmations <n>] [--once] [--seaport <address>]
         [--no-native] [--max-range <blocks>] [--poll-ms <ms>] [--progress-ms <ms>] [--attempts <n>] [--help]
Indexes Seaport 1.6 sales of the listed collections (docs/sale-rules.md) into Redis (REDIS_URL) or memory.
  --rpc            the chain's JSON-RPC URL (default: RPC_URL)
  --collections    the listed collections, comma-separated; with --asset the pool asset (an ERC-20, e.g. WETH)
  --config         a JSON file {"collections": [...], "asset": "0x..", "seaport"?: "0x..", "from"?: n, "native"?: bool}
  --deployment     a deployment record (default when nothing else names the collections: deployments/<chainId>.json):
                   collection721, collection1155, asset, startBlock
  --from           first block when the store has no cursor (default: the record's startBlock, else 0); a stored
                   cursor always wins, so a restart resumes where the last run stopped. A backfill further back than
                   the node keeps state (a full node: ~128 blocks) wants an archive RPC; without one each fill's order
                   status is read at the head instead, counted and logged (docs/indexer.md, "Archive RPC")
  --confirmations  blocks behind the head to stay (default 2; 0 on the local chain ids 31337 and 1337)
  --once           index up to the confirmed head and exit; without it, follow the head
  --no-native      native ETH is not the pool asset (a non-WETH pool): ETH-paid fills are skipped as other-currency
  --max-range      largest eth_getLogs range (default 2000; halved automatically when the provider refuses)
  --attempts       tries per RPC request before giving up, with doubling back-off (default 8)
environment: RPC_URL, REDIS_URL (unset: in memory), REDIS_PREFIX (key prefix, default none)`;

const { values } = cli({
  name: 'indexer',
  usage: USAGE,
  options: {
    rpc: { type: 'string' },
    collections: { type: 'string' },
    asset: { type: 'string' },
    config: { type: 'string' },
    deployment: { type: 'string' },
    from: { type: 'string' },
    confirmations: { type: 'string' },
    once: { type: 'boolean' },
    seaport: { type: 'string' },
    'no-native': { type: 'boolean' },
    'max-range': { type: 'string' },
    'poll-ms': { type: 'string' },
    'progress-ms': { type: 'string' },
    attempts: { type: 'string' },
  },
});

function address(flag: string, v: string): Address {
  if (!isAddress(v, { strict: false })) throw new CliError(`${flag}: ${v} is not an address`);
  return getAddress(v);
}
function count(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new CliError(`${flag}: ${v} is not an integer >= ${min}`);
  return Number(v);
}

interface Setup {
  rpc: string;
  collections?: Address[];
  asset?: Address;
  seaport: Address;
  from?: bigint;
  confirmations?: number;
  native: boolean;
  configFile?: string;
  deployment?: string;
  maxRange?: number;
  pollMs?: number;
  progressMs?: number;
  attempts?: number;
}

function parse(): Setup {
  const rpc = values.rpc ?? process.env.RPC_URL;
  if (!rpc) throw new CliError('no RPC: pass --rpc <url> or set RPC_URL');
  try {
    new URL(rpc);
  } catch {
    throw new CliError(`--rpc: not a URL`);
  }
  const given = [values.collections !== undefined, values.config !== undefined, values.deployment !== undefined].filter(Boolean).length;
  if (given > 1) throw new CliError('--collections, --config and --deployment are alternatives: give one');
  if ((values.collections === undefined) !== (values.asset === undefined)) throw new CliError('--collections and --asset go together');
  const s: Setup = {
    rpc,
    seaport: values.seaport ? address('--seaport', values.seaport) : SEAPORT,
    from: values.from === undefined ? undefined : BigInt(count('--from', values.from)!),
    confirmations: count('--confirmations', values.confirmations),
    native: !values['no-native'],
    configFile: values.config,
    deployment: values.deployment,
    maxRange: count('--max-range', values['max-range'], 1),
    pollMs: count('--poll-ms', values['poll-ms'], 10),
    progressMs: count('--progress-ms', values['progress-ms']),
    attempts: count('--attempts', values.attempts, 1),
  };
  if (values.collections !== undefined) {
    s.collections = values.collections.split(',').map((a) => address('--collections', a.trim()));
    s.asset = address('--asset', values.asset!);
  }
  if (s.configFile) {
    let j: { collections?: unknown; asset?: unknown; seaport?: unknown; from?: unknown; native?: unknown };
    try {
      j = JSON.parse(readFileSync(s.configFile, 'utf8'));
    } catch (e) {
      throw new CliError(`--config: cannot read ${s.configFile}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!Array.isArray(j.collections) || typeof j.asset !== 'string') throw new CliError(`--config: ${s.configFile} needs "collections" (a list) and "asset"`);
    s.collections = j.collections.map((a) => address('config collections', String(a)));
    s.asset = address('config asset', j.asset);
    if (typeof j.seaport === 'string' && !values.seaport) s.seaport = address('config seaport', j.seaport);
    if (s.from === undefined && j.from !== undefined) s.from = BigInt(count('config from', String(j.from))!);
    if (j.native === false) s.native = false;
  }
  return s;
}

async function main(): Promise<void> {
  let s: Setup;
  try {
    s = parse();
  } catch (e) {
    process.stderr.write(`indexer: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // Three quick tries: a wrong or dead RPC is reported in about a second instead of after the full back-off.
  const probe = createPublicClient({ transport: http(s.rpc, { retryCount: 0, timeout: 5_000 }) });
  let chainId = 0;
  for (let k = 1; chainId === 0; k++) {
    try {
      chainId = await probe.getChainId();
    } catch (e) {
      if (k >= 3) throw new Error(`cannot reach the RPC at ${redactUrl(s.rpc)}: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`);
      await new Promise((r) => setTimeout(r, 250 * k));
    }
  }
  if (!s.collections) {
    const file = s.deployment ?? recordPath(chainId);
    let rec;
    try {
      rec = parseRecord(readFileSync(file, 'utf8'), chainId);
    } catch (e) {
      process.stderr.write(`indexer: no collections: pass --collections/--asset or --config, or a deployment record (${file}: ${(e as Error).message.split('\n')[0]})\n`);
      process.exit(2);
    }
    s.collections = [rec.collection721, rec.collection1155].filter(Boolean);
    s.asset = rec.asset;
    if (s.from === undefined) s.from = BigInt(rec.startBlock ?? 0);
  }
  const confirmations = s.confirmations ?? (chainId === 31337 || chainId === 1337 ? 0 : 2);
  const kv = await openKv({ prefix: process.env.REDIS_PREFIX ?? '' });
  const ix = new Indexer({
    rpcUrl: s.rpc,
    kv,
    collections: s.collections,
    asset: s.asset!,
    assetIsWeth: s.native,
    seaport: s.seaport,
    fromBlock: s.from ?? 0n,
    confirmations,
    maxRange: s.maxRange,
    pollMs: s.pollMs,
    progressMs: s.progressMs,
    attempts: s.attempts,
  });
  await ix.init();
  const where = ix.cursor === null ? `from block ${s.from ?? 0n}` : `from the stored cursor ${ix.cursor}`;
  console.log(
    `indexer: chain ${chainId} via ${redactUrl(s.rpc)}, ${s.collections.length} collection(s), asset ${s.asset}, ${confirmations} confirmation(s), store ${kv.kind === 'redis' ? redactRedis(process.env.REDIS_URL!) : 'memory'}; ${where}`,
  );
  const stop = () => ix.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (values.once) await ix.runOnce();
    else await ix.follow();
  } finally {
    await kv.close();
  }
}

main().catch((e) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`indexer: ${redactIn(msg.split('\n')[0], values.rpc ?? process.env.RPC_URL)}\n`);
  process.exit(1);
});
