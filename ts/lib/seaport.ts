// Real Seaport 1.6 on a local chain, and orders built, signed and filled with viem alone (no ethers at run time).
// The bytecode is seaport-js's compiled Seaport 1.6 (seaport-core 1.6.6, solc 0.8.24) and its LocalConduitController,
// deployed at the canonical addresses with their constructors run there: Seaport bakes its own address into its
// EIP-712 domain separator at construction, so copying runtime code would give a marketplace whose signatures match
// no other deployment. The order typed data below is written from the Seaport 1.6 struct definitions.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  encodeAbiParameters,
  getAddress,
  keccak256,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import type { Chain } from './chain.js';

export const SEAPORT: Address = '0x0000000000000068F116a894984e2DB1123eB395';
export const CONDUIT_CONTROLLER: Address = '0x00000000F9490004C11Cef243f5400493c00Ad63';
export const ZERO: Address = '0x0000000000000000000000000000000000000000';
const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** Seaport item types. 4 and 5 are ERC-721 / ERC-1155 "with criteria". */
export const ItemType = { NATIVE: 0, ERC20: 1, ERC721: 2, ERC1155: 3, ERC721_WITH_CRITERIA: 4, ERC1155_WITH_CRITERIA: 5 } as const;
/** Seaport order types: even ones must be filled whole, odd ones may be filled in fractions. */
export const OrderType = { FULL_OPEN: 0, PARTIAL_OPEN: 1, FULL_RESTRICTED: 2, PARTIAL_RESTRICTED: 3 } as const;

interface HardhatArtifact {
  abi: Abi;
  bytecode: Hex;
}

const req = createRequire(import.meta.url);
function seaportJsDir(): string {
  return join(dirname(req.resolve('@opensea/seaport-js/package.json')), 'src', 'artifacts');
}
function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
const cache = new Map<string, HardhatArtifact>();
function artifact(rel: string): HardhatArtifact {
  let a = cache.get(rel);
  if (!a) {
    a = readJson<HardhatArtifact>(join(seaportJsDir(), rel));
    cache.set(rel, a);
  }
  return a;
}

export const seaportArtifact = () => artifact('seaport/contracts/Seaport.sol/Seaport.json');
export const conduitControllerArtifact = () => artifact('seaport/contracts/conduit/ConduitController.sol/LocalConduitController.json');
/** seaport-js's test tokens: open-mint ERC-721, ERC-1155 and ERC-20 (`mint(to, id)`, `mint(to, id, amount)`, `mint(to, amount)`). */
export const testErc721Artifact = () => artifact('src/contracts/test/TestERC721.sol/TestERC721.json');
export const testErc1155Artifact = () => artifact('src/contracts/test/TestERC1155.sol/TestERC1155.json');
export const testErc20Artifact = () => artifact('src/contracts/test/TestERC20.sol/TestERC20.json');
/** WETH9 from @uniswap/v2-periphery (solc 0.6; deposit/withdraw, 18 decimals). */
export function weth9Artifact(): HardhatArtifact {
  const j = readJson<{ abi: Abi; bytecode: string }>(req.resolve('@uniswap/v2-periphery/build/WETH9.json'));
  return { abi: j.abi, bytecode: (j.bytecode.startsWith('0x') ? j.bytecode : `0x${j.bytecode}`) as Hex };
}
export const seaportAbi = (): Abi => seaportArtifact().abi;

/**
 * Runs `creationCode` as a constructor at `address` and leaves its runtime code and storage there: the creation code
 * is set as the account's code, an eth_call of it returns the runtime, the same call sent as a transaction keeps the
 * constructor's storage writes (and any contract it creates), and the runtime then replaces the creation code.
 */
export async function deployAt(c: Chain, address: Address, creationCode: Hex): Promise<void> {
  const from = c.accounts[0];
  await c.test.setCode({ address, bytecode: creationCode });
  const { data: runtime } = await c.pub.call({ account: from, to: address, gas: 30_000_000n });
  if (!runtime || runtime === '0x') throw new Error(`the constructor at ${address} returned no code`);
  const hash = await c.wallet.sendTransaction({ account: from, to: address, gas: 30_000_000n, chain: c.wallet.chain });
  const receipt = await c.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 });
  if (receipt.status !== 'success') throw new Error(`the constructor at ${address} reverted (${hash})`);
  await c.test.setCode({ address, bytecode: runtime });
}

export interface SeaportDeployment {
  seaport: Address;
  conduitController: Address;
  domainSeparator: Hex;
}

