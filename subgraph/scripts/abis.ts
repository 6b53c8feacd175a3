// Writes subgraph/abis/*.json: the ABIs the subgraph's data sources decode with, taken from the forge build (out/)
// and from the compiled Seaport 1.6 that @opensea/seaport-js ships, never written by hand. `make subgraph` runs it
// after `forge build`; ts/test/subgraph.test.ts checks that the committed files equal what it would write now, so a
// changed event in the contracts fails the test until the ABIs (and the handlers' signatures) are regenerated.
//   tsx subgraph/scripts/abis.ts [--check]     (--check: write nothing, exit 1 when a committed ABI is stale)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand } from '../../ts/lib/cli.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** One ABI file of the subgraph and where it comes from (relative to the repository root). */
export const ABI_SOURCES: Record<string, string> = {
  LendingPool: 'out/LendingPool.sol/LendingPool.json',
  DutchAuction: 'out/DutchAuction.sol/DutchAuction.json',
  Valuation: 'out/Valuation.sol/Valuation.json',
  TimelockController: 'out/TimelockController.sol/TimelockController.json',
  ERC721: 'out/ERC721.sol/ERC721.json',
  ERC1155: 'out/ERC1155.sol/ERC1155.json',
  Seaport: 'node_modules/@opensea/seaport-js/src/artifacts/seaport/contracts/Seaport.sol/Seaport.json',
};

type AbiEntry = { type: string; name?: string; [k: string]: unknown };

/** The ABI as the subgraph stores it: the artifact's entries minus constructor, errors and fallback (graph codegen
 * generates bindings for events and functions only), in the artifact's order. */
export function extractAbi(name: string): AbiEntry[] {
  const path = join(root, ABI_SOURCES[name]);
  if (!existsSync(path)) throw new Error(`${ABI_SOURCES[name]} not found: run 'make build' (forge) or 'make install' first`);
  const abi = JSON.parse(readFileSync(path, 'utf8')).abi as AbiEntry[];
  return abi.filter((e) => e.type === 'event' || e.type === 'function');
}

export function abiPath(name: string): string {
  return join(root, 'subgraph', 'abis', `${name}.json`);
}

export function render(name: string): string {
  return `${JSON.stringify(extractAbi(name), null, 2)}\n`;
}

function main(argv: string[]): number {
  if (argv.includes('--help')) {
    process.stdout.write('usage: tsx subgraph/scripts/abis.ts [--check] [--help]\n  writes subgraph/abis/*.json from out/ and seaport-js artifacts; --check only compares\n');
    return 0;
  }
  let check: boolean;
  try {
    check = parseCommand(argv, { name: 'abis', usage: '', options: { check: { type: 'boolean' } } }).values.check === true;
  } catch (e) {
    process.stderr.write(`abis: ${(e as Error).message}\n`);
    return 2;
  }
  let stale = 0;
  for (const name of Object.keys(ABI_SOURCES)) {
    const text = render(name);
    const path = abiPath(name);
    const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (old === text) continue;
    if (check) {
      process.stderr.write(`abis: subgraph/abis/${name}.json differs from ${ABI_SOURCES[name]}: run 'make subgraph-abis'\n`);
      stale++;
    } else {
      writeFileSync(path, text);
      process.stdout.write(`abis: wrote subgraph/abis/${name}.json\n`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`abis: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
