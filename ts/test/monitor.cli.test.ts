// The monitor's command line against a deployed protocol on anvil: bad input ends with one line and a non-zero
// status; --once exits 3 when alerts fired and 0 when not; a webhook (a local HTTP server) receives the alerts, is
// retried with back-off while it fails, and a restart (file or Redis checkpoint, even one lost in a crash after the
// delivery) never sends an alert twice.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResult } from '../deploy/deploy.js';
import { writeRecord } from '../deploy/record.js';
import { freePort } from '../lib/anvil.js';
import { openKv } from '../lib/kv.js';
import { startRedis, type RedisServer } from '../lib/redis.js';
import { main } from '../monitor/main.js';
import { parseConfig, ConfigError } from '../monitor/config.js';
import { createTestClient, createWalletClient, http, type Address } from 'viem';
import { foundry } from 'viem/chains';
import type { Alert } from '../monitor/channels.js';
import { Monitor } from '../monitor/monitor.js';
import { FileStore, openStore } from '../monitor/store.js';
import { localDeployment } from './fixtures/local-deployment.js';

const UPGRADE = [{ type: 'function', name: 'upgradeToAndCall', stateMutability: 'payable', inputs: [{ type: 'address' }, { type: 'bytes' }], outputs: [] }] as const;

let d: DeployResult;
let dir: string;
let record: string;

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { RPC_URL: d.rpcUrl, ...env }, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err: err.filter((l) => !/^monitor: (chain \d+ at|evaluated blocks|resumed from)/.test(l)) };
}

interface Hook {
  url: string;
  bodies: Record<string, unknown>[];
  attempts: number;
  failNext: number;
  server: Server;
}
async function hook(): Promise<Hook> {
  const port = await freePort();
  const h: Hook = { url: `http://127.0.0.1:${port}/alerts`, bodies: [], attempts: 0, failNext: 0, server: createServer() };
  h.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      h.attempts++;
      if (h.failNext > 0) {
        h.failNext--;
        res.writeHead(503).end('busy');
        return;
      }
      h.bodies.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ok) => h.server.listen(port, '127.0.0.1', ok));
  return h;
}

beforeAll(async () => {
  ({ d } = await localDeployment());
  dir = mkdtempSync(join(tmpdir(), 'monitor-cli-'));
  record = writeRecord(d.record, dir);
}, 120_000);

afterAll(async () => {
  await d?.anvil?.stop();
});

