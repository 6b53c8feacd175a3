// Records real Seaport 1.6 fills on a local anvil into subgraph/fixtures/seaport-fills.json: the compiled Seaport of
// @opensea/seaport-js deployed at its canonical address with its constructor run there (TOOLCHAIN.md), orders
// validated on chain by their offerers (no signatures needed), filled by other accounts. One scenario per rule of
// docs/sale-rules.md and the sales around them; each transaction's every log and each order's status at its block
// are kept, which is all either implementation reads. ts/test/subgraph.test.ts replays the file (about 3 s to
// record: `make subgraph-fixtures`); committed so the test needs no chain.
//   tsx subgraph/scripts/fixtures.ts [--out FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeDeployData, parseEther, zeroAddress, zeroHash, type Abi, type Address, type Hex } from 'viem';
import { startAnvil } from '../../ts/lib/anvil.js';
import { connect, deploy, send, type Chain } from '../../ts/lib/chain.js';
import { loadArtifact } from '../../ts/lib/artifacts.js';
import { parseCommand } from '../../ts/lib/cli.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ART = join('node_modules/@opensea/seaport-js/src/artifacts/seaport/contracts');
function join(...p: string[]): string {
  return resolve(root, ...p);
}

export const SEAPORT: Address = '0x0000000000000068F116a894984e2DB1123eB395';
export const CONDUIT_CONTROLLER: Address = '0x00000000F9490004C11Cef243f5400493c00Ad63';

export interface FixtureLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  logIndex: number;
}
export interface FixtureTx {
  /** The scenario, and the rule outcome its author built it for (a reason of docs/sale-rules.md, or `sale`), per
   * OrderFulfilled log in log order. */
  name: string;
  intended: string[];
  hash: Hex;
  blockNumber: string;
  blockHash: Hex;
  timestamp: number;
  logs: FixtureLog[];
  /** getOrderStatus(orderHash).totalSize at the transaction's block, for every order the transaction filled. */
  totalSize: Record<string, string>;
}
export interface Fixture {
  chainId: number;
  seaport: Address;
  config: { poolAsset: Address; wethPool: boolean; listed: Address[] };
  txs: FixtureTx[];
}

function seaportArtifact(): { abi: Abi; bytecode: Hex } {
  const j = JSON.parse(readFileSync(join(ART, 'Seaport.sol/Seaport.json'), 'utf8'));
  return { abi: j.abi, bytecode: j.bytecode };
}

/** Runs `creation` as the code of `at` (so address(this) is `at`), keeps the storage it writes, installs the runtime. */
async function deployAt(c: Chain, at: Address, creation: Hex): Promise<void> {
  await c.test.setCode({ address: at, bytecode: creation });
  const { data: runtime } = await c.pub.call({ to: at, gas: 30_000_000n });
  if (!runtime) throw new Error(`constructor at ${at} returned no code`);
  const from = c.accounts[9];
  const hash = await c.wallet.sendTransaction({ account: from, chain: c.wallet.chain, to: at, gas: 30_000_000n });
  const r = await c.pub.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error(`constructor transaction at ${at} reverted`);
  await c.test.setCode({ address: at, bytecode: runtime });
}

type Offer = { itemType: number; token: Address; identifierOrCriteria: bigint; startAmount: bigint; endAmount: bigint };
type Consideration = Offer & { recipient: Address };

const item = (itemType: number, token: Address, id: bigint, amount: bigint): Offer => ({
  itemType,
  token,
  identifierOrCriteria: id,
  startAmount: amount,
  endAmount: amount,
});
const pay = (itemType: number, token: Address, id: bigint, amount: bigint, recipient: Address): Consideration => ({
  ...item(itemType, token, id, amount),
  recipient,
});

