// The subgraph (issue 24) where it can be checked without a graph-node:
// - by construction: every handler's event signature in subgraph/subgraph.yaml is an event of the contract's ABI in
//   the forge build (out/) or in Seaport's artifacts, the committed ABIs are what subgraph/scripts/abis.ts extracts
//   now, the topics the Seaport mapping matches in a receipt are those events' selectors, and every handler exists;
// - by running: the sale rules (subgraph/src/rules.ts, compiled alone to WASM with the AssemblyScript compiler
//   graph-cli brings) decide every OrderFulfilled of real Seaport 1.6 fills exactly as a TypeScript reading of
//   docs/sale-rules.md does, on the committed fixture and on fills recorded afresh on anvil.
// `graph codegen && graph build` itself runs in `make test` (.ci/test-steps.sh, step "subgraph").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress, toEventSelector, type Address, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_REASONS, type Sale } from '../indexer/sale.js';
import { ABI_SOURCES, abiPath, render } from '../../subgraph/scripts/abis.js';
import { record, type Fixture, type FixtureTx } from '../../subgraph/scripts/fixtures.js';
import { decodeTx, referenceDecision, type DecodedTx, type Fill, type RuleConfig } from '../../subgraph/test/sale-rules-ref.js';
import {
  decodeNftTransfer,
  decodeOrderFulfilled,
  decodeOrdersMatched,
  finish,
  preClassify,
  ORDER_FULFILLED_TOPIC,
  ORDERS_MATCHED_TOPIC,
  type Fulfilled,
  type RawLog as IndexerLog,
  type TxContext,
} from '../indexer/rules.js';

type AbiParam = { type: string; indexed?: boolean; components?: AbiParam[] };
type AbiEvent = { type: string; name: string; inputs: AbiParam[] };

/** An event as a subgraph manifest writes it: `Name(indexed address,(uint8,address)[],...)`. */
function graphType(p: AbiParam): string {
  return p.type.startsWith('tuple') ? `(${p.components!.map(graphType).join(',')})${p.type.slice(5)}` : p.type;
}
export function graphSignature(e: AbiEvent): string {
  return `${e.name}(${e.inputs.map((i) => (i.indexed ? 'indexed ' : '') + graphType(i)).join(',')})`;
}

interface Source {
  name: string;
  abi: string;
  handlers: { event: string; handler: string }[];
}
/** The data sources and templates of the manifest: name, ABI name and event handlers (the file's own layout). */
function manifestSources(yaml: string): Source[] {
  return yaml
    .split(/\n\s+- kind: ethereum\/contract\n/)
    .slice(1)
    .map((block) => ({
      name: /name: (\w+)/.exec(block)![1],
      abi: /source:\n(?:\s+\w+: .*\n)*?\s+abi: (\w+)/.exec(block)![1],
      handlers: [...block.matchAll(/- event: (.+)\n\s+handler: (\w+)/g)].map((m) => ({ event: m[1].trim(), handler: m[2] })),
    }));
}

/** Handler signatures that the ABIs do not declare: what a changed or renamed event leaves behind. */
function signatureMismatches(sources: Source[], abis: Record<string, AbiEvent[]>): string[] {
  const bad: string[] = [];
  for (const s of sources) {
    const declared = new Set(abis[s.abi].filter((e) => e.type === 'event').map(graphSignature));
    for (const h of s.handlers) if (!declared.has(h.event)) bad.push(`${s.name}: ${h.event}`);
  }
  return bad;
}

const forgeAbis = (): Record<string, AbiEvent[]> =>
  Object.fromEntries(Object.entries(ABI_SOURCES).map(([n, p]) => [n, JSON.parse(readFileSync(p, 'utf8')).abi as AbiEvent[]]));

