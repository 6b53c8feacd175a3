// Points the subgraph at a network: writes src/config.ts (the sale rules' configuration, docs/sale-rules.md rules 4
// and 6) from sale-config.json, and, given a deployment record (deployments/<chainId>.json, ts/deploy/record.ts),
// first copies the protocol's addresses and start block into networks.json and its pool asset and listed
// collections into sale-config.json. graph-cli's `--network` then takes the addresses from networks.json.
//   tsx subgraph/scripts/networks.ts --network NAME [--deployment FILE] [--collections 0x..,0x..] [--weth-pool true|false]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getAddress, isAddress } from 'viem';
import { parseCommand, wantsHelp } from '../../ts/lib/cli.js';

const dir = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface SaleConfig {
  poolAsset: string;
  wethPool: boolean;
  collections: string[];
}

/** The AssemblyScript module the mapping imports (lower-case addresses: rules.ts compares strings). */
export function renderConfig(network: string, c: SaleConfig): string {
  const list = c.collections.map((a) => `'${a.toLowerCase()}'`).join(', ');
  return [
    `// Written by subgraph/scripts/networks.ts from subgraph/sale-config.json (network: ${network}); do not edit.`,
    '// The sale rules\' configuration (docs/sale-rules.md rules 4 and 6): the listed collections and the pool asset.',
    `export const NETWORK = '${network}';`,
    `export const POOL_ASSET = '${c.poolAsset.toLowerCase()}';`,
    `export const WETH_POOL = ${c.wethPool};`,
    `export const LISTED: string[] = [${list}];`,
    '',
  ].join('\n');
}

const USAGE = `usage: tsx subgraph/scripts/networks.ts --network NAME [--deployment FILE] [--collections A,B] [--weth-pool true|false] [--help]
  writes subgraph/src/config.ts for NAME; with --deployment, first records that deployment's addresses in
  subgraph/networks.json and its asset and collections in subgraph/sale-config.json
`;

function main(argv: string[]): number {
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return 0;
  }
  let opts: Record<string, string | undefined>;
  try {
    const str = { type: 'string' } as const;
    opts = parseCommand(argv, { name: 'networks', usage: USAGE, options: { network: str, deployment: str, collections: str, 'weth-pool': str } }).values;
  } catch (e) {
    process.stderr.write(`networks: ${(e as Error).message}\n`);
    return 2;
  }
  const network = opts.network;
  if (!network || !/^[a-z0-9-]+$/.test(network)) {
    process.stderr.write('networks: --network NAME is required (lower-case letters, digits, dashes)\n');
    return 2;
  }
  if (opts['weth-pool'] !== undefined && !['true', 'false'].includes(opts['weth-pool'])) {
    process.stderr.write(`networks: --weth-pool takes true or false, not ${opts['weth-pool']}\n`);
    return 2;
  }
  const collections = opts.collections?.split(',').filter(Boolean);
  for (const a of collections ?? []) {
    if (!isAddress(a, { strict: false })) {
      process.stderr.write(`networks: --collections: ${a} is not an address\n`);
      return 2;
    }
  }
  const networksPath = join(dir, 'networks.json');
  const configPath = join(dir, 'sale-config.json');
  const networks = JSON.parse(readFileSync(networksPath, 'utf8')) as Record<string, Record<string, { address: string; startBlock: number }>>;
  const configs = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, SaleConfig>;
  const cfg: SaleConfig = configs[network] ?? { poolAsset: '0x0000000000000000000000000000000000000000', wethPool: true, collections: [] };
  if (opts.deployment) {
    if (!existsSync(opts.deployment)) {
      process.stderr.write(`networks: ${opts.deployment} not found\n`);
      return 1;
    }
    const r = JSON.parse(readFileSync(opts.deployment, 'utf8')) as Record<string, unknown>;
    for (const k of ['pool', 'auction', 'valuation', 'timelock', 'asset', 'startBlock']) {
      if (r[k] === undefined) {
        process.stderr.write(`networks: ${opts.deployment} has no "${k}": not a deployment record (ts/deploy/record.ts)\n`);
        return 1;
      }
    }
    const at = (a: unknown) => ({ address: getAddress(a as string), startBlock: Number(r.startBlock) });
    networks[network] = {
      Seaport: networks[network]?.Seaport ?? { address: '0x0000000000000068F116a894984e2DB1123eB395', startBlock: Number(r.startBlock) },
      LendingPool: at(r.pool),
      DutchAuction: at(r.auction),
      Valuation: at(r.valuation),
      TimelockController: at(r.timelock),
    };
    cfg.poolAsset = getAddress(r.asset as string);
    cfg.collections = [r.collection721, r.collection1155].filter((a): a is string => typeof a === 'string').map((a) => getAddress(a));
    writeFileSync(networksPath, `${JSON.stringify(networks, null, 2)}\n`);
  }
  if (!networks[network]) {
    process.stderr.write(`networks: '${network}' is not in subgraph/networks.json (give --deployment to add it)\n`);
    return 1;
  }
  if (collections) cfg.collections = collections.map((a) => getAddress(a));
  if (opts['weth-pool'] !== undefined) cfg.wethPool = opts['weth-pool'] === 'true';
  if (opts.deployment || collections || opts['weth-pool'] !== undefined) {
    configs[network] = cfg;
    writeFileSync(configPath, `${JSON.stringify(configs, null, 2)}\n`);
  }
  writeFileSync(join(dir, 'src', 'config.ts'), renderConfig(network, cfg));
  process.stdout.write(`networks: subgraph/src/config.ts written for ${network} (${cfg.collections.length} listed collections)\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`networks: ${(e as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