/** Seaport 1.6's EIP-712 domain separator for `chainId` and `verifyingContract`, as its constructor computes it. */
export function seaportDomainSeparator(chainId: number, verifyingContract: Address): Hex {
  const typeHash = keccak256(toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
      [typeHash, keccak256(toHex('Seaport')), keccak256(toHex('1.6')), BigInt(chainId), verifyingContract],
    ),
  );
}

/**
 * Deploys ConduitController and Seaport 1.6 at their canonical addresses (nothing to do when Seaport 1.6 is already
 * there), then checks `information()`: version "1.6", this controller, and a domain separator that binds the
 * canonical address and this chain.
 */
export async function deploySeaport(c: Chain): Promise<SeaportDeployment> {
  const chainId = await c.pub.getChainId();
  const abi = seaportAbi();
  const existing = await c.pub.getCode({ address: SEAPORT });
  if (!existing || existing === '0x') {
    await deployAt(c, CONDUIT_CONTROLLER, conduitControllerArtifact().bytecode);
    const args = encodeAbiParameters([{ type: 'address' }], [CONDUIT_CONTROLLER]).slice(2);
    await deployAt(c, SEAPORT, `${seaportArtifact().bytecode}${args}` as Hex);
  }
  const [version, domainSeparator, controller] = (await c.pub.readContract({ address: SEAPORT, abi, functionName: 'information' })) as [string, Hex, Address];
  if (version !== '1.6') throw new Error(`Seaport at ${SEAPORT} reports version ${version}, not 1.6`);
  if (getAddress(controller) !== CONDUIT_CONTROLLER) throw new Error(`Seaport at ${SEAPORT} uses conduit controller ${controller}`);
  if (domainSeparator !== seaportDomainSeparator(chainId, SEAPORT)) {
    throw new Error(`Seaport's domain separator does not bind ${SEAPORT} on chain ${chainId}: its constructor did not run there`);
  }
  return { seaport: SEAPORT, conduitController: CONDUIT_CONTROLLER, domainSeparator };
}

/** Deploys a contract from a hardhat-style artifact with plain creation code. */
export async function deployArtifact(c: Chain, a: HardhatArtifact, args: unknown[] = [], from = c.accounts[0]): Promise<Address> {
  const hash = await c.wallet.deployContract({ abi: a.abi, bytecode: a.bytecode, args, account: from, chain: c.wallet.chain });
  const r = await c.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 });
  if (r.status !== 'success' || !r.contractAddress) throw new Error(`deployment failed (${hash})`);
  return r.contractAddress;
}

export interface Market {
  seaport: Address;
  weth: Address;
  /** An open-mint ERC-721 and ERC-1155 to trade, and an ERC-20 that is not the pool asset. */
  erc721: Address;
  erc1155: Address;
  otherErc20: Address;
}

/** Seaport 1.6 plus a WETH9 (unless one is given), test collections and a second currency: a market to trade on. */
export async function deployMarket(c: Chain, opts: { weth?: Address } = {}): Promise<Market> {
  const { seaport } = await deploySeaport(c);
  const weth = opts.weth ?? (await deployArtifact(c, weth9Artifact()));
  const erc721 = await deployArtifact(c, testErc721Artifact());
  const erc1155 = await deployArtifact(c, testErc1155Artifact());
  const otherErc20 = await deployArtifact(c, testErc20Artifact());
  return { seaport, weth, erc721, erc1155, otherErc20 };
}

// ---------------------------------------------------------------------------------------------------------------------
// Orders

export interface OfferItem {
  itemType: number;
  token: Address;
  identifierOrCriteria: bigint;
  startAmount: bigint;
  endAmount: bigint;
}
export interface ConsiderationItem extends OfferItem {
  recipient: Address;
}
export interface OrderParameters {
  offerer: Address;
  zone: Address;
  offer: OfferItem[];
  consideration: ConsiderationItem[];
  orderType: number;
  startTime: bigint;
  endTime: bigint;
  zoneHash: Hex;
  salt: bigint;
  conduitKey: Hex;
  totalOriginalConsiderationItems: bigint;
}
export interface Order {
  parameters: OrderParameters;
  signature: Hex;
}

