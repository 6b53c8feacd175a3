// Written by subgraph/scripts/networks.ts from subgraph/sale-config.json (network: local); do not edit.
// The sale rules' configuration (docs/sale-rules.md rules 4 and 6): the listed collections and the pool asset.
export const NETWORK = 'local';
export const POOL_ASSET = '0x0000000000000000000000000000000000000000';
export const WETH_POOL = true;
export const LISTED: string[] = [];
