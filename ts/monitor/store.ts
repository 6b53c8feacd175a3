// The monitor's memory across restarts: the checkpoint (the last block evaluated and the rules' state), which alerts
// each channel already received, and the recent alerts the status page shows. Redis when REDIS_URL is set (through
// ts/lib/kv.ts), else one JSON file written atomically. An alert is marked sent per channel only after that channel
// took it, and the checkpoint moves only after every alert of the pass is delivered: a crash in between re-evaluates
// the same blocks, produces the same alert ids, and skips what was already sent.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openKv, type Kv } from '../lib/kv.js';

export interface Store {
  readonly kind: string;
  loadCheckpoint(): Promise<string | null>;
  saveCheckpoint(json: string): Promise<void>;
  wasSent(key: string): Promise<boolean>;
  markSent(key: string, alertJson: string, timestamp: number): Promise<void>;
  /** The newest alerts first (JSON strings), at most n. */
  recent(n: number): Promise<string[]>;
  close(): Promise<void>;
}

const RECENT_KEEP = 200;

export class FileStore implements Store {
  readonly kind = 'file';
  private data: { checkpoint: string | null; sent: Record<string, number>; recent: string[] };
  constructor(private readonly path: string) {
    if (existsSync(path)) {
      try {
        this.data = JSON.parse(readFileSync(path, 'utf8'));
        if (typeof this.data !== 'object' || !this.data.sent || !Array.isArray(this.data.recent)) throw new Error('shape');
      } catch {
        throw new Error(`${path} is not a monitor state file (remove it to start afresh)`);
      }
    } else this.data = { checkpoint: null, sent: {}, recent: [] };
  }
  private flush() {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.path);
  }
  async loadCheckpoint() {
    return this.data.checkpoint;
  }
  async saveCheckpoint(json: string) {
    this.data.checkpoint = json;
    this.flush();
  }
  async wasSent(key: string) {
    return key in this.data.sent;
  }
  async markSent(key: string, alertJson: string, timestamp: number) {
    const firstChannel = !Object.keys(this.data.sent).some((k) => k.split('@')[0] === key.split('@')[0]);
    this.data.sent[key] = timestamp;
    if (firstChannel) this.data.recent = [alertJson, ...this.data.recent].slice(0, RECENT_KEEP);
    this.flush();
  }
  async recent(n: number) {
    return this.data.recent.slice(0, n);
  }
  async close() {}
}

export class KvStore implements Store {
  readonly kind = 'redis';
  constructor(private readonly kv: Kv) {}
  async loadCheckpoint() {
    return this.kv.get('checkpoint');
  }
  async saveCheckpoint(json: string) {
    await this.kv.set('checkpoint', json);
  }
  async wasSent(key: string) {
    return (await this.kv.hget('sent', key)) !== null;
  }
  async markSent(key: string, alertJson: string, timestamp: number) {
    const id = key.split('@')[0];
    const first = await this.kv.setNx(`recent-id:${id}`, '1');
    const ops: Parameters<Kv['exec']>[0] = [{ op: 'hset', key: 'sent', field: key, value: String(timestamp) }];
    // The status page shows the newest; a month of them is kept.
    if (first) ops.push({ op: 'zadd', key: 'recent', score: timestamp, member: alertJson }, { op: 'zremrangebyscore', key: 'recent', min: 0, max: timestamp - 30 * 86_400 });
    await this.kv.exec(ops);
  }
  async recent(n: number) {
    const all = await this.kv.zrangebyscore('recent', 0, Number.MAX_SAFE_INTEGER);
    return all.reverse().slice(0, n);
  }
  async close() {
    await this.kv.close();
  }
}

/** Redis (REDIS_URL or `redisUrl`) under a prefix naming the chain and pool, else the state file. */
export async function openStore(opts: { redisUrl?: string; file: string; prefix: string }): Promise<Store> {
  if (opts.redisUrl) return new KvStore(await openKv({ url: opts.redisUrl, prefix: opts.prefix }));
  return new FileStore(opts.file);
}
