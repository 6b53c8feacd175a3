// The off-chain services' state store: Redis when REDIS_URL is set, an in-memory map otherwise. One small surface
// (strings, hashes, sorted sets) and one atomic batch, so the indexer can store a block's sales and move its cursor
// in one step, and the oracle service can claim "this sale was pushed" exactly once (setNx).
import { Redis } from 'ioredis';

/** One write of an atomic batch. */
export type KvOp =
  | { op: 'set'; key: string; value: string }
  | { op: 'del'; key: string }
  | { op: 'hset'; key: string; field: string; value: string }
  | { op: 'hdel'; key: string; field: string }
  | { op: 'zadd'; key: string; score: number; member: string }
  | { op: 'zrem'; key: string; member: string }
  | { op: 'zremrangebyscore'; key: string; min: number; max: number };

export interface Kv {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /** Sets key to value only when it is absent; true when this call set it. */
  setNx(key: string, value: string): Promise<boolean>;
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** Members with min <= score <= max, by ascending score (ties by member), at most `limit` of them. */
  zrangebyscore(key: string, min: number, max: number, limit?: number): Promise<string[]>;
  zcard(key: string): Promise<number>;
  /** Applies every op or none (Redis MULTI/EXEC; the memory store applies them synchronously). */
  exec(ops: KvOp[]): Promise<void>;
  set(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface KvOptions {
  /** redis://host:port[/db]; unset: in memory. */
  url?: string;
  /** Prefix for every key, so several services (or tests) share one Redis without colliding. */
  prefix?: string;
}

/** Opens the store named by opts.url (default: the REDIS_URL environment variable); memory when neither is set. */
export async function openKv(opts: KvOptions = {}): Promise<Kv> {
  const url = opts.url ?? process.env.REDIS_URL;
  const prefix = opts.prefix ?? '';
  if (!url) return new MemoryKv(prefix);
  const kv = new RedisKv(url, prefix);
  await kv.connect();
  return kv;
}

class RedisKv implements Kv {
  readonly kind = 'redis' as const;
  private readonly r: Redis;
  constructor(
    private readonly url: string,
    prefix: string,
  ) {
    this.r = new Redis(url, {
      keyPrefix: prefix,
      lazyConnect: true,
      // A command issued while Redis is down fails after two reconnect attempts instead of hanging: callers retry.
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
      connectTimeout: 5_000,
    });
    // Connection errors surface through the failing command; without a listener ioredis prints each one.
    this.r.on('error', () => {});
  }
  async connect(): Promise<void> {
    try {
      await this.r.connect();
    } catch (e) {
      this.r.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(this.url)}: ${(e as Error).message}`);
    }
  }
  get(key: string) {
    return this.r.get(key);
  }
  async setNx(key: string, value: string) {
    return (await this.r.set(key, value, 'NX')) === 'OK';
  }
  hget(key: string, field: string) {
    return this.r.hget(key, field);
  }
  hgetall(key: string) {
    return this.r.hgetall(key);
  }
  zrangebyscore(key: string, min: number, max: number, limit?: number) {
    return limit === undefined
      ? this.r.zrangebyscore(key, min, max)
      : this.r.zrangebyscore(key, min, max, 'LIMIT', 0, limit);
  }
  zcard(key: string) {
    return this.r.zcard(key);
  }
  async exec(ops: KvOp[]): Promise<void> {
    if (ops.length === 0) return;
    const m = this.r.multi();
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i];
      // A run of consecutive sets (any keys), or of zadds / hsets to one key, is one MSET / ZADD / HSET: the same
      // result as the ops one by one (left to right, the last write of a key, member or field wins), in one command
      // instead of one per op (the indexer writes three per sale: its batches take ~60 % less time).
      let j = i + 1;
      const same = (p: KvOp) => p.op === o.op && (o.op === 'set' || p.key === o.key);
      if (o.op === 'set' || o.op === 'zadd' || o.op === 'hset') while (j < ops.length && same(ops[j])) j++;
      if (j - i > 1) {
        const run = ops.slice(i, j);
        if (o.op === 'set') m.mset(...run.flatMap((p) => [p.key, (p as { value: string }).value]));
        else if (o.op === 'zadd') m.zadd(o.key, ...run.flatMap((p) => [(p as { score: number }).score, (p as { member: string }).member]));
        else m.hset(o.key, ...run.flatMap((p) => [(p as { field: string }).field, (p as { value: string }).value]));
        i = j - 1;
        continue;
      }
      switch (o.op) {
        case 'set':
          m.set(o.key, o.value);
          break;
        case 'del':
          m.del(o.key);
          break;
        case 'hset':
          m.hset(o.key, o.field, o.value);
          break;
        case 'hdel':
          m.hdel(o.key, o.field);
          break;
        case 'zadd':
          m.zadd(o.key, o.score, o.member);
          break;
        case 'zrem':
          m.zrem(o.key, o.member);
          break;
        case 'zremrangebyscore':
          m.zremrangebyscore(o.key, o.min, o.max);
          break;
      }
    }
    const res = await m.exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw new Error(`Redis batch failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }
  async set(key: string, value: string) {
    await this.r.set(key, value);
  }
  async del(key: string) {
    await this.r.del(key);
  }
  async ping() {
    await this.r.ping();
  }
  async close() {
    this.r.disconnect();
  }
}

class MemoryKv implements Kv {
  readonly kind = 'memory' as const;
  private readonly strings = new Map<string, string>();
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly zsets = new Map<string, Map<string, number>>();
  constructor(private readonly prefix: string) {}
  private k(key: string) {
    return this.prefix + key;
  }
  async get(key: string) {
    return this.strings.get(this.k(key)) ?? null;
  }
  async setNx(key: string, value: string) {
    if (this.strings.has(this.k(key))) return false;
    this.strings.set(this.k(key), value);
    return true;
  }
  async hget(key: string, field: string) {
    return this.hashes.get(this.k(key))?.get(field) ?? null;
  }
  async hgetall(key: string) {
    return Object.fromEntries(this.hashes.get(this.k(key)) ?? []);
  }
  async zrangebyscore(key: string, min: number, max: number, limit?: number) {
    const z = this.zsets.get(this.k(key));
    if (!z) return [];
    const out = [...z.entries()]
      .filter(([, s]) => s >= min && s <= max)
      .sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : ma > mb ? 1 : 0))
      .map(([m]) => m);
    return limit === undefined ? out : out.slice(0, limit);
  }
  async zcard(key: string) {
    return this.zsets.get(this.k(key))?.size ?? 0;
  }
  async exec(ops: KvOp[]) {
    for (const o of ops) this.apply(o);
  }
  private apply(o: KvOp) {
    const key = this.k(o.key);
    switch (o.op) {
      case 'set':
        this.strings.set(key, o.value);
        break;
      case 'del':
        this.strings.delete(key);
        this.hashes.delete(key);
        this.zsets.delete(key);
        break;
      case 'hset': {
        const h = this.hashes.get(key) ?? new Map<string, string>();
        h.set(o.field, o.value);
        this.hashes.set(key, h);
        break;
      }
      case 'hdel':
        this.hashes.get(key)?.delete(o.field);
        break;
      case 'zadd': {
        const z = this.zsets.get(key) ?? new Map<string, number>();
        z.set(o.member, o.score);
        this.zsets.set(key, z);
        break;
      }
      case 'zrem':
        this.zsets.get(key)?.delete(o.member);
        break;
      case 'zremrangebyscore': {
        const z = this.zsets.get(key);
        if (z) for (const [m, s] of [...z]) if (s >= o.min && s <= o.max) z.delete(m);
        break;
      }
    }
  }
  async set(key: string, value: string) {
    this.apply({ op: 'set', key, value });
  }
  async del(key: string) {
    this.apply({ op: 'del', key });
  }
  async ping() {}
  async close() {}
}

/** redis://user:secret@host → redis://***@host, so a password never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
