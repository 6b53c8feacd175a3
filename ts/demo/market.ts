// The demo's market and price pipeline (issue 21): real Seaport 1.6 at its canonical address on the demo chain, demo
// traders who list apes and items with EIP-712-signed orders and fill each other's listings (ETH and WETH, ERC-721
// and ERC-1155, a marketplace fee included in what the buyer pays), the sales indexer reading the new blocks and the
// oracle service filtering, signing and relaying the sales and keeping the local floor feeds fresh. Both run in this
// process against one kv store (Redis when REDIS_URL is set, memory otherwise).
import { createWalletClient, custom, http, type Abi, type Address, type Hex, type PublicClient, type TestClient, type WalletClient } from 'viem';
import type { LocalAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import type { DeploymentRecord } from '../deploy/record.js';
import { demoApesAbi, demoItemsAbi, wethAbi } from '../generated/contracts.js';
import { Indexer } from '../indexer/indexer.js';
import type { Kv } from '../lib/kv.js';
import {
  ORDER_TYPES,
  SEAPORT,
  deploySeaport,
  nativeDue,
  nftItem,
  orderParameters,
  paymentItem,
  seaportAbi,
  to,
  ZERO,
  type Nft,
  type Order,
} from '../lib/seaport.js';
import { runOracleOnce, type OracleCtx, type RoundReport } from '../oracle/service.js';

/** The marketplace fee, in basis points of what the buyer pays (paid to `feeRecipient` out of the price). */
export const FEE_BPS = 250n;
/** The ERC-721 ids the traders hold and trade (Ape #42 and the trait table's ids are kept out of the market). */
const APE_IDS = Array.from({ length: 24 }, (_, i) => 1000n + BigInt(i));
/** The ERC-1155 ids traded, each held in units by every trader (id 7 is bob's collateral, kept out). */
const ITEM_IDS = [1n, 2n, 3n];
const ITEM_UNITS = 200n;

export interface Counters {
  fills: number;
  fillsEth: number;
  fillsWeth: number;
  fills721: number;
  fills1155: number;
  indexed: number;
  pushed: number;
  refused: number;
  held: number;
  floorWrites: number;
  errors: number;
  /** Relays whose receipt the service found a round late (its sender saw the nonce used before the receipt). */
  late: number;
}
const zero = (): Counters => ({ fills: 0, fillsEth: 0, fillsWeth: 0, fills721: 0, fills1155: 0, indexed: 0, pushed: 0, refused: 0, held: 0, floorWrites: 0, errors: 0, late: 0 });

export interface MarketOptions {
  rpcUrl: string;
  pub: PublicClient;
  wallet: WalletClient;
  test: TestClient;
  r: DeploymentRecord;
  kv: Kv;
  traders: LocalAccount[];
  feeRecipient: Address;
  /** Signs the SaleReports and writes the local floor feeds (the deploy makes the reporter the feeds' updater). */
  reporter: LocalAccount;
  /** Sends the relays (an account nothing else in the process sends from: the service keeps its own nonce counter). */
  relayer: LocalAccount;
  /** The account that runs Seaport's and the ConduitController's constructors (an unlocked account of the node). */
  deployer: Address;
  log: (line: string) => void;
}

/**
 * A wallet whose sends return once the node serves the transaction's receipt. The demo's anvil mines every
 * transaction on arrival, but a moment after the send returns: the oracle service's sender would then find the
 * relay unmined at its first look and sleep 200 ms, or see the nonce used before the receipt is served and resolve the
 * relay a round later. Waiting here (a few ms, polling every 5 ms, at most 10 s) changes nothing on chain.
 */
function minedWallet(rpcUrl: string): WalletClient {
  const base = http(rpcUrl, { timeout: 30_000 })({ chain: foundry });
  return createWalletClient({
    chain: foundry,
    transport: custom({
      async request({ method, params }) {
        const out = await base.request({ method, params });
        if (method === 'eth_sendRawTransaction' || method === 'eth_sendTransaction') {
          for (let i = 0; i < 2_000; i++) {
            if (await base.request({ method: 'eth_getTransactionReceipt', params: [out] })) break;
            await new Promise((ok) => setTimeout(ok, 5));
          }
        }
        return out;
      },
    }),
  });
}

/** A seeded pseudo-random stream (xorshift32), so every run of the demo trades the same way. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export class DemoMarket {
  /** The market price per unit of each collection now; trades happen around it. */
  readonly price: { apes: bigint; items: bigint };
  readonly total = zero();
  private since = zero();
  private readonly rand = rng(21);
  private readonly apeOwner = new Map<bigint, LocalAccount>();
  private readonly units = new Map<string, bigint>();
  private readonly nonces = new Map<Address, number>();
  private indexer!: Indexer;
  private readonly oracle: OracleCtx;
  private readonly o: MarketOptions;
  private trade = 0;
  lastRound?: RoundReport;
  /** Wall time spent trading, indexing and in the oracle service's rounds. */
  readonly ms = { trades: 0, indexer: 0, oracle: 0 };
  private readonly add = (k: keyof Counters, n: number) => {
    this.total[k] += n;
    this.since[k] += n;
  };

  constructor(o: MarketOptions, price: { apes: bigint; items: bigint }) {
    this.o = o;
    this.price = { ...price };
    this.oracle = {
      pub: o.pub,
      wallet: minedWallet(o.rpcUrl),
      kv: o.kv,
      chainId: foundry.id,
      valuation: o.r.valuation,
      collections: [o.r.collection721, o.r.collection1155],
      reporter: o.reporter,
      relayer: o.relayer,
      feedUpdater: o.reporter,
      log: (l) => {
        // Every push and refusal is counted in the step lines; the per-sale lines would drown the scenario. A relay
        // whose nonce the sender saw used before anvil served its receipt is resolved from the chain at the next
        // round (counted as late, not printed).
        if (/was used by another transaction of this account/.test(l)) this.add('late', 1);
        else if (/error|ALERT|relisted/.test(l)) o.log(`oracle: ${l}`);
      },
    };
  }

  /**
   * Seaport 1.6 and its ConduitController at their canonical addresses; each trader holds apes, item units, ETH and
   * WETH, and has approved Seaport. The indexer starts at the next block.
   */
  async setup(): Promise<{ seaport: Address; domainSeparator: Hex }> {
    const { o } = this;
    const chain = { rpcUrl: o.rpcUrl, pub: o.pub, wallet: o.wallet, test: o.test, accounts: [o.deployer] };
    const { seaport, domainSeparator } = await deploySeaport(chain);
    for (const a of [...o.traders, o.relayer]) await o.test.setBalance({ address: a.address, value: 10n ** 24n });
    const hashes: Hex[] = [];
    for (const [i, t] of o.traders.entries()) {
      hashes.push(await this.send(t, o.r.asset, wethAbi, 'deposit', [], 10n ** 23n));
      hashes.push(await this.send(t, o.r.asset, wethAbi, 'approve', [SEAPORT, 2n ** 256n - 1n]));
      hashes.push(await this.send(t, o.r.collection721, demoApesAbi, 'setApprovalForAll', [SEAPORT, true]));
      hashes.push(await this.send(t, o.r.collection1155, demoItemsAbi, 'setApprovalForAll', [SEAPORT, true]));
      for (const id of APE_IDS.filter((_, k) => k % o.traders.length === i)) {
        hashes.push(await this.send(t, o.r.collection721, demoApesAbi, 'mint', [t.address, id]));
        this.apeOwner.set(id, t);
      }
      for (const id of ITEM_IDS) {
        hashes.push(await this.send(t, o.r.collection1155, demoItemsAbi, 'mint', [t.address, id, ITEM_UNITS]));
        this.units.set(`${t.address}:${id}`, ITEM_UNITS);
      }
    }
    await this.receipts(hashes, 'setting up the traders');
    this.indexer = new Indexer({
      rpcUrl: o.rpcUrl,
      kv: o.kv,
      collections: [o.r.collection721, o.r.collection1155],
      asset: o.r.asset, // the pool's WETH; ETH payments count as WETH
      fromBlock: (await o.pub.getBlockNumber()) + 1n,
      confirmations: 0, // the demo's anvil mines each transaction into a final block
      progressMs: 0,
      log: (l) => {
        if (!/^(indexer: )?block \d+ of/.test(l)) o.log(`indexer: ${l}`); // its progress line after every range: the step lines say it
      },
    });
    await this.indexer.init();
    return { seaport, domainSeparator };
  }

  private nonceOf = async (a: Address): Promise<number> => {
    let n = this.nonces.get(a);
    if (n === undefined) n = await this.o.pub.getTransactionCount({ address: a, blockTag: 'pending' });
    this.nonces.set(a, n + 1);
    return n;
  };

  private async send(from: LocalAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value = 0n, gas = 300_000n): Promise<Hex> {
    const nonce = await this.nonceOf(from.address);
    return this.o.wallet.writeContract({ address, abi, functionName, args, value, gas, nonce, account: from, chain: foundry });
  }

  private async receipts(hashes: Hex[], what: string): Promise<void> {
    for (const hash of hashes) {
      const r = await this.o.pub.waitForTransactionReceipt({ hash, pollingInterval: 25 });
      if (r.status !== 'success') throw new Error(`${what}: transaction ${hash} reverted`);
    }
  }

  /** The price of one trade: the market price with up to +-1.5 % of noise, in whole gwei. */
  private noisy(p: bigint): bigint {
    const bps = BigInt(Math.round((this.rand() * 2 - 1) * 150));
    return ((p * (10_000n + bps)) / 10_000n / 10n ** 9n) * 10n ** 9n;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }

  /** A listing signed by its seller (EIP-712, Seaport 1.6 domain): the NFT for `total` in ETH or WETH, fee included. */
  private async listing(seller: LocalAccount, nft: Nft, total: bigint, currency: Address): Promise<Order> {
    const fee = (total * FEE_BPS) / 10_000n;
    const consideration = [to(paymentItem(currency, total - fee), seller.address), to(paymentItem(currency, fee), this.o.feeRecipient)];
    const parameters = orderParameters({ offerer: seller.address, offer: [nftItem(nft)], consideration });
    const { totalOriginalConsiderationItems: _n, ...components } = parameters;
    const signature = await seller.signTypedData({
      domain: { name: 'Seaport', version: '1.6', chainId: foundry.id, verifyingContract: SEAPORT },
      types: ORDER_TYPES,
      primaryType: 'OrderComponents',
      message: { ...components, counter: 0n }, // the traders never cancel all their orders: their counter stays 0
    });
    return { parameters, signature };
  }

  /**
   * Real Seaport fills: `apes` ERC-721 listings and `items` ERC-1155 listings (1 to 3 units), each signed by a trader
   * and filled by another, alternately in ETH and in WETH, at the market price of the moment (or `at`) with noise.
   * The fills of one call go out together (one block each on an auto-mining anvil) and are all checked.
   */
  async trades(apes: number, items: number, at?: { apes?: bigint; items?: bigint }): Promise<void> {
    const { o } = this;
    const hashes: Hex[] = [];
    const sold = new Set<bigint>();
    const plan: { kind: 'apes' | 'items' }[] = [...Array(apes).fill({ kind: 'apes' }), ...Array(items).fill({ kind: 'items' })];
    for (const { kind } of plan) {
      const currency = this.trade++ % 2 === 0 ? ZERO : o.r.asset;
      let seller: LocalAccount;
      let nft: Nft;
      if (kind === 'apes') {
        const id = this.pick(APE_IDS.filter((x) => !sold.has(x)));
        sold.add(id);
        seller = this.apeOwner.get(id)!;
        nft = { token: o.r.collection721, id, amount: 1n, standard: 'erc721' };
      } else {
        const id = this.pick(ITEM_IDS);
        const amount = BigInt(1 + Math.floor(this.rand() * 3));
        const holders = o.traders.filter((t) => (this.units.get(`${t.address}:${id}`) ?? 0n) >= amount);
        seller = this.pick(holders);
        nft = { token: o.r.collection1155, id, amount, standard: 'erc1155' };
      }
      const buyer = this.pick(o.traders.filter((t) => t !== seller));
      const unit = this.noisy((kind === 'apes' ? at?.apes : at?.items) ?? this.price[kind]);
      const order = await this.listing(seller, nft, unit * nft.amount, currency);
      hashes.push(await this.send(buyer, SEAPORT, seaportAbi(), 'fulfillOrder', [order, `0x${'00'.repeat(32)}`], nativeDue(order.parameters), 400_000n));
      if (kind === 'apes') this.apeOwner.set(nft.id, buyer);
      else {
        this.units.set(`${seller.address}:${nft.id}`, this.units.get(`${seller.address}:${nft.id}`)! - nft.amount);
        this.units.set(`${buyer.address}:${nft.id}`, (this.units.get(`${buyer.address}:${nft.id}`) ?? 0n) + nft.amount);
      }
      for (const c of [this.total, this.since]) {
        c.fills++;
        if (currency === ZERO) c.fillsEth++;
        else c.fillsWeth++;
        if (kind === 'apes') c.fills721++;
        else c.fills1155++;
      }
    }
    await this.receipts(hashes, 'a Seaport fill');
  }

  /** The indexer reads the new blocks, then one round of the oracle service; returns the round's report. */
  async pipeline(): Promise<RoundReport> {
    const before = this.indexer.stats.sales;
    let t = Date.now();
    await this.indexer.runOnce();
    this.ms.indexer += Date.now() - t;
    t = Date.now();
    const round = await runOracleOnce(this.oracle);
    this.ms.oracle += Date.now() - t;
    this.lastRound = round;
    const add = this.add;
    add('indexed', this.indexer.stats.sales - before);
    add('pushed', round.resolved.filter((x) => x.outcome === 'pushed').length);
    for (const c of round.collections) {
      if (c.pushed) add('pushed', 1);
      else if (c.held?.startsWith('refused') || c.held?.startsWith('reverted')) add('refused', 1);
      else if (c.held && c.held !== 'no-sale') add('held', 1);
      add('refused', Object.values(c.rejected).reduce((s, n) => s + n, 0));
      if (c.floor) add('floorWrites', 1);
    }
    add('errors', round.errors.length);
    if (round.errors.length) throw new Error(`the oracle service's round failed: ${round.errors.join('; ')}`);
    return round;
  }

  /** One market step: trades, then the indexer and the oracle service. */
  async step(apes = 2, items = 2, at?: { apes?: bigint; items?: bigint }): Promise<RoundReport> {
    const t = Date.now();
    await this.trades(apes, items, at);
    this.ms.trades += Date.now() - t;
    return this.pipeline();
  }

  /** The counts since the last call, as one line. */
  line(): string {
    const s = this.since;
    this.since = zero();
    return `market: ${s.fills} Seaport fills (${s.fillsEth} ETH, ${s.fillsWeth} WETH; ${s.fills721} ERC-721, ${s.fills1155} ERC-1155), ${s.indexed} sales indexed, ${s.pushed} reports pushed, ${s.refused} refused, ${s.floorWrites} floor updates`;
  }

  skips(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.indexer.stats.skips).filter(([, n]) => n > 0));
  }
}
