// EIP-712 domains and types of the valuation layer. They must match Valuation.sol and TraitPricer.sol; the
// differential tests in test/differential/ check the digests and signatures against the contracts.
import { type Address, type Hex, hashTypedData } from "viem";
import type { LocalAccount } from "viem/accounts";

export const VALUATION_DOMAIN_NAME = "NFTLend Valuation";
export const TRAIT_PRICER_DOMAIN_NAME = "NFTLend TraitPricer";
export const DOMAIN_VERSION = "1";

export const saleReportTypes = {
  SaleReport: [
    { name: "collection", type: "address" },
    { name: "price", type: "uint256" },
    { name: "timestamp", type: "uint256" },
    { name: "listingEpoch", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export const traitRootTypes = {
  TraitRoot: [
    { name: "collection", type: "address" },
    { name: "epoch", type: "uint64" },
    { name: "root", type: "bytes32" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

// listingEpoch: Valuation.listingEpoch(collection) at signing (a report is void after a delist and relist);
// deadline: the last block timestamp at which the report may be relayed.
export interface SaleReport {
  collection: Address;
  price: bigint;
  timestamp: bigint;
  listingEpoch: bigint;
  deadline: bigint;
}

export interface TraitRoot {
  collection: Address;
  epoch: bigint;
  root: Hex;
  expiry: bigint;
}

export function domain(name: string, chainId: bigint, verifyingContract: Address) {
  return { name, version: DOMAIN_VERSION, chainId, verifyingContract } as const;
}

export function saleReportDigest(chainId: bigint, valuation: Address, report: SaleReport): Hex {
  return hashTypedData({
    domain: domain(VALUATION_DOMAIN_NAME, chainId, valuation),
    types: saleReportTypes,
    primaryType: "SaleReport",
    message: report,
  });
}

export function traitRootDigest(chainId: bigint, pricer: Address, update: TraitRoot): Hex {
  return hashTypedData({
    domain: domain(TRAIT_PRICER_DOMAIN_NAME, chainId, pricer),
    types: traitRootTypes,
    primaryType: "TraitRoot",
    message: update,
  });
}

export function signSaleReport(account: LocalAccount, chainId: bigint, valuation: Address, report: SaleReport) {
  return account.signTypedData({
    domain: domain(VALUATION_DOMAIN_NAME, chainId, valuation),
    types: saleReportTypes,
    primaryType: "SaleReport",
    message: report,
  });
}

export function signTraitRoot(account: LocalAccount, chainId: bigint, pricer: Address, update: TraitRoot) {
  return account.signTypedData({
    domain: domain(TRAIT_PRICER_DOMAIN_NAME, chainId, pricer),
    types: traitRootTypes,
    primaryType: "TraitRoot",
    message: update,
  });
}
