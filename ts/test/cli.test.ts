// The command-line convention of every command (issue 20), each spawned as a user would run it: --help prints the
// usage on stdout, exits 0 and does nothing else; an unknown flag or a missing value is one line on stderr and exit 2.
// "Nothing else" is observable: the environment points at an RPC that refuses connections and carries a key, so any
// command that went on to act would fail with status 1 (or, on the old code, deploy a whole system).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../lib/anvil.js';
import { parseCommand, redactIn, redactUrl, wantsHelp } from '../lib/cli.js';

interface Cmd {
  name: string;
  script: string;
  /** A command line whose last flag lacks its value, and the line that must say so. */
  missing: [string[], RegExp];
  /** What runs the script (default tsx). */
  runner?: 'bash';
}

const COMMANDS: Cmd[] = [
  { name: 'deploy', script: 'ts/deploy/deploy.ts', missing: [['--force=yes'], /^deploy: --force takes no value$/] },
  { name: 'verify', script: 'ts/deploy/verify.ts', missing: [['--record'], /^verify: --record needs a value$/] },
  { name: 'upgrade', script: 'ts/deploy/upgrade.ts', missing: [['execute', 'LendingPool', '--implementation'], /^upgrade: --implementation needs a value$/] },
  { name: 'layout-guard', script: 'ts/deploy/layout-guard.ts', missing: [['--abi'], /^layout-guard: missing <Contract> \[snapshot\.json\]/] },
  { name: 'keeper', script: 'ts/keeper/main.ts', missing: [['--pool'], /^keeper: --pool needs a value$/] },
  { name: 'build-tree', script: 'ts/pricer/build-tree.ts', missing: [['in.csv', '--out'], /^build-tree: --out needs a value$/] },
  { name: 'sign', script: 'ts/pricer/sign.ts', missing: [['root', '--chain-id'], /^sign: --chain-id needs a value$/] },
  { name: 'demo', script: 'ts/demo/main.ts', missing: [['--rpc-url'], /^demo: unknown argument --rpc-url/] },
  { name: 'bench', script: 'ts/bench/toolchain.ts', missing: [['extra'], /^bench: unexpected argument extra/] },
  { name: 'mutants', script: 'invariants/mutants/run.ts', missing: [['--only'], /^mutants: --only needs a value$/] },
  { name: 'oracle', script: 'ts/oracle/main.ts', missing: [['--deployment'], /^oracle: --deployment needs a value$/] },
  { name: 'monitor', script: 'ts/monitor/main.ts', missing: [['--once', '--config'], /^monitor: --config needs a value$/] },
  { name: 'status', script: 'ts/monitor/status.ts', missing: [['--port'], /^status: --port needs a value$/] },
  { name: 'indexer', script: 'ts/indexer/main.ts', missing: [['--rpc'], /^indexer: --rpc needs a value$/] },
  { name: 'indexer-bench', script: 'ts/bench/indexer.ts', missing: [['--sales'], /^indexer-bench: --sales needs a value$/] },
  { name: 'networks', script: 'subgraph/scripts/networks.ts', missing: [['--network'], /^networks: --network needs a value$/] },
  { name: 'abis', script: 'subgraph/scripts/abis.ts', missing: [['extra'], /^abis: unexpected argument extra/] },
  { name: 'fixtures', script: 'subgraph/scripts/fixtures.ts', missing: [['--out'], /^fixtures: --out needs a value$/] },
  // subgraph/scripts/build.sh (make subgraph): a flag is not a network name, and it builds one network.
  { name: 'subgraph', script: 'subgraph/scripts/build.sh', runner: 'bash', missing: [['local', 'extra'], /^subgraph: unexpected argument extra/] },
  { name: 'replica-anvil', script: 'test/fork/replica-anvil.sh', runner: 'bash', missing: [['extra'], /^replica-anvil: unexpected argument extra/] },
];

let deadRpc = '';
async function env(): Promise<NodeJS.ProcessEnv> {
  if (!deadRpc) deadRpc = `http://127.0.0.1:${await freePort()}/v2/secret-api-key`;
  return {
    ...process.env,
    RPC_URL: deadRpc,
    CHAIN_ID: '31337',
    DEPLOYER_PRIVATE_KEY: `0x${'11'.repeat(32)}`,
    KEEPER_PRIVATE_KEY: `0x${'11'.repeat(32)}`,
    SIGNER_PRIVATE_KEY: `0x${'11'.repeat(32)}`,
    ORACLE_REPORTER_PRIVATE_KEY: `0x${'11'.repeat(32)}`,
    NO_COLOR: '1',
  };
}