export async function record(): Promise<Fixture> {
  const anvil = await startAnvil();
  try {
    const c = await connect(anvil.rpcUrl);
    const [deployer, seller, buyer, fees, friend] = c.accounts;
    const controller = JSON.parse(readFileSync(join(ART, 'conduit/ConduitController.sol/LocalConduitController.json'), 'utf8'));
    await deployAt(c, CONDUIT_CONTROLLER, controller.bytecode as Hex);
    const sp = seaportArtifact();
    await deployAt(c, SEAPORT, encodeDeployData({ abi: sp.abi, bytecode: sp.bytecode, args: [CONDUIT_CONTROLLER] }));
    const info = (await c.pub.readContract({ address: SEAPORT, abi: sp.abi, functionName: 'information' })) as [string];
    if (info[0] !== '1.6') throw new Error(`Seaport at ${SEAPORT} answered version ${info[0]}, not 1.6`);

    const weth = await deploy(c, deployer, 'MockERC20', ['Wrapped Ether', 'WETH', 18]);
    const usdc = await deploy(c, deployer, 'MockERC20', ['USD Coin', 'USDC', 6]);
    const apes = await deploy(c, deployer, 'MockERC721', [], 'MockNFTs.sol');
    const other = await deploy(c, deployer, 'MockERC721', [], 'MockNFTs.sol');
    const items = await deploy(c, deployer, 'MockERC1155', [], 'MockNFTs.sol');
    const erc20 = loadArtifact('MockERC20').abi;
    const nft721 = loadArtifact('MockERC721', 'MockNFTs.sol').abi;
    const nft1155 = loadArtifact('MockERC1155', 'MockNFTs.sol').abi;
    for (const who of [seller, buyer]) {
      for (const t of [weth, usdc]) {
        await send(c, deployer, t, erc20, 'mint', [who, parseEther('1000')]);
        await send(c, who, t, erc20, 'approve', [SEAPORT, 2n ** 255n]);
      }
      for (const n of [apes, other]) await send(c, who, n, nft721, 'setApprovalForAll', [SEAPORT, true]);
      await send(c, who, items, nft1155, 'setApprovalForAll', [SEAPORT, true]);
    }
    for (let id = 1n; id <= 12n; id++) await send(c, deployer, apes, nft721, 'mint', [seller, id]);
    await send(c, deployer, apes, nft721, 'mint', [buyer, 100n]);
    await send(c, deployer, other, nft721, 'mint', [seller, 1n]);
    await send(c, deployer, items, nft1155, 'mint', [seller, 7n, 100n]);

    const now = BigInt((await c.pub.getBlock()).timestamp);
    let salt = 1n;
    const params = (offerer: Address, offer: Offer[], consideration: Consideration[], orderType = 0) => ({
      offerer,
      zone: zeroAddress,
      offer,
      consideration,
      orderType,
      startTime: now - 60n,
      endTime: now + 86_400n * 30n,
      zoneHash: zeroHash,
      salt: salt++,
      conduitKey: zeroHash,
      totalOriginalConsiderationItems: BigInt(consideration.length),
    });
    type Params = ReturnType<typeof params>;
    const validate = async (p: Params) => {
      await send(c, p.offerer, SEAPORT, sp.abi, 'validate', [[{ parameters: p, signature: '0x' }]]);
    };
    const ethValue = (p: Params) => p.consideration.filter((i) => i.itemType === 0).reduce((s, i) => s + i.startAmount, 0n);

    const txs: FixtureTx[] = [];
    const keep = async (name: string, intended: string[], hash: Hex) => {
      const r = await c.pub.waitForTransactionReceipt({ hash });
      if (r.status !== 'success') throw new Error(`${name}: reverted`);
      const block = await c.pub.getBlock({ blockNumber: r.blockNumber });
      const totalSize: Record<string, string> = {};
      const FULFILLED = '0x9d9af8e38d66c62e2c12f0225249fd9d721c54b83f48d9352c97c6cacdcb6f31';
      for (const l of r.logs) {
        if (l.address.toLowerCase() !== SEAPORT.toLowerCase() || l.topics[0] !== FULFILLED) continue;
        const orderHash = l.data.slice(0, 66) as Hex;
        const st = (await c.pub.readContract({
          address: SEAPORT,
          abi: sp.abi,
          functionName: 'getOrderStatus',
          args: [orderHash],
          blockNumber: r.blockNumber,
        })) as [boolean, boolean, bigint, bigint];
        totalSize[orderHash] = `0x${st[3].toString(16)}`;
      }
      txs.push({
        name,
        intended,
        hash,
        blockNumber: r.blockNumber.toString(),
        blockHash: r.blockHash,
        timestamp: Number(block.timestamp),
        logs: r.logs.map((l) => ({ address: l.address, topics: l.topics as Hex[], data: l.data, logIndex: l.logIndex })),
        totalSize,
      });
    };
    const fill = async (name: string, intended: string[], p: Params, fulfiller: Address) => {
      await validate(p);
      const hash = await c.wallet.writeContract({
        address: SEAPORT,
        abi: sp.abi,
        functionName: 'fulfillOrder',
        args: [{ parameters: p, signature: '0x' }, zeroHash],
        value: ethValue(p),
        account: fulfiller,
        chain: c.wallet.chain,
        gas: 1_000_000n,
      });
      await keep(name, intended, hash);
    };
    const E = parseEther;
    const fulfillment = (o: [number, number], k: [number, number]) => ({
      offerComponents: [{ orderIndex: BigInt(o[0]), itemIndex: BigInt(o[1]) }],
      considerationComponents: [{ orderIndex: BigInt(k[0]), itemIndex: BigInt(k[1]) }],
    });

    // A listing for ETH with a 2.5 % fee and a 5 % royalty: the price is what the buyer paid, fees included.
    await fill('listing-eth-with-fees', ['sale'], params(seller, [item(2, apes, 1n, 1n)], [
      pay(0, zeroAddress, 0n, E('9.25'), seller), pay(0, zeroAddress, 0n, E('0.25'), fees), pay(0, zeroAddress, 0n, E('0.5'), friend),
    ]), buyer);
    // A listing for the pool asset (WETH).
    await fill('listing-weth', ['sale'], params(seller, [item(2, apes, 2n, 1n)], [
      pay(1, weth, 0n, E('8'), seller), pay(1, weth, 0n, E('0.2'), fees),
    ]), buyer);
    // A bid: the buyer offers WETH for the NFT; the seller pays the fee out of it. Price = the offer.
    await fill('bid-weth', ['sale'], params(buyer, [item(1, weth, 0n, E('7'))], [
      pay(2, apes, 3n, 1n, buyer), pay(1, weth, 0n, E('0.175'), fees),
    ]), seller);
    // A private listing filled the way seaport-js fills one: the buyer matches it with a counter-order offering the
    // ETH (the caller's own order needs no signature), so the NFT goes straight from the seller to the friend the
    // listing names, who is the buyer; the counter-order's fill is the match counterpart.
    {
      const listing = params(seller, [item(2, apes, 10n, 1n)], [pay(0, zeroAddress, 0n, E('6'), seller), pay(2, apes, 10n, 1n, friend)]);
      const counter = params(buyer, [item(0, zeroAddress, 0n, E('6'))], []);
      await validate(listing);
      const hash = await c.wallet.writeContract({
        address: SEAPORT,
        abi: sp.abi,
        functionName: 'matchOrders',
        args: [
          [{ parameters: listing, signature: '0x' }, { parameters: counter, signature: '0x' }],
          [fulfillment([0, 0], [0, 1]), fulfillment([1, 0], [0, 0])],
        ],
        value: E('6'),
        account: buyer,
        chain: c.wallet.chain,
        gas: 1_000_000n,
      });
      await keep('private-listing', ['sale', 'match-counterpart'], hash);
    }
    // The same private listing filled with fulfillOrder: the NFT goes seller -> fulfiller -> friend, so no transfer
    // runs from the seller to the buyer the listing names (rule 8).
    await fill('private-listing-two-hops', ['no-transfer'], params(seller, [item(2, apes, 4n, 1n)], [
      pay(0, zeroAddress, 0n, E('6'), seller), pay(2, apes, 4n, 1n, friend),
    ]), buyer);
    // A whole ERC-1155 stack of 5 for 2.5 ETH: unit price 0.5 ETH.
    await fill('erc1155-stack', ['sale'], params(seller, [item(3, items, 7n, 5n)], [
      pay(0, zeroAddress, 0n, E('2.5'), seller),
    ]), buyer);
    // Paid partly in ETH, partly in WETH (a WETH pool takes both): one sale, the currency of the first item (ETH).
    await fill('listing-eth-and-weth', ['sale'], params(seller, [item(2, apes, 11n, 1n)], [
      pay(0, zeroAddress, 0n, E('3'), seller), pay(1, weth, 0n, E('0.1'), fees),
    ]), buyer);
    // Rule 2: an ERC-20 swap.
    await fill('erc20-swap', ['no-nft'], params(seller, [item(1, usdc, 0n, 1_000_000n)], [pay(1, weth, 0n, E('0.001'), seller)]), buyer);
    // Rule 3: two NFTs for one price.
    await fill('bundle', ['bundle'], params(seller, [item(2, apes, 5n, 1n), item(2, apes, 6n, 1n)], [
      pay(0, zeroAddress, 0n, E('20'), seller),
    ]), buyer);
    // Rule 4: a collection the configuration does not list.
    await fill('unlisted-collection', ['unlisted-collection'], params(seller, [item(2, other, 1n, 1n)], [
      pay(0, zeroAddress, 0n, E('1'), seller),
    ]), buyer);
    // Rule 5: a gift (an order with no consideration).
    await fill('gift', ['no-payment'], params(seller, [item(2, apes, 7n, 1n)], []), buyer);
    // Rule 6: priced in another currency.
    await fill('other-currency', ['other-currency'], params(seller, [item(2, apes, 8n, 1n)], [
      pay(1, usdc, 0n, 30_000_000_000n, seller),
    ]), buyer);
    // Rule 7: 3 of 10 units of a partially fillable order.
    {
      const p = params(seller, [item(3, items, 7n, 10n)], [pay(0, zeroAddress, 0n, E('10'), seller)], 1);
      await validate(p);
      const hash = await c.wallet.writeContract({
        address: SEAPORT,
        abi: sp.abi,
        functionName: 'fulfillAdvancedOrder',
        args: [{ parameters: p, numerator: 3n, denominator: 10n, signature: '0x', extraData: '0x' }, [], zeroHash, buyer],
        value: E('3'),
        account: buyer,
        chain: c.wallet.chain,
        gas: 1_000_000n,
      });
      await keep('partial-fill', ['partial-fill'], hash);
    }
    // Rule 1: a listing and a bid matched by a third party: one OrderFulfilled per order; the bid's is the
    // counterpart, the listing's is the sale.
    {
      const listing = params(seller, [item(2, apes, 9n, 1n)], [pay(1, weth, 0n, E('4.75'), seller), pay(1, weth, 0n, E('0.25'), fees)]);
      const bid = params(buyer, [item(1, weth, 0n, E('5'))], [pay(2, apes, 9n, 1n, buyer)]);
      await validate(listing);
      await validate(bid);
      const hash = await c.wallet.writeContract({
        address: SEAPORT,
        abi: sp.abi,
        functionName: 'matchOrders',
        args: [
          [{ parameters: listing, signature: '0x' }, { parameters: bid, signature: '0x' }],
          [fulfillment([0, 0], [1, 0]), fulfillment([1, 0], [0, 0]), fulfillment([1, 0], [0, 1])],
        ],
        account: deployer,
        chain: c.wallet.chain,
        gas: 1_000_000n,
      });
      await keep('matched', ['sale', 'match-counterpart'], hash);
    }
    const chainId = await c.pub.getChainId();
    return {
      chainId,
      seaport: SEAPORT,
      config: { poolAsset: weth, wethPool: true, listed: [apes, items] },
      txs,
    };
  } finally {
    await anvil.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: tsx subgraph/scripts/fixtures.ts [--out FILE] [--help]\n  records real Seaport 1.6 fills on an embedded anvil (default subgraph/fixtures/seaport-fills.json)\n');
    return 0;
  }
  let out = join('subgraph/fixtures/seaport-fills.json');
  try {
    const v = parseCommand(argv, { name: 'fixtures', usage: '', options: { out: { type: 'string' } } }).values;
    if (v.out !== undefined) out = resolve(v.out);
  } catch (e) {
    process.stderr.write(`fixtures: ${(e as Error).message}\n`);
    return 2;
  }
  const f = await record();
  writeFileSync(out, `${JSON.stringify(f, null, 1)}\n`);
  process.stdout.write(`fixtures: ${f.txs.length} transactions written to ${out}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`fixtures: ${(e as Error).message.split('\n')[0]}\n`);
      process.exitCode = 1;
    },
  );
}
