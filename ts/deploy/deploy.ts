// Deploys the whole system with script/DeploySystem.s.sol and records it. Steps:
//   1. chain: RPC_URL, or an embedded anvil on a free loopback port when none is given; CHAIN_ID (optional) must match;
//   2. key: DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE (a file holding the key) or DEPLOYER_KEYSTORE (+ password; all
//      read by ts/lib/keys.ts), or a foundry keystore handed to forge (ETH_KEYSTORE +
//      ETH_PASSWORD, a password file); never the command line. The embedded anvil uses its first dev account;
//   3. forge script --broadcast, which deploys, configures, hands every role to the Safe and checks itself;
//   4. verification read back from the chain (ts/deploy/verify.ts); typed bindings (@wagmi/cli, ts/generated/);
//   5. only then deployments/<chainId>.json.
// Any failure stops with one line naming the cause, and deployments/ is left as it was.
// Against RPC_URL (a real network) the asset, both collections and their feeds, CHAIN_ID and the roles are required:
// no demo stand-in (open-mint collections, a settable floor feed, a fresh WETH) is ever deployed there. Stand-ins and
// the dev accounts are for the embedded anvil (and `make demo` against a plain anvil) only, and such a throwaway
// deployment writes no record. An existing record is never replaced without --force.
//   tsx ts/deploy/deploy.ts [--force] [--resume]        (make deploy; --help lists the environment)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, http, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { $ } from 'zx';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { cli, redactIn, redactUrl } from '../lib/cli.js';
import { roleKey } from '../lib/keys.js';
import { parseRecord, recordPath, writeRecord, type DeploymentRecord } from './record.js';
import { verifyDeployment } from './verify.js';

/** A failure the operator can act on; its message is the one line printed. */
export class DeployError extends Error {}

export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
/** The embedded anvil's dev accounts, by role. Known keys: for a throwaway local chain only. */
export const LOCAL_ROLES = { deployer: 0, owners: [1, 2, 3], reporter: 4, traitSigner: 5 } as const;
export const localAccount = (index: number) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
export const localKey = (index: number): Hex => {
  const hd = localAccount(index).getHdKey();
  return `0x${Buffer.from(hd.privateKey!).toString('hex')}` as Hex;
};

export interface DeployOptions {
  env?: NodeJS.ProcessEnv;
  argv?: string[];
  deploymentsDir?: string;
  /** Regenerate ts/generated/contracts.ts with @wagmi/cli (default true). */
  bindings?: boolean;
  /** Keep the embedded anvil running and return it (the demo drives it afterwards). */
  keepAnvil?: boolean;
  /**
   * A development chain at RPC_URL (the demo against a plain anvil): the dev accounts and demo stand-ins are allowed
   * as on the embedded anvil, and no record is written. Never set for a real network.
   */
  dev?: boolean;
  /** Replace an existing deployments/<chainId>.json (--force). */
  force?: boolean;
  /** Finish an interrupted broadcast (forge script --resume) instead of starting anew (--resume). */
  resume?: boolean;
  log?: (line: string) => void;
}

export interface DeployResult {
  record: DeploymentRecord;
  /** The record written; undefined for a throwaway (embedded or dev) chain, which gets none. */
  file?: string;
  rpcUrl: string;
  anvil?: Anvil;
  pub: PublicClient;
}

const KEY_FLAGS = /^--(private-key|private-keys|mnemonic|key|password)(=|$)/;

function oneLine(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
}

/** The most telling line of forge's output: its error, revert reason or the last line. */
export function forgeFailure(out: string): string {
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  const hit =
    lines.find((l) => /^Error:/.test(l) && !/^Error: script failed: *$/.test(l)) ??
    lines.find((l) => /revert|insufficient funds|Failed to|error sending|connection refused/i.test(l)) ??
    lines.at(-1);
  return oneLine(hit ?? 'no output');
}

/** The deployer's key from DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE or DEPLOYER_KEYSTORE (ts/lib/keys.ts); undefined
 * when none is set (ETH_KEYSTORE, handed to forge, may still be). */
