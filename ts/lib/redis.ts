// Starts a real redis-server (Debian's package, installed by .ci/system-setup.sh) on a free loopback port, with no
// persistence, and stops it by its PID. For tests and local runs; never assumes 6379 is free.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './anvil.js';

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
  /** SIGKILL and wait for exit (a crash: nothing is flushed). */
  kill: () => Promise<void>;
}

export function redisBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

/**
 * Starts redis-server on `port` (default: a free one) and resolves once it answers PING. With `dir`, Redis keeps an
 * append-only file there, synced on every write, so a server killed and started again on the same dir has every
 * acknowledged write (a crash test); without it nothing is persisted.
 */
export async function startRedis(opts: { port?: number; dir?: string } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const persistence = opts.dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', opts.dir] : ['--appendonly', 'no'];
  const child: ChildProcess = spawn(
    redisBinary(),
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d.toString()));
  const spawnError = new Promise<Error>((ok) => child.once('error', ok));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const early = await Promise.race([spawnError, new Promise<null>((ok) => setTimeout(() => ok(null), 50))]);
    if (early) throw new Error(`redis-server could not start (${early.message}): run 'make system-setup'`);
    if (child.exitCode !== null) throw new Error(`redis-server exited early (${child.exitCode}): ${stderr.trim()}`);
    if (await answersPing(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s`);
    }
  }
  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) return ok();
      child.once('exit', () => ok());
      child.kill(signal);
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      s.destroy();
      ok(v);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
