// The deployment as a whole, on anvil: forge script through ts/deploy, then the deployed state read back from the
// chain (roles replayed from events, delay, implementation slots, locked initialisers, Safe owners and threshold),
// the Safe -> timelock path, and bad input that must stop with one line and leave deployments/ untouched.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, createWalletClient, encodeFunctionData, getAddress, http, isAddressEqual, parseEther, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { $ } from 'zx';
import { deploy, DeployError, generateBindings, localAccount, localKey, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { executeUpgrade, proposeUpgrade, safeTransaction } from '../deploy/upgrade.js';
import { readRecord, writeRecord } from '../deploy/record.js';
import { executeViaSafe, proposeViaSafe } from '../deploy/safe.js';
import { getLogsBounded, roleHolders, verifyDeployment } from '../deploy/verify.js';
import { iLendingPoolAbi, iSafeAbi, timelockControllerAbi } from '../generated/contracts.js';
import { freePort } from '../lib/anvil.js';
import { connect, deploy as deployArtifact, send } from '../lib/chain.js';
import { loadArtifact } from '../lib/artifacts.js';

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
  it('writes no record for the throwaway chain (a later real deployment could be confused with it)', () => {
    expect(readdirSync(dir)).toEqual([]);
    expect(d.file).toBeUndefined();
    // The tests below drive upgrades, which read the record: they get it written explicitly.
    writeRecord(d.record, dir);
    const rec = readRecord(31337, dir);
    expect(rec.pool).toBe(d.record.pool);
    expect(rec.timelockDelay).toBe(48 * 3600);
    expect(rec.safeThreshold).toBe(2);
    expect(rec.safeOwners).toHaveLength(3);
  });

  it('passes the on-chain verification as a local deployment, and fails it as a real one (stand-ins)', async () => {
    expect(await verifyDeployment(d.pub, d.record, { allowStandIns: true })).toEqual([]);
    const problems = await verifyDeployment(d.pub, d.record);
    for (const want of [
      'the record says localAssets: demo collections and feeds were deployed',
      `asset ${d.record.asset} is the local stand-in WETH`,
      `collection721 ${d.record.collection721} is the local stand-in DemoApes`,
      `feed721 ${d.record.feed721} is the local stand-in LocalFloorFeed`,
      `collection1155 ${d.record.collection1155} is the local stand-in DemoItems`,
      `collection721 ${d.record.collection721} lets anyone mint`,
      `collection1155 ${d.record.collection1155} lets anyone mint`,
    ]) {
      expect(problems).toContain(want);
    }
  });

  it('checks the reporter, trait signer and asset against what the operator configured', async () => {
    const other = localAccount(9).address;
    const problems = await verifyDeployment(d.pub, d.record, { allowStandIns: true, expect: { oracleReporter: other, traitSigner: other, asset: other } });
    expect(problems).toContain(`the oracle reporter ${other} is not a reporter of the valuation`);
    expect(problems).toContain(`trait signer is ${d.record.traitSigner}, expected ${other}`);
    expect(problems).toContain(`pool asset is ${d.record.asset}, expected ${other}`);
  });

  it('reads role events in bounded ranges that halve when the provider refuses one', async () => {
    // A provider that refuses any range wider than 8 blocks, and fails every 5th call once.
    let calls = 0;
    const seen: [bigint, bigint][] = [];
    const read = async (a: bigint, b: bigint) => {
      calls += 1;
      if (b - a + 1n > 8n) throw new Error('query exceeds max block range 8');
      if (calls % 5 === 0) throw new Error('rate limited');
      seen.push([a, b]);
      const out: bigint[] = [];
      for (let x = a; x <= b; x++) if (x % 7n === 0n) out.push(x);
      return out;
    };
    const got = await getLogsBounded(read, 3n, 100n, 50n);
    expect(got).toEqual(Array.from({ length: 14 }, (_, i) => BigInt((i + 1) * 7)));
    // Every block read exactly once, in order.
    const blocks = seen.flatMap(([a, b]) => Array.from({ length: Number(b - a + 1n) }, (_, i) => a + BigInt(i)));
    expect(blocks).toEqual(Array.from({ length: 98 }, (_, i) => BigInt(i + 3)));
    // On the chain: one block per request gives the same holders as the default range.
    const one = await roleHolders(d.pub, d.record.timelock, BigInt(d.record.startBlock), 1n);
    const all = await roleHolders(d.pub, d.record.timelock, BigInt(d.record.startBlock));
    expect([...one.entries()].map(([k, v]) => [k, [...v]])).toEqual([...all.entries()].map(([k, v]) => [k, [...v]]));
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
    // The deployed version's layout: the current snapshot without the last member of TraitPricerStorage (the sources
    // append it). `execute` must then make the snapshot the layout now deployed, i.e. the sources'.
    const snap = JSON.parse(readFileSync('snapshots/layout/TraitPricer.json', 'utf8'));
    const deployedLayout = structuredClone(snap);
    deployedLayout.namespaces.at(-1).members.pop();
    const layoutFile = join(mkdtempSync(join(tmpdir(), 'layout-')), 'TraitPricer.json');
    writeFileSync(layoutFile, JSON.stringify(deployedLayout, null, 2) + '\n');
    const env = { ...baseEnv(), RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: localKey(0), SAFE_OWNER_KEYS: [localKey(1), localKey(2)].join(','), LAYOUT_SNAPSHOT: layoutFile };
    // A deployed layout that the sources do not extend append-only: refused before anything is sent.
    await expect(proposeUpgrade('LendingPool', { env: { ...env, LAYOUT_SNAPSHOT: 'test/governance/fixtures/LendingPool.reordered.json' }, deploymentsDir: dir })).rejects.toThrow(/^refused: the storage layout of LendingPool is not append-only/);
    const { implementation, readyAt, operation } = await proposeUpgrade('TraitPricer', { env, deploymentsDir: dir });
    // The Safe transaction the owners would sign for the execution, as `upgrade.ts safe-tx execute` prints it.
    const tx = await safeTransaction('execute', 'TraitPricer', implementation, { env, deploymentsDir: dir });
    expect(tx.to).toBe(r.timelock);
    expect(tx.safeTxHash).toBe(
      await d.pub.readContract({ address: r.safe, abi: iSafeAbi, functionName: 'getTransactionHash', args: [r.timelock, 0n, tx.data, 0, 0n, 0n, 0n, tx.gasToken, tx.refundReceiver, BigInt(tx.nonce)] }),
    );
    const scheduledIn = await d.pub.getBlock();
    expect(readyAt).toBe(Number(scheduledIn.timestamp) + 48 * 3600);
    expect(await d.pub.readContract({ address: r.timelock, abi: timelockControllerAbi, functionName: 'isOperationPending', args: [operation as Hex] })).toBe(true);
    await expect(executeUpgrade('TraitPricer', implementation, { env, deploymentsDir: dir })).rejects.toThrow(/NotReady/);
    expect(readRecord(31337, dir).traitPricerImpl).toBe(r.traitPricerImpl);
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    await test.increaseTime({ seconds: 48 * 3600 });
    await test.mine({ blocks: 1 });
    expect(JSON.parse(readFileSync(layoutFile, 'utf8'))).toEqual(deployedLayout);
    const next = await executeUpgrade('TraitPricer', implementation, { env, deploymentsDir: dir });
    expect(next.traitPricerImpl).toBe(implementation);
    expect(JSON.parse(readFileSync(layoutFile, 'utf8'))).toEqual(snap);
    expect(readRecord(31337, dir).traitPricerImpl).toBe(implementation);
    const slot = await d.pub.getStorageAt({ address: r.traitPricer, slot: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc' });
    expect(isAddressEqual(`0x${slot!.slice(-40)}`, implementation)).toBe(true);
    d.record = next;
  }, 300_000);

  it('bounds an upgrade forge run (UPGRADE_TIMEOUT_S): one line, and the record is left as it was', async () => {
    const env = { ...baseEnv(), RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: localKey(0), SAFE_OWNER_KEYS: [localKey(1), localKey(2)].join(','), UPGRADE_TIMEOUT_S: '0.02' };
    const before = readFileSync(join(dir, '31337.json'), 'utf8');
    await expect(executeUpgrade('Valuation', d.record.valuationImpl, { env, deploymentsDir: dir })).rejects.toThrow(/^forge script execute\(\) did not finish within 0.02 s \(UPGRADE_TIMEOUT_S\)/);
    expect(readFileSync(join(dir, '31337.json'), 'utf8')).toBe(before);
  });

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
    // A Safe module: it could move anything without the owners' 2-of-3 (here enabled by the Safe itself).
    const module = localAccount(8).address;
    await test.impersonateAccount({ address: r.safe });
    await test.setBalance({ address: r.safe, value: parseEther('1') });
    const enable = await wallet.sendTransaction({ account: r.safe, to: r.safe, data: encodeFunctionData({ abi: [{ type: 'function', name: 'enableModule', inputs: [{ type: 'address', name: 'module' }], outputs: [], stateMutability: 'nonpayable' }], functionName: 'enableModule', args: [module] }), chain: foundry });
    await d.pub.waitForTransactionReceipt({ hash: enable });
    await test.stopImpersonatingAccount({ address: r.safe });
    // The reporter revoked: the oracle service could no longer report.
    await test.impersonateAccount({ address: r.timelock });
    const revoke = await wallet.sendTransaction({ account: r.timelock, to: r.valuation, data: encodeFunctionData({ abi: [{ type: 'function', name: 'setReporter', inputs: [{ type: 'address', name: 'r' }, { type: 'bool', name: 'ok' }], outputs: [], stateMutability: 'nonpayable' }], functionName: 'setReporter', args: [r.oracleReporter, false] }), chain: foundry });
    await d.pub.waitForTransactionReceipt({ hash: revoke });
    await test.stopImpersonatingAccount({ address: r.timelock });
    const problems = await verifyDeployment(d.pub, d.record, { allowStandIns: true });
    expect(problems.some((p) => p.includes('proposer role held by') && p.includes(eoa))).toBe(true);
    expect(problems.some((p) => p.includes('an account without code (an EOA)'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DutchAuction proxy'))).toBe(true);
    expect(problems).toContain(`the Safe has module(s) enabled: ${module} (a module bypasses the owners' threshold)`);
    expect(problems).toContain(`the oracle reporter ${r.oracleReporter} is not a reporter of the valuation`);
    // The Safe proxy pointed at other code (here the timelock's), with the record changed to match: the singleton is
    // checked against the published Safe 1.4.1 code hashes, not against the record, and reverting reads are findings.
    await test.setStorageAt({ address: r.safe, index: '0x0', value: `0x${r.timelock.slice(2).padStart(64, '0')}` as Hex });
    const swapped = await verifyDeployment(d.pub, { ...d.record, safeSingleton: r.timelock }, { allowStandIns: true });
    expect(swapped).toContain(`the Safe's singleton ${r.timelock} is not Safe 1.4.1 code`);
    expect(swapped.some((p) => p.startsWith('Safe getOwners(): the call reverted'))).toBe(true);
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
    // dev: this is about the key source; the assets are the demo stand-ins (a real-network deploy is tested below).
    const res = await deploy({
      dev: true,
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
    expect(res.file).toBeUndefined();
    expect(readdirSync(ksDirOut)).toEqual([]);
    expect(await verifyDeployment(d.pub, res.record, { allowStandIns: true })).toEqual([]);
  }, 180_000);
});

describe('bad input stops with one line and leaves deployments/ untouched', () => {
  let sentinelDir: string;
  const snapshot = () => readdirSync(sentinelDir).map((f) => `${f}:${readFileSync(join(sentinelDir, f), 'utf8')}`);

  beforeAll(() => {
    sentinelDir = mkdtempSync(join(tmpdir(), 'deployments-bad-'));
    writeFileSync(join(sentinelDir, '31337.json'), '{"previous": true}\n');
  });

  async function failure(env: NodeJS.ProcessEnv, argv: string[] = [], force = false): Promise<string> {
    const before = snapshot();
    let message = '';
    try {
      await deploy({ env: { ...baseEnv(), ...env }, argv, deploymentsDir: sentinelDir, bindings: false, force });
    } catch (e) {
      expect(e).toBeInstanceOf(DeployError);
      message = (e as Error).message;
    }
    expect(snapshot()).toEqual(before);
    expect(message).not.toBe('');
    expect(message).not.toContain('\n');
    return message;
  }

  /** A complete environment for a real network: the record's assets stand in (nothing is sent in these cases). */
  const realEnv = (): NodeJS.ProcessEnv => ({
    RPC_URL: d.rpcUrl,
    CHAIN_ID: '31337',
    DEPLOYER_PRIVATE_KEY: generatePrivateKey(),
    SAFE_OWNERS: [1, 2, 3].map((i) => localAccount(i).address).join(','),
    ORACLE_REPORTER: privateKeyToAccount(generatePrivateKey()).address,
    TRAIT_SIGNER: privateKeyToAccount(generatePrivateKey()).address,
    ASSET: d.record.asset,
    COLLECTION_721: d.record.collection721,
    FEED_721: d.record.feed721,
    COLLECTION_1155: d.record.collection1155,
    FEED_1155: d.record.feed1155,
  });

  it('an unreachable RPC, whose URL credentials are not printed', async () => {
    const port = await freePort();
    const msg = await failure({ ...realEnv(), RPC_URL: `http://user:pw@127.0.0.1:${port}/v2/SECRETKEY` });
    expect(msg).toMatch(/^cannot reach the RPC at http:\/\/127\.0\.0\.1:\d+: /);
    expect(msg).not.toMatch(/SECRETKEY|user:pw/);
  });

  it('a real RPC without the asset, collections, feeds and CHAIN_ID: one line naming them all, nothing sent', async () => {
    const env = realEnv();
    for (const k of ['CHAIN_ID', 'ASSET', 'COLLECTION_721', 'FEED_721', 'COLLECTION_1155', 'FEED_1155']) delete env[k];
    expect(await failure(env)).toBe('missing for a deployment to RPC_URL: CHAIN_ID, ASSET, COLLECTION_721, FEED_721, COLLECTION_1155, FEED_1155 (a real network gets no demo stand-ins; docs/deployment.md)');
  });

  it('a missing key, or missing roles', async () => {
    const env = realEnv();
    delete env.DEPLOYER_PRIVATE_KEY;
    delete env.SAFE_OWNERS;
    delete env.TRAIT_SIGNER;
    expect(await failure(env)).toBe('missing for a deployment to RPC_URL: TRAIT_SIGNER, SAFE_OWNERS (or SAFE), DEPLOYER_PRIVATE_KEY (or DEPLOYER_KEY_FILE, ETH_KEYSTORE) (a real network gets no demo stand-ins; docs/deployment.md)');
  });

  it('a malformed key, or a keystore without its password (ts/lib/keys.ts names the variable)', async () => {
    expect(await failure({ ...realEnv(), DEPLOYER_PRIVATE_KEY: '0x1234' }, [], true)).toBe('DEPLOYER_PRIVATE_KEY must be 32 bytes of hex');
    expect(await failure({ ...realEnv(), DEPLOYER_PRIVATE_KEY: '', DEPLOYER_KEYSTORE: 'deployer.json' }, [], true))
      .toBe('DEPLOYER_KEYSTORE needs DEPLOYER_KEYSTORE_PASSWORD or DEPLOYER_KEYSTORE_PASSWORD_FILE');
  });

  it('a key on the command line', async () => {
    expect(await failure({}, ['--private-key', generatePrivateKey()])).toMatch(/^refusing --private-key on the command line/);
  });

  it('a chain id mismatch', async () => {
    expect(await failure({ ...realEnv(), CHAIN_ID: '1' })).toBe(`chain id mismatch: ${d.rpcUrl} is chain 31337, CHAIN_ID says 1`);
  });

  it('an existing record is not replaced without --force (checked before anything is sent)', async () => {
    expect(await failure(realEnv())).toBe(`${join(sentinelDir, '31337.json')} already exists (a live deployment?): refusing to replace it; pass --force to deploy anew and overwrite it`);
  });

  it('--resume with nothing to resume', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'deployments-resume-'));
    await expect(deploy({ env: { ...baseEnv(), ...realEnv(), CHAIN_ID: '31337' }, resume: true, deploymentsDir: empty, bindings: false })).rejects.toThrow(/^nothing to resume on chain 31337/);
  });

  it('a failing transaction (a deployer without funds)', async () => {
    const msg = await failure(realEnv(), [], true);
    expect(msg).toMatch(/^forge script failed: .*(insufficient funds|lack of funds|Insufficient funds)/i);
  }, 180_000);

  it('a forge script that does not finish compiling and simulating within DEPLOY_TIMEOUT_S (killed, one line)', async () => {
    // Loading the project and simulating alone take forge longer than one second, so the bound fires first (and were
    // it not to, the unfunded deployer could not change the shared chain).
    const msg = await failure({ ...realEnv(), DEPLOY_TIMEOUT_S: '1' }, [], true);
    expect(msg).toMatch(/^forge script did not finish compiling and simulating within 1 s \(DEPLOY_TIMEOUT_S\); nothing was sent/);
  }, 60_000);
});

/** Contracts that stand for a real network's asset, collections (mint restricted) and feeds, on the test anvil. */
async function realAssets(): Promise<NodeJS.ProcessEnv> {
  const c = await connect(d.rpcUrl);
  const me = localAccount(6);
  const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
  await test.setBalance({ address: me.address, value: parseEther('100') });
  await test.impersonateAccount({ address: me.address });
  const asset = await deployArtifact(c, me.address, 'MockERC20', ['Wrapped Ether', 'WETH', 18]);
  const c721 = await deployArtifact(c, me.address, 'OwnedERC721', [], 'OwnedNFTs.sol');
  const c1155 = await deployArtifact(c, me.address, 'OwnedERC1155', [], 'OwnedNFTs.sol');
  const feeds: Address[] = [];
  for (const answer of [parseEther('30'), parseEther('1.5')]) {
    const feed = await deployArtifact(c, me.address, 'MockAggregator', [18]);
    await send(c, me.address, feed, loadArtifact('MockAggregator').abi, 'setAnswer', [answer]);
    feeds.push(feed);
  }
  await test.stopImpersonatingAccount({ address: me.address });
  return {
    ...baseEnv(),
    CHAIN_ID: '31337',
    SAFE_OWNERS: [1, 2, 3].map((i) => localAccount(i).address).join(','),
    ORACLE_REPORTER: localAccount(4).address,
    TRAIT_SIGNER: localAccount(5).address,
    ASSET: asset,
    COLLECTION_721: c721,
    FEED_721: feeds[0],
    COLLECTION_1155: c1155,
    FEED_1155: feeds[1],
  };
}

/** A JSON-RPC proxy in front of the test anvil that refuses every eth_sendRawTransaction after the first `allow`. */
async function flakyProxy(allow: number): Promise<{ url: string; sent: () => number; heal: () => void; close: () => Promise<void> }> {
  let sent = 0;
  let limit = allow;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const body = Buffer.concat(chunks).toString();
    const calls = JSON.parse(body);
    const list = Array.isArray(calls) ? calls : [calls];
    if (list.some((x: { method?: string }) => x.method === 'eth_sendRawTransaction')) {
      if (sent >= limit) {
        const errs = list.map((x: { id?: unknown }) => ({ jsonrpc: '2.0', id: x.id, error: { code: -32000, message: 'upstream connection lost' } }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(Array.isArray(calls) ? errs : errs[0]));
        return;
      }
      sent += 1;
    }
    const up = await fetch(d.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.setHeader('content-type', 'application/json');
    res.end(await up.text());
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}`, sent: () => sent, heal: () => (limit = Infinity), close: () => new Promise((ok) => server.close(() => ok())) };
}

describe('a deployment to a real network (an anvil at RPC_URL)', () => {
  it('deploys with the given asset, collections and feeds, passes verification without stand-ins, writes the record and refuses a second one', async () => {
    const env: NodeJS.ProcessEnv = { ...(await realAssets()), RPC_URL: d.rpcUrl, DEPLOYER_PRIVATE_KEY: localKey(0) };
    const out = mkdtempSync(join(tmpdir(), 'deployments-real-'));
    const res = await deploy({ env, deploymentsDir: out, bindings: false });
    expect(res.file).toBe(join(out, '31337.json'));
    expect(res.record.localAssets).toBe(false);
    expect(res.record.asset).toBe(getAddress(env.ASSET!));
    expect(await verifyDeployment(d.pub, res.record)).toEqual([]);
    await expect(deploy({ env, deploymentsDir: out, bindings: false })).rejects.toThrow(/already exists \(a live deployment\?\): refusing to replace it; pass --force/);
    expect(readRecord(31337, out).pool).toBe(res.record.pool);
  }, 300_000);

  it('a broadcast cut off midway is recorded from broadcast/ and finished with --resume', async () => {
    const base = await realAssets();
    // A fresh deployer, so that its nonce says exactly what this deployment sent.
    const key = generatePrivateKey();
    const deployer = privateKeyToAccount(key).address;
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    await test.setBalance({ address: deployer, value: parseEther('100') });
    const proxy = await flakyProxy(5);
    const out = mkdtempSync(join(tmpdir(), 'deployments-resume-'));
    try {
      const env = { ...base, RPC_URL: proxy.url, DEPLOYER_PRIVATE_KEY: key };
      const err = await deploy({ env, deploymentsDir: out, bindings: false }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(DeployError);
      expect(err!.message).toMatch(/^forge script failed after sending 5 of \d+ transactions \(listed in .*31337\.partial\.json\): .*; finish them with 'deploy --resume'$/);
      expect(await d.pub.getTransactionCount({ address: deployer })).toBe(5);
      const partial = JSON.parse(readFileSync(join(out, '31337.partial.json'), 'utf8'));
      expect(partial.sent).toHaveLength(5);
      expect(readdirSync(out)).toEqual(['31337.partial.json']);
      // The provider is back (forge resumes through the RPC it recorded): --resume sends the rest, nothing twice.
      proxy.heal();
      const res = await deploy({ env, resume: true, deploymentsDir: out, bindings: false });
      expect(res.record.deployer).toBe(deployer);
      expect(await d.pub.getTransactionCount({ address: deployer })).toBe(partial.total);
      expect(await verifyDeployment(d.pub, res.record)).toEqual([]);
      expect(readdirSync(out)).toEqual(['31337.json']);
    } finally {
      await proxy.close();
    }
  }, 400_000);
});

describe('typed bindings', () => {
  it('ts/generated/contracts.ts is what @wagmi/cli generates from the current artifacts', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bindings-')), 'contracts.ts');
    await generateBindings(out);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('ts/generated/contracts.ts', 'utf8'));
  }, 120_000);
});

export type { Address };
