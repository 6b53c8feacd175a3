// EIP-712 signer for trait roots and sale reports. The key comes from SIGNER_PRIVATE_KEY or SIGNER_KEY_FILE, never
// from argv. Prints the signed message as JSON (ready for publishRoot / relaySale).
//   tsx ts/pricer/sign.ts root --chain-id 1 --contract 0xPricer --tree tree.json --expiry 1735689600
//   tsx ts/pricer/sign.ts root --chain-id 1 --contract 0xPricer --collection 0x.. --epoch 3 --root 0x.. --expiry ..
//   tsx ts/pricer/sign.ts sale --chain-id 1 --contract 0xValuation --collection 0x.. --price 1e18wei --timestamp ..
//                        --listing-epoch N (Valuation.listingEpoch(collection)) --deadline <last relay timestamp>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Hex, getAddress } from "viem";
import { saleReportDigest, signSaleReport, signTraitRoot, traitRootDigest } from "../lib/eip712.ts";
import { loadAccount } from "../lib/key.ts";

function flags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument ${argv[i]}`);
    const name = argv[i].slice(2);
    if (name === "key" || name === "private-key") throw new Error("keys are never read from argv: use SIGNER_PRIVATE_KEY or SIGNER_KEY_FILE");
    out[name] = argv[++i] ?? "";
  }
  return out;
}

function need(f: Record<string, string>, name: string): string {
  const v = f[name];
  if (v === undefined || v === "") throw new Error(`missing --${name}`);
  return v;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const [kind, ...rest] = argv;
  const f = flags(rest);
  const account = loadAccount(env);
  const chainId = BigInt(need(f, "chain-id"));
  const contract = getAddress(need(f, "contract"));
  if (kind === "root") {
    let collection = f.collection;
    let epoch = f.epoch;
    let root = f.root;
    if (f.tree) {
      const tree = JSON.parse(readFileSync(f.tree, "utf8"));
      collection ??= tree.collection;
      epoch ??= tree.epoch;
      root ??= tree.root;
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
  throw new Error("usage: sign.ts <root|sale> --chain-id N --contract 0x.. [fields]");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run(process.argv.slice(2))
    .then((out) => process.stdout.write(`${JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`))
    .catch((err) => {
      console.error(`sign: ${(err as Error).message}`);
      process.exit(1);
    });
}
