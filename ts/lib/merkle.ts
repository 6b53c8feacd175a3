// Trait-premium Merkle tree, compatible with solady MerkleProofLib (sorted-pair keccak256) and with
// TraitPricer's double-hashed, type-tagged leaves:
// keccak256(bytes.concat(keccak256(abi.encode(TRAIT_LEAF_TYPEHASH, collection, tokenId, premiumPerUnit, epoch)))).
// The premium is per unit of the token (a stack of n ERC-1155 units carries n premiums), in the pool's asset.
import { type Address, type Hex, concat, encodeAbiParameters, getAddress, keccak256, toHex } from "viem";

/** TraitPricer.TRAIT_LEAF_TYPEHASH: the leaf's first word, which says what its premium means. */
export const TRAIT_LEAF_TYPEHASH: Hex = keccak256(
  toHex("TraitLeaf(address collection,uint256 tokenId,uint256 premiumPerUnit,uint256 epoch)"),
);

export interface PremiumEntry {
  collection: Address;
  tokenId: bigint;
  premium: bigint;
  epoch: bigint;
}

export function leafHash(e: PremiumEntry): Hex {
  const inner = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }],
      [TRAIT_LEAF_TYPEHASH, e.collection, e.tokenId, e.premium, e.epoch],
    ),
  );
  return keccak256(inner);
}

/** keccak256 of the two nodes in ascending order, as MerkleProofLib does. */
export function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

export interface Tree {
  root: Hex;
  /** proofs[i] is the proof of leaves[i] (input order). */
  proofs: Hex[][];
  leaves: Hex[];
}

/**
 * Builds the tree bottom-up. Leaves are sorted by hash first so the root does not depend on input order; a node
 * without a sibling is carried up unchanged (it adds nothing to the proof).
 */
export function buildTree(leaves: Hex[]): Tree {
  if (leaves.length === 0) throw new Error("buildTree: no leaves");
  const order = leaves.map((leaf, i) => ({ leaf, i })).sort((x, y) => (BigInt(x.leaf) < BigInt(y.leaf) ? -1 : BigInt(x.leaf) > BigInt(y.leaf) ? 1 : 0));
  for (let k = 1; k < order.length; k++) {
    if (order[k].leaf === order[k - 1].leaf) throw new Error(`buildTree: duplicate leaf ${order[k].leaf}`);
  }
  const proofs: Hex[][] = leaves.map(() => []);
  // members[j] = input indices whose path goes through node j of the current level.
  let level: Hex[] = order.map((o) => o.leaf);
  let members: number[][] = order.map((o) => [o.i]);
  while (level.length > 1) {
    const next: Hex[] = [];
    const nextMembers: number[][] = [];
    for (let j = 0; j < level.length; j += 2) {
      if (j + 1 === level.length) {
        next.push(level[j]);
        nextMembers.push(members[j]);
        continue;
      }
      for (const m of members[j]) proofs[m].push(level[j + 1]);
      for (const m of members[j + 1]) proofs[m].push(level[j]);
      next.push(hashPair(level[j], level[j + 1]));
      nextMembers.push([...members[j], ...members[j + 1]]);
    }
    level = next;
    members = nextMembers;
  }
  return { root: level[0], proofs, leaves };
}

export function verifyProof(proof: Hex[], root: Hex, leaf: Hex): boolean {
  let node = leaf;
  for (const p of proof) node = hashPair(node, p);
  return node === root;
}

export function normaliseEntry(raw: { collection: string; tokenId: string | number | bigint; premium: string | number | bigint; epoch: string | number | bigint }): PremiumEntry {
  const big = (v: string | number | bigint, name: string): bigint => {
    const s = typeof v === "string" ? v.trim() : v;
    if (typeof s === "number" && !Number.isSafeInteger(s)) throw new Error(`${name}: ${s} is not a safe integer; write it as a string`);
    const b = BigInt(s);
    if (b < 0n || b >= 1n << 256n) throw new Error(`${name}: ${b} out of uint256 range`);
    return b;
  };
  return {
    collection: getAddress(raw.collection.trim()),
    tokenId: big(raw.tokenId, "tokenId"),
    premium: big(raw.premium, "premium"),
    epoch: big(raw.epoch, "epoch"),
  };
}
