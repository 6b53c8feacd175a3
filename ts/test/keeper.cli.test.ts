// The keeper's command line: strict arguments, keys only from the environment or a keystore, one clear line for bad
// input, and a real run against an RPC (an embedded anvil) both in-process and as the `tsx ts/keeper/main.ts` program.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type Anvil } from '../lib/anvil.js';
import { deployAuction, type AuctionModule } from './fixtures/auction.js';
import { connect, send, type Chain } from '../lib/chain.js';
import { deployProtocol, type Protocol } from './fixtures/protocol.js';
import { decryptKeystore as decrypt, roleAccount } from '../lib/keys.js';
import { main, parseArgs, UsageError } from '../keeper/main.js';

const accountFromEnv = (env: NodeJS.ProcessEnv) => roleAccount(env, 'KEEPER');
const decryptKeystore = (json: string, password: string) => decrypt(json, password, 'KEEPER_KEYSTORE');

const POOL = '0x00000000000000000000000000000000000000aa';

/** Runs `main` in-process and returns its exit status and every line it wrote. */
async function run(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('keeper arguments', () => {
  it('parses every option strictly', () => {
    const o = parseArgs(['--pool', POOL, '--from-block=12', '--interval', '5', '--cooldown', '0', '--min-profit-wei', '1000', '--confirmations', '2', '--no-buy', '--once', '--checkpoint-rounds', '4', '--revert-checkpoint', '900']);
    expect(o).toMatchObject({ fromBlock: 12n, intervalSec: 5, cooldownSec: 0, minProfitWei: 1000n, confirmations: 2, buy: false, checkpoint: true, checkpointRounds: 4, revertCheckpointSec: 900, once: true });
    const off = parseArgs(['--pool', POOL, '--no-checkpoint']);
    expect([off.checkpoint, off.checkpointRounds]).toEqual([false, undefined]);
    expect(o.pool.toLowerCase()).toBe(POOL);
    expect(parseArgs(['--pool', POOL])).toMatchObject({ intervalSec: 15, cooldownSec: 60, minProfitWei: 0n, buy: true, checkpoint: true, once: false });
    expect(parseArgs(['--pool', POOL]).checkpointRounds).toBeUndefined();
  });

  it.each([
    [['--once'], '--pool <address> is required'],
    [['--pool', '0x1234'], '--pool: 0x1234 is not an address'],
    [['--pool', POOL, '--interval', '0'], '--interval: 0 is not a number of seconds >= 1'],
    [['--pool', POOL, '--min-profit-wei', '0.5'], '--min-profit-wei: 0.5 is not a non-negative integer'],
    [['--pool', POOL, '--from-block'], '--from-block needs a value'],
    [['--pool', POOL, '--auction', '--once'], '--auction needs a value'],
    [['--pool', POOL, '--fast'], 'unknown argument --fast (--help lists the options)'],
    [['--pool', POOL, '--log-chunk', '0'], '--log-chunk: must be at least 1'],
    [['--pool', POOL, '--checkpoint-rounds', '16'], '--checkpoint-rounds: 16 is not from 1 to 15 (the valuation reads 16 rounds back)'],
    [['--pool', POOL, '--checkpoint-rounds', '0'], '--checkpoint-rounds: 0 is not from 1 to 15 (the valuation reads 16 rounds back)'],
    [['--pool', POOL, '--checkpoint-rounds', '4', '--no-checkpoint'], '--checkpoint-rounds and --no-checkpoint are alternatives: give one'],
    [['--pool', POOL, '--revert-checkpoint', '59'], '--revert-checkpoint: 59 is below 60 seconds'],
    [['--pool', POOL, '--revert-checkpoint', '1.5'], '--revert-checkpoint: 1.5 is not a non-negative integer'],
    [['--pool', POOL, '--revert-checkpoint', '600', '--no-checkpoint'], '--revert-checkpoint and --no-checkpoint are alternatives: give one'],
    [['--pool', POOL, '--native-price-feed', '0x12'], '--native-price-feed: 0x12 is not an address'],
    [['--pool', POOL, '--asset-per-native-wad', '1', '--native-price-feed', POOL], '--asset-per-native-wad and --native-price-feed are alternatives: give one'],
  ])('rejects %j with one clear line', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(new UsageError(message));
  });

  it('refuses a key on the command line, in any form', () => {
    const key = generatePrivateKey();
    for (const argv of [['--pool', POOL, '--private-key', key], ['--pool', POOL, `--private-key=${key}`], ['--pool', POOL, key], ['--pool', POOL, key.slice(2)]]) {
      expect(() => parseArgs(argv)).toThrow(/^refusing a key on the command line/);
    }
  });
});

