// Upgrades one core proxy through the Safe and the timelock with script/Upgrade.s.sol:
//   tsx ts/deploy/upgrade.ts propose <LendingPool|Valuation|TraitPricer|DutchAuction>
//       storage-layout gate (append-only against snapshots/layout/), new implementation, Safe schedules
//       upgradeToAndCall on the timelock; prints the implementation and when it can be executed;
//   UPGRADE_IMPLEMENTATION=0x.. tsx ts/deploy/upgrade.ts execute <Contract>
//       after the delay: Safe executes; deployments/<chainId>.json gets the new implementation, then is re-verified,
//       and snapshots/layout/<Contract>.json becomes the layout now deployed (the next upgrade's gate);
//   tsx ts/deploy/upgrade.ts safe-tx <propose|execute> <Contract> --implementation 0x..
//       prints the Safe transaction (and its hash) the owners sign for SAFE_SIGNATURES: with real owners, deploy the
//       implementation first, collect signatures over this, then `propose` with UPGRADE_IMPLEMENTATION set.
// forge gets the RPC URL by environment (FOUNDRY_ETH_RPC_URL), never on its argv, and runs within UPGRADE_TIMEOUT_S (900).
// Environment only: RPC_URL, DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE or DEPLOYER_KEYSTORE (ts/lib/keys.ts; relays the
// Safe transactions; any funded account) or ETH_KEYSTORE,
// SAFE_OWNER_KEYS (comma-separated, local chains) or SAFE_SIGNATURES (collected from the owners).
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, encodeFunctionData, getAddress, http, isAddress, parseAbi, zeroAddress, type Address, type Hex, type PublicClient } from 'viem';
import { $ } from 'zx';
import { iLendingPoolAbi, iSafeAbi, timelockControllerAbi } from '../generated/contracts.js';
import { cli, redactIn, redactUrl } from '../lib/cli.js';
import { keySources, roleKey } from '../lib/keys.js';
import { DeployError, describe, forgeFailure } from './deploy.js';
import { layoutProblems, refreshLayoutSnapshot } from './layout-guard.js';
import { PROXIES, readRecord, writeRecord, type DeploymentRecord } from './record.js';
import { verifyDeployment } from './verify.js';

export interface UpgradeOptions {
  env?: NodeJS.ProcessEnv;
  deploymentsDir?: string;
  log?: (line: string) => void;
}

async function connect(env: NodeJS.ProcessEnv): Promise<{ pub: PublicClient; rpcUrl: string; chainId: number }> {
  const rpcUrl = env.RPC_URL?.trim();
  if (!rpcUrl) throw new DeployError('missing RPC_URL: an upgrade needs the chain the system is deployed on');
  const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 0 }) }) as PublicClient;
  let chainId: number;
  try {
    chainId = await pub.getChainId();
  } catch {
    throw new DeployError(`cannot reach the RPC at ${redactUrl(rpcUrl)}`);
  }
  if (env.CHAIN_ID && Number(env.CHAIN_ID) !== chainId) throw new DeployError(`chain id mismatch: ${redactUrl(rpcUrl)} is chain ${chainId}, CHAIN_ID says ${env.CHAIN_ID}`);
  return { pub, rpcUrl, chainId };
}

function target(name: string) {
  const p = PROXIES.find((x) => x.name === name);
  if (!p) throw new DeployError(`unknown contract '${name}': one of ${PROXIES.map((x) => x.name).join(', ')}`);
  return p;
}

function forgeEnv(env: NodeJS.ProcessEnv, r: DeploymentRecord, name: string, proxy: Address): NodeJS.ProcessEnv {
  // The relayer's key as every tool reads it (ts/lib/keys.ts), handed to forge as DEPLOYER_PRIVATE_KEY; without one,
  // a foundry keystore (ETH_KEYSTORE) that forge unlocks itself.
  let key: Hex | null;
  try {
    key = roleKey(env, 'DEPLOYER');
  } catch (e) {
    throw new DeployError((e as Error).message);
  }
  if (!key && !env.ETH_KEYSTORE) throw new DeployError(`missing relayer key: set ${keySources('DEPLOYER')}, or ETH_KEYSTORE with ETH_PASSWORD`);
  if (!env.SAFE_OWNER_KEYS && !env.SAFE_SIGNATURES) throw new DeployError("missing the Safe owners' approval: set SAFE_OWNER_KEYS or SAFE_SIGNATURES");
  const out: NodeJS.ProcessEnv = { ...env, NO_COLOR: '1', UPGRADE_CONTRACT: name, UPGRADE_PROXY: proxy, TIMELOCK: r.timelock, SAFE: r.safe };
  for (const k of ['DEPLOYER_KEY_FILE', 'DEPLOYER_KEYSTORE', 'DEPLOYER_KEYSTORE_PASSWORD', 'DEPLOYER_KEYSTORE_PASSWORD_FILE']) delete out[k];
  if (key) out.DEPLOYER_PRIVATE_KEY = key;
  return out;
}

