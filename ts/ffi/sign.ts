// forge FFI: EIP-712 digest and signature from the TS implementation. The key is never on the command line: argv[4]
// names a file holding it (test/utils/FfiSigner.sol writes one per call and deletes it), so tests running in parallel
// in one forge process cannot sign with each other's key, as they could through a shared environment variable;
// without argv[4] the key comes from FFI_SIGNER_KEY.
//   argv[2] = "root": argv[3] = ABI-encoded (uint256 chainId, address pricer, address collection, uint64 epoch, bytes32 root, uint64 expiry)
//   argv[2] = "sale": argv[3] = ABI-encoded (uint256 chainId, address valuation, address collection, uint256 price, uint256 timestamp,
//                                            uint256 listingEpoch, uint256 deadline)
// stdout = ABI-encoded (bytes32 digest, bytes signature)
import { type Hex, decodeAbiParameters, encodeAbiParameters } from "viem";
import { saleReportDigest, signSaleReport, signTraitRoot, traitRootDigest } from "../lib/eip712.js";
import { requireAccount } from "../lib/keys.js";

const account = process.argv[4]
  ? requireAccount({ SIGNER_KEY_FILE: process.argv[4] }, "SIGNER")
  : requireAccount({ SIGNER_PRIVATE_KEY: process.env.FFI_SIGNER_KEY }, "SIGNER");
const kind = process.argv[2];
const data = process.argv[3] as Hex;
let digest: Hex;
let signature: Hex;
if (kind === "root") {
  const [chainId, pricer, collection, epoch, root, expiry] = decodeAbiParameters(
    [{ type: "uint256" }, { type: "address" }, { type: "address" }, { type: "uint64" }, { type: "bytes32" }, { type: "uint64" }],
    data,
  );
  const message = { collection, epoch, root, expiry };
  digest = traitRootDigest(chainId, pricer, message);
  signature = await signTraitRoot(account, chainId, pricer, message);
} else if (kind === "sale") {
  const [chainId, valuation, collection, price, timestamp, listingEpoch, deadline] = decodeAbiParameters(
    [
      { type: "uint256" },
      { type: "address" },
      { type: "address" },
      { type: "uint256" },
      { type: "uint256" },
      { type: "uint256" },
      { type: "uint256" },
    ],
    data,
  );
  const message = { collection, price, timestamp, listingEpoch, deadline };
  digest = saleReportDigest(chainId, valuation, message);
  signature = await signSaleReport(account, chainId, valuation, message);
} else {
  throw new Error(`unknown kind ${kind}`);
}
process.stdout.write(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes" }], [digest, signature]));
