// Deploys the whole system with script/DeploySystem.s.sol and records it. Steps:
//   1. chain: RPC_URL, or an embedded anvil on a free loopback port when none is given; CHAIN_ID (optional) must match;
//   2. key: DEPLOYER_PRIVATE_KEY or DEPLOYER_KEY_FILE (a file holding the key), or a foundry keystore (ETH_KEYSTORE +
//      ETH_PASSWORD, a password file); never the command line. The embedded anvil uses its first dev account;
//   3. forge script --broadcast, which deploys, configures, hands every role to the Safe and checks itself;
//   4. verification read back from the chain (ts/deploy/verify.ts); typed bindings (@wagmi/cli, ts/generated/);
//   5. only then deployments/<chainId>.json.
// Any failure stops with one line naming the cause, and deployments/ is left as it was.
//   tsx ts/deploy/deploy.ts        (make deploy)
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, http, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { $ } from 'zx';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { parseRecord, writeRecord, type DeploymentRecord } from './record.js';
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
  log?: (line: string) => void;
}

export interface DeployResult {
  record: DeploymentRecord;
  file: string;
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

function readKey(env: NodeJS.ProcessEnv): Hex | undefined {
  let key = env.DEPLOYER_PRIVATE_KEY?.trim();
  if (!key && env.DEPLOYER_KEY_FILE) {
    try {
      key = readFileSync(env.DEPLOYER_KEY_FILE, 'utf8').trim();
    } catch {
      throw new DeployError(`cannot read DEPLOYER_KEY_FILE ${env.DEPLOYER_KEY_FILE}`);
    }
  }
  if (!key) return undefined;
  if (!key.startsWith('0x')) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new DeployError('the deployer key is not 32 bytes of hex (DEPLOYER_PRIVATE_KEY / DEPLOYER_KEY_FILE)');
  return key as Hex;
}

export async function deploy(opts: DeployOptions = {}): Promise<DeployResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const bad = (opts.argv ?? []).find((a) => KEY_FLAGS.test(a));
  if (bad) throw new DeployError(`refusing ${bad.split('=')[0]} on the command line: keys come from DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE or ETH_KEYSTORE`);

