// Deploys the protocol as it stands on a chain and returns typed handles. The same code serves the demo and the
// end-to-end tests, so what the tests prove is what the demo runs.
import { encodeFunctionData, parseEther, type Abi, type Address } from 'viem';
import { loadArtifact } from './artifacts.js';
import { deploy, send, type Chain } from './chain.js';

export const YEAR = 365n * 24n * 3600n;
const perSecond = (apr: string) => parseEther(apr) / YEAR;

export const defaultRateConfig = (minLoan: bigint) => ({
  baseRate: perSecond('0.02'),
  slope1: perSecond('0.15'),
  slope2: perSecond('1.5'),
  kinkBps: 7500,
  reserveFactorBps: 1000,
  borrowPaused: false,
  minLoan,
});

export const defaultTerms = (standard: 1 | 2) => ({
  standard,
  ltvBps: 5000,
  liqThresholdBps: 7000,
  haircutBps: 6500,
  penaltyBps: 500,
  keeperShareBps: 5000,
  auctionStartBps: 12000,
  auctionReserveBps: 5000,
  duration: 30 * 24 * 3600,
  grace: 2 * 24 * 3600,
  auctionDuration: 36 * 3600,
});

export interface Protocol {
  pool: Address;
  weth: Address;
  apes: Address;
  items: Address;
  valuation: Address;
  abi: { pool: Abi; erc20: Abi; erc721: Abi; erc1155: Abi; valuation: Abi };
}

export interface Roles {
  deployer: Address;
  timelock: Address;
  guardian: Address;
  custody: Address;
  liquidator: Address;
}

/** Deploys test assets, a valuation, the pool implementation and its proxy, and lists both collections. The asset is
 * an 18-decimal WETH unless `asset` names another (e.g. a 6-decimal USDC); the minimum loan is 0.01 of its unit. */
export async function deployProtocol(
  c: Chain,
  roles: Roles,
  asset: { name: string; symbol: string; decimals: number } = { name: 'Wrapped Ether', symbol: 'WETH', decimals: 18 },
): Promise<Protocol> {
  const abi = {
    pool: loadArtifact('ILendingPool').abi,
    erc20: loadArtifact('MockERC20').abi,
    erc721: loadArtifact('MockERC721', 'MockNFTs.sol').abi,
    erc1155: loadArtifact('MockERC1155', 'MockNFTs.sol').abi,
    valuation: loadArtifact('MockValuation').abi,
  };
  const d = roles.deployer;
  const weth = await deploy(c, d, 'MockERC20', [asset.name, asset.symbol, asset.decimals]);
  const apes = await deploy(c, d, 'MockERC721', [], 'MockNFTs.sol');
  const items = await deploy(c, d, 'MockERC1155', [], 'MockNFTs.sol');
  const valuation = await deploy(c, d, 'MockValuation');
  // The pool refuses a valuation priced in other decimals than its asset (ValuationDecimalsMismatch, issue 15).
  if (asset.decimals !== 18) await send(c, d, valuation, abi.valuation, 'setAssetDecimals', [asset.decimals]);
  const extension = await deploy(c, d, 'LendingPoolExtension', [weth, valuation]);
  const impl = await deploy(c, d, 'LendingPool', [weth, valuation, extension]);
  const init = encodeFunctionData({
    abi: abi.pool,
    functionName: 'initialize',
    args: ['NFT Pool WETH', 'npWETH', roles.timelock, roles.guardian, roles.custody, defaultRateConfig(10n ** BigInt(asset.decimals) / 100n)],
  });
  const pool = await deploy(c, d, 'ERC1967Proxy', [impl, init]);
  await send(c, roles.timelock, pool, abi.pool, 'setLiquidator', [roles.liquidator]);
  await send(c, roles.timelock, pool, abi.pool, 'setTerms', [apes, defaultTerms(1), parseEther('1000')]);
  await send(c, roles.timelock, pool, abi.pool, 'setTerms', [items, defaultTerms(2), parseEther('1000')]);
  return { pool, weth, apes, items, valuation, abi };
}
