// forge FFI: argv[2] = ABI-encoded (address collection, uint256 epoch, uint256[] tokenIds, uint256[] premiums).
// stdout = ABI-encoded (bytes32 root, bytes32[] leaves, bytes32[][] proofs), proofs in input order.
import { type Hex, decodeAbiParameters, encodeAbiParameters } from "viem";
import { buildTree, leafHash } from "../lib/merkle.js";

const [collection, epoch, tokenIds, premiums] = decodeAbiParameters(
  [{ type: "address" }, { type: "uint256" }, { type: "uint256[]" }, { type: "uint256[]" }],
  process.argv[2] as Hex,
);
const leaves = tokenIds.map((tokenId, i) => leafHash({ collection, tokenId, premium: premiums[i], epoch }));
const tree = buildTree(leaves);
process.stdout.write(
  encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32[]" }, { type: "bytes32[][]" }], [tree.root, leaves, tree.proofs]),
);