  // 1. Chain.
  let anvil: Anvil | undefined;
  let rpcUrl = env.RPC_URL?.trim();
  if (!rpcUrl) {
    anvil = await startAnvil({ chainId: env.CHAIN_ID ? Number(env.CHAIN_ID) : 31337 });
    rpcUrl = anvil.rpcUrl;
    log(`started an embedded anvil at ${rpcUrl}`);
  }
  try {
    const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 0 }) }) as PublicClient;
    let chainId: number;
    try {
      chainId = await pub.getChainId();
    } catch (e) {
      throw new DeployError(`cannot reach the RPC at ${rpcUrl}: ${oneLine((e as { shortMessage?: string }).shortMessage ?? String(e))}`);
    }
    if (env.CHAIN_ID && Number(env.CHAIN_ID) !== chainId) {
      throw new DeployError(`chain id mismatch: ${rpcUrl} is chain ${chainId}, CHAIN_ID says ${env.CHAIN_ID}`);
    }

    // 2. Keys and roles.
    const local = !!anvil;
    const forgeEnv: NodeJS.ProcessEnv = { ...env, NO_COLOR: '1' };
    delete forgeEnv.DEPLOYER_KEY_FILE;
    const key = readKey(env) ?? (local && !env.ETH_KEYSTORE ? localKey(LOCAL_ROLES.deployer) : undefined);
    if (key) forgeEnv.DEPLOYER_PRIVATE_KEY = key;
    else if (!env.ETH_KEYSTORE) {
      throw new DeployError('missing deployer key: set DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE, or ETH_KEYSTORE with ETH_PASSWORD');
    }
    const need = (name: string, localValue: () => string) => {
      const v = env[name]?.trim();
      if (v) return v;
      if (local) return localValue();
      throw new DeployError(`missing ${name} (required when deploying to RPC_URL)`);
    };
    forgeEnv.SAFE_OWNERS = env.SAFE ? env.SAFE_OWNERS ?? '' : need('SAFE_OWNERS', () => LOCAL_ROLES.owners.map((i) => localAccount(i).address).join(','));
    forgeEnv.ORACLE_REPORTER = need('ORACLE_REPORTER', () => localAccount(LOCAL_ROLES.reporter).address);
    forgeEnv.TRAIT_SIGNER = need('TRAIT_SIGNER', () => localAccount(LOCAL_ROLES.traitSigner).address);
    if (key) log(`deployer ${privateKeyToAccount(key).address}`);

    // 3. forge script (it compiles what it needs into out/).
    const outDir = resolve('cache/deploy');
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, `deploy-${chainId}-${process.pid}.json`);
    rmSync(outFile, { force: true });
    forgeEnv.DEPLOY_OUT = outFile;
    log('forge script script/DeploySystem.s.sol --broadcast (compiles first when sources changed: 1-2 min with solcjs) ...');
    const started = Date.now();
    // --slow: each transaction is sent once the previous one has its receipt. Without it forge sends the batch
    // concurrently, and here it once stalled for good after 4 of 21 transactions (anvil idle, nothing pending); the
    // deployment is ordered anyway. The bound turns any such stall into a clear error instead of a silent hang.
    const args = ['script', 'script/DeploySystem.s.sol:DeploySystem', '--rpc-url', rpcUrl, '--broadcast', '--non-interactive', '--slow'];
    if (!key && env.ETH_KEYSTORE) args.push('--keystore', env.ETH_KEYSTORE, ...(env.ETH_PASSWORD ? ['--password-file', env.ETH_PASSWORD] : []));
    const boundS = Number(env.DEPLOY_TIMEOUT_S ?? 900);
    const res = await $({ env: forgeEnv, nothrow: true, quiet: true, timeout: `${boundS}s`, timeoutSignal: 'SIGKILL' })`bin/forge ${args}`;
    if (res.signal === 'SIGKILL') {
      throw new DeployError(`forge script did not finish within ${boundS} s (DEPLOY_TIMEOUT_S); on a real chain, check broadcast/ for what was sent before re-running`);
    }
    if (res.exitCode !== 0) throw new DeployError(`forge script failed: ${forgeFailure(res.stderr + '\n' + res.stdout)}`);
    let json: string;
    try {
      json = readFileSync(outFile, 'utf8');
    } catch {
      throw new DeployError('forge script succeeded but wrote no deployment output');
    } finally {
      rmSync(outFile, { force: true });
    }
    const record = parseRecord(json, chainId);
    log(`forge script done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // 4. Verify from the chain, then bindings.
    const problems = await verifyDeployment(pub, record);
    if (problems.length) throw new DeployError(`verification failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    log('verified on chain: roles, 48 h delay, implementation slots, locked initialisers, Safe owners and threshold');
    if (opts.bindings !== false) await generateBindings();

    // 5. Record.
    const file = writeRecord(record, opts.deploymentsDir);
    log(`wrote ${file}`);
    const keep = opts.keepAnvil;
    const result = { record, file, rpcUrl, anvil: keep ? anvil : undefined, pub };
    if (!keep) await anvil?.stop();
    return result;
  } catch (e) {
    await anvil?.stop();
    throw e;
  }
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

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  deploy({ argv: process.argv.slice(2), log: (l) => console.log(`deploy: ${l}`) })
    .then(({ record, file }) => {
      console.log(`deploy: chain ${record.chainId}: Safe ${record.safe} (${record.safeThreshold} of ${record.safeOwners.length}), timelock ${record.timelock} (${record.timelockDelay / 3600} h), pool ${record.pool}; ${file}`);
    })
    .catch((e) => {
      console.error(`deploy failed: ${describe(e)}`);
      process.exit(1);
    });
}