async function forgeScript(env: NodeJS.ProcessEnv, rpcUrl: string, sig: string): Promise<void> {
  // The URL goes to forge by environment: on its argv, `ps` would show the API key in it.
  const args = ['script', 'script/Upgrade.s.sol:Upgrade', '--sig', sig, '--broadcast', '--non-interactive', '--slow'];
  if (!env.DEPLOYER_PRIVATE_KEY && env.ETH_KEYSTORE) args.push('--keystore', env.ETH_KEYSTORE, ...(env.ETH_PASSWORD ? ['--password-file', env.ETH_PASSWORD] : []));
  const forgeEnv: NodeJS.ProcessEnv = { ...env, FOUNDRY_ETH_RPC_URL: rpcUrl };
  delete forgeEnv.RPC_URL;
  const boundS = Number(env.UPGRADE_TIMEOUT_S ?? 900); // seconds, fractions allowed (the tests bound a run to 20 ms)
  const res = await $({ env: forgeEnv, nothrow: true, quiet: true, timeout: Math.max(1, Math.round(boundS * 1000)), timeoutSignal: 'SIGTERM' })`bin/forge ${args}`;
  if (res.signal === 'SIGTERM') throw new DeployError(`forge script ${sig} did not finish within ${boundS} s (UPGRADE_TIMEOUT_S): check the Safe's nonce and the timelock before re-running`);
  if (res.exitCode !== 0) throw new DeployError(`forge script ${sig} failed: ${redactIn(forgeFailure(res.stderr + '\n' + res.stdout), rpcUrl)}`);
}

/** The Safe transaction the owners sign for `propose` (timelock.schedule) or `execute` (timelock.execute). */
export async function safeTransaction(kind: 'propose' | 'execute', name: string, implementation: Address, opts: UpgradeOptions & { salt?: Hex } = {}) {
  const env = opts.env ?? process.env;
  const t = target(name);
  const { pub, chainId } = await connect(env);
  const r = readRecord(chainId, opts.deploymentsDir);
  const salt = opts.salt ?? ((env.UPGRADE_SALT as Hex | undefined) || `0x${'00'.repeat(32)}`);
  const upgrade = encodeFunctionData({ abi: parseAbi(['function upgradeToAndCall(address newImplementation, bytes data)']), functionName: 'upgradeToAndCall', args: [implementation, '0x'] });
  const predecessor = `0x${'00'.repeat(32)}` as Hex;
  const delay = await pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'getMinDelay' });
  const data =
    kind === 'propose'
      ? encodeFunctionData({ abi: timelockControllerAbi, functionName: 'schedule', args: [r[t.proxy], 0n, upgrade, predecessor, salt as Hex, delay] })
      : encodeFunctionData({ abi: timelockControllerAbi, functionName: 'execute', args: [r[t.proxy], 0n, upgrade, predecessor, salt as Hex] });
  const nonce = await pub.readContract({ address: r.safe, abi: iSafeAbi, functionName: 'nonce' });
  const safeTxHash = await pub.readContract({
    address: r.safe,
    abi: iSafeAbi,
    functionName: 'getTransactionHash',
    args: [r.timelock, 0n, data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, nonce],
  });
  return {
    chainId,
    safe: r.safe,
    to: r.timelock,
    value: '0',
    data,
    operation: 0,
    safeTxGas: '0',
    baseGas: '0',
    gasPrice: '0',
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: nonce.toString(),
    safeTxHash,
    proxy: r[t.proxy],
    implementation,
  };
}

/** Layout gate, new implementation, Safe -> timelock.schedule. Returns the implementation and its ready time. */
export async function proposeUpgrade(name: string, opts: UpgradeOptions = {}): Promise<{ implementation: Address; readyAt: number; operation: string }> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const t = target(name);
  const problems = await layoutProblems(name, env.LAYOUT_SNAPSHOT);
  if (problems.length) throw new DeployError(`refused: the storage layout of ${name} is not append-only: ${problems[0]}`);
  log(`storage layout of ${name} is append-only against its snapshot`);
  const { pub, rpcUrl, chainId } = await connect(env);
  const r = readRecord(chainId, opts.deploymentsDir);
  const outDir = resolve('cache/deploy');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `upgrade-${chainId}-${process.pid}.json`);
  rmSync(out, { force: true });
  await forgeScript({ ...forgeEnv(env, r, name, r[t.proxy]), UPGRADE_OUT: out }, rpcUrl, 'propose()');
  const res = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  // The ready time as mined (forge's own figure is from its simulation, seconds earlier).
  const readyAt = Number(await pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'getTimestamp', args: [res.operation] }));
  if (readyAt <= 1) throw new DeployError(`forge script reported operation ${res.operation}, but the timelock has not scheduled it`);
  log(`scheduled ${name} -> ${res.implementation}; executable from ${new Date(readyAt * 1000).toISOString()} (chain time)`);
  return { implementation: getAddress(res.implementation), readyAt, operation: res.operation };
}