describe('subgraph manifest against the contracts', () => {
  const yaml = readFileSync('subgraph/subgraph.yaml', 'utf8');
  const sources = manifestSources(yaml);

  it('names every data source and template the issue asks for', () => {
    expect(sources.map((s) => s.name).sort()).toEqual(
      ['DutchAuction', 'Erc1155Collection', 'Erc721Collection', 'LendingPool', 'Seaport', 'TimelockController', 'Valuation'].sort(),
    );
    expect(sources.reduce((n, s) => n + s.handlers.length, 0)).toBe(29);
  });

  it('defines the entities the issue lists', () => {
    const schema = readFileSync('subgraph/schema.graphql', 'utf8');
    const entities = [...schema.matchAll(/^type (\w+) @entity/gm)].map((m) => m[1]);
    const asked = ['Collection', 'Sale', 'CollectionDay', 'Pool', 'Lender', 'Loan', 'Auction', 'WriteOff', 'OracleObservation', 'TimelockOperation'];
    expect(asked.filter((e) => !entities.includes(e))).toEqual([]);
    expect(schema).toMatch(/type Sale @entity\(immutable: true\)/);
  });

  it("has every handler's event signature in the forge build's (and Seaport's) ABI", () => {
    expect(signatureMismatches(sources, forgeAbis())).toEqual([]);
  });

  it('fails the check when an event changes in the contracts', () => {
    const abis = forgeAbis();
    // A field added to Loan (what Borrow, Repay, Renew, AuctionStarted and AuctionRelisted carry) and a renamed event.
    const changed = structuredClone(abis);
    const loanWords = changed.LendingPool.find((x) => x.type === 'event' && x.name === 'Borrow')!.inputs.find((i) => i.components)!.components!.length;
    for (const e of changed.LendingPool.filter((x) => x.type === 'event')) {
      for (const i of e.inputs) if (i.components?.length === loanWords) i.components.push({ type: 'uint256' });
    }
    changed.Valuation.find((e) => e.name === 'SaleObserved')!.name = 'SaleRecorded';
    const bad = signatureMismatches(sources, changed);
    expect(bad.filter((b) => b.startsWith('LendingPool:')).length).toBe(5);
    expect(bad.some((b) => b.startsWith('Valuation: SaleObserved('))).toBe(true);
    // An indexed flag moved is a different log layout, and is caught too.
    const moved = structuredClone(abis);
    moved.DutchAuction.find((e) => e.name === 'AuctionBought')!.inputs[1].indexed = false;
    expect(signatureMismatches(sources, moved)).toEqual(['DutchAuction: AuctionBought(indexed uint256,indexed address,uint256)']);
  });

  it('commits the ABIs subgraph/scripts/abis.ts extracts from the build now', () => {
    for (const name of Object.keys(ABI_SOURCES)) expect(readFileSync(abiPath(name), 'utf8'), name).toBe(render(name));
  });

  it("matches receipt logs by the selectors of the ABIs' events", () => {
    const src = readFileSync('subgraph/src/seaport.ts', 'utf8');
    const constant = (n: string) => new RegExp(`const ${n} = '(0x[0-9a-f]{64})'`).exec(src)![1];
    const abis = forgeAbis();
    const sel = (abi: string, name: string) => toEventSelector(graphSignature(abis[abi].find((e) => e.name === name)!).replace(/indexed /g, ''));
    expect(constant('ORDER_FULFILLED')).toBe(sel('Seaport', 'OrderFulfilled'));
    expect(constant('ORDERS_MATCHED')).toBe(sel('Seaport', 'OrdersMatched'));
    expect(constant('TRANSFER')).toBe(sel('ERC721', 'Transfer'));
    expect(constant('TRANSFER_SINGLE')).toBe(sel('ERC1155', 'TransferSingle'));
  });

  it('exports every handler the manifest names from the one mapping file', () => {
    const mapping = readFileSync('subgraph/src/mapping.ts', 'utf8');
    const exported = new Set([...mapping.matchAll(/\b(handle\w+)\b/g)].map((m) => m[1]));
    for (const s of sources) for (const h of s.handlers) expect(exported.has(h.handler), `${s.name}.${h.handler}`).toBe(true);
    expect(yaml.match(/file: \.\/src\/mapping\.ts/g)?.length).toBe(sources.length);
  });
});

