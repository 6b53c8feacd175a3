// Trait roots from a trait price table: the tree is built with the existing tools (ts/lib/merkle.ts, the same leaves
// and sorted-pair tree as ts/pricer/build-tree.ts), signed by the pricer signer (EIP-712, ts/lib/eip712.ts) and
// published with publishRoot by the relayer. A table lists `collection,tokenId,premium` (CSV with that header, or a
// JSON array of those objects; an `epoch` column is ignored): the service chooses the epoch, the on-chain one + 1.
// It publishes when the collection has no root, when the table's premiums are not those of the root in force
// (rebuilt at the on-chain epoch and compared), or when the root expires within `refreshSec`. Each published tree
// (root and every proof) is stored in the kv store under `oracle:<chainId>:traits:<collection>:<epoch>` and, with
// `outDir`, written as <outDir>/<collection>-<epoch>.json: borrowers need the proofs.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Account, Address, Hex, LocalAccount, PublicClient, WalletClient } from 'viem';
import { iTraitPricerAbi } from '../generated/contracts.js';
import { signTraitRoot } from '../lib/eip712.js';
import type { Kv } from '../lib/kv.js';
import { normaliseEntry, type PremiumEntry } from '../lib/merkle.js';
import { buildTreeFile, type TreeFile } from '../pricer/build-tree.js';

export interface TraitTable {
  /** Where it came from (for messages). */
  source: string;
  collection: Address;
  rows: { tokenId: bigint; premium: bigint }[];
}

/** Reads a table file; throws one line naming the file and the problem. */
export function readTraitTable(path: string): TraitTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseTraitTable(text, path.toLowerCase().endsWith('.json') ? 'json' : 'csv', path);
}

export function parseTraitTable(text: string, format: 'csv' | 'json', source: string): TraitTable {
  let raw: { collection: string; tokenId: string; premium: string }[];
  if (format === 'json') {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch {
      throw new Error(`${source}: not JSON`);
    }
    if (!Array.isArray(rows)) throw new Error(`${source}: a JSON array of {collection, tokenId, premium} expected`);
    raw = rows as typeof raw;
  } else {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (lines.length < 2) throw new Error(`${source}: a header collection,tokenId,premium and at least one row expected`);
    const header = lines[0].split(',').map((h) => h.trim());
    const idx = ['collection', 'tokenId', 'premium'].map((h) => header.indexOf(h));
    if (idx.some((i) => i < 0)) throw new Error(`${source}: the header must name collection,tokenId,premium; got ${lines[0]}`);
    raw = lines.slice(1).map((l, n) => {
      const cells = l.split(',').map((c) => c.trim());
      if (cells.length !== header.length) throw new Error(`${source}: line ${n + 2} has ${cells.length} cells, not ${header.length}`);
      return { collection: cells[idx[0]], tokenId: cells[idx[1]], premium: cells[idx[2]] };
    });
  }
  let entries: PremiumEntry[];
  try {
    entries = raw.map((r) => normaliseEntry({ collection: String(r?.collection ?? ''), tokenId: r?.tokenId, premium: r?.premium, epoch: 0 }));
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  if (entries.length === 0) throw new Error(`${source}: no rows`);
  const collection = entries[0].collection;
  if (entries.some((e) => e.collection !== collection)) throw new Error(`${source}: one collection per table`);
  return { source, collection, rows: entries.map((e) => ({ tokenId: e.tokenId, premium: e.premium })) };
}

export function treeOf(t: TraitTable, epoch: bigint): TreeFile {
  return buildTreeFile(t.rows.map((r) => ({ collection: t.collection, tokenId: r.tokenId, premium: r.premium, epoch })));
}

export interface TraitCtx {
  pub: PublicClient;
  wallet: WalletClient;
  kv: Kv;
  chainId: number;
  traitPricer: Address;
  traitSigner: LocalAccount;
  relayer: Account;
  tables: TraitTable[];
  /** Block time. */
  now: number;
  /** Root lifetime (seconds, default 7 d; the pricer allows at most 30 d). */
  lifetimeSec?: number;
  /** Republish when the root in force expires within this (default a quarter of the lifetime). */
  refreshSec?: number;
  outDir?: string;
  log?: (line: string) => void;
}

export interface TraitResult {
  collection: Address;
  action: 'published' | 'up-to-date' | 'failed';
  epoch?: bigint;
  root?: Hex;
  reason?: string;
}

export async function publishTraitRoots(ctx: TraitCtx): Promise<TraitResult[]> {
  const out: TraitResult[] = [];
  const lifetime = ctx.lifetimeSec ?? 7 * 24 * 3600;
  const refresh = ctx.refreshSec ?? Math.floor(lifetime / 4);
  for (const t of ctx.tables) {
    try {
      const rec = await ctx.pub.readContract({ address: ctx.traitPricer, abi: iTraitPricerAbi, functionName: 'rootRecord', args: [t.collection] });
      const current = treeOf(t, rec.epoch);
      const inForce = !rec.revoked && rec.root !== `0x${'0'.repeat(64)}` && Number(rec.expiry) > ctx.now + refresh;
      if (inForce && current.root.toLowerCase() === rec.root.toLowerCase()) {
        out.push({ collection: t.collection, action: 'up-to-date', epoch: rec.epoch, root: rec.root });
        continue;
      }
      const epoch = rec.epoch + 1n;
      const tree = treeOf(t, epoch);
      const update = { collection: t.collection, epoch, root: tree.root, expiry: BigInt(ctx.now + lifetime) };
      const signature = await signTraitRoot(ctx.traitSigner, BigInt(ctx.chainId), ctx.traitPricer, update);
      const call = { address: ctx.traitPricer, abi: iTraitPricerAbi, functionName: 'publishRoot', args: [update, signature], account: ctx.relayer } as const;
      const { request } = await ctx.pub.simulateContract(call);
      const hash = await ctx.wallet.writeContract({ ...request, chain: ctx.wallet.chain });
      const receipt = await ctx.pub.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`publishRoot reverted (${hash})`);
      const json = `${JSON.stringify(tree, null, 2)}\n`;
      await ctx.kv.set(`oracle:${ctx.chainId}:traits:${t.collection.toLowerCase()}:${epoch}`, json);
      if (ctx.outDir) {
        mkdirSync(ctx.outDir, { recursive: true });
        const file = join(ctx.outDir, `${t.collection}-${epoch}.json`);
        writeFileSync(`${file}.tmp`, json);
        renameSync(`${file}.tmp`, file);
      }
      ctx.log?.(`trait root ${tree.root} (epoch ${epoch}, ${t.rows.length} tokens) of ${t.collection} published in ${hash}`);
      out.push({ collection: t.collection, action: 'published', epoch, root: tree.root });
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      ctx.log?.(`trait root of ${t.collection} (${t.source}) not published: ${reason}`);
      out.push({ collection: t.collection, action: 'failed', reason });
    }
  }
  return out;
}
