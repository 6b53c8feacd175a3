// Post-deployment verification, read from the chain (not from the forge simulation): owners, roles, delay,
// implementation slots, locked initialisers, the Safe (owners, threshold, no module, no guard, a Safe 1.4.1 singleton
// by its code hash, a known constant, not the record), the oracle reporter, the trait signer, the pool's asset, and
// no demo stand-in (an open-mint collection, a settable floor feed, a fresh WETH). Timelock roles are replayed from
// every RoleGranted/RoleRevoked log since the deployment block, read in bounded ranges that halve when a provider
// refuses one, so an unexpected holder cannot hide and a long-lived deployment can still be re-verified.
//   tsx ts/deploy/verify.ts [--record <file>]     (make verify-deployment; --help lists the environment)
import { BaseError, encodeFunctionData, getAddress, isAddressEqual, parseAbi, parseAbiItem, type Address, type Hex, type PublicClient } from 'viem';
import {
  dutchAuctionAbi,
  iLendingPoolAbi,
  iValuationAdminAbi,
  iSafeAbi,
  timelockControllerAbi,
} from '../generated/contracts.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, http, keccak256, zeroAddress } from 'viem';
import { cli, redactIn, redactUrl } from '../lib/cli.js';
import { PROXIES, readRecord, type DeploymentRecord } from './record.js';

export const MIN_DELAY = 48 * 3600;
const IMPLEMENTATION_SLOT = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc';
const INVALID_INITIALIZATION = '0xf92ee8a9';

const roleGranted = parseAbiItem('event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)');
const roleRevoked = parseAbiItem('event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)');

/** keccak256 of the runtime code of the Safe 1.4.1 singletons (Safe, SafeL2), as published in the
 * @safe-global/safe-contracts 1.4.1 artifacts; the canonical deployments carry the same code. */
export const SAFE_141_CODE_HASHES: readonly Hex[] = [
  '0x1fe2df852ba3299d6534ef416eefa406e56ced995bca886ab7a553e6d0c5e1c4',
  '0xb1f926978a0f44a2c0ec8fe822418ae969bd8c3f18d61e5103100339894f81ff',
];
export const SAFE_VERSION = '1.4.1';
/** Safe storage: keccak256("guard_manager.guard.address"). */
const SAFE_GUARD_SLOT = '0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8';
const SENTINEL = '0x0000000000000000000000000000000000000001';
const safeExtra = parseAbi([
  'function getModulesPaginated(address start, uint256 pageSize) view returns (address[] array, address next)',
]);
const oracleViews = parseAbi([
  'function isReporter(address account) view returns (bool)',
  'function signer() view returns (address)',
  'function asset() view returns (address)',
  'function mint(address to, uint256 id)',
  'function mint(address to, uint256 id, uint256 amount)',
]);

/** Blocks per getLogs request at first; a refused range is halved down to one block. */
export const LOG_RANGE = 2_000n;

/**
 * getLogs over [fromBlock, toBlock] in ranges of at most `step` blocks. A range the provider refuses (a range or
 * result cap, a transient error) is split in two and each half read again; only a single refused block is an error.
 */
export async function getLogsBounded<T>(read: (from: bigint, to: bigint) => Promise<T[]>, fromBlock: bigint, toBlock: bigint, step = LOG_RANGE): Promise<T[]> {
  const out: T[] = [];
  const pending: [bigint, bigint][] = [];
  for (let a = fromBlock; a <= toBlock; a += step) pending.push([a, a + step - 1n < toBlock ? a + step - 1n : toBlock]);
  while (pending.length) {
    const [a, b] = pending.shift()!;
    try {
      out.push(...(await read(a, b)));
    } catch (e) {
      if (a === b) throw e;
      const mid = (a + b) / 2n;
      pending.unshift([a, mid], [mid + 1n, b]);
    }
  }
  return out;
}

/** Holders of every timelock role at the head of the chain, replayed from the role events. */
export async function roleHolders(pub: PublicClient, timelock: Address, fromBlock: bigint, step = LOG_RANGE): Promise<Map<Hex, Set<Address>>> {
  const head = await pub.getBlockNumber({ cacheTime: 0 }); // not the client's cached head: it may predate the deployment
  const logs = await getLogsBounded((from, to) => pub.getLogs({ address: timelock, events: [roleGranted, roleRevoked], fromBlock: from, toBlock: to }), fromBlock, head, step);
  logs.sort((a, b) => (a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n))));
  const holders = new Map<Hex, Set<Address>>();
  for (const log of logs) {
    const { role, account } = log.args as { role: Hex; account: Address };
    const set = holders.get(role) ?? new Set<Address>();
    if (log.eventName === 'RoleGranted') set.add(getAddress(account));
    else set.delete(getAddress(account));
    holders.set(role, set);
  }
  return holders;
}