/** The EIP-712 types of Seaport 1.6's OrderComponents (what the offerer signs). */
export const ORDER_TYPES = {
  OrderComponents: [
    { name: 'offerer', type: 'address' },
    { name: 'zone', type: 'address' },
    { name: 'offer', type: 'OfferItem[]' },
    { name: 'consideration', type: 'ConsiderationItem[]' },
    { name: 'orderType', type: 'uint8' },
    { name: 'startTime', type: 'uint256' },
    { name: 'endTime', type: 'uint256' },
    { name: 'zoneHash', type: 'bytes32' },
    { name: 'salt', type: 'uint256' },
    { name: 'conduitKey', type: 'bytes32' },
    { name: 'counter', type: 'uint256' },
  ],
  OfferItem: [
    { name: 'itemType', type: 'uint8' },
    { name: 'token', type: 'address' },
    { name: 'identifierOrCriteria', type: 'uint256' },
    { name: 'startAmount', type: 'uint256' },
    { name: 'endAmount', type: 'uint256' },
  ],
  ConsiderationItem: [
    { name: 'itemType', type: 'uint8' },
    { name: 'token', type: 'address' },
    { name: 'identifierOrCriteria', type: 'uint256' },
    { name: 'startAmount', type: 'uint256' },
    { name: 'endAmount', type: 'uint256' },
    { name: 'recipient', type: 'address' },
  ],
} as const;

let saltCounter = BigInt(Date.now()) << 32n;
/** Order parameters with defaults: open, no zone, valid for a year from the epoch 0 start, a fresh salt. */
export function orderParameters(p: {
  offerer: Address;
  offer: OfferItem[];
  consideration: ConsiderationItem[];
  orderType?: number;
  salt?: bigint;
}): OrderParameters {
  return {
    offerer: p.offerer,
    zone: ZERO,
    offer: p.offer,
    consideration: p.consideration,
    orderType: p.orderType ?? OrderType.FULL_OPEN,
    startTime: 0n,
    endTime: 2n ** 40n,
    zoneHash: ZERO32,
    salt: p.salt ?? ++saltCounter,
    conduitKey: ZERO32,
    totalOriginalConsiderationItems: BigInt(p.consideration.length),
  };
}

/** Signs the order as its offerer (an account the node unlocks, e.g. anvil's) with the Seaport 1.6 domain. */
export async function signOrder(c: Chain, params: OrderParameters, seaport: Address = SEAPORT): Promise<Order> {
  const abi = seaportAbi();
  const counter = (await c.pub.readContract({ address: seaport, abi, functionName: 'getCounter', args: [params.offerer] })) as bigint;
  const { totalOriginalConsiderationItems: _n, ...components } = params;
  const signature = await c.wallet.signTypedData({
    account: params.offerer,
    domain: { name: 'Seaport', version: '1.6', chainId: await c.pub.getChainId(), verifyingContract: seaport },
    types: ORDER_TYPES,
    primaryType: 'OrderComponents',
    message: { ...components, counter },
  });
  return { parameters: params, signature };
}

/** The order hash Seaport computes (its getOrderHash of the components with the offerer's current counter). */
export async function orderHash(c: Chain, params: OrderParameters, seaport: Address = SEAPORT): Promise<Hex> {
  const abi = seaportAbi();
  const counter = (await c.pub.readContract({ address: seaport, abi, functionName: 'getCounter', args: [params.offerer] })) as bigint;
  const { totalOriginalConsiderationItems: _n, ...components } = params;
  return (await c.pub.readContract({ address: seaport, abi, functionName: 'getOrderHash', args: [{ ...components, counter }] })) as Hex;
}

/** ETH the fulfiller must send: the native consideration items. */
export function nativeDue(params: OrderParameters): bigint {
  return params.consideration.filter((i) => i.itemType === ItemType.NATIVE).reduce((s, i) => s + i.startAmount, 0n);
}

async function sendTx(c: Chain, from: Address, to: Address, abi: Abi, functionName: string, args: unknown[], value = 0n): Promise<TransactionReceipt> {
  const { request } = await c.pub.simulateContract({ address: to, abi, functionName, args, account: from, value });
  const hash = await c.wallet.writeContract(request);
  const r = await c.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 });
  if (r.status !== 'success') throw new Error(`${functionName} reverted (${hash})`);
  return r;
}

/** `fulfillOrder` by `from`, paying the native items as value. */
export function fulfil(c: Chain, from: Address, order: Order, value = nativeDue(order.parameters)): Promise<TransactionReceipt> {
  return sendTx(c, from, SEAPORT, seaportAbi(), 'fulfillOrder', [order, ZERO32], value);
}

/** `fulfillAdvancedOrder` of numerator/denominator of the order, to `from`. */
export function fulfilFraction(c: Chain, from: Address, order: Order, numerator: bigint, denominator: bigint): Promise<TransactionReceipt> {
  const value = (nativeDue(order.parameters) * numerator) / denominator;
  const adv = { parameters: order.parameters, numerator, denominator, signature: order.signature, extraData: '0x' };
  return sendTx(c, from, SEAPORT, seaportAbi(), 'fulfillAdvancedOrder', [adv, [], ZERO32, from], value);
}

