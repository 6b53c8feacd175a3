// The oracle service's pure rules: the outlier filter, the push decision, the validation of stored sales; and its keys.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { getAddress, parseEther, type Address, type Hex } from 'viem';
import { encodeSale, type Sale } from '../indexer/sale.js';
import { DEFAULT_FILTER, decidePush, judge, median, type TwapView } from '../oracle/filter.js';
import { parseSale } from '../oracle/sales.js';
import { parseTraitTable } from '../oracle/traits.js';
import { roleAccount as anyRole } from '../lib/keys.js';

const roleAccount = (env: NodeJS.ProcessEnv, role: string) => anyRole(env, `ORACLE_${role}`);

const C = getAddress('0x2279b7a0a67db372996a5fab50d91eaa73d2ebe6');
let n = 0;
const sale = (price: bigint, t: number, over: Partial<Sale> = {}): Sale => {
  const tx = `0x${(++n).toString(16).padStart(64, '0')}` as Hex;
  return {
    id: `${tx}:0`, chainId: 31337, collection: C, tokenId: 1n, amount: 1n, standard: 'erc721', totalPrice: price, unitPrice: price,
    currency: '0x0000000000000000000000000000000000000000', marketplace: C, orderHash: tx, seller: `0x${'a'.repeat(40)}` as Address,
    buyer: `0x${'b'.repeat(40)}` as Address, blockNumber: 1n, blockHash: tx, timestamp: t, txHash: tx, logIndex: 0, ...over,
  };
};
const E = (x: string) => parseEther(x);

