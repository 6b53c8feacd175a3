// Builds a trait-premium Merkle tree for one (collection, epoch) from a CSV or JSON file and writes the root and
// every token's proof as JSON.
//   tsx ts/pricer/build-tree.ts <input.csv|input.json> [--out tree.json]
// CSV: a header line `collection,tokenId,premium,epoch`, then one row per token (premium in pool-asset units).
// JSON: an array of {collection, tokenId, premium, epoch} (numbers above 2^53 as strings).
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Address, Hex } from "viem";
import { cli } from "../lib/cli.js";
import { type PremiumEntry, buildTree, leafHash, normaliseEntry } from "../lib/merkle.js";

export interface TreeFile {
  collection: Address;
  epoch: string;
  root: Hex;
  tokens: Record<string, { premium: string; leaf: Hex; proof: Hex[] }>;
}

export function parseInput(text: string, format: "csv" | "json"): PremiumEntry[] {
  if (format === "json") {
    const rows = JSON.parse(text);
    if (!Array.isArray(rows)) throw new Error("JSON input must be an array of {collection, tokenId, premium, epoch}");
    return rows.map(normaliseEntry);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("#"));
  if (lines.length === 0) throw new Error("CSV input is empty");
  const header = lines[0].split(",").map((h) => h.trim());
  const want = ["collection", "tokenId", "premium", "epoch"];
  const idx = want.map((w) => header.indexOf(w));
  if (idx.some((i) => i < 0)) throw new Error(`CSV header must contain ${want.join(",")}; got ${lines[0]}`);
  return lines.slice(1).map((line, n) => {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== header.length) throw new Error(`CSV line ${n + 2}: expected ${header.length} cells`);
    return normaliseEntry({ collection: cells[idx[0]], tokenId: cells[idx[1]], premium: cells[idx[2]], epoch: cells[idx[3]] });
  });
}

export function buildTreeFile(entries: PremiumEntry[]): TreeFile {
  if (entries.length === 0) throw new Error("no entries");
  const { collection, epoch } = entries[0];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.collection !== collection || e.epoch !== epoch) {
      throw new Error(`one tree per (collection, epoch): found ${e.collection}/${e.epoch} next to ${collection}/${epoch}`);
    }
    const id = e.tokenId.toString();
    if (seen.has(id)) throw new Error(`token ${id} listed twice`);
    seen.add(id);
  }
  const leaves = entries.map(leafHash);
  const tree = buildTree(leaves);
  const tokens: TreeFile["tokens"] = {};
  entries.forEach((e, i) => {
    tokens[e.tokenId.toString()] = { premium: e.premium.toString(), leaf: leaves[i], proof: tree.proofs[i] };
  });
  return { collection, epoch: epoch.toString(), root: tree.root, tokens };
}

const USAGE = `usage: tsx ts/pricer/build-tree.ts <input.csv|input.json> [--out tree.json]
Builds the trait-premium Merkle tree of one (collection, epoch); writes the root and every token's proof as JSON.
  --out <file>   write the tree there (default: stdout)
  --help         this text
CSV: a header collection,tokenId,premium,epoch then one row per token; JSON: an array of those objects.`;

function main(argv: string[]) {
  const { values, positionals } = cli({ name: "build-tree", usage: USAGE, options: { out: { type: "string" } }, positionals: { min: 1, max: 1, names: "<input.csv|input.json>" } }, argv);
  const input = positionals[0];
  const out = values.out;
  const format = input.toLowerCase().endsWith(".json") ? "json" : "csv";
  const file = buildTreeFile(parseInput(readFileSync(input, "utf8"), format));
  const json = `${JSON.stringify(file, null, 2)}\n`;
  if (out) {
    writeFileSync(out, json);
    console.error(`root ${file.root} for ${Object.keys(file.tokens).length} tokens -> ${out}`);
  } else {
    process.stdout.write(json);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`build-tree: ${(err as Error).message}`);
    process.exit(1);
  }
}
