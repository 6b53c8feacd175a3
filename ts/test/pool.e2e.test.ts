// End to end on a real local chain: the compiled pool behind its proxy, driven through viem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, isAddressEqual, parseEther, parseEventLogs, type Address } from 'viem';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { connect, read, send, warp, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from '../lib/protocol.js';

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
    expect(debt > parseEther('9')).toBe(true);

    await send(c, borrower, p.weth, p.abi.erc20, 'mint', [borrower, debt]);
    await send(c, borrower, p.weth, p.abi.erc20, 'approve', [p.pool, debt + parseEther('1')]);
    await send(c, borrower, p.pool, p.abi.pool, 'repay', [loanId, loan, debt + parseEther('1')]);
    expect(isAddressEqual(await read<Address>(c, p.apes, p.abi.erc721, 'ownerOf', [1n]), borrower)).toBe(true);
    expect(await read<bigint>(c, p.pool, p.abi.pool, 'totalAssets') > parseEther('100')).toBe(true);
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
