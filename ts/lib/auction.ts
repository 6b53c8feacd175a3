// Deploys the Dutch-auction liquidation module for a pool deployed by `deployProtocol` and makes it the pool's
// liquidator. Kept apart from protocol.ts so that the pool's deployment stays as it is for callers that do not
// liquidate; the demo and the keeper tests call both.
import { encodeFunctionData, type Abi, type Address } from 'viem';
import { loadArtifact } from './artifacts.js';
import { deploy, send, type Chain } from './chain.js';
import type { Protocol, Roles } from './protocol.js';

export interface AuctionModule {
  auction: Address;
  abi: Abi;
}

/** Deploys the module's implementation (bound to `p.pool`) behind an ERC-1967 proxy and, as the timelock, sets it
 * as the pool's liquidator. */
export async function deployAuction(c: Chain, p: Protocol, roles: Pick<Roles, 'deployer' | 'timelock' | 'guardian'>): Promise<AuctionModule> {
  const abi = loadArtifact('DutchAuction').abi;
  const impl = await deploy(c, roles.deployer, 'DutchAuction', [p.pool]);
  const init = encodeFunctionData({ abi, functionName: 'initialize', args: [p.pool, roles.timelock, roles.guardian] });
  const auction = await deploy(c, roles.deployer, 'ERC1967Proxy', [impl, init]);
  await send(c, roles.timelock, p.pool, p.abi.pool, 'setLiquidator', [auction]);
  return { auction, abi };
}