function readKey(env: NodeJS.ProcessEnv): Hex | undefined {
  try {
    return roleKey(env, 'DEPLOYER') ?? undefined;
  } catch (e) {
    throw new DeployError((e as Error).message);
  }
}

/** What a deployment to a real network must be given (no stand-ins, no dev accounts). */
export const REAL_NETWORK_ENV = ['CHAIN_ID', 'ASSET', 'COLLECTION_721', 'FEED_721', 'COLLECTION_1155', 'FEED_1155', 'ORACLE_REPORTER', 'TRAIT_SIGNER'] as const;

/** Every variable a real-network deployment lacks, in one list (SAFE_OWNERS unless an existing SAFE is given). */
export function missingForRealNetwork(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  for (const k of REAL_NETWORK_ENV) if (!env[k]?.trim()) missing.push(k);
  if (!env.SAFE?.trim() && !env.SAFE_OWNERS?.trim()) missing.push('SAFE_OWNERS (or SAFE)');
  if (!env.DEPLOYER_PRIVATE_KEY?.trim() && !env.DEPLOYER_KEY_FILE && !env.DEPLOYER_KEYSTORE && !env.ETH_KEYSTORE) missing.push('DEPLOYER_PRIVATE_KEY (or DEPLOYER_KEY_FILE, ETH_KEYSTORE)');
  return missing;
}

/** The file forge keeps the broadcast sequence in (what it sent, and what `--resume` continues). */
export const broadcastFile = (chainId: number) => join('broadcast', 'DeploySystem.s.sol', String(chainId), 'run-latest.json');

interface SentTx {
  hash: string;
  contractName?: string;
  contractAddress?: string;
  function?: string;
}

/** The transactions of the latest broadcast that have a hash (were sent), from forge's broadcast/ file. */
export function sentTransactions(chainId: number): { sent: SentTx[]; total: number } | undefined {
  try {
    const seq = JSON.parse(readFileSync(broadcastFile(chainId), 'utf8')) as { transactions?: Array<SentTx & { hash: string | null }> };
    const txs = seq.transactions ?? [];
    const sent = txs.filter((t) => !!t.hash).map((t) => ({ hash: t.hash, contractName: t.contractName ?? undefined, contractAddress: t.contractAddress ?? undefined, function: t.function ?? undefined }));
    return { sent, total: txs.length };
  } catch {
    return undefined;
  }
}

