// Drives a Safe 1.4.1 from TypeScript: the owners sign the Safe's own transaction hash (read from the Safe, so the
// EIP-712 domain is the Safe's), the signatures are sorted by owner address, and any account relays execTransaction.
// The same steps as script/lib/SafeOps.sol, for the demo and the end-to-end tests.
import { encodeFunctionData, type Abi, type Address, type Hex, type PublicClient, type WalletClient, zeroAddress, concat } from 'viem';
import type { LocalAccount } from 'viem/accounts';
import { iSafeAbi, timelockControllerAbi } from '../generated/contracts.js';

export interface SafeHandle {
  address: Address;
  owners: LocalAccount[];
}

/** Signatures of `owners` over the Safe transaction hash, sorted by owner address, 65 bytes each. */
export async function signSafeTx(pub: PublicClient, safe: Address, to: Address, data: Hex, owners: LocalAccount[]): Promise<Hex> {
  const nonce = await pub.readContract({ address: safe, abi: iSafeAbi, functionName: 'nonce' });
  const hash = await pub.readContract({
    address: safe,
    abi: iSafeAbi,
    functionName: 'getTransactionHash',
    args: [to, 0n, data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, nonce],
  });
  const sorted = [...owners].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = await Promise.all(
    sorted.map((o) => {
      if (!o.sign) throw new Error(`owner ${o.address} cannot sign raw hashes`);
      return o.sign({ hash });
    }),
  );
  return concat(sigs);
}

/** The Safe calls `to` with `data`; `relayer` sends the transaction. Throws when it reverts. */
export async function safeExec(
  pub: PublicClient,
  wallet: WalletClient,
  relayer: Address,
  safe: SafeHandle,
  to: Address,
  data: Hex,
): Promise<Hex> {
  const signatures = await signSafeTx(pub, safe.address, to, data, safe.owners);
  const { request } = await pub.simulateContract({
    address: safe.address,
    abi: iSafeAbi,
    functionName: 'execTransaction',
    args: [to, 0n, data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, signatures],
    account: relayer,
  });
  const hash = await wallet.writeContract({ ...request, account: relayer, chain: wallet.chain });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`Safe transaction to ${to} reverted (${hash})`);
  return hash;
}

/** A call the timelock will make: target, calldata, salt. */
export interface TimelockCall {
  target: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  salt: Hex;
}

function encoded(call: TimelockCall): Hex {
  return encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args });
}

/** The timelock operation id of `call` (no predecessor). */
export async function operationId(pub: PublicClient, timelock: Address, call: TimelockCall): Promise<Hex> {
  return pub.readContract({
    address: timelock,
    abi: timelockControllerAbi,
    functionName: 'hashOperation',
    args: [call.target, 0n, encoded(call), `0x${'00'.repeat(32)}`, call.salt],
  });
}

/** Safe -> timelock.schedule(call) with the timelock's minimum delay. Returns the operation id. */
export async function proposeViaSafe(
  pub: PublicClient,
  wallet: WalletClient,
  relayer: Address,
  safe: SafeHandle,
  timelock: Address,
  call: TimelockCall,
): Promise<Hex> {
  const delay = await pub.readContract({ address: timelock, abi: timelockControllerAbi, functionName: 'getMinDelay' });
  const data = encodeFunctionData({
    abi: timelockControllerAbi,
    functionName: 'schedule',
    args: [call.target, 0n, encoded(call), `0x${'00'.repeat(32)}`, call.salt, delay],
  });
  await safeExec(pub, wallet, relayer, safe, timelock, data);
  return operationId(pub, timelock, call);
}

/** Safe -> timelock.execute(call). Reverts (inside the Safe) before the delay has passed. */
export async function executeViaSafe(
  pub: PublicClient,
  wallet: WalletClient,
  relayer: Address,
  safe: SafeHandle,
  timelock: Address,
  call: TimelockCall,
): Promise<Hex> {
  const data = encodeFunctionData({
    abi: timelockControllerAbi,
    functionName: 'execute',
    args: [call.target, 0n, encoded(call), `0x${'00'.repeat(32)}`, call.salt],
  });
  return safeExec(pub, wallet, relayer, safe, timelock, data);
}