/** The AssemblyScript rules as a WASM module: one string in, one string out. */
class WasmRules {
  private exports: Record<string, unknown>;
  constructor(bytes: Uint8Array<ArrayBuffer>) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { abort: () => { throw new Error('AssemblyScript abort'); } },
    });
    this.exports = instance.exports as Record<string, unknown>;
  }
  private get memory(): WebAssembly.Memory {
    return this.exports.memory as WebAssembly.Memory;
  }
  decide(text: string): string {
    return this.call('decideText', text);
  }
  /** The mapping's order: totalSize 1 first, the order's status only when the rules ask for it. */
  decideTwoPass(text: string): string {
    return this.call('decideTwoPassText', text);
  }
  private call(fn: string, text: string): string {
    const ptr = (this.exports.__new as (size: number, id: number) => number)(text.length * 2, 1); // 1: String
    const u16 = new Uint16Array(this.memory.buffer, ptr, text.length);
    for (let i = 0; i < text.length; i++) u16[i] = text.charCodeAt(i);
    const out = (this.exports[fn] as (p: number) => number)(ptr);
    const bytes = new Uint32Array(this.memory.buffer, out - 4, 1)[0];
    return String.fromCharCode(...new Uint16Array(this.memory.buffer, out, bytes / 2));
  }
}

const hex = (n: bigint) => `0x${n.toString(16)}`;
const lc = (a: string) => a.toLowerCase();

/** The decoded logs in the WASM entry's line format (subgraph/test/rules-entry.ts). */
function wasmInput(fill: Fill, tx: DecodedTx, totalSize: bigint, cfg: RuleConfig): string {
  const lines = [`fill ${lc(fill.orderHash)} ${lc(fill.offerer)} ${lc(fill.recipient)}`];
  for (const i of fill.offer) lines.push(`offer ${i.itemType} ${lc(i.token)} ${hex(i.identifier)} ${hex(i.amount)}`);
  for (const i of fill.consideration) lines.push(`consideration ${i.itemType} ${lc(i.token)} ${hex(i.identifier)} ${hex(i.amount)} ${lc(i.recipient)}`);
  for (const h of tx.matched) lines.push(`matched ${lc(h)}`);
  for (const f of tx.fills) {
    if (f.logIndex === fill.logIndex) continue;
    for (const i of f.consideration) if (i.itemType >= 2) lines.push(`counterpart ${lc(f.orderHash)} ${lc(i.token)} ${hex(i.identifier)} ${lc(i.recipient)}`);
  }
  for (const m of tx.moves) lines.push(`transfer ${lc(m.token)} ${lc(m.from)} ${lc(m.to)} ${hex(m.id)} ${hex(m.amount)}`);
  for (const c of cfg.listed) lines.push(`listed ${lc(c)}`);
  lines.push(`pool ${lc(cfg.poolAsset)} ${cfg.wethPool ? 1 : 0}`, `totalSize ${hex(totalSize)}`);
  return lines.join('\n');
}

/** The TypeScript indexer's own decision (ts/indexer/rules.ts) on every OrderFulfilled of one fixture transaction,
 * by log index: the third implementation of docs/sale-rules.md fed the same logs. */
function indexerDecisions(f: Fixture, t: FixtureTx, cfg: RuleConfig): Map<number, { sale: Sale } | { skip: string }> {
  const logs: IndexerLog[] = t.logs.map((l) => ({
    address: l.address,
    topics: l.topics,
    data: l.data,
    blockNumber: t.blockNumber,
    blockHash: t.blockHash,
    transactionHash: t.hash,
    logIndex: hex(BigInt(l.logIndex)),
  }));
  const tx: TxContext = { matched: new Set(), transfers: [], fills: [] };
  for (const l of logs) {
    if (lc(l.topics[0]) === lc(ORDER_FULFILLED_TOPIC)) {
      if (lc(l.address) === lc(f.seaport)) tx.fills.push(decodeOrderFulfilled(l));
    } else if (lc(l.topics[0]) === lc(ORDERS_MATCHED_TOPIC)) {
      if (lc(l.address) === lc(f.seaport)) for (const h of decodeOrdersMatched(l)) tx.matched.add(h);
    } else {
      const m = decodeNftTransfer(l);
      if (m) tx.transfers.push(m);
    }
  }
  const icfg = { chainId: f.chainId, collections: new Set(cfg.listed.map(lc)), asset: lc(cfg.poolAsset), assetIsWeth: cfg.wethPool };
  const out = new Map<number, { sale: Sale } | { skip: string }>();
  for (const fill of tx.fills as Fulfilled[]) {
    const pre = preClassify(fill, tx, icfg);
    if (pre.skip) {
      out.set(fill.logIndex, { skip: pre.skip });
      continue;
    }
    const totalSize = BigInt(t.totalSize[lc(fill.orderHash)] ?? t.totalSize[fill.orderHash] ?? '0x1');
    const r = finish(fill, pre, tx, totalSize, t.timestamp, icfg);
    out.set(fill.logIndex, typeof r === 'string' ? { skip: r } : { sale: r });
  }
  return out;
}

