import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, encodeAbiParameters, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { TRAIT_LEAF_TYPEHASH, buildTree, hashPair, leafHash, verifyProof } from "../lib/merkle.js";
import { buildTreeFile, parseInput } from "../pricer/build-tree.js";

const collection = "0x00000000000000000000000000000000000000aa";

describe("merkle", () => {
  it("hashPair is order independent", () => {
    const a = keccak256(toHex("a"));
    const b = keccak256(toHex("b"));
    expect(hashPair(a, b)).toBe(hashPair(b, a));
  });

  it("every proof verifies for 1..33 leaves, and tampering fails", () => {
    for (let n = 1; n <= 33; n++) {
      const leaves: Hex[] = Array.from({ length: n }, (_, i) => keccak256(toHex(`leaf-${n}-${i}`)));
      const tree = buildTree(leaves);
      leaves.forEach((leaf, i) => {
        expect(verifyProof(tree.proofs[i], tree.root, leaf)).toBe(true);
        expect(verifyProof(tree.proofs[i], tree.root, keccak256(leaf))).toBe(false);
      });
    }
  });

  it("root does not depend on input order", () => {
    const leaves: Hex[] = Array.from({ length: 7 }, (_, i) => keccak256(toHex(i)));
    expect(buildTree(leaves).root).toBe(buildTree([...leaves].reverse()).root);
  });

  it("rejects duplicate leaves", () => {
    const l = keccak256(toHex("x"));
    expect(() => buildTree([l, l])).toThrow(/duplicate/);
  });

  it("leaf is the double hash of abi.encode(TRAIT_LEAF_TYPEHASH, collection, tokenId, premiumPerUnit, epoch)", () => {
    // Matches TraitPricer.leafHash; the forge differential test checks the same against the contract.
    const leaf = leafHash({ collection, tokenId: 1n, premium: 2n, epoch: 3n });
    expect(leaf).toMatch(/^0x[0-9a-f]{64}$/);
    expect(leaf).not.toBe(leafHash({ collection, tokenId: 1n, premium: 2n, epoch: 4n }));
    // The type tag is part of the leaf: an untagged leaf of the same values (the format before the premium was
    // stated per unit) does not verify.
    const untagged = keccak256(
      keccak256(
        encodeAbiParameters(
          [{ type: "address" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }],
          [collection, 1n, 2n, 3n],
        ),
      ),
    );
    expect(leaf).not.toBe(untagged);
    expect(TRAIT_LEAF_TYPEHASH).toBe(
      keccak256(toHex("TraitLeaf(address collection,uint256 tokenId,uint256 premiumPerUnit,uint256 epoch)")),
    );
  });
});

describe("build-tree", () => {
  const csv = `collection,tokenId,premium,epoch\n${collection},1,1000,7\n${collection},2,2000,7\n${collection},3,0,7\n`;

  it("parses CSV and JSON to the same tree", () => {
    const fromCsv = buildTreeFile(parseInput(csv, "csv"));
    const json = JSON.stringify([
      { collection, tokenId: 1, premium: "1000", epoch: 7 },
      { collection, tokenId: "2", premium: 2000, epoch: "7" },
      { collection, tokenId: 3, premium: 0, epoch: 7 },
    ]);
    const fromJson = buildTreeFile(parseInput(json, "json"));
    expect(fromJson.root).toBe(fromCsv.root);
    expect(fromCsv.epoch).toBe("7");
    for (const [id, t] of Object.entries(fromCsv.tokens)) {
      expect(verifyProof(t.proof, fromCsv.root, t.leaf)).toBe(true);
      expect(t.leaf).toBe(leafHash({ collection, tokenId: BigInt(id), premium: BigInt(t.premium), epoch: 7n }));
    }
  });

  it("rejects mixed epochs, duplicate tokens, bad headers and negative values", () => {
    expect(() => buildTreeFile(parseInput(`${csv}${collection},4,1,8\n`, "csv"))).toThrow(/one tree per/);
    expect(() => buildTreeFile(parseInput(`${csv}${collection},1,5,7\n`, "csv"))).toThrow(/twice/);
    expect(() => parseInput("a,b\n1,2\n", "csv")).toThrow(/header/);
    expect(() => parseInput(`collection,tokenId,premium,epoch\n${collection},1,-5,7\n`, "csv")).toThrow(/range/);
    expect(() => parseInput(`collection,tokenId,premium,epoch\n0x12,1,5,7\n`, "csv")).toThrow();
  });

  it("CLI writes a tree file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tree-"));
    const input = join(dir, "in.csv");
    writeFileSync(input, csv);
    const { $ } = await import("zx");
    $.verbose = false;
    await $`node_modules/.bin/tsx ts/pricer/build-tree.ts ${input} --out ${join(dir, "out.json")}`;
    const { readFileSync } = await import("node:fs");
    const out = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
    expect(out.root).toBe(buildTreeFile(parseInput(csv, "csv")).root);
  }, 30_000);
});
