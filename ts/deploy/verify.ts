// Post-deployment verification, read from the chain (not from the forge simulation): owners, roles, delay,
// implementation slots, locked initialisers, the Safe's owners and threshold. Timelock roles are replayed from every
// RoleGranted/RoleRevoked log since the deployment block, so an unexpected holder cannot hide.
//   tsx ts/deploy/verify.ts            (RPC_URL, CHAIN_ID or the record's chain; reads deployments/<chainId>.json)
import { BaseError, encodeFunctionData, getAddress, isAddressEqual, parseAbi, parseAbiItem, type Address, type Hex, type PublicClient } from 'viem';
import {
  dutchAuctionAbi,
  iLendingPoolAbi,
  iValuationAdminAbi,
  iSafeAbi,
  timelockControllerAbi,
} from '../generated/contracts.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, http } from 'viem';
import { PROXIES, readRecord, type DeploymentRecord } from './record.js';

export const MIN_DELAY = 48 * 3600;
const IMPLEMENTATION_SLOT = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc';
const INVALID_INITIALIZATION = '0xf92ee8a9';

const roleGranted = parseAbiItem('event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)');
const roleRevoked = parseAbiItem('event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)');

/** Holders of every timelock role at the head of the chain, replayed from the role events. */
export async function roleHolders(pub: PublicClient, timelock: Address, fromBlock: bigint): Promise<Map<Hex, Set<Address>>> {
  const logs = await pub.getLogs({ address: timelock, events: [roleGranted, roleRevoked], fromBlock, toBlock: 'latest' });
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

/** Every way the chain differs from what governance requires; empty when the deployment is right. */
export async function verifyDeployment(pub: PublicClient, r: DeploymentRecord): Promise<string[]> {
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
  const holders = await roleHolders(pub, r.timelock, BigInt(r.startBlock));
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

  // The Safe: a 1.4.1 proxy to the recorded singleton, with the recorded owners and threshold.
  const safe = { address: r.safe, abi: iSafeAbi } as const;
  const owners = await pub.readContract({ ...safe, functionName: 'getOwners' });
  const threshold = Number(await pub.readContract({ ...safe, functionName: 'getThreshold' }));
  check(sameSet(owners, r.safeOwners), `Safe owners [${owners.join(', ')}] differ from the record`);
  check(threshold === r.safeThreshold, `Safe threshold ${threshold} differs from the record's ${r.safeThreshold}`);
  check(threshold >= 1 && threshold <= owners.length, `Safe threshold ${threshold} of ${owners.length}`);
  check((await pub.readContract({ ...safe, functionName: 'VERSION' })) === '1.4.1', 'Safe version is not 1.4.1');
  const singleton = await pub.getStorageAt({ address: r.safe, slot: '0x0' });
  check(!!singleton && isAddressEqual(getAddress(`0x${singleton.slice(-40)}`), r.safeSingleton), 'Safe proxy singleton');
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

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  (async () => {
    const rpcUrl = process.env.RPC_URL;
    if (!rpcUrl) throw new Error('missing RPC_URL');
    const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 0 }) }) as PublicClient;
    const chainId = await pub.getChainId().catch(() => {
      throw new Error(`cannot reach the RPC at ${rpcUrl}`);
    });
    const problems = await verifyDeployment(pub, readRecord(chainId));
    if (problems.length) {
      for (const p of problems) console.error(`  - ${p}`);
      throw new Error(`${problems.length} problem(s), first: ${problems[0]}`);
    }
    console.log(`verify: deployments/${chainId}.json matches the chain (roles, delay, slots, initialisers, Safe)`);
  })().catch((e) => {
    console.error(`verify failed: ${e?.message ?? e}`);
    process.exit(1);
  });
}
