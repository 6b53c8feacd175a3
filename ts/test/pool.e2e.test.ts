// End to end on a real local chain: the compiled pool behind its proxy, driven through viem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, isAddressEqual, parseEther, parseEventLogs, type Address } from 'viem';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { connect, read, send, warp, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from './fixtures/protocol.js';

let anvil: Anvil;
let c: Chain;
let p: Protocol;
let lender: Address;
let borrower: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  c = await connect(anvil.rpcUrl);
  const [deployer, timelock, guardian, custody, liquidator, l, b] = c.accounts;
  lender = l;
  borrower = b;
  p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
  await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('30')]);
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

describe('LendingPool on anvil', () => {
  it('takes a deposit, lends against an ERC-721, accrues interest and returns the NFT on repayment', async () => {
    await send(c, lender, p.weth, p.abi.erc20, 'mint', [lender, parseEther('100')]);
    await send(c, lender, p.weth, p.abi.erc20, 'approve', [p.pool, parseEther('100')]);
    await send(c, lender, p.pool, p.abi.pool, 'deposit', [parseEther('100'), lender]);
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'totalAssets')).toBe(parseEther('100'));

    await send(c, borrower, p.apes, p.abi.erc721, 'mint', [borrower, 1n]);
    await send(c, borrower, p.apes, p.abi.erc721, 'setApprovalForAll', [p.pool, true]);
    const { hash } = await send(c, borrower, p.pool, p.abi.pool, 'borrow', [p.apes, 1n, 1n, parseEther('9'), borrower, 0n, []]);
    // The loan as mined (its `Borrow` event), not as simulated: anvil stamps blocks with the wall clock, so a
    // transaction mined a second after its simulation commits other start and due times.
    const receipt = await c.pub.getTransactionReceipt({ hash });
    const [borrowed] = parseEventLogs({ abi: p.abi.pool, logs: receipt.logs, eventName: 'Borrow' }) as unknown as {
      args: { loanId: bigint; loan: Record<string, unknown> };
    }[];
    const { loanId, loan } = borrowed.args;
    expect(loanId).toBe(1n);
    expect(isAddressEqual(await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [1n]), p.pool)).toBe(true);

    await warp(c, 30 * 24 * 3600);
    const debt = await read<bigint>(c, p.pool, p.abi.pool, 'debtOf', [loan]);
    expect(debt > parseEther('9')).toBe(true); // headroom for the repayment below; the exact figure is checked there

    await send(c, borrower, p.weth, p.abi.erc20, 'mint', [borrower, debt + parseEther('1')]);
    await send(c, borrower, p.weth, p.abi.erc20, 'approve', [p.pool, debt + parseEther('1')]);
    const repaid = await send(c, borrower, p.pool, p.abi.pool, 'repay', [loanId, loan, debt + parseEther('1')]);
    expect(isAddressEqual(await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [1n]), borrower)).toBe(true);

    // Exact: the debt paid is the principal grown at the kink rate over the seconds between the two mined blocks,
    // computed here from the rate configuration (index from 1e18, growth e^(r t) - 1 by three Taylor terms, each step
    // rounded as the pool documents: index and debt up), and lenders gain that interest less the reserve's share.
    const WAD = 10n ** 18n;
    const repayReceipt = await c.pub.getTransactionReceipt({ hash: repaid.hash });
    const [repayLog] = parseEventLogs({ abi: p.abi.pool, logs: repayReceipt.logs, eventName: 'LoanRepaid' }) as unknown as {
      args: { paid: bigint };
    }[];
    const t0 = (await c.pub.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    const t1 = (await c.pub.getBlock({ blockNumber: repayReceipt.blockNumber })).timestamp;
    // viem returns uint48 and smaller as numbers.
    const raw = await read<{ baseRate: number; slope1: number; slope2: number; kinkBps: number; reserveFactorBps: number }>(
      c, p.pool, p.abi.pool, 'rateConfig',
    );
    const rc = { baseRate: BigInt(raw.baseRate), slope1: BigInt(raw.slope1), slope2: BigInt(raw.slope2), kinkBps: raw.kinkBps, reserveFactorBps: raw.reserveFactorBps };
    const principal = parseEther('9');
    const cashAfterBorrow = parseEther('100') - principal;
    const u = (principal * WAD) / (cashAfterBorrow + principal);
    const kink = BigInt(rc.kinkBps) * 10n ** 14n;
    const rate = u <= kink ? rc.baseRate + (rc.slope1 * u) / kink : rc.baseRate + rc.slope1 + (rc.slope2 * (u - kink)) / (WAD - kink);
    const x = rate * (t1 - t0);
    const second = (x * x) / WAD / 2n;
    const growth = x + second + (second * x) / WAD / 3n;
    const index = WAD + (WAD * growth + WAD - 1n) / WAD;
    const expectedDebt = (principal * index + WAD - 1n) / WAD;
    expect(t1 - t0 >= 30n * 24n * 3600n).toBe(true);
    expect(repayLog.args.paid).toBe(expectedDebt);
    const interest = expectedDebt - principal;
    const toReserve = (interest * BigInt(rc.reserveFactorBps)) / 10_000n;
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'totalAssets')).toBe(parseEther('100') + interest - toReserve);
    expect(await read<bigint>(c, p.weth, p.abi.erc20, 'balanceOf', [borrower])).toBe(principal + debt + parseEther('1') - expectedDebt);
  });

  it('rejects a loan above the LTV with the named custom error', async () => {
    await send(c, borrower, p.apes, p.abi.erc721, 'mint', [borrower, 2n]);
    let name = '';
    try {
      await send(c, borrower, p.pool, p.abi.pool, 'borrow', [p.apes, 2n, 1n, parseEther('10'), borrower, 0n, []]);
    } catch (e) {
      const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
      name = revert instanceof ContractFunctionRevertedError ? (revert.data?.errorName ?? '') : '';
    }
    expect(name).toBe('ExceedsLtv');
    expect(isAddressEqual(await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [2n]), borrower)).toBe(true);
  });
});
