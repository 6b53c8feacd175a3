// The deployment record: what script/DeploySystem.s.sol deployed, as written to deployments/<chainId>.json.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAddress, type Address } from 'viem';

export const DEPLOYMENTS_DIR = 'deployments';

export interface DeploymentRecord {
  chainId: number;
  deployer: Address;
  safe: Address;
  safeSingleton: Address;
  safeProxyFactory: Address;
  safeFallbackHandler: Address;
  safeOwners: Address[];
  safeThreshold: number;
  timelock: Address;
  timelockDelay: number;
  guardian: Address;
  oracleReporter: Address;
  traitSigner: Address;
  asset: Address;
  collection721: Address;
  feed721: Address;
  collection1155: Address;
  feed1155: Address;
  valuation: Address;
  valuationImpl: Address;
  traitPricer: Address;
  traitPricerImpl: Address;
  pool: Address;
  poolImpl: Address;
  poolExtension: Address;
  auction: Address;
  auctionImpl: Address;
  localAssets: boolean;
  startBlock: number;
}

/** The proxies and the record fields that hold their implementations. */
export const PROXIES = [
  { name: 'Valuation', proxy: 'valuation', impl: 'valuationImpl' },
  { name: 'TraitPricer', proxy: 'traitPricer', impl: 'traitPricerImpl' },
  { name: 'LendingPool', proxy: 'pool', impl: 'poolImpl' },
  { name: 'DutchAuction', proxy: 'auction', impl: 'auctionImpl' },
] as const;

/** Parses the JSON the forge script wrote (addresses checksummed, numbers as numbers). */
export function parseRecord(json: string, chainId: number): DeploymentRecord {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const out: Record<string, unknown> = { chainId };
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) out[k] = getAddress(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => getAddress(String(x)));
    else out[k] = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  }
  for (const k of ['safe', 'timelock', 'pool', 'auction', 'valuation', 'traitPricer']) {
    if (!out[k]) throw new Error(`the deploy script's output has no '${k}'`);
  }
  return out as unknown as DeploymentRecord;
}

export function recordPath(chainId: number, dir = DEPLOYMENTS_DIR): string {
  return join(dir, `${chainId}.json`);
}

/** Writes the record atomically (temp file + rename), so a reader never sees half a file. */
export function writeRecord(record: DeploymentRecord, dir = DEPLOYMENTS_DIR): string {
  const file = recordPath(record.chainId, dir);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}

export function readRecord(chainId: number, dir = DEPLOYMENTS_DIR): DeploymentRecord {
  const file = recordPath(chainId, dir);
  if (!existsSync(file)) throw new Error(`no deployment for chain ${chainId}: ${file} does not exist (deploy first)`);
  return JSON.parse(readFileSync(file, 'utf8')) as DeploymentRecord;
}