interface Compared {
  name: string;
  outcome: string;
  sale?: Sale;
}
/** Both decisions on every OrderFulfilled of `txs`; throws on the first disagreement, returns the outcomes. */
function compareAll(rules: WasmRules, f: Fixture, txs: FixtureTx[], cfg: RuleConfig): Compared[] {
  const out: Compared[] = [];
  for (const t of txs) {
    const tx = decodeTx(t.logs, f.seaport);
    const indexer = indexerDecisions(f, t, cfg);
    for (const fill of tx.fills) {
      const totalSize = BigInt(t.totalSize[lc(fill.orderHash)] ?? t.totalSize[fill.orderHash] ?? '0x1');
      const block = { chainId: f.chainId, txHash: t.hash, blockNumber: BigInt(t.blockNumber), blockHash: t.blockHash, timestamp: t.timestamp };
      const ref = referenceDecision(fill, tx, totalSize, cfg, block);
      // The indexer (ts/indexer) must decide as the reference does, to the last field of the Sale.
      expect(indexer.get(fill.logIndex), `${t.name} log ${fill.logIndex} (indexer)`).toEqual(ref);
      const text = wasmInput(fill, tx, totalSize, cfg);
      const got = rules.decide(text);
      const where = `${t.name} log ${fill.logIndex}`;
      if (rules.decideTwoPass) expect(rules.decideTwoPass(text), `${where} (two passes)`).toBe(got);
      if ('skip' in ref) {
        expect(got, where).toBe(ref.skip);
        out.push({ name: t.name, outcome: ref.skip });
        continue;
      }
      const [word, std, collection, tokenId, amount, seller, buyer, currency, side, idx] = got.split(' ');
      const s = ref.sale;
      expect(word, where).toBe('sale');
      expect({ std, collection, tokenId, amount, seller, buyer, currency }, where).toEqual({
        std: s.standard === 'erc721' ? '1' : '2',
        collection: lc(s.collection),
        tokenId: hex(s.tokenId),
        amount: hex(s.amount),
        seller: lc(s.seller),
        buyer: lc(s.buyer),
        currency: lc(s.currency),
      });
      // The mapping sums the items the rules pick (graph-ts BigInt): the same sum as the reference's totalPrice.
      const items: readonly { amount: bigint }[] = side === 'offer' ? fill.offer : fill.consideration;
      const total = idx.split(',').reduce((sum, i) => sum + items[Number(i)].amount, 0n);
      expect(total, where).toBe(s.totalPrice);
      out.push({ name: t.name, outcome: 'sale', sale: s });
    }
  }
  return out;
}

/** The checks every set of fills gets: the scenario's intended outcomes, and agreement under other configurations. */
function checkFixture(rules: WasmRules, f: Fixture): Set<string> {
  const seen = new Set<string>();
  const base = compareAll(rules, f, f.txs, f.config);
  for (const t of f.txs) expect(base.filter((c) => c.name === t.name).map((c) => c.outcome), t.name).toEqual(t.intended);
  base.forEach((c) => seen.add(c.outcome));
  // The same logs under other configurations: a USDC-style pool (ETH no longer the pool asset), nothing listed,
  // only the ERC-1155 listed.
  const variants: RuleConfig[] = [
    { ...f.config, wethPool: false },
    { ...f.config, listed: [] },
    { ...f.config, listed: f.config.listed.slice(1) },
  ];
  for (const cfg of variants) compareAll(rules, f, f.txs, cfg).forEach((c) => seen.add(c.outcome));
  // Rule 8 on real logs: every sale's transaction with its NFT transfers removed; and the partial fill, where rule 7
  // must still win over rule 8 (the mapping's two passes).
  const NFT_TOPICS = new Set([toEventSelector('Transfer(address,address,uint256)'), toEventSelector('TransferSingle(address,address,address,uint256,uint256)')]);
  const stripped = f.txs
    .filter((t) => t.intended.includes('sale') || t.intended.includes('partial-fill'))
    .map((t) => ({
      ...t,
      name: `${t.name} without transfers`,
      logs: t.logs.filter((l) => !(NFT_TOPICS.has(l.topics[0]) && (l.topics.length === 4 || lc(l.address) !== lc(f.config.poolAsset)))),
    }));
  const noTransfer = compareAll(rules, f, stripped, f.config);
  expect(noTransfer.filter((c) => c.outcome === 'sale')).toEqual([]);
  expect(noTransfer.some((c) => c.outcome === 'no-transfer')).toBe(true);
  expect(noTransfer.filter((c) => c.name.startsWith('partial-fill')).map((c) => c.outcome)).toEqual(['partial-fill']);
  noTransfer.forEach((c) => seen.add(c.outcome));
  return seen;
}