describe('monitor command line', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/^usage: tsx ts\/monitor\/main.ts/);
    expect(r.err).toEqual([]);
  });

  it('a malformed config is one line naming the field, exit 2', async () => {
    const cases: [unknown, RegExp][] = [
      [{ rules: [{ kind: 'large-withdrawal', params: { percent: 200 } }] }, /rules\[0\]\.params\.percent: must be a number in \(0, 100\]/],
      [{ rules: [{ kind: 'no-such-rule' }] }, /rules\[0\]\.kind: must be one of auction-started/],
      [{ channels: { ops: { type: 'webhook', url: 'ftp://x' } } }, /channels\.ops\.url: must be an http\(s\):\/\/ URL/],
      [{ rules: [{ kind: 'upgrade', channels: ['pager'] }] }, /rules\[0\]\.channels\[0\]: no channel named "pager"/],
      [{ rules: [{ kind: 'upgrade', severity: 'loud' }] }, /rules\[0\]\.severity: must be one of info, warning, critical/],
      [{ rules: [{ kind: 'upgrade', cooldown: 5 }] }, /rules\[0\]\.cooldown: unknown field/],
    ];
    for (const [cfg, want] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(cfg));
      const r = await run(['--config', file, '--deployment', record, '--once']);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(want);
      expect(r.out).toEqual([]);
    }
    writeFileSync(join(dir, 'notjson.json'), '{"rules": [');
    const r = await run(['--config', join(dir, 'notjson.json'), '--once']);
    expect([r.code, r.err.length]).toEqual([2, 1]);
    expect(r.err[0]).toMatch(/not JSON/);
  });

  it('an unreachable RPC is one line, exit 1; an unknown deployment is one line, exit 2', async () => {
    const port = await freePort();
    const a = await run(['--once'], { RPC_URL: `http://127.0.0.1:${port}/secret-key-123` });
    expect(a.code).toBe(1);
    expect(a.err).toHaveLength(1);
    expect(a.err[0]).toMatch(/cannot reach the RPC at http:\/\/127\.0\.0\.1:\d+/);
    expect(a.err[0]).not.toMatch(/secret-key-123/);
    const b = await run(['--once', '--deployment', join(dir, 'nope.json')]);
    expect(b.code).toBe(2);
    expect(b.err).toEqual([`monitor: no deployment for chain 31337: ${join(dir, 'nope.json')} does not exist (give --deployment <file>)`]);
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...d.record, pool: '0x000000000000000000000000000000000000dEaD' }));
    const c = await run(['--once', '--deployment', other]);
    expect(c.code).toBe(2);
    expect(c.err[0]).toMatch(/no contract at the recorded pool 0x000000000000000000000000000000000000dEaD/);
    expect((await run(['--bogus'])).code).toBe(2);
  });

  it('--once: exit 3 with JSON lines when alerts fired; the same block again (a restart) exits 0 and sends nothing', async () => {
    const state = join(dir, 'once.json');
    const a = await run(['--once', '--deployment', record, '--state-file', state]);
    expect(a.code).toBe(3);
    const alerts = a.out.map((l) => JSON.parse(l));
    expect(alerts.filter((x) => x.rule === 'upgrade')).toHaveLength(4);
    for (const x of alerts) expect(x).toMatchObject({ chainId: 31337, severity: expect.stringMatching(/info|warning|critical/) });
    const b = await run(['--once', '--deployment', record, '--state-file', state]);
    expect([b.code, b.out]).toEqual([0, []]);
  });

  it('webhook: retried with back-off while the server fails, delivered once, never resent after a restart or a lost checkpoint (Redis)', async () => {
    const h = await hook();
    let redis: RedisServer | undefined;
    try {
      redis = await startRedis();
      const cfg = join(dir, 'hook.json');
      writeFileSync(cfg, JSON.stringify({ defaults: false, channels: { ops: { type: 'webhook', url: h.url, retries: 3, backoffMs: 50 } }, rules: [{ kind: 'upgrade' }] }));
      const env = { REDIS_URL: redis.url };
      h.failNext = 2;
      const t0 = Date.now();
      const a = await run(['--once', '--deployment', record, '--config', cfg], env);
      expect(a.code).toBe(3);
      expect(h.bodies).toHaveLength(4);
      expect(h.attempts).toBe(6); // two 503s, then four deliveries
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // 50 + 100 ms of back-off
      expect(a.err.filter((l) => /HTTP 503; retry/.test(l))).toHaveLength(2);
      expect(new Set(h.bodies.map((b) => b.id)).size).toBe(4);
      // A restart: nothing new.
      const b = await run(['--once', '--deployment', record, '--config', cfg], env);
      expect([b.code, h.bodies.length]).toEqual([0, 4]);
      // A crash after the delivery but before the checkpoint: the blocks are evaluated again, the alerts are the same
      // ids, and the webhook is not called again.
      const kv = await openKv({ url: redis.url, prefix: `monitor:31337:${d.record.pool.toLowerCase()}:` });
      await kv.del('checkpoint');
      await kv.close();
      const c = await run(['--once', '--deployment', record, '--config', cfg], env);
      expect(c.code).toBe(0);
      expect(h.attempts).toBe(6);
      // The status page's list: each alert once, newest first.
      const store = await openStore({ redisUrl: redis.url, file: '', prefix: `monitor:31337:${d.record.pool.toLowerCase()}:` });
      const recent = (await store.recent(10)).map((j) => JSON.parse(j));
      await store.close();
      expect(recent.map((x) => x.id).sort()).toEqual(h.bodies.map((b) => b.id).sort());
    } finally {
      await redis?.stop();
      h.server.close();
    }
  }, 60_000);

  it('webhook down for good: exit 1 with one line, the checkpoint stays; delivered on the next run; the Slack body', async () => {
    const h = await hook();
    try {
      const cfg = join(dir, 'slack.json');
      const state = join(dir, 'slack-state.json');
      writeFileSync(cfg, JSON.stringify({ defaults: false, channels: { chat: { type: 'webhook', url: h.url, format: 'slack', retries: 1, backoffMs: 10 } }, rules: [{ kind: 'upgrade', severity: 'info' }] }));
      h.failNext = 1000;
      const a = await run(['--once', '--deployment', record, '--config', cfg, '--state-file', state]);
      expect(a.code).toBe(1);
      expect(a.err.at(-1)).toMatch(/pass failed: webhook chat \(http:\/\/127\.0\.0\.1:\d+\) failed: HTTP 503/);
      h.failNext = 0;
      const b = await run(['--once', '--deployment', record, '--config', cfg, '--state-file', state]);
      expect(b.code).toBe(3);
      expect(h.bodies).toHaveLength(4);
      expect(h.bodies[0]).toMatchObject({ text: expect.stringMatching(/^ℹ️ \[info\] upgrade: /), blocks: expect.any(Array) });
    } finally {
      h.server.close();
    }
  }, 60_000);

  it('--once --block evaluates up to that block only; the watch mode passes until stopped', async () => {
    const state = join(dir, 'block.json');
    const cfg = join(dir, 'upgrades.json');
    writeFileSync(cfg, JSON.stringify({ defaults: false, rules: [{ kind: 'upgrade' }] }));
    // The valuation's proxy is the first of the four (DeploySystem order): at its block only its upgrade is seen.
    const [first] = await d.pub.getLogs({ address: d.record.valuation, fromBlock: 0n });
    const a = await run(['--once', '--block', String(first.blockNumber), '--deployment', record, '--config', cfg, '--state-file', state]);
    expect(a.code).toBe(3);
    expect(a.out.map((l) => JSON.parse(l).data.name)).toEqual(['valuation']);
    const ctl = new AbortController();
    const out: string[] = [];
    const done = main(['--deployment', record, '--config', cfg, '--state-file', state, '--interval', '0.2'], { RPC_URL: d.rpcUrl }, (l) => {
      out.push(l);
      if (out.length === 3) ctl.abort();
    }, () => {}, ctl.signal);
    expect(await done).toBe(0);
    expect(out.map((l) => JSON.parse(l).data.name).sort()).toEqual(['auction', 'pool', 'traitPricer']);
  }, 30_000);

  it('--confirmations leaves the newest blocks unevaluated', async () => {
    const state = join(dir, 'conf.json');
    const cfg = join(dir, 'upgrades.json');
    const [first] = await d.pub.getLogs({ address: d.record.valuation, fromBlock: 0n });
    const head = await d.pub.getBlockNumber({ cacheTime: 0 });
    const err: string[] = [];
    const out: string[] = [];
    const code = await main(['--once', '--confirmations', String(head - first.blockNumber!), '--deployment', record, '--config', cfg, '--state-file', state], { RPC_URL: d.rpcUrl }, (l) => out.push(l), (l) => err.push(l));
    expect(code).toBe(3);
    expect(out.map((l) => JSON.parse(l).data.name)).toEqual(['valuation']);
    expect(err.join('\n')).toContain(`evaluated blocks 0..${first.blockNumber}`);
  });

  it('a reorg below the confirmations: the changed block is read again, the new chain\'s events alert', async () => {
    const test = createTestClient({ chain: foundry, mode: 'anvil', transport: http(d.rpcUrl) });
    const wallet = createWalletClient({ chain: foundry, transport: http(d.rpcUrl) });
    const got: Alert[] = [];
    const r = d.record;
    const m = new Monitor({
      pub: d.pub, chainId: 31337, config: parseConfig(JSON.stringify({ defaults: false, rules: [{ kind: 'upgrade' }] })),
      addrs: { pool: r.pool, auction: r.auction, valuation: r.valuation, traitPricer: r.traitPricer, timelock: r.timelock, collections: [] },
      store: new FileStore(join(dir, 'reorg.json')), channels: new Map([['stdout', { name: 'stdout', send: async (a: Alert) => void got.push(a) }]]),
      startBlock: 0n, confirmations: 0,
    });
    await m.init();
    expect((await m.pass()).alerts).toHaveLength(4);
    const upgrade = async (proxy: Address, impl: Address) => {
      await test.impersonateAccount({ address: r.timelock });
      await test.setBalance({ address: r.timelock, value: 10n ** 18n });
      const hash = await wallet.writeContract({ address: proxy, abi: UPGRADE, functionName: 'upgradeToAndCall', args: [impl, '0x'], account: r.timelock, chain: foundry });
      await d.pub.waitForTransactionReceipt({ hash });
      await test.stopImpersonatingAccount({ address: r.timelock });
    };
    const snap = await test.snapshot();
    await upgrade(r.pool, r.poolImpl);
    const a = await m.pass();
    expect(a.alerts.map((x) => x.data.name)).toEqual(['pool']);
    // The chain reorganises: the same height now holds another transaction.
    await test.revert({ id: snap });
    await upgrade(r.auction, r.auctionImpl);
    expect(await d.pub.getBlockNumber({ cacheTime: 0 })).toBe(BigInt(a.to));
    const b = await m.pass();
    expect(b.alerts.map((x) => x.data.name)).toEqual(['auction']);
    expect(got).toHaveLength(6);
  });

  it('the config parser fills the defaults and keeps explicit rules', () => {
    const c = parseConfig(JSON.stringify({ rules: [{ id: 'big', kind: 'large-withdrawal', params: { percent: 5 }, cooldownSec: 60 }] }));
    expect(c.rules.find((r) => r.id === 'big')).toMatchObject({ params: { percent: 5 }, cooldownSec: 60, severity: 'warning', channels: ['stdout'] });
    expect(c.rules.filter((r) => r.kind === 'large-withdrawal')).toHaveLength(1);
    expect(c.rules).toHaveLength(15);
    expect(() => parseConfig('[]')).toThrow(ConfigError);
  });
});
