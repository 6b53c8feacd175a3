// The deployment as a whole, on anvil: forge script through ts/deploy, then the deployed state read back from the
// chain (roles replayed from events, delay, implementation slots, locked initialisers, Safe owners and threshold),
// the Safe -> timelock path, and bad input that must stop with one line and leave deployments/ untouched.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, createWalletClient, encodeFunctionData, getAddress, http, isAddressEqual, parseEther, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { $ } from 'zx';
import { deploy, DeployError, generateBindings, localAccount, localKey, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { executeUpgrade, proposeUpgrade } from '../deploy/upgrade.js';
import { readRecord } from '../deploy/record.js';
import { executeViaSafe, proposeViaSafe } from '../deploy/safe.js';
import { roleHolders, verifyDeployment } from '../deploy/verify.js';
import { iLendingPoolAbi, iSafeAbi, timelockControllerAbi } from '../generated/contracts.js';
import { freePort } from '../lib/anvil.js';

let dir: string;
let d: DeployResult;
const baseEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['RPC_URL', 'CHAIN_ID', 'DEPLOYER_PRIVATE_KEY', 'DEPLOYER_KEY_FILE', 'ETH_KEYSTORE', 'SAFE', 'SAFE_OWNERS', 'GUARDIAN']) delete env[k];
  return env;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deployments-'));
  d = await deploy({ env: baseEnv(), deploymentsDir: dir, bindings: false, keepAnvil: true });
}, 300_000);

afterAll(async () => {
  await d?.anvil?.stop();
});