describe('keeper keys', () => {
  it('reads a raw key from the environment or a file, and says what is wrong with a bad one', () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    expect(accountFromEnv({ KEEPER_PRIVATE_KEY: key })?.address).toBe(address);
    const dir = mkdtempSync(join(tmpdir(), 'keeper-'));
    writeFileSync(join(dir, 'key'), `${key.slice(2)}\n`);
    expect(accountFromEnv({ KEEPER_KEY_FILE: join(dir, 'key') })?.address).toBe(address);
    expect(accountFromEnv({})).toBeNull();
    expect(() => accountFromEnv({ KEEPER_PRIVATE_KEY: '0x1234' })).toThrow('KEEPER_PRIVATE_KEY must be 32 bytes of hex');
    expect(() => accountFromEnv({ KEEPER_KEY_FILE: join(dir, 'missing') })).toThrow(/^KEEPER_KEY_FILE: cannot read .*missing \(ENOENT\)$/);
  });

  it('decrypts a keystore written by cast, and tells a wrong password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keeper-ks-'));
    const printed = execFileSync('bin/cast', ['wallet', 'new', dir, 'keeper', '--unsafe-password', 'correct horse'], { encoding: 'utf8' });
    const expected = /Address:\s+(0x[0-9a-fA-F]{40})/.exec(printed)![1];
    const file = join(dir, readdirSync(dir)[0]);
    writeFileSync(join(dir, 'pw'), 'correct horse\n');
    expect(accountFromEnv({ KEEPER_KEYSTORE: file, KEEPER_KEYSTORE_PASSWORD: 'correct horse' })?.address).toBe(expected);
    expect(accountFromEnv({ KEEPER_KEYSTORE: file, KEEPER_KEYSTORE_PASSWORD_FILE: join(dir, 'pw') })?.address).toBe(expected);
    expect(() => decryptKeystore(readFileSync(file, 'utf8'), 'wrong')).toThrow('KEEPER_KEYSTORE: wrong password (or a corrupt keystore)');
    expect(() => accountFromEnv({ KEEPER_KEYSTORE: file })).toThrow('KEEPER_KEYSTORE needs KEEPER_KEYSTORE_PASSWORD or KEEPER_KEYSTORE_PASSWORD_FILE');
    expect(() => decryptKeystore('{"version":1}', 'x')).toThrow('KEEPER_KEYSTORE is not a version-3 keystore');
  });
});