function run(script: string, args: string[], e: NodeJS.ProcessEnv, runner?: 'bash'): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const child = spawn(runner ?? 'node_modules/.bin/tsx', [script, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      ok({ code, out, err });
    });
  });
}

// Concurrent: each case is a process start (tsx + viem, ~1-2 s of CPU); there are 52 of them.
describe.concurrent('every command follows the command-line convention', () => {
  it.each(COMMANDS)('$name: --help prints the usage on stdout, exits 0 and does nothing else', async ({ script, runner }) => {
    const cwdBefore = readdirSync('.').sort();
    const r = await run(script, ['--help'], await env(), runner);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: /);
    expect(r.out).toContain('--help');
    expect(readdirSync('.').sort()).toEqual(cwdBefore);
  });

  it.each(COMMANDS)('$name: an unknown flag is one line on stderr, exit 2', async ({ name, script, runner }) => {
    const r = await run(script, ['--bogus'], await env(), runner);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${name}: unknown argument --bogus (--help lists the options)\n`);
  });

  it.each(COMMANDS)('$name: a flag without its value (or a missing argument) is one line on stderr, exit 2', async ({ script, runner, missing: [args, line] }) => {
    const r = await run(script, args, await env(), runner);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(line);
  });

  it('a key on the command line is refused before anything runs', async () => {
    const r = await run('ts/deploy/verify.ts', ['--private-key', `0x${'22'.repeat(32)}`], await env());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^verify: refusing --private-key: keys are never read from argv/);
  });
});

describe('the shared parser and redaction', () => {
  const spec = { name: 'x', usage: 'usage: x', options: { pool: { type: 'string' as const }, once: { type: 'boolean' as const } } };

  it('parses strictly and says what is wrong in one line', () => {
    expect(parseCommand(['--pool', 'a', '--once'], spec).values).toEqual({ pool: 'a', once: true });
    expect(() => parseCommand(['--pool', '--once'], spec)).toThrow('--pool needs a value');
    expect(() => parseCommand(['--once=1'], spec)).toThrow('--once takes no value');
    expect(() => parseCommand(['stray'], spec)).toThrow('unexpected argument stray (--help lists the options)');
    expect(() => parseCommand(['-x'], spec)).toThrow('unknown argument -x (--help lists the options)');
    expect(() => parseCommand(['--mnemonic=a b c'], spec)).toThrow(/^refusing --mnemonic: keys are never read from argv/);
  });

  it('finds --help anywhere before a -- terminator', () => {
    expect(wantsHelp(['--pool', 'a', '-h'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['--helpful'])).toBe(false);
  });

  it('redacts credentials in the user-info, path and query of an RPC URL', () => {
    expect(redactUrl('https://user:pa55word@rpc.example:8545/v2/KEY123456?apikey=QUERYKEY')).toBe('https://rpc.example:8545');
    expect(redactUrl('not a url')).toBe('<RPC_URL>');
    const url = 'https://eth.example/v3/0123456789abcdef';
    const text = `error sending request for url (${url}): refused; path /v3/0123456789abcdef`;
    const out = redactIn(text, url);
    expect(out).not.toContain('0123456789abcdef');
    expect(out).toContain('https://eth.example');
  });

  it('make demo with RPC_URL refuses anything but an anvil, in one line saying what it needs', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'Geth/v1.14.0-stable/linux-amd64/go1.22' }));
      });
    });
    const port = await freePort();
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
    try {
      const r = await run('ts/demo/main.ts', [], { ...(await env()), RPC_URL: `http://127.0.0.1:${port}/v2/secret-api-key` });
      expect(r.code).toBe(1);
      expect(r.err).toBe(`demo failed: http://127.0.0.1:${port} is Geth/v1.14.0-stable/linux-amd64/go1.22: RPC_URL must be a plain anvil with its default dev mnemonic (the demo sends from its dev accounts and moves chain time); unset RPC_URL to use an embedded one\n`);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('no command prints the URL credentials when the RPC is unreachable', async () => {
    const e = await env();
    const dir = mkdtempSync(join(tmpdir(), 'cli-verify-'));
    const r = await run('ts/deploy/verify.ts', [], { ...e, RPC_URL: deadRpc });
    expect(r.code).toBe(1);
    expect(r.out + r.err).not.toContain('secret-api-key');
    expect(r.err).toMatch(/^verify failed: cannot reach the RPC at http:\/\/127\.0\.0\.1:\d+\n$/);
    const u = await run('ts/deploy/upgrade.ts', ['execute', 'LendingPool', '--implementation', `0x${'33'.repeat(20)}`], { ...e, RPC_URL: deadRpc });
    expect(u.code).toBe(1);
    expect(u.out + u.err).not.toContain('secret-api-key');
    expect(dir).toBeTruthy();
  });
});