function sameSet(a: Iterable<Address>, b: Iterable<Address>): boolean {
  const x = [...a].map((v) => v.toLowerCase()).sort();
  const y = [...b].map((v) => v.toLowerCase()).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface VerifyOptions {
  /** Demo stand-ins are expected (the embedded anvil, the demo): only then are they not a finding. */
  allowStandIns?: boolean;
  /** What the operator configured, when it should be checked against something other than the record. */
  expect?: { oracleReporter?: Address; traitSigner?: Address; asset?: Address };
  /** getLogs range (tests). */
  logRange?: bigint;
}

/** The local stand-ins of script/local/LocalAssets.sol and the WETH the script deploys, by their forge artifacts. */
const STAND_INS = [
  ['DemoApes', 'LocalAssets.sol'],
  ['DemoItems', 'LocalAssets.sol'],
  ['LocalFloorFeed', 'LocalAssets.sol'],
  ['WETH', 'WETH.sol'],
] as const;

/** Runtime code without its immutables (zeroed) and without the trailing CBOR metadata. */
function codeShape(code: string, immutables: { start: number; length: number }[] = []): string {
  let hex = code.startsWith('0x') ? code.slice(2) : code;
  const chars = hex.split('');
  for (const { start, length } of immutables) for (let i = start * 2; i < (start + length) * 2 && i < chars.length; i++) chars[i] = '0';
  hex = chars.join('');
  const metaLen = parseInt(hex.slice(-4), 16);
  if (Number.isFinite(metaLen) && (metaLen + 2) * 2 < hex.length) hex = hex.slice(0, hex.length - (metaLen + 2) * 2);
  return hex.toLowerCase();
}

/** The stand-in whose code `code` is, if any (compared with out/ artifacts, immutables masked). */
export function standInName(code: string | undefined): string | undefined {
  if (!code || code === '0x') return undefined;
  for (const [name, file] of STAND_INS) {
    const path = `out/${file}/${name}.json`;
    if (!existsSync(path)) continue;
    const art = JSON.parse(readFileSync(path, 'utf8')) as { deployedBytecode: { object: string; immutableReferences?: Record<string, { start: number; length: number }[]> } };
    const refs = Object.values(art.deployedBytecode.immutableReferences ?? {}).flat();
    if (code.length === art.deployedBytecode.object.length && codeShape(code, refs) === codeShape(art.deployedBytecode.object, refs)) return name;
  }
  return undefined;
}

/** Every way the chain differs from what governance requires; empty when the deployment is right. */
export async function verifyDeployment(pub: PublicClient, r: DeploymentRecord, opts: VerifyOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  // A read that reverts (a proxy pointing at the wrong code) is a finding, not a crash.
  const readOr = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (e) {
      problems.push(`${what}: the call reverted (${(e as { shortMessage?: string }).shortMessage ?? String(e)})`);
      return undefined;
    }
  };
  const same = (a: Address | undefined, b: Address) => a !== undefined && isAddressEqual(a, b);
  const chainId = await pub.getChainId();
  check(chainId === r.chainId, `chain id ${chainId} differs from the record's ${r.chainId}`);

  for (const [name, addr] of Object.entries(r)) {
    if (typeof addr !== 'string' || !addr.startsWith('0x') || ['deployer', 'oracleReporter', 'traitSigner'].includes(name)) continue;
    if (name === 'guardian' && !isAddressEqual(addr as Address, r.safe)) continue;
    const code = await pub.getCode({ address: addr as Address });
    check(!!code && code !== '0x', `${name} ${addr} has no code`);
  }

  // Timelock: delay, and the role holders replayed from the logs.
  const tl = { address: r.timelock, abi: timelockControllerAbi } as const;
  const delay = Number(await pub.readContract({ ...tl, functionName: 'getMinDelay' }));
  check(delay === r.timelockDelay, `timelock delay ${delay} s differs from the record's ${r.timelockDelay} s`);
  check(delay >= MIN_DELAY, `timelock delay ${delay} s is below 48 h`);
  const [admin, proposer, canceller, executor] = await Promise.all(
    (['DEFAULT_ADMIN_ROLE', 'PROPOSER_ROLE', 'CANCELLER_ROLE', 'EXECUTOR_ROLE'] as const).map((f) => pub.readContract({ ...tl, functionName: f })),
  );
  const holders = await roleHolders(pub, r.timelock, BigInt(r.startBlock), opts.logRange);
  const expected: [string, Hex, Address][] = [
    ['admin', admin, r.timelock],
    ['proposer', proposer, r.safe],
    ['canceller', canceller, r.safe],
    ['executor', executor, r.safe],
  ];
  for (const [label, role, who] of expected) {
    const got = holders.get(role) ?? new Set<Address>();
    check(sameSet(got, [who]), `timelock ${label} role held by [${[...got].join(', ')}], expected only ${who}`);
    for (const h of got) {
      const code = await pub.getCode({ address: h });
      check(!!code && code !== '0x', `timelock ${label} role held by ${h}, an account without code (an EOA)`);
    }
    // hasRole agrees with the replay for the accounts that matter.
    for (const acct of [r.deployer, ...r.safeOwners, r.guardian]) {
      if (isAddressEqual(acct, who)) continue;
      const has = await pub.readContract({ ...tl, functionName: 'hasRole', args: [role, acct] });
      check(!has, `${acct} holds the timelock ${label} role`);
    }
  }

  // Proxies: implementation slot, roles, locked implementation initialisers.
  for (const p of PROXIES) {
    const proxy = r[p.proxy];
    const impl = r[p.impl];
    const slot = await pub.getStorageAt({ address: proxy, slot: IMPLEMENTATION_SLOT });
    const inSlot = slot ? getAddress(`0x${slot.slice(-40)}`) : undefined;
    check(!!inSlot && isAddressEqual(inSlot, impl), `${p.name} proxy ${proxy} points to ${inSlot}, the record says ${impl}`);
    const timelock = await readOr(`${p.name} timelock()`, () => pub.readContract({ address: proxy, abi: iLendingPoolAbi, functionName: 'timelock' }));
    const guardian = await readOr(`${p.name} guardian()`, () => pub.readContract({ address: proxy, abi: iLendingPoolAbi, functionName: 'guardian' }));
    if (timelock) check(isAddressEqual(timelock, r.timelock), `${p.name} timelock is ${timelock}, expected ${r.timelock}`);
    if (guardian) check(isAddressEqual(guardian, r.guardian), `${p.name} guardian is ${guardian}, expected ${r.guardian}`);
    check(await initialiserLocked(pub, impl), `${p.name} implementation ${impl} can be initialised`);
  }

  // Wiring.
  const pool = { address: r.pool, abi: iLendingPoolAbi } as const;
  check(same(await readOr('pool liquidator()', () => pub.readContract({ ...pool, functionName: 'liquidator' })), r.auction), 'pool liquidator is not the auction');
  check(same(await readOr('pool custody()', () => pub.readContract({ ...pool, functionName: 'custody' })), r.safe), 'pool custody is not the Safe');
  check(same(await readOr('pool valuation()', () => pub.readContract({ ...pool, functionName: 'valuation' })), r.valuation), 'pool valuation');
  check(same(await readOr('auction pool()', () => pub.readContract({ address: r.auction, abi: dutchAuctionAbi, functionName: 'pool' })), r.pool), 'auction pool');
  check(
    same(await readOr('valuation traitPricer()', () => pub.readContract({ address: r.valuation, abi: iValuationAdminAbi, functionName: 'traitPricer' })), r.traitPricer),
    'valuation trait pricer',
  );

  // Oracle roles and the asset, against what the operator configured (else the record).
  const reporter = opts.expect?.oracleReporter ?? r.oracleReporter;
  const signer = opts.expect?.traitSigner ?? r.traitSigner;
  const asset = opts.expect?.asset ?? r.asset;
  const isReporter = (who: Address) => readOr('valuation isReporter()', () => pub.readContract({ address: r.valuation, abi: oracleViews, functionName: 'isReporter', args: [who] }));
  check((await isReporter(reporter)) === true, `the oracle reporter ${reporter} is not a reporter of the valuation`);
  for (const who of new Set([r.deployer, ...r.safeOwners].map((a) => getAddress(a)))) {
    if (isAddressEqual(who, reporter)) continue;
    check((await isReporter(who)) !== true, `${who} (deployer or Safe owner) is an oracle reporter`);
  }
  const onChainSigner = await readOr('trait pricer signer()', () => pub.readContract({ address: r.traitPricer, abi: oracleViews, functionName: 'signer' }));
  check(same(onChainSigner, signer), `trait signer is ${onChainSigner}, expected ${signer}`);
  const poolAsset = await readOr('pool asset()', () => pub.readContract({ address: r.pool, abi: oracleViews, functionName: 'asset' }));
  check(same(poolAsset, asset), `pool asset is ${poolAsset}, expected ${asset}`);
  const auctionAsset = await readOr('auction asset()', () => pub.readContract({ address: r.auction, abi: oracleViews, functionName: 'asset' }));
  check(same(auctionAsset, asset), `auction asset is ${auctionAsset}, expected ${asset}`);

  // No demo stand-in on a real network: by code, and an open mint by behaviour (whoever the contract is).
  if (!opts.allowStandIns) {
    check(!r.localAssets, 'the record says localAssets: demo collections and feeds were deployed');
    for (const k of ['asset', 'collection721', 'feed721', 'collection1155', 'feed1155'] as const) {
      const name = standInName(await pub.getCode({ address: r[k] }));
      check(!name, `${k} ${r[k]} is the local stand-in ${name}`);
    }
    const stranger = '0x00000000000000000000000000000000DeaDBeef' as Address;
    const opens = async (call: () => Promise<unknown>) => call().then(() => true, () => false);
    check(!(await opens(() => pub.simulateContract({ address: r.collection721, abi: oracleViews, functionName: 'mint', args: [stranger, 2n ** 255n], account: stranger }))), `collection721 ${r.collection721} lets anyone mint`);
    check(!(await opens(() => pub.simulateContract({ address: r.collection1155, abi: oracleViews, functionName: 'mint', args: [stranger, 2n ** 255n, 1n], account: stranger }))), `collection1155 ${r.collection1155} lets anyone mint`);
  }

  // The Safe: a 1.4.1 proxy to the recorded singleton, with the recorded owners and threshold.
  const safe = { address: r.safe, abi: iSafeAbi } as const;
  // Reverting reads are findings (a Safe proxy pointed at other code), not a crash of the verification.
  const owners = (await readOr('Safe getOwners()', () => pub.readContract({ ...safe, functionName: 'getOwners' }))) ?? [];
  const threshold = Number((await readOr('Safe getThreshold()', () => pub.readContract({ ...safe, functionName: 'getThreshold' }))) ?? 0);
  check(sameSet(owners, r.safeOwners), `Safe owners [${owners.join(', ')}] differ from the record`);
  check(threshold === r.safeThreshold, `Safe threshold ${threshold} differs from the record's ${r.safeThreshold}`);
  check(threshold >= 1 && threshold <= owners.length, `Safe threshold ${threshold} of ${owners.length}`);
  const version = await readOr('Safe VERSION()', () => pub.readContract({ ...safe, functionName: 'VERSION' }));
  check(version === SAFE_VERSION, `Safe version is ${version}, not ${SAFE_VERSION}`);
  // The singleton by its code, against the published 1.4.1 code hashes (the record could name any contract).
  const slot0 = await pub.getStorageAt({ address: r.safe, slot: '0x0' });
  const singleton = slot0 ? getAddress(`0x${slot0.slice(-40)}`) : zeroAddress;
  const singletonCode = await pub.getCode({ address: singleton });
  check(!!singletonCode && SAFE_141_CODE_HASHES.includes(keccak256(singletonCode)), `the Safe's singleton ${singleton} is not Safe 1.4.1 code`);
  if (r.safeSingleton && r.safeSingleton !== zeroAddress) check(isAddressEqual(singleton, r.safeSingleton), `the Safe's singleton ${singleton} differs from the record's ${r.safeSingleton}`);
  // No module (a module executes without the owners' signatures) and no guard (it can block every transaction).
  const modules = await readOr('Safe getModulesPaginated()', () => pub.readContract({ address: r.safe, abi: safeExtra, functionName: 'getModulesPaginated', args: [SENTINEL, 10n] }));
  if (modules) check(modules[0].length === 0, `the Safe has module(s) enabled: ${modules[0].join(', ')} (a module bypasses the owners' threshold)`);
  const guard = await pub.getStorageAt({ address: r.safe, slot: SAFE_GUARD_SLOT });
  check(!guard || BigInt(guard) === 0n, `the Safe has a guard set: 0x${(guard ?? '').slice(-40)}`);
  return problems;
}

