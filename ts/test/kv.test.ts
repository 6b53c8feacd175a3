// The state store behaves the same in memory and on a real redis-server (started here on a free port, stopped by PID),
// and a Redis that dies mid-run fails the command instead of hanging, then serves again once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKv, redactUrl, type Kv } from '../lib/kv.js';
import { startRedis, type RedisServer } from '../lib/redis.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

async function contract(kv: Kv) {
  expect(await kv.get('a')).toBeNull();
  expect(await kv.setNx('a', '1')).toBe(true);
  expect(await kv.setNx('a', '2')).toBe(false);
  expect(await kv.get('a')).toBe('1');
  await kv.exec([
    { op: 'hset', key: 'h', field: 'x', value: '10' },
    { op: 'hset', key: 'h', field: 'y', value: '20' },
    { op: 'zadd', key: 'z', score: 3, member: 'c' },
    { op: 'zadd', key: 'z', score: 1, member: 'a' },
    { op: 'zadd', key: 'z', score: 2, member: 'b' },
    { op: 'set', key: 'cursor', value: '42' },
  ]);
  expect(await kv.hget('h', 'x')).toBe('10');
  expect(await kv.hgetall('h')).toEqual({ x: '10', y: '20' });
  expect(await kv.zrangebyscore('z', 0, 10)).toEqual(['a', 'b', 'c']);
  expect(await kv.zrangebyscore('z', 2, 10, 1)).toEqual(['b']);
  expect(await kv.zcard('z')).toBe(3);
  await kv.exec([
    { op: 'zremrangebyscore', key: 'z', min: 2, max: 3 },
    { op: 'hdel', key: 'h', field: 'x' },
    { op: 'zrem', key: 'z', member: 'a' },
  ]);
  expect(await kv.zcard('z')).toBe(0);
  expect(await kv.hgetall('h')).toEqual({ y: '20' });
  await kv.del('cursor');
  expect(await kv.get('cursor')).toBeNull();
  // Runs of sets, and of zadds or hsets to one key (which the Redis store sends as one MSET / ZADD / HSET), end as
  // the ops one by one would: the last write of a key, member or field wins, and a del between runs still counts.
  await kv.exec([
    { op: 'set', key: 'm1', value: 'a' },
    { op: 'set', key: 'm2', value: 'b' },
    { op: 'set', key: 'm1', value: 'c' },
    { op: 'zadd', key: 'zz', score: 5, member: 'x' },
    { op: 'zadd', key: 'zz', score: 1, member: 'y' },
    { op: 'zadd', key: 'zz', score: 0, member: 'x' },
    { op: 'zadd', key: 'other', score: 1, member: 'o' },
    { op: 'hset', key: 'hh', field: 'f', value: '1' },
    { op: 'hset', key: 'hh', field: 'f', value: '2' },
    { op: 'hset', key: 'hh', field: 'g', value: '3' },
    { op: 'del', key: 'm2' },
    { op: 'set', key: 'm3', value: 'e' },
    { op: 'hdel', key: 'hh', field: 'g' },
    { op: 'hset', key: 'hh', field: 'g', value: '4' },
  ]);
  expect([await kv.get('m1'), await kv.get('m2'), await kv.get('m3')]).toEqual(['c', null, 'e']);
  expect(await kv.zrangebyscore('zz', 0, 10)).toEqual(['x', 'y']);
  expect(await kv.zrangebyscore('zz', 0.5, 10)).toEqual(['y']);
  expect(await kv.zrangebyscore('other', 0, 10)).toEqual(['o']);
  expect(await kv.hgetall('hh')).toEqual({ f: '2', g: '4' });
  for (const k of ['m1', 'm3', 'zz', 'other', 'hh']) await kv.del(k);
}

describe('kv', () => {
  it('memory store keeps the contract', async () => {
    const kv = await openKv({ url: '', prefix: 't:' });
    expect(kv.kind).toBe('memory');
    await contract(kv);
  });

  it('redis store keeps the same contract, and prefixes isolate two users of one server', async () => {
    const a = await openKv({ url: server.url, prefix: 'a:' });
    const b = await openKv({ url: server.url, prefix: 'b:' });
    expect(a.kind).toBe('redis');
    await contract(a);
    await a.set('only-a', 'x');
    expect(await b.get('only-a')).toBeNull();
    await a.close();
    await b.close();
  });

  it('an unreachable Redis is one clear error naming the (redacted) address', async () => {
    await expect(openKv({ url: 'redis://user:hunter2@127.0.0.1:1' })).rejects.toThrow(
      /cannot reach Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1/,
    );
    expect(redactUrl('redis://:pw@h:1/0')).toBe('redis://***@h:1/0');
  });

  it('a Redis killed mid-run fails the command, then serves again on restart', async () => {
    const own = await startRedis();
    const kv = await openKv({ url: own.url });
    await kv.set('k', 'v');
    await own.kill();
    await expect(kv.get('k')).rejects.toThrow();
    const again = await startRedis({ port: own.port });
    // Nothing persisted (--save ''): the store is empty but answers.
    let value: string | null | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      try {
        value = await kv.get('k');
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(value).toBeNull();
    await kv.close();
    await again.stop();
  });
});