/** Safe -> timelock.execute, then the record is updated and the deployment re-verified. */
export async function executeUpgrade(name: string, implementation: Address, opts: UpgradeOptions = {}): Promise<DeploymentRecord> {
  const env = opts.env ?? process.env;
  const t = target(name);
  const { pub, rpcUrl, chainId } = await connect(env);
  const r = readRecord(chainId, opts.deploymentsDir);
  await forgeScript({ ...forgeEnv(env, r, name, r[t.proxy]), UPGRADE_IMPLEMENTATION: implementation }, rpcUrl, 'execute()');
  const next: DeploymentRecord = { ...r, [t.impl]: getAddress(implementation) };
  if (name === 'LendingPool') {
    next.poolExtension = await pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'EXTENSION' });
  }
  const problems = await verifyDeployment(pub, next, { allowStandIns: next.localAssets });
  if (problems.length) throw new DeployError(`upgrade executed but verification failed: ${problems[0]}`);
  writeRecord(next, opts.deploymentsDir);
  opts.log?.(`${name} upgraded to ${implementation}; deployments/${chainId}.json updated`);
  // The deployed layout is now the sources': the snapshot the next upgrade is gated on follows it.
  const layout = await refreshLayoutSnapshot(name, env.LAYOUT_SNAPSHOT);
  if (layout.problems.length) throw new DeployError(`upgrade executed, but ${layout.file} was not refreshed: ${layout.problems[0]}`);
  opts.log?.(`${layout.file} now holds the deployed layout of ${name}: commit it`);
  return next;
}

export const UPGRADE_USAGE = `usage: tsx ts/deploy/upgrade.ts propose <Contract> [--implementation 0x..]
       tsx ts/deploy/upgrade.ts execute <Contract> --implementation 0x..
       tsx ts/deploy/upgrade.ts safe-tx <propose|execute> <Contract> --implementation 0x..
<Contract>: ${PROXIES.map((x) => x.name).join(', ')}   (make upgrade-propose / upgrade-execute CONTRACT=...)
  propose   layout gate, new implementation (or --implementation), the Safe schedules the upgrade on the timelock
  execute   after the delay the Safe executes it; the record and snapshots/layout/<Contract>.json are updated
  safe-tx   print the Safe transaction and its hash for the owners to sign (SAFE_SIGNATURES); sends nothing
  --implementation <address>   (also UPGRADE_IMPLEMENTATION)
  --help    this text
environment: RPC_URL; DEPLOYER_PRIVATE_KEY, DEPLOYER_KEY_FILE, DEPLOYER_KEYSTORE (+ password) or ETH_KEYSTORE +
             ETH_PASSWORD (relays; any funded account);
             SAFE_OWNER_KEYS (local chains) or SAFE_SIGNATURES; LAYOUT_SNAPSHOT; UPGRADE_SALT; UPGRADE_TIMEOUT_S (900)`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values, positionals } = cli({
    name: 'upgrade',
    usage: UPGRADE_USAGE,
    options: { implementation: { type: 'string' } },
    positionals: { min: 2, max: 3, names: '<propose|execute|safe-tx> <Contract>' },
  });
  const log = (l: string) => console.log(`upgrade: ${l}`);
  const implOf = (): Address | undefined => {
    const v = values.implementation ?? process.env.UPGRADE_IMPLEMENTATION;
    if (v === undefined) return undefined;
    if (!isAddress(v, { strict: false })) throw new DeployError(`--implementation: ${v} is not an address`);
    return getAddress(v);
  };
  const run = async () => {
    const [cmd, a, b] = positionals;
    if (cmd === 'propose' && !b) {
      const impl = implOf();
      await proposeUpgrade(a, { log, env: impl ? { ...process.env, UPGRADE_IMPLEMENTATION: impl } : process.env });
    } else if (cmd === 'execute' && !b) {
      const impl = implOf();
      if (!impl) throw new DeployError('missing --implementation (or UPGRADE_IMPLEMENTATION), as printed by propose');
      await executeUpgrade(a, impl, { log });
    } else if (cmd === 'safe-tx' && (a === 'propose' || a === 'execute') && b) {
      const impl = implOf();
      if (!impl) throw new DeployError('missing --implementation (or UPGRADE_IMPLEMENTATION)');
      console.log(JSON.stringify(await safeTransaction(a, b, impl), null, 2));
    } else {
      console.error(`upgrade: unknown command ${positionals.join(' ')} (--help shows the usage)`);
      process.exit(2);
    }
  };
  run().catch((e) => {
    console.error(`upgrade failed: ${redactIn(describe(e), process.env.RPC_URL)}`);
    process.exit(1);
  });
}