/** The initialisers of the four implementations. Calling each on an implementation must revert, and the one that
 * exists there must revert with solady's InvalidInitialization (the modifier runs before any argument check). */
const initialisers = parseAbi([
  'function initialize(string name_, string symbol_, address timelock_, address guardian_, address custody_, (uint48 baseRate, uint48 slope1, uint48 slope2, uint16 kinkBps, uint16 reserveFactorBps, bool borrowPaused, uint64 minLoan) config)',
  'function initialize(address a, address b, address c)',
  'function initialize(address timelock_, address guardian_, uint8 assetDecimals_)',
]);

async function initialiserLocked(pub: PublicClient, impl: Address): Promise<boolean> {
  const z = '0x000000000000000000000000000000000000dEaD' as Address;
  const rc = { baseRate: 0, slope1: 0, slope2: 0, kinkBps: 0, reserveFactorBps: 0, borrowPaused: false, minLoan: 0n };
  const calls: Hex[] = [
    encodeFunctionData({ abi: [initialisers[0]], functionName: 'initialize', args: ['x', 'x', z, z, z, rc] }),
    encodeFunctionData({ abi: [initialisers[1]], functionName: 'initialize', args: [z, z, z] }),
    encodeFunctionData({ abi: [initialisers[2]], functionName: 'initialize', args: [z, z, 18] }),
  ];
  let sawLock = false;
  for (const data of calls) {
    try {
      await pub.call({ to: impl, data });
      return false; // an initialiser accepted the call
    } catch (e) {
      if (revertData(e)?.startsWith(INVALID_INITIALIZATION)) sawLock = true;
    }
  }
  return sawLock;
}

