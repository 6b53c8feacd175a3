// The monitor's valuation-not-ok rule on the deployed protocol for the two outages ts/test/monitor.e2e.test.ts does not
// reach: a floor feed gone stale (FloorStale) and, on a valuation that reads an L2 sequencer-uptime feed, the sequencer
// down (SequencerDown). Each fires once after `forSec` of the status, not before (a near miss at 600 s of 900), and
// not again while it lasts. The sequencer feed is set at construction (an implementation immutable), so the test puts
// a Valuation built with one behind the deployed proxy (its EIP-1967 slot), linked to the deployed libraries.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAbiParameters, parseEther, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from 'viem';
import { foundry } from 'viem/chains';
import { localAccount, LOCAL_ROLES, type DeployResult } from '../deploy/deploy.js';
import { iValuationAdminAbi, localFloorFeedAbi } from '../generated/contracts.js';
import type { Alert } from '../monitor/channels.js';
import { parseConfig } from '../monitor/config.js';
import { Monitor } from '../monitor/monitor.js';
import { FileStore } from '../monitor/store.js';
import { localDeployment } from './fixtures/local-deployment.js';
import type { Send } from './fixtures/send.js';

const HOUR = 3600;
const IMPLEMENTATION_SLOT = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc';
let d: DeployResult;
let pub: PublicClient;
let wallet: WalletClient;
let send: Send;
let test: Awaited<ReturnType<typeof localDeployment>>['test'];
let monitor: Monitor;
const reporter = localAccount(LOCAL_ROLES.reporter);
const deployer = localAccount(20);

async function now() {
  return Number((await pub.getBlock()).timestamp);
}
async function warp(seconds: number) {
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}
/**
 * A sale of each collection reported now (keeps the TWAPs fresh) and their floor feeds updated, the apes' unless
 * `apesFeed` is false. The monitor watches every listed collection: the items stay Ok throughout.
 */
async function round(apesFeed = true) {
  const r = d.record;
  if (apesFeed) await send(reporter, r.feed721, localFloorFeedAbi, 'update', [parseEther('30')]);
  await send(reporter, r.feed1155, localFloorFeedAbi, 'update', [parseEther('1.5')]);
  const ts = BigInt(await now());
  await send(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection721, parseEther('30'), ts]);
  await send(reporter, r.valuation, iValuationAdminAbi, 'reportSale', [r.collection1155, parseEther('1.5'), ts]);
}
async function status(): Promise<number> {
  const [, s] = await pub.readContract({ address: d.record.valuation, abi: iValuationAdminAbi, functionName: 'priceView', args: [d.record.collection721] });
  return Number(s);
}
/** One monitor pass: the valuation-not-ok alerts it fired. */
async function pass(): Promise<Alert[]> {
  return (await monitor.pass()).alerts.filter((a) => a.rule === 'valuation-not-ok');
}