export async function deploy(opts: DeployOptions = {}): Promise<DeployResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const bad = (opts.argv ?? []).find((a) => KEY_FLAGS.test(a));
  if (bad) throw new DeployError(`refusing ${bad.split('=')[0]} on the command line: keys come from DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE or ETH_KEYSTORE`);

  // 1. Chain. Against a real network everything is checked before the RPC is even asked.
  let anvil: Anvil | undefined;
  let rpcUrl = env.RPC_URL?.trim();
  const dev = !rpcUrl || !!opts.dev;
  if (rpcUrl && !dev) {
    const missing = missingForRealNetwork(env);
    if (missing.length) throw new DeployError(`missing for a deployment to RPC_URL: ${missing.join(', ')} (a real network gets no demo stand-ins; docs/deployment.md)`);
  }
  if (!rpcUrl) {
    anvil = await startAnvil({ chainId: env.CHAIN_ID ? Number(env.CHAIN_ID) : 31337 });
    rpcUrl = anvil.rpcUrl;
    log(`started an embedded anvil at ${rpcUrl} (a throwaway chain: no record is written for it)`);
  }
  const shown = redactUrl(rpcUrl);
  try {
    const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 0 }) }) as PublicClient;
    let chainId: number;
    try {
      chainId = await pub.getChainId();
    } catch (e) {
      throw new DeployError(`cannot reach the RPC at ${shown}: ${redactIn(oneLine((e as { shortMessage?: string }).shortMessage ?? String(e)), rpcUrl)}`);
    }
    if (env.CHAIN_ID && Number(env.CHAIN_ID) !== chainId) {
      throw new DeployError(`chain id mismatch: ${shown} is chain ${chainId}, CHAIN_ID says ${env.CHAIN_ID}`);
    }
    const recordFile = recordPath(chainId, opts.deploymentsDir);
    if (!dev && existsSync(recordFile) && !opts.force) {
      throw new DeployError(`${recordFile} already exists (a live deployment?): refusing to replace it; pass --force to deploy anew and overwrite it`);
    }

    // 2. Keys and roles.
    const forgeEnv: NodeJS.ProcessEnv = { ...env, NO_COLOR: '1' };
    delete forgeEnv.DEPLOYER_KEY_FILE;
    delete forgeEnv.DEPLOYER_KEYSTORE;
    delete forgeEnv.DEPLOYER_KEYSTORE_PASSWORD;
    delete forgeEnv.DEPLOYER_KEYSTORE_PASSWORD_FILE;
    delete forgeEnv.RPC_URL;
    // forge reads the URL from FOUNDRY_ETH_RPC_URL (its config key eth_rpc_url; plain ETH_RPC_URL is not read by forge script): on its argv every local process (ps) would see the API key in it.
    forgeEnv.FOUNDRY_ETH_RPC_URL = rpcUrl;
    const key = readKey(env) ?? (dev && !env.ETH_KEYSTORE ? localKey(LOCAL_ROLES.deployer) : undefined);
    if (key) forgeEnv.DEPLOYER_PRIVATE_KEY = key;
    else if (!env.ETH_KEYSTORE) {
      throw new DeployError('missing deployer key: set DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE, or ETH_KEYSTORE with ETH_PASSWORD');
    }
    const need = (name: string, localValue: () => string) => {
      const v = env[name]?.trim();
      if (v) return v;
      if (dev) return localValue();
      throw new DeployError(`missing ${name} (required when deploying to RPC_URL)`);
    };
    forgeEnv.SAFE_OWNERS = env.SAFE ? env.SAFE_OWNERS ?? '' : need('SAFE_OWNERS', () => LOCAL_ROLES.owners.map((i) => localAccount(i).address).join(','));
    forgeEnv.ORACLE_REPORTER = need('ORACLE_REPORTER', () => localAccount(LOCAL_ROLES.reporter).address);
    forgeEnv.TRAIT_SIGNER = need('TRAIT_SIGNER', () => localAccount(LOCAL_ROLES.traitSigner).address);
    const deployer = key ? privateKeyToAccount(key).address : undefined;
    if (deployer) log(`deployer ${deployer}`);

    // 3. forge script (it compiles what it needs into out/). The simulation writes the deployment's addresses to
    // DEPLOY_OUT before anything is sent; the file is kept when a broadcast fails midway, for --resume.
    const outDir = resolve('cache/deploy');
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, `deploy-${chainId}.json`);
    // The addresses of an interrupted broadcast, as its simulation wrote them. Kept aside: forge --resume executes
    // the script again against the chain as it is now (nonces moved), so what that run writes is not the deployment.
    const pendingFile = join(outDir, `deploy-${chainId}.pending.json`);
    if (opts.resume) {
      if (!existsSync(pendingFile) || !existsSync(broadcastFile(chainId))) {
        throw new DeployError(`nothing to resume on chain ${chainId}: no interrupted broadcast (${broadcastFile(chainId)} and ${pendingFile})`);
      }
    } else rmSync(pendingFile, { force: true });
    rmSync(outFile, { force: true });
    forgeEnv.DEPLOY_OUT = outFile;
    log(`forge script script/DeploySystem.s.sol --broadcast${opts.resume ? ' --resume' : ''} at ${shown} (compiles first when sources changed: 1-2 min with solcjs) ...`);
    const started = Date.now();
    // --slow: each transaction is sent once the previous one has its receipt. Without it forge sends the batch
    // concurrently, and here it once stalled for good after 4 of 21 transactions (anvil idle, nothing pending); the
    // deployment is ordered anyway.
    const args = ['script', 'script/DeploySystem.s.sol:DeploySystem', '--broadcast', '--non-interactive', '--slow'];
    if (opts.resume) args.push('--resume');
    if (!key && env.ETH_KEYSTORE) args.push('--keystore', env.ETH_KEYSTORE, ...(env.ETH_PASSWORD ? ['--password-file', env.ETH_PASSWORD] : []));
    const boundS = Number(env.DEPLOY_TIMEOUT_S ?? 900);
    const startNonce = deployer ? await pub.getTransactionCount({ address: deployer }) : undefined;
    // The bound covers compile and simulation only: once a transaction is out, killing forge would orphan what it
    // sent (a timelock still run by the deployer with zero delay), so a broadcast is left to finish.
    const broadcasting = async () => {
      if (deployer && startNonce !== undefined && (await pub.getTransactionCount({ address: deployer }).catch(() => startNonce)) > startNonce) return true;
      const seq = sentTransactions(chainId);
      return !!seq && seq.sent.length > 0 && statMtime(broadcastFile(chainId)) >= started;
    };
    const res = await runForge(args, forgeEnv, boundS, broadcasting, log);
    if (res.killed) {
      throw new DeployError(`forge script did not finish compiling and simulating within ${boundS} s (DEPLOY_TIMEOUT_S); nothing was sent`);
    }
    if (res.code !== 0) {
      const why = redactIn(forgeFailure(res.out), rpcUrl);
      const seq = !dev || opts.resume ? sentTransactions(chainId) : undefined;
      if (seq && seq.sent.length > 0 && statMtime(broadcastFile(chainId)) >= started) {
        if (!opts.resume && existsSync(outFile)) renameSync(outFile, pendingFile);
        const partial = writePartial(chainId, seq, opts.deploymentsDir);
        throw new DeployError(`forge script failed after sending ${seq.sent.length} of ${seq.total} transactions (listed in ${partial}): ${why}; finish them with 'deploy --resume'`);
      }
      throw new DeployError(`forge script failed: ${why}`);
    }
    let json: string;
    try {
      json = readFileSync(opts.resume ? pendingFile : outFile, 'utf8');
    } catch {
      throw new DeployError('forge script succeeded but wrote no deployment output');
    }
    rmSync(outFile, { force: true });
    rmSync(pendingFile, { force: true });
    const record = parseRecord(json, chainId);
    log(`forge script done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // 4. Verify from the chain, then bindings.
    const problems = await verifyDeployment(pub, record, { allowStandIns: dev });
    if (problems.length) throw new DeployError(`verification failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    log('verified on chain: roles, 48 h delay, implementation slots, locked initialisers, Safe owners, threshold, modules and guard, oracle roles');
    if (opts.bindings !== false) await generateBindings();

    // 5. Record: only for a real network. A throwaway chain's record would be a list of dead addresses that a later
    // deployment to the real chain of the same id could be mistaken for (or overwrite).
    let file: string | undefined;
    if (!dev) {
      file = writeRecord(record, opts.deploymentsDir);
      rmSync(partialPath(chainId, opts.deploymentsDir), { force: true });
      log(`wrote ${file}`);
    } else log('a throwaway chain: no deployment record written');
    const keep = opts.keepAnvil;
    const result = { record, file, rpcUrl, anvil: keep ? anvil : undefined, pub };
    if (!keep) await anvil?.stop();
    return result;
  } catch (e) {
    await anvil?.stop();
    throw e;
  }
}

function statMtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export const partialPath = (chainId: number, dir?: string) => recordPath(chainId, dir).replace(/\.json$/, '.partial.json');

/** deployments/<chainId>.partial.json: what an interrupted broadcast sent, for the operator and for --resume. */
function writePartial(chainId: number, seq: { sent: SentTx[]; total: number }, dir?: string): string {
  const file = partialPath(chainId, dir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ chainId, interruptedAt: new Date().toISOString(), sent: seq.sent, total: seq.total, broadcast: broadcastFile(chainId) }, null, 2)}\n`);
  return file;
}

/**
 * Runs forge with its output captured. When `boundS` passes and no transaction has been sent yet, forge is killed
 * (a stalled compile or simulation); once one is out it is left to finish, with a line every minute.
 */
async function runForge(args: string[], env: NodeJS.ProcessEnv, boundS: number, broadcasting: () => Promise<boolean>, log: (l: string) => void): Promise<{ code: number | null; out: string; killed: boolean }> {
  const child = spawn('bin/forge', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  let killed = false;
  const t0 = Date.now();
  const check = async () => {
    if (child.exitCode !== null) return;
    if (await broadcasting()) {
      log(`broadcast in progress after ${Math.round((Date.now() - t0) / 1000)} s: not interrupting it (that would orphan what was sent)`);
      timer = setTimeout(check, 60_000);
    } else {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  let timer = setTimeout(check, boundS * 1000);
  // No silent minutes: forge prints nothing while solcjs compiles (1-2 min) or while it simulates.
  const beat = setInterval(() => {
    const compiling = /Compiling (\d+) files/.exec(out);
    const stage = compiling && !/Compiler run/.test(out) ? `, compiling ${compiling[1]} files` : '';
    log(`forge script still running: ${Math.round((Date.now() - t0) / 1000)} s${stage}`);
  }, 15_000);
  const code = await new Promise<number | null>((ok) => child.on('close', (c) => ok(c)));
  clearTimeout(timer);
  clearInterval(beat);
  return { code, out, killed };
}
/** @wagmi/cli over the forge artifacts in out/ (wagmi.config.ts). */
export async function generateBindings(out?: string): Promise<void> {
  const env = { ...process.env, ...(out ? { WAGMI_OUT: out } : {}) };
  const res = await $({ env, nothrow: true, quiet: true })`node_modules/.bin/wagmi generate`;
  if (res.exitCode !== 0) throw new DeployError(`wagmi generate failed: ${forgeFailure(res.stderr + '\n' + res.stdout)}`);
}

/** The one line for any error. */
export function describe(e: unknown): string {
  if (e instanceof DeployError) return e.message;
  const msg = e instanceof Error ? ((e as { shortMessage?: string }).shortMessage ?? e.message) : String(e);
  return `unexpected error: ${oneLine(msg)}`;
}

export const DEPLOY_USAGE = `usage: tsx ts/deploy/deploy.ts [--force] [--resume]      (make deploy)
Deploys the Safe, the timelock and every proxy with script/DeploySystem.s.sol, verifies it on chain and writes
deployments/<chainId>.json.
  --force     replace an existing deployments/<chainId>.json (otherwise refused)
  --resume    finish an interrupted broadcast (forge script --resume; what was sent is in deployments/<id>.partial.json)
  --help      this text