/** `matchOrders` sent by `from` with explicit fulfillments (offer item → consideration item). */
export function matchOrders(
  c: Chain,
  from: Address,
  orders: Order[],
  fulfillments: { offer: [number, number][]; consideration: [number, number][] }[],
  value = 0n,
): Promise<TransactionReceipt> {
  const comp = (l: [number, number][]) => l.map(([orderIndex, itemIndex]) => ({ orderIndex: BigInt(orderIndex), itemIndex: BigInt(itemIndex) }));
  const f = fulfillments.map((x) => ({ offerComponents: comp(x.offer), considerationComponents: comp(x.consideration) }));
  return sendTx(c, from, SEAPORT, seaportAbi(), 'matchOrders', [orders, f], value);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tokens and the usual trades

const erc721Abi = () => testErc721Artifact().abi;
const erc1155Abi = () => testErc1155Artifact().abi;

export async function call(c: Chain, from: Address, to: Address, abi: Abi, fn: string, args: unknown[] = [], value = 0n) {
  return sendTx(c, from, to, abi, fn, args, value);
}

export interface Nft {
  token: Address;
  id: bigint;
  /** 1 for ERC-721. */
  amount: bigint;
  standard: 'erc721' | 'erc1155';
}

/** Mints the NFT to `to` and lets Seaport move the owner's tokens of that collection. */
export async function mintNft(c: Chain, to: Address, nft: Nft): Promise<void> {
  if (nft.standard === 'erc721') await call(c, to, nft.token, erc721Abi(), 'mint', [to, nft.id]);
  else await call(c, to, nft.token, erc1155Abi(), 'mint', [to, nft.id, nft.amount]);
  await approveNft(c, to, nft.token);
}
const approved = new Set<string>();
export async function approveNft(c: Chain, owner: Address, token: Address): Promise<void> {
  const k = `${c.rpcUrl}|${owner}|${token}`.toLowerCase();
  if (approved.has(k)) return;
  await call(c, owner, token, erc721Abi(), 'setApprovalForAll', [SEAPORT, true]);
  approved.add(k);
}
/** Wraps `amount` ETH into WETH for `owner` and approves Seaport for it. */
export async function fundWeth(c: Chain, weth: Address, owner: Address, amount: bigint): Promise<void> {
  const abi = weth9Artifact().abi;
  await call(c, owner, weth, abi, 'deposit', [], amount);
  await call(c, owner, weth, abi, 'approve', [SEAPORT, 2n ** 256n - 1n]);
}

export function nftItem(nft: Nft): OfferItem {
  return {
    itemType: nft.standard === 'erc721' ? ItemType.ERC721 : ItemType.ERC1155,
    token: nft.token,
    identifierOrCriteria: nft.id,
    startAmount: nft.amount,
    endAmount: nft.amount,
  };
}
/** A payment item: `currency` the zero address for ETH, else an ERC-20. */
export function paymentItem(currency: Address, amount: bigint): OfferItem {
  return {
    itemType: currency === ZERO ? ItemType.NATIVE : ItemType.ERC20,
    token: currency,
    identifierOrCriteria: 0n,
    startAmount: amount,
    endAmount: amount,
  };
}
export const to = (item: OfferItem, recipient: Address): ConsiderationItem => ({ ...item, recipient });

export interface Fee {
  recipient: Address;
  amount: bigint;
}

export interface Fill {
  receipt: TransactionReceipt;
  order: Order;
  /** What the buyer paid in total, fees included. */
  total: bigint;
}

/**
 * A listing filled: `seller` offers the NFT (already minted and approved) for `price` in `currency` (the zero
 * address: ETH) to themselves plus `fees`, signs it, and `buyer` fills it (paying ETH as value, or WETH it holds
 * and approved). Returns the receipt and the total the buyer paid.
 */
export async function listAndFill(
  c: Chain,
  p: { seller: Address; buyer: Address; nft: Nft; price: bigint; currency: Address; fees?: Fee[] },
): Promise<Fill> {
  const fees = p.fees ?? [];
  const consideration = [to(paymentItem(p.currency, p.price), p.seller), ...fees.map((f) => to(paymentItem(p.currency, f.amount), f.recipient))];
  const order = await signOrder(c, orderParameters({ offerer: p.seller, offer: [nftItem(p.nft)], consideration }));
  const receipt = await fulfil(c, p.buyer, order);
  return { receipt, order, total: p.price + fees.reduce((s, f) => s + f.amount, 0n) };
}

/**
 * A bid accepted: `buyer` offers `price` WETH (or another ERC-20) for the NFT, to be paid to whoever fills it, minus
 * nothing; the fees are consideration the seller pays out of what it receives. `seller` (holding the NFT, approved)
 * fills it.
 */
export async function bidAndFill(
  c: Chain,
  p: { seller: Address; buyer: Address; nft: Nft; price: bigint; currency: Address; fees?: Fee[] },
): Promise<Fill> {
  const fees = p.fees ?? [];
  const consideration = [to(nftItem(p.nft), p.buyer), ...fees.map((f) => to(paymentItem(p.currency, f.amount), f.recipient))];
  const order = await signOrder(c, orderParameters({ offerer: p.buyer, offer: [paymentItem(p.currency, p.price)], consideration }));
  const receipt = await fulfil(c, p.seller, order, 0n);
  return { receipt, order, total: p.price };
}

// ---------------------------------------------------------------------------------------------------------------------
// Many real fills quickly (benchmarks, demo waves)

/**
 * `count` real Seaport sales of one unit of an ERC-1155 id each, for ETH: every seller mints its share and
 * validates its listings on chain in batches (Seaport's `validate`, so no signature is needed), then `buyer` fills
 * `perTx` listings per `fulfillAvailableOrders` transaction. Each fill emits its own OrderFulfilled and
 * TransferSingle, exactly as separate purchases would. Returns the fill transactions' hashes and the block range.
 */
export async function bulkSales(
  c: Chain,
  p: { sellers: Address[]; buyer: Address; erc1155: Address; id: bigint; count: number; perTx?: number; price: (i: number) => bigint; log?: (line: string) => void },
): Promise<{ txs: Hex[]; firstBlock: bigint; lastBlock: bigint }> {
  const abi = seaportAbi();
  const perTx = p.perTx ?? 60;
  const orders: Order[] = [];
  const bySeller = new Map<Address, Order[]>();
  for (let i = 0; i < p.count; i++) {
    const seller = p.sellers[i % p.sellers.length];
    const nft: Nft = { token: p.erc1155, id: p.id, amount: 1n, standard: 'erc1155' };
    const o: Order = { parameters: orderParameters({ offerer: seller, offer: [nftItem(nft)], consideration: [to(paymentItem(ZERO, p.price(i)), seller)] }), signature: '0x' as Hex };
    orders.push(o);
    const l = bySeller.get(seller) ?? [];
    l.push(o);
    bySeller.set(seller, l);
  }
  const firstBlock = (await c.pub.getBlockNumber()) + 1n;
  for (const [seller, list] of bySeller) {
    await call(c, seller, p.erc1155, erc1155Abi(), 'mint', [seller, p.id, BigInt(list.length)]);
    await approveNft(c, seller, p.erc1155);
    for (let i = 0; i < list.length; i += 150) {
      const hash = await c.wallet.writeContract({ address: SEAPORT, abi, functionName: 'validate', args: [list.slice(i, i + 150)], account: seller, chain: c.wallet.chain, gas: 25_000_000n });
      const r = await c.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 });
      if (r.status !== 'success') throw new Error(`validate reverted (${hash})`);
    }
  }
  p.log?.(`bulkSales: ${orders.length} listings validated`);
  const txs: Hex[] = [];
  for (let i = 0; i < orders.length; i += perTx) {
    if (i % (perTx * 20) === 0) p.log?.(`bulkSales: filling ${i}/${orders.length}`);
    const chunk = orders.slice(i, i + perTx);
    const offerFulfillments = chunk.map((_, k) => [{ orderIndex: BigInt(k), itemIndex: 0n }]);
    const groups = new Map<string, { orderIndex: bigint; itemIndex: bigint }[]>();
    chunk.forEach((o, k) => {
      const key = o.parameters.offerer;
      const g = groups.get(key) ?? [];
      g.push({ orderIndex: BigInt(k), itemIndex: 0n });
      groups.set(key, g);
    });
    const value = chunk.reduce((s, o) => s + nativeDue(o.parameters), 0n);
    const hash = await c.wallet.writeContract({
      address: SEAPORT,
      abi,
      functionName: 'fulfillAvailableOrders',
      args: [chunk, offerFulfillments, [...groups.values()], ZERO32, BigInt(chunk.length)],
      account: p.buyer,
      chain: c.wallet.chain,
      value,
      gas: 28_000_000n,
    });
    txs.push(hash);
  }
  const receipts = await Promise.all(txs.map((hash) => c.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 })));
  const bad = receipts.find((r) => r.status !== 'success');
  if (bad) throw new Error(`fulfillAvailableOrders reverted (${bad.transactionHash})`);
  return { txs, firstBlock, lastBlock: receipts.at(-1)!.blockNumber };
}
