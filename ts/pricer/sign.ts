// EIP-712 signer for trait roots and sale reports. The key comes from SIGNER_PRIVATE_KEY, SIGNER_KEY_FILE or
// SIGNER_KEYSTORE with SIGNER_KEYSTORE_PASSWORD(_FILE) (ts/lib/keys.ts), never from argv.
// Prints the signed message as JSON (ready for publishRoot / relaySale).
//   tsx ts/pricer/sign.ts root --chain-id 1 --contract 0xPricer --tree tree.json --expiry 1735689600
//   tsx ts/pricer/sign.ts root --chain-id 1 --contract 0xPricer --collection 0x.. --epoch 3 --root 0x.. --expiry ..
//   tsx ts/pricer/sign.ts sale --chain-id 1 --contract 0xValuation --collection 0x.. --price 1e18wei --timestamp ..
//                        --listing-epoch N (Valuation.listingEpoch(collection)) --deadline <last relay timestamp>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Address, type Hex, getAddress, isAddress, isAddressEqual } from "viem";
import { saleReportDigest, signSaleReport, signTraitRoot, traitRootDigest } from "../lib/eip712.js";
import { CliError, parseCommand, wantsHelp } from "../lib/cli.js";
import { requireAccount } from "../lib/keys.js";
import { buildTree, leafHash, normaliseEntry } from "../lib/merkle.js";

/** The tree file's collection, epoch and root, after recomputing the root from its tokens: a root that its own tokens
 * do not produce (an edited premium, a hand-pasted root) is refused rather than signed. */
export function checkedTree(tree: unknown, path: string): { collection: Address; epoch: string; root: Hex } {
  const t = tree as { collection?: string; epoch?: string | number; root?: string; tokens?: Record<string, { premium?: string; leaf?: string }> };
  if (!t || typeof t.collection !== "string" || t.epoch === undefined || typeof t.root !== "string" || !t.tokens || typeof t.tokens !== "object") {
    throw new Error(`${path}: not a tree file (collection, epoch, root and tokens expected)`);
  }
  const ids = Object.keys(t.tokens);
  if (ids.length === 0) throw new Error(`${path}: the tree lists no tokens`);
  const leaves = ids.map((tokenId) => {
    const premium = t.tokens![tokenId]?.premium;
    if (premium === undefined) throw new Error(`${path}: token ${tokenId} has no premium`);
    const leaf = leafHash(normaliseEntry({ collection: t.collection!, tokenId, premium, epoch: t.epoch! }));
    const stated = t.tokens![tokenId].leaf;
    if (stated !== undefined && stated.toLowerCase() !== leaf) throw new Error(`${path}: token ${tokenId}'s leaf is not the hash of its entry`);
    return leaf;
  });
  const root = buildTree(leaves).root;
  if (root !== t.root.toLowerCase()) throw new Error(`${path}: the root ${t.root} is not the root of its tokens (${root})`);
  return { collection: getAddress(t.collection), epoch: String(t.epoch), root };
}

export const SIGN_USAGE = `usage: tsx ts/pricer/sign.ts root --chain-id N --contract 0xPricer (--tree tree.json | --collection 0x.. --epoch N --root 0x..) --expiry T
       tsx ts/pricer/sign.ts sale --chain-id N --contract 0xValuation --collection 0x.. --price WEI --timestamp T
                             --listing-epoch N --deadline T
  --listing-epoch  Valuation.listingEpoch(collection) now: the report is void after a delist and relist
  --deadline       the last timestamp at which the report may be relayed
Prints the EIP-712 digest and signature as JSON. The key comes from SIGNER_PRIVATE_KEY, SIGNER_KEY_FILE or SIGNER_KEYSTORE (+ password), never argv.
  --help   this text`;

const FIELDS = ["chain-id", "contract", "tree", "collection", "epoch", "root", "expiry", "price", "timestamp", "listing-epoch", "deadline"] as const;

/** The shared strict parser: one <root|sale> positional and string flags. */
function flags(argv: string[]): { kind: string; f: Record<string, string> } {
  const options = Object.fromEntries(FIELDS.map((k) => [k, { type: "string" as const }]));
  const { values, positionals } = parseCommand(argv, { name: "sign", usage: SIGN_USAGE, options, positionals: { min: 1, max: 1, names: "<root|sale>" } });
  return { kind: positionals[0], f: values as Record<string, string> };
}

function need(f: Record<string, string>, name: string): string {
  const v = f[name];
  if (v === undefined || v === "") throw new CliError(`missing --${name}`);
  return v;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { kind, f } = flags(argv);
  if (kind !== "root" && kind !== "sale") throw new CliError(`unknown kind ${kind}: root or sale (--help shows the usage)`);
  const account = requireAccount(env, "SIGNER");
  const chainId = BigInt(need(f, "chain-id"));
  const contract = getAddress(need(f, "contract"));
  if (kind === "root") {
    let collection = f.collection;
    let epoch = f.epoch;
    let root = f.root;
    if (f.tree) {
      const tree = checkedTree(JSON.parse(readFileSync(f.tree, "utf8")), f.tree);
      // A flag may restate the tree's field, never change it: the signature would vouch for premiums the tree does
      // not hold for that collection or epoch.
      const clash = (name: string, given: string | undefined, own: string, same: (a: string, b: string) => boolean) => {
        if (given !== undefined && !same(given, own)) throw new Error(`--${name} ${given} contradicts the tree's ${name} ${own}`);
      };
      clash("collection", collection, tree.collection, (a, b) => isAddress(a) && isAddressEqual(a as Address, b as Address));
      clash("epoch", epoch, tree.epoch, (a, b) => /^\d+$/.test(a) && BigInt(a) === BigInt(b));
      clash("root", root, tree.root, (a, b) => a.toLowerCase() === b.toLowerCase());
      collection = tree.collection;
      epoch = tree.epoch;
      root = tree.root;
    }
    const message = {
      collection: getAddress(collection ?? need(f, "collection")),
      epoch: BigInt(epoch ?? need(f, "epoch")),
      root: (root ?? need(f, "root")) as Hex,
      expiry: BigInt(need(f, "expiry")),
    };
    const signature = await signTraitRoot(account, chainId, contract, message);
    return { signer: account.address, digest: traitRootDigest(chainId, contract, message), message, signature };
  }
  if (kind === "sale") {
    const message = {
      collection: getAddress(need(f, "collection")),
      price: BigInt(need(f, "price")),
      timestamp: BigInt(need(f, "timestamp")),
      listingEpoch: BigInt(need(f, "listing-epoch")),
      deadline: BigInt(need(f, "deadline")),
    };
    const signature = await signSaleReport(account, chainId, contract, message);
    return { signer: account.address, digest: saleReportDigest(chainId, contract, message), message, signature };
  }
  throw new CliError(`unknown kind ${kind}: root or sale (--help shows the usage)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(SIGN_USAGE);
    process.exit(0);
  }
  run(process.argv.slice(2))
    .then((out) => process.stdout.write(`${JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`))
    .catch((err) => {
      console.error(`sign: ${(err as Error).message}`);
      process.exit(err instanceof CliError ? 2 : 1);
    });
}