describe('sale rules: the subgraph (WASM) and the reference decide alike on real Seaport logs', () => {
  let dir: string;
  let rules: WasmRules;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'subgraph-rules-'));
    const wasm = join(dir, 'rules.wasm');
    execFileSync('node_modules/.bin/asc', ['subgraph/test/rules-entry.ts', '--exportRuntime', '--runtime', 'stub', '-b', wasm], { stdio: 'pipe' });
    rules = new WasmRules(new Uint8Array(readFileSync(wasm)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on the committed fixture, every rule and the sale reached', () => {
    const f = JSON.parse(readFileSync('subgraph/fixtures/seaport-fills.json', 'utf8')) as Fixture;
    const seen = checkFixture(rules, f);
    expect([...seen].sort()).toEqual([...SKIP_REASONS, 'sale'].sort());
  });

  it('prices the fixture sales as their scenarios were built: fees in, per unit, bids and matches', () => {
    const f = JSON.parse(readFileSync('subgraph/fixtures/seaport-fills.json', 'utf8')) as Fixture;
    const sales = compareAll(rules, f, f.txs, f.config).filter((c) => c.sale);
    const sale = (name: string) => sales.find((c) => c.name === name)!.sale!;
    const E = (n: number) => BigInt(Math.round(n * 1000)) * 10n ** 15n;
    expect(sale('listing-eth-with-fees')).toMatchObject({ totalPrice: E(10), unitPrice: E(10), currency: '0x0000000000000000000000000000000000000000' });
    expect(sale('listing-weth')).toMatchObject({ totalPrice: E(8.2), currency: getAddress(f.config.poolAsset) });
    expect(sale('bid-weth')).toMatchObject({ totalPrice: E(7) });
    expect(sale('erc1155-stack')).toMatchObject({ amount: 5n, standard: 'erc1155', totalPrice: E(2.5), unitPrice: E(0.5) });
    expect(sale('listing-eth-and-weth')).toMatchObject({ totalPrice: E(3.1), currency: '0x0000000000000000000000000000000000000000' });
    // Seller and buyer: the bid's are the other way round; a match's and a private listing's buyer receives the NFT.
    const bid = sale('bid-weth');
    const listing = sale('listing-weth');
    expect([bid.seller, bid.buyer]).toEqual([listing.seller, listing.buyer]);
    const matched = sale('matched');
    expect(matched.buyer).toBe(listing.buyer);
    expect(sale('private-listing').buyer).not.toBe(listing.buyer);
    expect(sale('private-listing').totalPrice).toBe(E(6));
  });

  it('on fills recorded now on anvil, with Seaport 1.6 at its canonical address', async () => {
    const f = await record();
    expect(f.txs.length).toBe(14);
    const seen = checkFixture(rules, f);
    expect([...seen].sort()).toEqual([...SKIP_REASONS, 'sale'].sort());
  });

  it('reads a WASM decision that differs from the reference as a failure', () => {
    // The harness itself: a listing whose buyer the rules get wrong must not compare equal.
    const f = JSON.parse(readFileSync('subgraph/fixtures/seaport-fills.json', 'utf8')) as Fixture;
    const broken = { decide: (text: string) => rules.decide(text).replace(/^sale (\S+ \S+ \S+ \S+ \S+) \S+/, 'sale $1 0x000000000000000000000000000000000000dead') };
    expect(() => compareAll(broken as unknown as WasmRules, f, f.txs.slice(0, 1), f.config)).toThrow();
  });
});

export type { Address, Hex };
