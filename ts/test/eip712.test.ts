import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, recoverTypedDataAddress, type Address } from "viem";
import { describe, expect, it } from "vitest";
import {
  TRAIT_PRICER_DOMAIN_NAME,
  VALUATION_DOMAIN_NAME,
  domain,
  saleReportDigest,
  saleReportTypes,
  traitRootDigest,
  traitRootTypes,
} from "../lib/eip712.js";
import { requireAccount } from "../lib/keys.js";
import { buildTreeFile } from "../pricer/build-tree.js";
import { run } from "../pricer/sign.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const env = { SIGNER_PRIVATE_KEY: KEY };
const pricer: Address = "0x00000000000000000000000000000000000000bb";
const valuation: Address = "0x00000000000000000000000000000000000000cc";
const collection: Address = "0x00000000000000000000000000000000000000aa";

describe("eip712", () => {
  it("root signature recovers to the signer under the pricer domain", async () => {
    const out = await run(
      ["root", "--chain-id", "1", "--contract", pricer, "--collection", collection, "--epoch", "3", "--root", `0x${"11".repeat(32)}`, "--expiry", "1800000000"],
      env,
    );
    if (!("root" in out.message)) throw new Error("sign root printed a sale report");
    const signer = await recoverTypedDataAddress({
      domain: domain(TRAIT_PRICER_DOMAIN_NAME, 1n, pricer),
      types: traitRootTypes,
      primaryType: "TraitRoot",
      message: out.message,
      signature: out.signature,
    });
    expect(signer).toBe(requireAccount(env, "SIGNER").address);
  });

  it("digest binds chain id, contract and every field", () => {
    const m = { collection, epoch: 3n, root: `0x${"11".repeat(32)}` as const, expiry: 1800000000n };
    const d = traitRootDigest(1n, pricer, m);
    expect(traitRootDigest(2n, pricer, m)).not.toBe(d);
    expect(traitRootDigest(1n, valuation, m)).not.toBe(d);
    expect(traitRootDigest(1n, pricer, { ...m, epoch: 4n })).not.toBe(d);
    expect(traitRootDigest(1n, pricer, { ...m, expiry: 1800000001n })).not.toBe(d);
    const s = { collection, price: 10n ** 19n, timestamp: 1700000000n, listingEpoch: 1n, deadline: 1700003600n };
    expect(saleReportDigest(1n, valuation, s)).not.toBe(saleReportDigest(1n, valuation, { ...s, price: 1n }));
    // A report is bound to its listing and its deadline (issue 15: no replay across a delist and relist).
    expect(saleReportDigest(1n, valuation, s)).not.toBe(saleReportDigest(1n, valuation, { ...s, listingEpoch: 2n }));
    expect(saleReportDigest(1n, valuation, s)).not.toBe(saleReportDigest(1n, valuation, { ...s, deadline: 1700003601n }));
  });

  it("sale signature recovers to the reporter", async () => {
    const out = await run(
      [
        "sale",
        "--chain-id",
        "10",
        "--contract",
        valuation,
        "--collection",
        collection,
        "--price",
        "5",
        "--timestamp",
        "6",
        "--listing-epoch",
        "1",
        "--deadline",
        "7",
      ],
      env,
    );
    if (!("price" in out.message)) throw new Error("sign sale printed a trait root");
    const signer = await recoverTypedDataAddress({
      domain: domain(VALUATION_DOMAIN_NAME, 10n, valuation),
      types: saleReportTypes,
      primaryType: "SaleReport",
      message: out.message,
      signature: out.signature,
    });
    expect(signer).toBe(requireAccount(env, "SIGNER").address);
  });

  it("refuses keys on argv and missing keys", async () => {
    await expect(run(["sale", "--key", KEY], env)).rejects.toThrow(/never read from argv/);
    await expect(run(["sale", "--chain-id", "1"], {})).rejects.toThrow(/no signing key/);
  });

  describe("root from a tree file", () => {
    const collection = "0x00000000000000000000000000000000000000c0";
    const other = "0x00000000000000000000000000000000000000c1";
    const tree = () =>
      buildTreeFile([
        { collection: getAddress(collection), tokenId: 1n, premium: 10n, epoch: 3n },
        { collection: getAddress(collection), tokenId: 2n, premium: 20n, epoch: 3n },
        { collection: getAddress(collection), tokenId: 5n, premium: 0n, epoch: 3n },
      ]);
    const write = (t: unknown) => {
      const path = join(mkdtempSync(join(tmpdir(), "sign-")), "tree.json");
      writeFileSync(path, JSON.stringify(t));
      return path;
    };
    const sign = (path: string, extra: string[] = []) =>
      run(["root", "--chain-id", "1", "--contract", pricer, "--tree", path, "--expiry", "1735689600", ...extra], env);

    it("signs the root its tokens produce", async () => {
      const t = tree();
      const out = await sign(write(t));
      expect(out.message).toMatchObject({ collection: getAddress(collection), epoch: 3n, root: t.root });
      // Restating the tree's own fields is fine.
      await expect(sign(write(t), ["--collection", collection, "--epoch", "3"])).resolves.toBeDefined();
    });

    it("refuses a root its tokens do not produce", async () => {
      const t = tree();
      t.tokens["2"].premium = "2000"; // an edited premium, root left as it was
      delete (t.tokens["2"] as { leaf?: string }).leaf;
      await expect(sign(write(t))).rejects.toThrow(/the root 0x[0-9a-f]{64} is not the root of its tokens/);
      const u = tree();
      u.root = `0x${"11".repeat(32)}`;
      await expect(sign(write(u))).rejects.toThrow(/is not the root of its tokens/);
      const v = tree();
      v.tokens["1"].leaf = `0x${"22".repeat(32)}`;
      await expect(sign(write(v))).rejects.toThrow(/token 1's leaf is not the hash of its entry/);
    });

    it("refuses a --collection, --epoch or --root that contradicts the tree", async () => {
      const path = write(tree());
      await expect(sign(path, ["--collection", other])).rejects.toThrow(`--collection ${other} contradicts the tree's collection`);
      await expect(sign(path, ["--epoch", "4"])).rejects.toThrow(/--epoch 4 contradicts the tree's epoch 3/);
      await expect(sign(path, ["--root", `0x${"33".repeat(32)}`])).rejects.toThrow(/--root 0x3+ contradicts the tree's root/);
    });
  });
});