describe('deployment on an embedded anvil', () => {
  it('writes deployments/<chainId>.json with what is on chain', () => {
    expect(readdirSync(dir)).toEqual(['31337.json']);
    const rec = readRecord(31337, dir);
    expect(rec.pool).toBe(d.record.pool);
    expect(rec.timelockDelay).toBe(48 * 3600);
    expect(rec.safeThreshold).toBe(2);
    expect(rec.safeOwners).toHaveLength(3);
  });

  it('passes the on-chain verification', async () => {
    expect(await verifyDeployment(d.pub, d.record)).toEqual([]);
  });

  it('leaves every timelock role with the Safe or the timelock itself, none with an EOA', async () => {
    const r = d.record;
    const holders = await roleHolders(d.pub, r.timelock, 0n);
    const role = (f: 'PROPOSER_ROLE' | 'EXECUTOR_ROLE' | 'CANCELLER_ROLE' | 'DEFAULT_ADMIN_ROLE') =>
      d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: f });
    expect([...holders.get(await role('PROPOSER_ROLE'))!]).toEqual([r.safe]);
    expect([...holders.get(await role('CANCELLER_ROLE'))!]).toEqual([r.safe]);
    expect([...holders.get(await role('EXECUTOR_ROLE'))!]).toEqual([r.safe]);
    expect([...holders.get(await role('DEFAULT_ADMIN_ROLE'))!]).toEqual([r.timelock]);
    // The deployer held proposer and executor during the bootstrap and lost them in the same batch.
    for (const f of ['PROPOSER_ROLE', 'EXECUTOR_ROLE', 'CANCELLER_ROLE', 'DEFAULT_ADMIN_ROLE'] as const) {
      for (const who of [r.deployer, ...r.safeOwners]) {
        expect(await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'hasRole', args: [await role(f), who] })).toBe(false);
      }
    }
    expect(await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'getMinDelay' })).toBe(172_800n);
    expect(isAddressEqual(await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'timelock' }), r.timelock)).toBe(true);
    expect(isAddressEqual(await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'guardian' }), r.safe)).toBe(true);
    const owners = await d.pub.readContract({ address: r.safe, abi: iSafeAbi, functionName: 'getOwners' });
    expect(owners.map((o) => o.toLowerCase()).sort()).toEqual(LOCAL_ROLES.owners.map((i) => localAccount(i).address.toLowerCase()).sort());
  });

  it('routes a parameter change Safe -> timelock, refuses it early and executes it after 48 h', async () => {
    const r = d.record;
    const transport = http(d.rpcUrl);
    const wallet = createWalletClient({ chain: foundry, transport });
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport });
    const relayer = localAccount(LOCAL_ROLES.deployer).address;
    const safe = { address: r.safe, owners: [localAccount(1), localAccount(3)] };
    const call = { target: r.pool, abi: iLendingPoolAbi, functionName: 'setDebtCeiling', args: [r.collection721, parseEther('1234')], salt: `0x${'ab'.repeat(32)}` as Hex };
    const id = await proposeViaSafe(d.pub, wallet, relayer, safe, r.timelock, call);
    expect(await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'isOperationPending', args: [id] })).toBe(true);
    await expect(executeViaSafe(d.pub, wallet, relayer, safe, r.timelock, call)).rejects.toThrow(/GS013/);
    // One owner is not enough.
    await expect(executeViaSafe(d.pub, wallet, relayer, { address: r.safe, owners: [localAccount(2)] }, r.timelock, call)).rejects.toThrow(/GS020/);
    await test.increaseTime({ seconds: 48 * 3600 });
    await test.mine({ blocks: 1 });
    await executeViaSafe(d.pub, wallet, relayer, safe, r.timelock, call);
    const [, ceiling] = await d.pub.readContract({ address: r.pool, abi: iLendingPoolAbi, functionName: 'collectionState', args: [r.collection721] });
    expect(ceiling).toBe(parseEther('1234'));
  });

  it('upgrades a proxy with the upgrade script: layout gate, Safe schedules, refused before 48 h, executed after', async () => {
    const r = d.record;
    const env = { ...baseEnv(), RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: localKey(0), SAFE_OWNER_KEYS: [localKey(1), localKey(2)].join(',') };
    // A deployed layout that the sources do not extend append-only: refused before anything is sent.
    await expect(proposeUpgrade('LendingPool', { env: { ...env, LAYOUT_SNAPSHOT: 'test/governance/fixtures/LendingPool.reordered.json' }, deploymentsDir: dir })).rejects.toThrow(/^refused: the storage layout of LendingPool is not append-only/);
    const { implementation, readyAt, operation } = await proposeUpgrade('TraitPricer', { env, deploymentsDir: dir });
    const scheduledIn = await d.pub.getBlock();
    expect(readyAt).toBe(Number(scheduledIn.timestamp) + 48 * 3600);
    expect(await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'isOperationPending', args: [operation as Hex] })).toBe(true);
    await expect(executeUpgrade('TraitPricer', implementation, { env, deploymentsDir: dir })).rejects.toThrow(/NotReady/);
    expect(readRecord(31337, dir).traitPricerImpl).toBe(r.traitPricerImpl);
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    await test.increaseTime({ seconds: 48 * 3600 });
    await test.mine({ blocks: 1 });
    const next = await executeUpgrade('TraitPricer', implementation, { env, deploymentsDir: dir });
    expect(next.traitPricerImpl).toBe(implementation);
    expect(readRecord(31337, dir).traitPricerImpl).toBe(implementation);
    const slot = await d.pub.getStorageAt({ address: r.traitPricer, slot: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc' });
    expect(isAddressEqual(`0x${slot!.slice(-40)}`, implementation)).toBe(true);
    d.record = next;
  }, 300_000);

  it('catches a tampered deployment: an extra role holder and a moved implementation slot', async () => {
    const r = d.record;
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    const wallet = createWalletClient({ chain: foundry, transport: http(d.rpcUrl) });
    const proposer = await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'PROPOSER_ROLE' });
    const eoa = localAccount(7).address;
    await test.impersonateAccount({ address: r.timelock });
    await test.setBalance({ address: r.timelock, value: parseEther('1') });
    const hash = await wallet.sendTransaction({ account: r.timelock, to: r.timelock, data: encodeFunctionData({ abi: timelockControllerAbi, functionName: 'grantRole', args: [proposer, eoa] }), chain: foundry });
    await d.pub.waitForTransactionReceipt({ hash });
    await test.stopImpersonatingAccount({ address: r.timelock });
    await test.setStorageAt({ address: r.auction, index: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc', value: `0x${r.poolImpl.slice(2).padStart(64, '0')}` as Hex });
    const problems = await verifyDeployment(d.pub, d.record);
    expect(problems.some((p) => p.includes('proposer role held by') && p.includes(eoa))).toBe(true);
    expect(problems.some((p) => p.includes('an account without code (an EOA)'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DutchAuction proxy'))).toBe(true);
  });
});

describe('deployer key from a foundry keystore', () => {
  it('deploys with ETH_KEYSTORE + ETH_PASSWORD (a password file) and no key in the environment', async () => {
    const ksDir = mkdtempSync(join(tmpdir(), 'keystore-'));
    const pwFile = join(ksDir, 'password');
    writeFileSync(pwFile, 'demo-password\n');
    // The test's throwaway password goes through cast's environment variable, not its command line.
    const made = await $({ env: { ...process.env, CAST_PASSWORD: 'demo-password' }, quiet: true })`bin/cast wallet new ${ksDir} deployer`;
    const address = getAddress(/0x[0-9a-fA-F]{40}/.exec(made.stdout)![0]);
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    await test.setBalance({ address, value: parseEther('100') });
    const ksDirOut = mkdtempSync(join(tmpdir(), 'deployments-ks-'));
    const res = await deploy({
      env: {
        ...baseEnv(),
        RPC_URL: d.rpcUrl,
        ETH_KEYSTORE: join(ksDir, 'deployer'),
        ETH_PASSWORD: pwFile,
        SAFE_OWNERS: [1, 2, 3].map((i) => localAccount(i).address).join(','),
        ORACLE_REPORTER: localAccount(4).address,
        TRAIT_SIGNER: localAccount(5).address,
      },
      deploymentsDir: ksDirOut,
      bindings: false,
    });
    expect(res.record.deployer).toBe(address);
    expect(await verifyDeployment(d.pub, res.record)).toEqual([]);
  }, 180_000);
});

describe('bad input stops with one line and leaves deployments/ untouched', () => {
  let sentinelDir: string;
  const snapshot = () => readdirSync(sentinelDir).map((f) => `${f}:${readFileSync(join(sentinelDir, f), 'utf8')}`);

  beforeAll(() => {
    sentinelDir = mkdtempSync(join(tmpdir(), 'deployments-bad-'));
    writeFileSync(join(sentinelDir, '31337.json'), '{"previous": true}\n');
  });

  async function failure(env: NodeJS.ProcessEnv, argv: string[] = []): Promise<string> {
    const before = snapshot();
    let message = '';
    try {
      await deploy({ env: { ...baseEnv(), ...env }, argv, deploymentsDir: sentinelDir, bindings: false });
    } catch (e) {
      expect(e).toBeInstanceOf(DeployError);
      message = (e as Error).message;
    }
    expect(snapshot()).toEqual(before);
    expect(message).not.toBe('');
    expect(message).not.toContain('\n');
    return message;
  }

  it('an unreachable RPC', async () => {
    const port = await freePort();
    expect(await failure({ RPC_URL: `http://127.0.0.1:${port}`, DEPLOYER_PRIVATE_KEY: generatePrivateKey() })).toMatch(/^cannot reach the RPC at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('a missing key', async () => {
    expect(await failure({ RPC_URL: d.rpcUrl })).toMatch(/^missing deployer key/);
  });

  it('a malformed key', async () => {
    expect(await failure({ RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: '0x1234' })).toMatch(/not 32 bytes of hex/);
  });

  it('a key on the command line', async () => {
    expect(await failure({}, ['--private-key', generatePrivateKey()])).toMatch(/^refusing --private-key on the command line/);
  });

  it('a chain id mismatch', async () => {
    expect(await failure({ RPC_URL: d.rpcUrl, CHAIN_ID: '1', DEPLOYER_PRIVATE_KEY: generatePrivateKey() })).toBe(`chain id mismatch: ${d.rpcUrl} is chain 31337, CHAIN_ID says 1`);
  });

  it('missing Safe owners on a real RPC', async () => {
    expect(await failure({ RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: generatePrivateKey() })).toBe('missing SAFE_OWNERS (required when deploying to RPC_URL)');
  });

  /** A complete environment for a real RPC, deploying from a fresh key that holds no ETH. */
  const brokeDeployer = (): NodeJS.ProcessEnv => ({
    RPC_URL: d.rpcUrl,
    DEPLOYER_PRIVATE_KEY: generatePrivateKey(),
    SAFE_OWNERS: [1, 2, 3].map((i) => localAccount(i).address).join(','),
    ORACLE_REPORTER: privateKeyToAccount(generatePrivateKey()).address,
    TRAIT_SIGNER: privateKeyToAccount(generatePrivateKey()).address,
  });

  it('a failing transaction (a deployer without funds)', async () => {
    const msg = await failure(brokeDeployer());
    expect(msg).toMatch(/^forge script failed: .*(insufficient funds|lack of funds|Insufficient funds)/i);
  }, 180_000);

  it('a forge script that does not finish within DEPLOY_TIMEOUT_S (killed, one line)', async () => {
    // Loading the project and simulating alone take forge longer than one second, so the bound fires first (and were
    // it not to, the unfunded deployer could not change the shared chain).
    const msg = await failure({ ...brokeDeployer(), DEPLOY_TIMEOUT_S: '1' });
    expect(msg).toMatch(/^forge script did not finish within 1 s \(DEPLOY_TIMEOUT_S\)/);
  }, 60_000);
});

describe('typed bindings', () => {
  it('ts/generated/contracts.ts is what @wagmi/cli generates from the current artifacts', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bindings-')), 'contracts.ts');
    await generateBindings(out);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('ts/generated/contracts.ts', 'utf8'));
  }, 120_000);
});

export type { Address };
