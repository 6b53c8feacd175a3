// Keeper benchmark (not a test; `make bench-keeper`): 1,000 open loans on an embedded anvil, then the keeper's passes
// timed: the first (reads every event since the deployment, then every loan), a steady one (all healthy: one batch of
// reads), the same without Multicall3, and a crash (every loan unhealthy: 1,000 auction starts pipelined through the
// nonce manager). The bound is a pass over 1,000 loans in 5 s. Prints a table; numbers vary with the machine.
//   tsx ts/bench/keeper.ts [--loans 1000]
import { encodeFunctionData, parseEther, type Address, type Hex } from 'viem';
import { startAnvil } from '../lib/anvil.js';
import { deployAuction } from '../test/fixtures/auction.js';
import { connect, deploy, send } from '../lib/chain.js';
import { deployProtocol } from '../test/fixtures/protocol.js';
import { Keeper, type TickResult } from '../keeper/keeper.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: tsx ts/bench/keeper.ts [--loans N]   (default 1000; starts its own anvil)');
  process.exit(0);
}
let loans = 1000;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--loans' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) loans = Number(argv[++i]);
  else {
    console.error(`bench-keeper: unknown or malformed argument ${argv[i]} (--help lists the options)`);
    process.exit(2);
  }
}

const anvil = await startAnvil();
const rows: [string, string][] = [];
try {
  const c = await connect(anvil.rpcUrl);
  const [deployer, timelock, guardian, custody, liquidator, lender, borrower, keeperAcct] = c.accounts;
  const multicall = await deploy(c, deployer, 'Multicall');
  const p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
  const m = await deployAuction(c, p, { deployer, timelock, guardian });
  const fromBlock = await c.pub.getBlockNumber({ cacheTime: 0 });
  await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('30')]);
  await send(c, lender, p.weth, p.abi.erc20, 'mint', [lender, parseEther('1000')]);
  await send(c, lender, p.weth, p.abi.erc20, 'approve', [p.pool, parseEther('1000')]);
  await send(c, lender, p.pool, p.abi.pool, 'deposit', [parseEther('1000'), lender]);
  await send(c, borrower, p.apes, p.abi.erc721, 'setApprovalForAll', [p.pool, true]);

  // Open the loans quickly: automine off, every mint and borrow sent at its own nonce, then blocks mined until the
  // mempool is empty. Principals differ (0.3 to 0.8 WETH) so the crash has an order to follow.
  let t0 = Date.now();
  await c.test.setAutomine(false);
  let nonce = await c.pub.getTransactionCount({ address: borrower, blockTag: 'pending' });
  const raw = async (to: Address, data: Hex, gas: bigint) =>
    c.wallet.sendTransaction({ account: borrower, chain: c.wallet.chain, to, data, gas, nonce: nonce++ });
  const drain = async () => {
    for (let i = 0; i < 100; i++) {
      await c.test.mine({ blocks: 1 });
      const mined = await c.pub.getTransactionCount({ address: borrower, blockTag: 'latest' });
      if (mined === nonce) return;
    }
    throw new Error('the set-up transactions were not all mined');
  };
  for (let id = 1n; id <= BigInt(loans); id++) {
    await raw(p.apes, encodeFunctionData({ abi: p.abi.erc721, functionName: 'mint', args: [borrower, id] }), 150_000n);
    const principal = parseEther('0.3') + (id % 6n) * parseEther('0.1');
    await raw(p.pool, encodeFunctionData({ abi: p.abi.pool, functionName: 'borrow', args: [p.apes, id, 1n, principal, borrower, 0n, []] }), 600_000n);
    if (id % 50n === 0n) await drain(); // anvil's mempool holds a limited number of transactions per sender
  }
  await drain();
  await c.test.setAutomine(true);
  const opened = (await c.pub.getContractEvents({ address: p.pool, abi: p.abi.pool, eventName: 'Borrow', fromBlock })).length;
  if (opened !== loans) throw new Error(`only ${opened} of ${loans} borrows succeeded`);
  rows.push([`open ${loans} loans (set-up, not the keeper)`, `${((Date.now() - t0) / 1000).toFixed(1)} s`]);

  const keeper = (multi: Address | null) =>
    new Keeper({
      publicClient: c.pub, walletClient: c.wallet, pool: p.pool, auction: m.auction, fromBlock, account: keeperAcct,
      confirmations: 0, multicall: multi, buy: false, log: process.env.BENCH_LOG ? (l) => console.error(l) : undefined,
    });
  const timed = async (label: string, k: Keeper, check: (r: TickResult) => void) => {
    const start = Date.now();
    const r = await k.tick();
    const s = (Date.now() - start) / 1000;
    check(r);
    rows.push([label, `${s.toFixed(2)} s`]);
    return s;
  };
  const expectScanned = (r: TickResult) => {
    if (r.scanned !== loans) throw new Error(`scanned ${r.scanned} of ${loans}`);
  };

  const k = keeper(multicall);
  await timed(`first pass, ${loans} loans: events since deployment + reads (Multicall3)`, k, expectScanned);
  const steady = await timed(`steady pass, ${loans} healthy loans (Multicall3)`, k, expectScanned);
  const k2 = keeper(null);
  await k2.tick();
  await timed(`steady pass, ${loans} healthy loans (no Multicall3: concurrent eth_call)`, k2, expectScanned);

  await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('0.3')]);
  t0 = Date.now();
  let started = 0;
  let crash = 0;
  const startedOrder: bigint[] = [];
  for (let pass = 0; pass < 5 && started < loans; pass++) {
    const s = Date.now();
    const r = await k.tick();
    crash += (Date.now() - s) / 1000;
    started += r.started.length;
    startedOrder.push(...r.started);
  }
  if (started !== loans) throw new Error(`started ${started} of ${loans} auctions`);
  rows.push([`crash: ${loans} auction starts sent and mined (pipelined)`, `${crash.toFixed(2)} s`]);
  const principalOf = (id: bigint) => id % 6n;
  const sortedByDebt = startedOrder.every((id, i) => i === 0 || principalOf(startedOrder[i - 1]) >= principalOf(id));
  rows.push(['crash order: largest principal first', sortedByDebt ? 'yes' : 'NO']);
  rows.push(['bound: a pass over 1,000 loans', steady <= 5 ? `<= 5 s: met (${steady.toFixed(2)} s)` : `<= 5 s: MISSED (${steady.toFixed(2)} s)`]);
} finally {
  await anvil.stop();
}
const width = Math.max(...rows.map(([a]) => a.length));
for (const [a, b] of rows) console.log(`${a.padEnd(width)}  ${b}`);
