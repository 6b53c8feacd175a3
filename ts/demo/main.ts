// The main job: start a local chain, deploy the protocol, and drive a real lending scenario through it with
// progress output, ending in a summary table. `make demo` runs it; RPC_URL points it at another chain (with
// unlocked accounts) instead of the embedded anvil.
import { formatEther, isAddressEqual, parseEther, type Address } from 'viem';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { connect, read, send, warp, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from '../lib/protocol.js';

const DAY = 24 * 3600;
const step = (n: number, msg: string) => console.log(`[${n}] ${msg}`);
const eth = (x: bigint) => Number(formatEther(x)).toFixed(4);

async function main() {
  if (!existsSync('out/LendingPool.sol/LendingPool.json')) {
    console.log('building contracts (first run)...');
    execFileSync('bin/forge', ['build'], { stdio: 'inherit' });
  }
  let anvil: Anvil | undefined;
  const rpcUrl = process.env.RPC_URL ?? (anvil = await startAnvil()).rpcUrl;
  try {
    const c = await connect(rpcUrl);
    if (c.accounts.length < 9) throw new Error(`the chain at ${rpcUrl} exposes ${c.accounts.length} unlocked accounts; 9 are needed`);
    const [deployer, timelock, guardian, custody, liquidator, lp1, lp2, alice, bob] = c.accounts;
    step(1, `chain ${await c.pub.getChainId()} at ${rpcUrl}${anvil ? ' (embedded anvil)' : ''}`);
    const p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
    step(2, `deployed: pool ${p.pool}, WETH ${p.weth}, ERC-721 ${p.apes}, ERC-1155 ${p.items}, valuation ${p.valuation}`);
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('30')]);
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.items, parseEther('1.5')]);

    for (const [lp, amount] of [[lp1, '120'], [lp2, '80']] as [Address, string][]) {
      await fund(c, p, lp, parseEther(amount));
      await send(c, lp, p.pool, p.abi.pool, 'deposit', [parseEther(amount), lp]);
    }
    step(3, `two lenders deposited 200 WETH; share price ${await sharePrice(c, p)}`);

    await send(c, alice, p.apes, p.abi.erc721, 'mint', [alice, 42n]);
    await send(c, alice, p.apes, p.abi.erc721, 'setApprovalForAll', [p.pool, true]);
    const a = await send(c, alice, p.pool, p.abi.pool, 'borrow', [p.apes, 42n, 1n, parseEther('9'), alice, 0n, []]);
    const [aliceId, aliceLoan] = a.result as [bigint, unknown];
    step(4, `alice borrowed 9 WETH against ERC-721 #42 (loan ${aliceId}, gas ${a.gasUsed})`);

    await send(c, bob, p.items, p.abi.erc1155, 'mint', [bob, 7n, 20n]);
    await send(c, bob, p.items, p.abi.erc1155, 'setApprovalForAll', [p.pool, true]);
    const b = await send(c, bob, p.pool, p.abi.pool, 'borrow', [p.items, 7n, 20n, parseEther('9.5'), bob, 0n, []]);
    const [bobId, bobLoan] = b.result as [bigint, unknown];
    step(5, `bob borrowed 9.5 WETH against 20 units of ERC-1155 id 7 (loan ${bobId}, gas ${b.gasUsed})`);

    const [rate, util] = await read<[bigint, bigint]>(c, p.pool, p.abi.pool, 'borrowRate');
    step(6, `utilisation ${(Number(util) / 1e16).toFixed(2)} %, borrow rate ${(Number(rate * 31_536_000n) / 1e16).toFixed(2)} % APR`);

    await warp(c, 20 * DAY);
    const aliceDebt = await read<bigint>(c, p.pool, p.abi.pool, 'debtOf', [aliceLoan]);
    step(7, `20 days later alice owes ${eth(aliceDebt)} WETH; share price ${await sharePrice(c, p)}`);

    await fund(c, p, bob, 0n);
    const r = await send(c, bob, p.pool, p.abi.pool, 'repay', [bobId, bobLoan, parseEther('4')]);
    const [, bobLoan2] = r.result as [bigint, unknown];
    step(8, `bob repaid 4 WETH (partial; gas ${r.gasUsed}); he still owes ${eth(await read<bigint>(c, p.pool, p.abi.pool, 'debtOf', [bobLoan2]))} WETH`);

    await fund(c, p, alice, aliceDebt);
    const f = await send(c, alice, p.pool, p.abi.pool, 'repay', [aliceId, aliceLoan, aliceDebt + parseEther('1')]);
    const owner = await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [42n]);
    step(9, `alice repaid in full (gas ${f.gasUsed}); ERC-721 #42 is back with ${isAddressEqual(owner, alice) ? 'alice' : owner}`);

    await send(c, guardian, p.pool, p.abi.pool, 'pauseBorrows');
    step(10, 'guardian paused new borrows; repayment and withdrawal stay open');
    const lp2Shares = await read<bigint>(c, p.pool, p.abi.pool, 'balanceOf', [lp2]);
    const w = await send(c, lp2, p.pool, p.abi.pool, 'redeem', [lp2Shares / 2n, lp2, lp2]);
    step(11, `lp2 redeemed half its shares for ${eth(w.result as bigint)} WETH while borrows are paused`);

    const [badTotal] = await read<[bigint, bigint]>(c, p.pool, p.abi.pool, 'badDebt');
    const rows: [string, string][] = [
      ['pool assets (WETH)', eth(await read<bigint>(c, p.pool, p.abi.pool, 'totalAssets'))],
      ['idle cash (WETH)', eth(await read<bigint>(c, p.pool, p.abi.pool, 'cash'))],
      ['live debt (WETH)', eth(await read<bigint>(c, p.pool, p.abi.pool, 'totalDebt'))],
      ['share price (WETH per 1e24 shares)', await sharePrice(c, p)],
      ['open loans', '1 (bob)'],
      ['first-loss reserve (WETH)', eth(await read<bigint>(c, p.pool, p.abi.pool, 'reserve'))],
      ['bad debt written off (WETH)', eth(badTotal)],
    ];
    console.log('\nsummary');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(36)} ${v}`);
    console.log('\nliquidation (Dutch auction) and Safe -> timelock governance join this scenario as those modules land.');
  } finally {
    await anvil?.stop();
  }
}

async function fund(c: Chain, p: Protocol, who: Address, amount: bigint) {
  await send(c, who, p.weth, p.abi.erc20, 'mint', [who, amount]);
  await send(c, who, p.weth, p.abi.erc20, 'approve', [p.pool, 2n ** 255n]);
}

async function sharePrice(c: Chain, p: Protocol): Promise<string> {
  return eth(await read<bigint>(c, p.pool, p.abi.pool, 'convertToAssets', [10n ** 24n]));
}

main().catch((e) => {
  const msg = e instanceof Error ? (e as { shortMessage?: string }).shortMessage ?? e.message : String(e);
  console.error(`demo failed: ${msg.replace(/\s+/g, ' ').trim()}`);
  process.exit(1);
});