function revertData(e: unknown): Hex | undefined {
  if (!(e instanceof BaseError)) return undefined;
  let data: Hex | undefined;
  e.walk((x) => {
    const d = (x as { data?: unknown }).data;
    if (typeof d === 'string' && d.startsWith('0x')) data = d as Hex;
    return false;
  });
  return data;
}

export const VERIFY_USAGE = `usage: tsx ts/deploy/verify.ts [--record <file>]      (make verify-deployment)
Re-verifies a deployment record against the chain; exit 1 with every problem listed when they differ.
  --record <file>   the record to check (default deployments/<chainId>.json for the chain at RPC_URL)
  --help            this text
environment: RPC_URL (required); CHAIN_ID (optional, must match); ORACLE_REPORTER, TRAIT_SIGNER, ASSET (optional:
             checked instead of the record's values); VERIFY_LOG_RANGE (blocks per getLogs request, 2000)`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = cli({ name: 'verify', usage: VERIFY_USAGE, options: { record: { type: 'string' } } });
  const rpcUrl = process.env.RPC_URL?.trim();
  (async () => {
    if (!rpcUrl) throw new Error('missing RPC_URL (the chain the deployment is on)');
    const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 0 }) }) as PublicClient;
    const chainId = await pub.getChainId().catch(() => {
      throw new Error(`cannot reach the RPC at ${redactUrl(rpcUrl)}`);
    });
    if (process.env.CHAIN_ID && Number(process.env.CHAIN_ID) !== chainId) throw new Error(`chain id mismatch: the RPC is chain ${chainId}, CHAIN_ID says ${process.env.CHAIN_ID}`);
    const record = values.record ? (JSON.parse(readFileSync(values.record, 'utf8')) as DeploymentRecord) : readRecord(chainId);
    const env = process.env;
    const addr = (k: string) => (env[k]?.trim() ? getAddress(env[k]!.trim()) : undefined);
    const problems = await verifyDeployment(pub, record, {
      expect: { oracleReporter: addr('ORACLE_REPORTER'), traitSigner: addr('TRAIT_SIGNER'), asset: addr('ASSET') },
      logRange: env.VERIFY_LOG_RANGE ? BigInt(env.VERIFY_LOG_RANGE) : undefined,
    });
    if (problems.length) {
      for (const p of problems) console.error(`  - ${p}`);
      throw new Error(`${problems.length} problem(s), first: ${problems[0]}`);
    }
    console.log(`verify: ${values.record ?? `deployments/${chainId}.json`} matches the chain (roles, delay, slots, initialisers, Safe, oracle roles, asset, no stand-ins)`);
  })().catch((e) => {
    console.error(`verify failed: ${redactIn(String(e?.message ?? e).split('\n')[0], rpcUrl)}`);
    process.exit(1);
  });
}
