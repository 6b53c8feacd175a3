// The two commands as separate processes, the way `make monitor` and `make status` run them: the monitor's exit
// status and JSON lines, and the status server printing its URL, answering /status.json with the chain's numbers, and
// stopping on SIGTERM (sent to its PID).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUnits } from 'viem';
import type { DeployResult } from '../deploy/deploy.js';
import { writeRecord } from '../deploy/record.js';
import { iLendingPoolAbi } from '../generated/contracts.js';
import { localDeployment } from './fixtures/local-deployment.js';

let d: DeployResult;
let dir: string;
let record: string;
let server: ChildProcess | undefined;
let sent = 0;

beforeAll(async () => {
  ({ d } = await localDeployment(['REDIS_URL']));
  dir = mkdtempSync(join(tmpdir(), 'monitor-proc-'));
  record = writeRecord(d.record, dir);
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await d?.anvil?.stop();
});

const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, RPC_URL: d.rpcUrl, NO_COLOR: '1' };
  delete e.REDIS_URL;
  return e;
};

describe('monitor and status as processes', () => {
  it('tsx ts/monitor/main.ts --once: JSON lines on stdout, exit 3', async () => {
    const child = spawn('node_modules/.bin/tsx', ['ts/monitor/main.ts', '--once', '--deployment', record, '--state-file', join(dir, 's.json')], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(code).toBe(3);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.rule === 'upgrade')).toHaveLength(4);
    sent = lines.length;
  }, 60_000);

  it('tsx ts/monitor/status.ts: prints its URL, serves the chain numbers, stops on SIGTERM', async () => {
    server = spawn('node_modules/.bin/tsx', ['ts/monitor/status.ts', '--deployment', record, '--state-file', join(dir, 's.json')], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (c) => (out += c));
    const deadline = Date.now() + 30_000;
    while (!/http:\/\/127\.0\.0\.1:\d+\//.test(out) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)![0];
    const s = (await (await fetch(`${url}status.json`)).json()) as { numbers: Record<string, string>; sections: Record<string, string> };
    const assets = await d.pub.readContract({ address: d.record.pool, abi: iLendingPoolAbi, functionName: 'totalAssets' });
    expect(s.numbers['total-assets']).toBe(`${Number(formatUnits(assets, 18)).toLocaleString('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 })} WETH`);
    // The monitor's alerts, from its state file: the newest 15.
    expect(s.sections.alerts.match(/<li /g)).toHaveLength(Math.min(sent, 15));
    expect(s.sections.alerts).toMatch(/<b>(info|warning|critical)<\/b> [a-z-]+ · block \d+/);
    const html = await (await fetch(url)).text();
    expect(html).toContain('<svg id="rate-curve"');
    server.kill('SIGTERM');
    expect(await new Promise<number | null>((ok) => server!.on('close', ok))).toBe(0);
  }, 60_000);
});
