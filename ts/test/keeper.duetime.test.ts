// The keeper's mirror of the pool's extended due date (`PoolBase._dueTime` over `_outageTotal`) on the branches the
// anvil test (keeper.outage.e2e.test.ts, an ended outage) does not reach: a running outage, the one-term cap, a loan
// whose term began after the outages counted so far.
import { describe, expect, it } from 'vitest';
import { effectiveDueTime } from '../keeper/keeper.js';

const DAY = 86_400;
const loan = { dueTime: 1_000 * DAY, outageBase: 5_000n };

describe('effectiveDueTime', () => {
  it('adds only the outage seconds since the term began', () => {
    expect(effectiveDueTime(loan, 30 * DAY, [0n, 5_000n], 0n)).toBe(BigInt(loan.dueTime));
    expect(effectiveDueTime(loan, 30 * DAY, [0n, 5_000n + 3_600n], 0n)).toBe(BigInt(loan.dueTime) + 3_600n);
    // A base above the total (never on chain, the total only grows): no extension, not a negative one.
    expect(effectiveDueTime({ ...loan, outageBase: 9_000n }, 30 * DAY, [0n, 5_000n], 0n)).toBe(BigInt(loan.dueTime));
  });

  it('counts a running outage up to now', () => {
    const since = 999n * BigInt(DAY);
    const now = since + 7_200n;
    expect(effectiveDueTime(loan, 30 * DAY, [since, 5_000n + 100n], now)).toBe(BigInt(loan.dueTime) + 100n + 7_200n);
    // A node's latest block before the outage's start (a lagging read): nothing of it counts yet.
    expect(effectiveDueTime(loan, 30 * DAY, [since, 5_000n], since - 1n)).toBe(BigInt(loan.dueTime));
  });

  it('caps the extension at one term', () => {
    expect(effectiveDueTime(loan, DAY, [0n, 5_000n + 45n * BigInt(DAY)], 0n)).toBe(BigInt(loan.dueTime + DAY));
    expect(effectiveDueTime(loan, DAY, [0n, 5_000n + BigInt(DAY) - 1n], 0n)).toBe(BigInt(loan.dueTime + DAY) - 1n);
  });
});