environment:
  RPC_URL     the network; without it, a throwaway embedded anvil with the dev accounts and demo stand-ins (no record)
  with RPC_URL, all required: CHAIN_ID, ASSET, COLLECTION_721, FEED_721, COLLECTION_1155, FEED_1155, ORACLE_REPORTER,
              TRAIT_SIGNER, SAFE_OWNERS (or SAFE), and the deployer key: DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE,
              DEPLOYER_KEYSTORE with DEPLOYER_KEYSTORE_PASSWORD(_FILE), or ETH_KEYSTORE with ETH_PASSWORD (a password
              file, handed to forge); keys never on the command line
  optional:   SAFE_THRESHOLD (2), GUARDIAN, FEED_UPDATER, TIMELOCK_DELAY (>= 48 h), SEQUENCER_FEED, DEBT_CEILING,
              SAFE_SINGLETON + SAFE_PROXY_FACTORY + SAFE_FALLBACK_HANDLER, DEPLOY_TIMEOUT_S (900: compile + simulation;
              a broadcast in progress is never interrupted)`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = cli({ name: 'deploy', usage: DEPLOY_USAGE, options: { force: { type: 'boolean' }, resume: { type: 'boolean' } } });
  deploy({ force: values.force, resume: values.resume, log: (l) => console.log(`deploy: ${l}`) })
    .then(({ record, file }) => {
      console.log(`deploy: chain ${record.chainId}: Safe ${record.safe} (${record.safeThreshold} of ${record.safeOwners.length}), timelock ${record.timelock} (${record.timelockDelay / 3600} h), pool ${record.pool}; ${file ?? 'no record (throwaway chain)'}`);
    })
    .catch((e) => {
      console.error(`deploy failed: ${redactIn(describe(e), process.env.RPC_URL)}`);
      process.exit(1);
    });
}
