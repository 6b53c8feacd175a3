// Upgrades one core proxy through the Safe and the timelock with script/Upgrade.s.sol:
//   tsx ts/deploy/upgrade.ts propose <LendingPool|Valuation|TraitPricer|DutchAuction>
//       storage-layout gate (append-only against snapshots/layout/), new implementation, Safe schedules
//       upgradeToAndCall on the timelock; prints the implementation and when it can be executed;
//   UPGRADE_IMPLEMENTATION=0x.. tsx ts/deploy/upgrade.ts execute <Contract>
//       after the delay: Safe executes; deployments/<chainId>.json gets the new implementation, then is re-verified.
// Environment only: RPC_URL, DEPLOYER_PRIVATE_KEY (relays the Safe transactions; any funded account) or ETH_KEYSTORE,
// SAFE_OWNER_KEYS (comma-separated, local chains) or SAFE_SIGNATURES (collected from the owners).
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, getAddress, http, type Address, type PublicClient } from 'viem';
import { $ } from 'zx';
import { iLendingPoolAbi, timelockControllerAbi } from '../generated/contracts.js';
import { DeployError, describe, forgeFailure } from './deploy.js';
import { layoutProblems } from './layout-guard.js';
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
    throw new DeployError(`cannot reach the RPC at ${rpcUrl}`);
  }
  if (env.CHAIN_ID && Number(env.CHAIN_ID) !== chainId) throw new DeployError(`chain id mismatch: ${rpcUrl} is chain ${chainId}, CHAIN_ID says ${env.CHAIN_ID}`);
  return { pub, rpcUrl, chainId };
}

function target(name: string) {
  const p = PROXIES.find((x) => x.name === name);
  if (!p) throw new DeployError(`unknown contract '${name}': one of ${PROXIES.map((x) => x.name).join(', ')}`);
  return p;
}

function forgeEnv(env: NodeJS.ProcessEnv, r: DeploymentRecord, name: string, proxy: Address): NodeJS.ProcessEnv {
  if (!env.DEPLOYER_PRIVATE_KEY && !env.ETH_KEYSTORE) throw new DeployError('missing relayer key: set DEPLOYER_PRIVATE_KEY or ETH_KEYSTORE with ETH_PASSWORD');
  if (!env.SAFE_OWNER_KEYS && !env.SAFE_SIGNATURES) throw new DeployError("missing the Safe owners' approval: set SAFE_OWNER_KEYS or SAFE_SIGNATURES");
  return { ...env, NO_COLOR: '1', UPGRADE_CONTRACT: name, UPGRADE_PROXY: proxy, TIMELOCK: r.timelock, SAFE: r.safe };
}

async function forgeScript(env: NodeJS.ProcessEnv, rpcUrl: string, sig: string): Promise<void> {
  const args = ['script', 'script/Upgrade.s.sol:Upgrade', '--sig', sig, '--rpc-url', rpcUrl, '--broadcast', '--non-interactive'];
  if (!env.DEPLOYER_PRIVATE_KEY && env.ETH_KEYSTORE) args.push('--keystore', env.ETH_KEYSTORE, ...(env.ETH_PASSWORD ? ['--password-file', env.ETH_PASSWORD] : []));
  const res = await $({ env, nothrow: true, quiet: true })`bin/forge ${args}`;
  if (res.exitCode !== 0) throw new DeployError(`forge script ${sig} failed: ${forgeFailure(res.stderr + '\n' + res.stdout)}`);
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
  const problems = await verifyDeployment(pub, next);
  if (problems.length) throw new DeployError(`upgrade executed but verification failed: ${problems[0]}`);
  writeRecord(next, opts.deploymentsDir);
  opts.log?.(`${name} upgraded to ${implementation}; deployments/${chainId}.json updated`);
  return next;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [cmd, name] = process.argv.slice(2);
  const log = (l: string) => console.log(`upgrade: ${l}`);
  const run = async () => {
    if (process.argv.slice(2).some((a) => /^--(private-key|mnemonic|key)/.test(a))) throw new DeployError('keys are never read from the command line');
    if (cmd === 'propose' && name) await proposeUpgrade(name, { log });
    else if (cmd === 'execute' && name) {
      const impl = process.env.UPGRADE_IMPLEMENTATION;
      if (!impl) throw new DeployError('missing UPGRADE_IMPLEMENTATION (printed by propose)');
      await executeUpgrade(name, getAddress(impl), { log });
    } else throw new DeployError('usage: upgrade.ts propose|execute <LendingPool|Valuation|TraitPricer|DutchAuction>');
  };
  run().catch((e) => {
    console.error(`upgrade failed: ${describe(e)}`);
    process.exit(1);
  });
}