describe('keeper program', () => {
  let anvil: Anvil;
  let c: Chain;
  let p: Protocol;
  let m: AuctionModule;
  const key = generatePrivateKey();
  const keeperAddress = privateKeyToAccount(key).address;

  beforeAll(async () => {
    anvil = await startAnvil();
    c = await connect(anvil.rpcUrl);
    const [deployer, timelock, guardian, custody, liquidator, lender, borrower] = c.accounts;
    p = await deployProtocol(c, { deployer, timelock, guardian, custody, liquidator });
    m = await deployAuction(c, p, { deployer, timelock, guardian });
    await c.test.setBalance({ address: keeperAddress, value: parseEther('10') });
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('30')]);
    await send(c, lender, p.weth, p.abi.erc20, 'mint', [lender, parseEther('100')]);
    await send(c, lender, p.weth, p.abi.erc20, 'approve', [p.pool, parseEther('100')]);
    await send(c, lender, p.pool, p.abi.pool, 'deposit', [parseEther('100'), lender]);
    for (const id of [1n, 2n]) {
      await send(c, borrower, p.apes, p.abi.erc721, 'mint', [borrower, id]);
      await send(c, borrower, p.apes, p.abi.erc721, 'setApprovalForAll', [p.pool, true]);
      await send(c, borrower, p.pool, p.abi.pool, 'borrow', [p.apes, id, 1n, parseEther(id === 1n ? '9' : '3'), borrower, 0n, []]);
    }
    await send(c, deployer, p.valuation, p.abi.valuation, 'setPrice', [p.apes, parseEther('15')]);
  }, 120_000);

  afterAll(async () => {
    await anvil?.stop();
  });

  it.each([
    [{}, ['--pool', POOL], 'keeper: RPC_URL is not set'],
    [{ RPC_URL: 'localhost:8545' }, ['--pool', POOL], 'keeper: RPC_URL must be an http(s):// or ws(s):// URL'],
    [{ RPC_URL: 'http://127.0.0.1:1' }, ['--pool', POOL], /^keeper: no signing key: set KEEPER_PRIVATE_KEY/],
    [{ RPC_URL: 'http://127.0.0.1:1', KEEPER_PRIVATE_KEY: 'nothex' }, ['--pool', POOL], 'keeper: KEEPER_PRIVATE_KEY must be 32 bytes of hex'],
    [{ RPC_URL: 'http://127.0.0.1:1', KEEPER_UNLOCKED_ACCOUNT: '0x12' }, ['--pool', POOL], 'keeper: KEEPER_UNLOCKED_ACCOUNT: 0x12 is not an address'],
  ] as [NodeJS.ProcessEnv, string[], string | RegExp][])('bad input %j exits 2 with one line', async (env, argv, message) => {
    const r = await run(argv, env);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
  });

  it('an unreachable RPC exits 1 with one line that does not leak the URL', async () => {
    const r = await run(['--pool', POOL], { RPC_URL: 'http://user:secret@127.0.0.1:1/v3/apikey', KEEPER_PRIVATE_KEY: key });
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^keeper: cannot reach the RPC at http:\/\/127\.0\.0\.1:1 /);
    expect(r.err[0]).not.toMatch(/secret|apikey/);
  });

  it('checks the addresses it is given against the chain', async () => {
    const env = { RPC_URL: anvil.rpcUrl, KEEPER_PRIVATE_KEY: key };
    let r = await run(['--pool', POOL, '--once'], env);
    expect([r.code, r.err]).toEqual([2, [`keeper: no contract at --pool ${getAddress(POOL)} on chain 31337`]]);
    r = await run(['--pool', p.weth, '--once'], env);
    expect([r.code, r.err[0]]).toEqual([2, `keeper: --pool ${getAddress(p.weth)} does not answer liquidator(): not a lending pool`]);
    r = await run(['--pool', p.pool, '--auction', p.valuation, '--once'], env);
    expect([r.code, r.err[0]]).toEqual([2, `keeper: ${getAddress(p.valuation)} does not answer pool(): not an auction module`]);
  });

  it('runs one tick against the RPC with a key from the environment', async () => {
    const r = await run(['--pool', p.pool, '--once', '--from-block', '0'], { RPC_URL: anvil.rpcUrl, KEEPER_PRIVATE_KEY: key });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`keeper ${keeperAddress} on chain 31337 at ${anvil.rpcUrl}: pool ${getAddress(p.pool)}, auction ${getAddress(m.auction)}, cooldown 60 s, min profit 0 wei`);
    expect(r.out.at(-1)).toBe('tick: 2 loans, started 1, bought -, settled -, skipped 1');
    expect(r.out.some((l) => /loan 2: skipped, healthy/.test(l))).toBe(true);
  });

  it('starts at the deployment record\'s block, never at block 0 by default, and writes its metrics', async () => {
    const env = { RPC_URL: anvil.rpcUrl, KEEPER_PRIVATE_KEY: key };
    const dir = mkdtempSync(join(tmpdir(), 'keeper-rec-'));
    const missing = join(dir, 'none.json');
    let r = await run(['--pool', p.pool, '--once', '--deployment', missing], env);
    expect([r.code, r.err]).toEqual([2, [`keeper: no start block: give --from-block, a --state-file with a cursor, or a deployment record (${missing} does not exist)`]]);
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ pool: m.auction, startBlock: 1 }));
    r = await run(['--pool', p.pool, '--once', '--deployment', other], env);
    expect([r.code, r.err]).toEqual([2, [`keeper: ${other} records pool ${getAddress(m.auction)}, not ${getAddress(p.pool)}: give --from-block`]]);
    // The record's block is after the loans were opened: the keeper reads from there, so it sees none of them.
    const record = join(dir, '31337.json');
    writeFileSync(record, JSON.stringify({ pool: p.pool, startBlock: Number(await c.pub.getBlockNumber({ cacheTime: 0 })) + 1 }));
    const metrics = join(dir, 'keeper.prom');
    r = await run(['--pool', p.pool, '--once', '--no-buy', '--deployment', record, '--metrics-file', metrics], env);
    expect(r.err).toEqual([]);
    expect([r.code, r.out.at(-1)]).toEqual([0, 'tick: 0 loans, started -, bought -, settled -, skipped 0']);
    const prom = readFileSync(metrics, 'utf8');
    expect(prom).toMatch(/^keeper_sync_failures 0$/m);
    expect(prom).toMatch(/^keeper_lag_blocks 0$/m);
    expect(prom).toMatch(/^keeper_tick_failures_total 0$/m);
  });

  it('runs as a program: tsx ts/keeper/main.ts', () => {
    const res = spawnSync('node_modules/.bin/tsx', ['ts/keeper/main.ts', '--pool', p.pool, '--once', '--no-buy', '--from-block', '0'], {
      env: { ...process.env, RPC_URL: anvil.rpcUrl, KEEPER_PRIVATE_KEY: key },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    // Loan 1's auction runs (started by the previous test), loan 2 is healthy: nothing to do.
    expect(res.stdout).toMatch(/buying off/);
    expect(res.stdout.trim().split('\n').at(-1)).toBe('tick: 2 loans, started -, bought -, settled -, skipped 2');
    const bad = spawnSync('node_modules/.bin/tsx', ['ts/keeper/main.ts', '--pool', p.pool, '--private-key', key], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^keeper: refusing a key on the command line/);
  });
});