describe('outlier filter', () => {
  it('median of odd and even counts', () => {
    expect(median([3n, 1n, 2n])).toBe(2n);
    expect(median([4n, 1n, 3n, 2n])).toBe(2n);
  });

  it('a lone sale beyond the median band is an outlier; one just inside is not', () => {
    const hist = [30, 30.2, 29.8, 30.1].map((p, i) => sale(E(String(p)), i));
    const v = judge([...hist, sale(E('39.1'), 10), sale(E('38.9'), 11)], { floor: E('30') }, DEFAULT_FILTER);
    expect(v.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]); // first sales: judged against the floor
    expect(v[4]).toBe('far-from-median'); // 30.1 median-ish (30.05) x 1.3 = 39.07
    expect(v[5]).toBeUndefined();
  });

  it('without a TWAP or enough sales: judged against the floor, refused with no reference at all', () => {
    expect(judge([sale(E('100'), 1)], { floor: E('30') })).toEqual(['far-from-floor']);
    expect(judge([sale(E('40'), 1)], { floor: E('30') })).toEqual([undefined]);
    expect(judge([sale(E('40'), 1)], {})).toEqual(['no-reference']);
  });

  it('beyond the TWAP band is refused unless a majority of the recent sales confirms the move', () => {
    const twap = E('30');
    const lone = judge([...[30, 30, 30, 30].map((p, i) => sale(E(String(p)), i)), sale(E('21'), 9)], { twap });
    expect(lone.at(-1)).toBe('far-from-twap');
    // Nine sales at 20: from the fifth on, the median of the nine before is 20 and the move is accepted.
    const hist = Array.from({ length: 9 }, (_, i) => sale(E('30'), i));
    const wave = Array.from({ length: 9 }, (_, i) => sale(E('20'), 10 + i));
    const v = judge([...hist, ...wave], { twap });
    expect(v.slice(9, 14).every((x) => x === 'far-from-median' || x === 'far-from-twap')).toBe(true);
    expect(v.slice(14)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('self-trades never count, not even towards the median', () => {
    const self = { seller: `0x${'c'.repeat(40)}` as Address, buyer: `0x${'C'.repeat(40)}` as Address };
    const hist = Array.from({ length: 5 }, (_, i) => sale(E('30'), i));
    const washes = Array.from({ length: 9 }, (_, i) => sale(E('60'), 10 + i, self));
    const v = judge([...hist, ...washes, sale(E('60'), 30)], { twap: E('30') });
    expect(v.slice(5, 14).every((x) => x === 'self-trade')).toBe(true);
    expect(v.at(-1)).toBe('far-from-median');
  });
});

describe('push decision', () => {
  const t: TwapView = { twap: E('30'), ready: true, count: 8, minSales: 5, newestTime: 1_000, minSpacing: 120 };
  it('respects order and spacing, and never a sale from the future', () => {
    expect(decidePush({ timestamp: 1_000, price: E('40') }, t, 5_000)).toEqual({ push: false, why: 'not-newer' });
    expect(decidePush({ timestamp: 1_119, price: E('40') }, t, 5_000)).toEqual({ push: false, why: 'too-soon' });
    expect(decidePush({ timestamp: 1_120, price: E('40') }, t, 5_000).push).toBe(true);
    expect(decidePush({ timestamp: 5_001, price: E('40') }, t, 5_000)).toEqual({ push: false, why: 'in-future' });
  });
  it('bootstrap, deviation (2 % exactly counts), heartbeat, else hold', () => {
    expect(decidePush({ timestamp: 1_200, price: E('30') }, { ...t, ready: false }, 1_300).why).toBe('bootstrap');
    expect(decidePush({ timestamp: 1_200, price: E('30') }, { ...t, count: 4 }, 1_300).why).toBe('bootstrap');
    expect(decidePush({ timestamp: 1_200, price: E('30.6') }, t, 1_300).why).toBe('deviation');
    expect(decidePush({ timestamp: 1_200, price: E('30.59') }, t, 1_300)).toEqual({ push: false, why: 'no-trigger' });
    expect(decidePush({ timestamp: 1_200, price: E('30') }, t, 4_600).why).toBe('heartbeat');
    expect(decidePush({ timestamp: 1_200, price: E('30') }, t, 4_599).why).toBe('no-trigger');
    expect(decidePush({ timestamp: 5, price: E('30') }, { ...t, count: 0, ready: false, newestTime: 0 }, 10).why).toBe('bootstrap');
  });
});

describe('stored sales', () => {
  it('a good member decodes; every kind of bad one is named', () => {
    const good = sale(E('30'), 100);
    expect(parseSale(encodeSale(good), C)).toEqual(good);
    const bad: [string, RegExp][] = [
      ['{not json', /^malformed/],
      [JSON.stringify({ id: 'x' }), /^malformed/],
      [encodeSale({ ...good, id: 'nope' }), /id/],
      [encodeSale({ ...good, collection: `0x${'d'.repeat(40)}` as Address }), /^wrong collection/],
      [encodeSale({ ...good, unitPrice: 0n, totalPrice: 0n }), /zero price/],
      [encodeSale({ ...good, unitPrice: E('31') }), /unitPrice is not totalPrice/],
      [encodeSale({ ...good, amount: 0n }), /amount/],
      [encodeSale({ ...good, timestamp: -1 }), /timestamp/],
      [encodeSale({ ...good, unitPrice: 1n << 100n, totalPrice: 1n << 100n }), /out of range/],
      ['null', /^malformed/],
    ];
    for (const [member, why] of bad) expect(parseSale(member, C)).toMatch(why);
  });

  it('trait tables: one collection, sane numbers, the header named', () => {
    expect(parseTraitTable(`collection,tokenId,premium\n${C},1,5\n`, 'csv', 't').rows).toEqual([{ tokenId: 1n, premium: 5n }]);
    expect(() => parseTraitTable(`collection,tokenId\n${C},1\n`, 'csv', 't')).toThrow(/header must name/);
    expect(() => parseTraitTable(`collection,tokenId,premium\n${C},1,-5\n`, 'csv', 't')).toThrow();
    expect(() => parseTraitTable(`[{"collection":"${C}","tokenId":"1","premium":"1"},{"collection":"0x${'e'.repeat(40)}","tokenId":"2","premium":"1"}]`, 'json', 't')).toThrow(/one collection/);
  });
});

describe('oracle keys', () => {
  it('each role from the environment, a file or a cast keystore; a bad one named in one line', () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const dir = mkdtempSync(join(tmpdir(), 'oracle-keys-'));
    writeFileSync(join(dir, 'key'), `${key.slice(2)}\n`);
    expect(roleAccount({ ORACLE_REPORTER_PRIVATE_KEY: key }, 'REPORTER')?.address).toBe(address);
    expect(roleAccount({ ORACLE_RELAYER_KEY_FILE: join(dir, 'key') }, 'RELAYER')?.address).toBe(address);
    expect(roleAccount({ ORACLE_REPORTER_PRIVATE_KEY: key }, 'RELAYER')).toBeNull();
    expect(() => roleAccount({ ORACLE_TRAIT_SIGNER_PRIVATE_KEY: '0x12' }, 'TRAIT_SIGNER')).toThrow('ORACLE_TRAIT_SIGNER_PRIVATE_KEY must be 32 bytes of hex');
    expect(() => roleAccount({ ORACLE_REPORTER_KEY_FILE: join(dir, 'none') }, 'REPORTER')).toThrow(/^ORACLE_REPORTER_KEY_FILE: cannot read .*none \(ENOENT\)$/);
    const printed = execFileSync('bin/cast', ['wallet', 'new', dir, 'feeds', '--unsafe-password', 'pw1'], { encoding: 'utf8' });
    const expected = /Address:\s+(0x[0-9a-fA-F]{40})/.exec(printed)![1];
    const ks = join(dir, 'feeds');
    expect(roleAccount({ ORACLE_FEED_UPDATER_KEYSTORE: ks, ORACLE_FEED_UPDATER_KEYSTORE_PASSWORD: 'pw1' }, 'FEED_UPDATER')?.address).toBe(expected);
    expect(() => roleAccount({ ORACLE_FEED_UPDATER_KEYSTORE: ks, ORACLE_FEED_UPDATER_KEYSTORE_PASSWORD: 'no' }, 'FEED_UPDATER')).toThrow('ORACLE_FEED_UPDATER_KEYSTORE: wrong password (or a corrupt keystore)');
    expect(() => roleAccount({ ORACLE_FEED_UPDATER_KEYSTORE: ks }, 'FEED_UPDATER')).toThrow('ORACLE_FEED_UPDATER_KEYSTORE needs ORACLE_FEED_UPDATER_KEYSTORE_PASSWORD or ORACLE_FEED_UPDATER_KEYSTORE_PASSWORD_FILE');
  });
});