/** Deploys `contract` from out/ with its external libraries linked to `libraries` and `args` ABI-encoded. */
async function deployLinked(contract: string, libraries: Record<string, Address>, abiTypes: { type: string }[], args: unknown[]): Promise<Address> {
  const art = JSON.parse(readFileSync(`out/${contract}.sol/${contract}.json`, 'utf8'));
  let code: string = art.bytecode.object.slice(2);
  for (const [file, libs] of Object.entries(art.bytecode.linkReferences as Record<string, Record<string, { start: number; length: number }[]>>)) {
    for (const [name, refs] of Object.entries(libs)) {
      const at = libraries[`${file}:${name}`];
      if (!at) throw new Error(`no address for ${file}:${name}`);
      for (const ref of refs) code = code.slice(0, ref.start * 2) + at.slice(2).toLowerCase() + code.slice((ref.start + ref.length) * 2);
    }
  }
  const data = `0x${code}${encodeAbiParameters(abiTypes, args).slice(2)}` as Hex;
  const hash = await wallet.sendTransaction({ account: deployer, chain: foundry, data, gas: 15_000_000n });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploying ${contract} failed`);
  return receipt.contractAddress;
}

/** The addresses of the external libraries the deployed implementation at `impl` was linked to. */
async function linkedLibraries(contract: string, impl: Address): Promise<Record<string, Address>> {
  const art = JSON.parse(readFileSync(`out/${contract}.sol/${contract}.json`, 'utf8'));
  const runtime = (await pub.getCode({ address: impl }))!.slice(2);
  const out: Record<string, Address> = {};
  for (const [file, libs] of Object.entries(art.deployedBytecode.linkReferences as Record<string, Record<string, { start: number; length: number }[]>>)) {
    for (const [name, [ref]] of Object.entries(libs)) out[`${file}:${name}`] = `0x${runtime.slice(ref.start * 2, (ref.start + ref.length) * 2)}` as Address;
  }
  return out;
}

beforeAll(async () => {
  ({ d, pub, wallet, test, send } = await localDeployment());
  const r = d.record;
  await test.setBalance({ address: deployer.address, value: parseEther('100') });
  // The TWAP needs its minimum of sales: six rounds ten minutes apart.
  for (let i = 0; i < 6; i++) {
    await warp(600);
    await round();
  }
  expect(await status()).toBe(0);
  const config = parseConfig(JSON.stringify({ defaults: false, rules: [{ kind: 'valuation-not-ok', params: { forSec: 900 } }] }));
  const addrs = { pool: r.pool, auction: r.auction, valuation: r.valuation, traitPricer: r.traitPricer, timelock: r.timelock, collections: [r.collection721, r.collection1155] };
  monitor = new Monitor({
    pub, chainId: 31337, addrs, config, store: new FileStore(join(mkdtempSync(join(tmpdir(), 'monitor-val-')), 'state.json')),
    channels: new Map([['stdout', { name: 'stdout', send: async () => {} }]]), startBlock: 0n, confirmations: 0,
  });
  await monitor.init();
  expect(await pass()).toEqual([]);
}, 180_000);

afterAll(async () => {
  await d?.anvil?.stop();
});

describe('valuation-not-ok for a stale floor feed and a sequencer down', () => {
  it('FloorStale: fires once 900 s after the 1-day heartbeat ran out (not at 600 s), and not again; Ok again after a round', async () => {
    // Sales every 6 h keep the TWAP fresh while the floor feed publishes nothing: its last round goes stale 24 h on.
    const fed = await now();
    for (let i = 0; i < 3; i++) {
      await warp(6 * HOUR);
      await round(false);
    }
    await warp(fed + 24 * HOUR - (await now()) + 1);
    expect(await status()).toBe(4); // FloorStale
    expect(await pass(), 'stale for a second').toEqual([]);
    await warp(600);
    expect(await pass(), 'stale for 600 s').toEqual([]);
    await warp(360);
    const fired = await pass();
    expect(fired).toHaveLength(1);
    expect(fired[0].data).toMatchObject({ collection: d.record.collection721, status: 'FloorStale' });
    expect(fired[0].message).toMatch(/is FloorStale since .* \((9[6-9]\d|1\d{3}) s\)$/);
    await warp(600);
    expect(await pass(), 'still stale: no second alert').toEqual([]);
    await round();
    expect(await status()).toBe(0);
    expect(await pass()).toEqual([]);
  }, 120_000);

  it('SequencerDown: a valuation reading a sequencer-uptime feed fires once per collection 900 s after the sequencer went down, not at 600 s', async () => {
    const r = d.record;
    // An uptime feed saying "up since two days ago", and a Valuation implementation that reads it (one hour's grace).
    const aggregator = JSON.parse(readFileSync('out/MockAggregator.sol/MockAggregator.json', 'utf8'));
    const seqAbi = aggregator.abi as Abi;
    const hash = await wallet.deployContract({ abi: seqAbi, bytecode: aggregator.bytecode.object as Hex, args: [0], account: deployer, chain: foundry });
    const seq = (await pub.waitForTransactionReceipt({ hash })).contractAddress!;
    await send(deployer, seq, seqAbi, 'setAnswerAt', [0n, BigInt((await now()) - 48 * HOUR)]);
    const impl = await deployLinked('Valuation', await linkedLibraries('Valuation', r.valuationImpl), [{ type: 'address' }, { type: 'uint256' }], [seq, BigInt(HOUR)]);
    await test.setStorageAt({ address: r.valuation, index: IMPLEMENTATION_SLOT, value: `0x${impl.slice(2).toLowerCase().padStart(64, '0')}` });
    expect((await pub.readContract({ address: r.valuation, abi: [{ type: 'function', name: 'SEQUENCER_FEED', stateMutability: 'view', inputs: [], outputs: [{ type: 'address' }] }], functionName: 'SEQUENCER_FEED' })).toLowerCase()).toBe(seq.toLowerCase());
    // Past the rule's one-hour cooldown since the FloorStale alert (a repeat within it would be muted, by design).
    await warp(HOUR);
    await round();
    expect(await status()).toBe(0);
    expect(await pass(), 'sequencer up').toEqual([]);
    // The sequencer goes down.
    await send(deployer, seq, seqAbi, 'setAnswer', [1n]);
    await warp(1);
    expect(await status()).toBe(8); // SequencerDown
    expect(await pass(), 'down just now').toEqual([]);
    await warp(600);
    expect(await pass(), 'down for 600 s').toEqual([]);
    await warp(360);
    // The sequencer prices nothing: one alert per listed collection.
    const fired = await pass();
    expect(fired.map((a) => a.data.collection).sort()).toEqual([r.collection721, r.collection1155].sort());
    for (const a of fired) expect(a.data.status).toBe('SequencerDown');
    await warp(600);
    expect(await pass(), 'still down: no second alert').toEqual([]);
  }, 120_000);
});
