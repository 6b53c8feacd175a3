// viem clients over one RPC: public, wallet (anvil's unlocked accounts or a key from the environment) and test.
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type TestClient,
  type WalletClient,
} from 'viem';
import { foundry } from 'viem/chains';
import { loadArtifact } from './artifacts.js';

export interface Chain {
  rpcUrl: string;
  pub: PublicClient;
  wallet: WalletClient;
  test: TestClient;
  accounts: Address[];
}

export async function connect(rpcUrl: string): Promise<Chain> {
  const transport = http(rpcUrl, { timeout: 30_000 });
  const pub = createPublicClient({ chain: foundry, transport });
  const wallet = createWalletClient({ chain: foundry, transport });
  const test = createTestClient({ chain: foundry, mode: 'anvil', transport });
  const accounts = await wallet.getAddresses();
  return { rpcUrl, pub, wallet, test, accounts };
}

/** Deploys `contract` from its forge artifact and waits for the receipt; throws one clear line on failure. */
export async function deploy(c: Chain, from: Address, contract: string, args: unknown[] = [], file?: string): Promise<Address> {
  const { abi, bytecode } = loadArtifact(contract, file);
  const hash = await c.wallet.deployContract({ abi, bytecode, args, account: from, chain: c.wallet.chain });
  const receipt = await c.pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploying ${contract} failed (${hash})`);
  return receipt.contractAddress;
}

/** Sends one transaction and waits for it; simulates first so a revert surfaces with its decoded error. */
export async function send(
  c: Chain,
  from: Address,
  address: Address,
  abi: Abi,
  functionName: string,
  args: unknown[] = [],
): Promise<{ hash: Hex; gasUsed: bigint; result: unknown }> {
  const { request, result } = await c.pub.simulateContract({ address, abi, functionName, args, account: from });
  // A 25 % gas margin: the estimate is taken against the latest block, and a transaction mined a second later can
  // take another path (interest accrues once per timestamp), which ran out of gas now and then with the bare estimate.
  const gas = await c.pub.estimateContractGas({ address, abi, functionName, args, account: from });
  const hash = await c.wallet.writeContract({ ...request, gas: (gas * 5n) / 4n });
  const receipt = await c.pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${functionName} reverted on chain (${hash})`);
  return { hash, gasUsed: receipt.gasUsed, result };
}

export async function read<T>(c: Chain, address: Address, abi: Abi, functionName: string, args: unknown[] = []): Promise<T> {
  return (await c.pub.readContract({ address, abi, functionName, args })) as T;
}

export async function warp(c: Chain, seconds: number): Promise<void> {
  await c.test.increaseTime({ seconds });
  await c.test.mine({ blocks: 1 });
}
