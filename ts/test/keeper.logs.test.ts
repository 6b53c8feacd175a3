// The log reader's handling of provider refusals, against a fake client whose eth_getLogs answers from a list of logs
// under a block-range cap, with scripted transient failures. (The same reader against a real anvil behind a limiting
// proxy is in keeper.network.test.ts.)
import { describe, expect, it } from 'vitest';
import { RpcRequestError, type PublicClient } from 'viem';
import { isLimitError, LogReader } from '../keeper/logs.js';

const ADDRESS = '0x00000000000000000000000000000000000000aa';

/** A client serving one log per listed block, refusing ranges wider than `cap` and failing the calls listed. */
function fakeClient(blocks: number[], cap: number, failCalls: Set<number> = new Set()) {
  const seen: [number, number][] = [];
  let call = 0;
  const client = {
    request: async ({ params }: { params: [{ fromBlock: string; toBlock: string }] }) => {
      call++;
      const from = Number(params[0].fromBlock);
      const to = Number(params[0].toBlock);
      seen.push([from, to]);
      if (failCalls.has(call)) throw new RpcRequestError({ body: {}, url: 'http://fake', error: { code: -32000, message: 'header not found' } });
      if (to - from + 1 > cap) {
        throw new RpcRequestError({ body: {}, url: 'http://fake', error: { code: -32602, message: `query exceeds max block range ${cap}` } });
      }
      return blocks.filter((b) => b >= from && b <= to).map((b) => ({
        address: ADDRESS, topics: [], data: '0x', blockNumber: `0x${b.toString(16)}`, blockHash: '0x', logIndex: '0x0', transactionHash: '0x',
      }));
    },
  };
  return { client: client as unknown as PublicClient, seen };
}

describe('LogReader', () => {
  it('halves the span on a range refusal until it fits, then reads every log once, in order', async () => {
    const blocks = [3, 17, 18, 250, 999, 1000];
    const { client, seen } = fakeClient(blocks, 100);
    const reader = new LogReader(client, { maxSpan: 1000n, retryDelayMs: 0 });
    const logs = await reader.read({ address: [ADDRESS], topics: [] }, 0n, 1000n);
    expect(logs.map((l) => Number(l.blockNumber))).toEqual(blocks);
    expect(reader.span <= 100n).toBe(true);
    // Every block was covered by exactly one successful range.
    const ok = seen.filter(([f, t]) => t - f + 1 <= 100);
    const covered = ok.flatMap(([f, t]) => Array.from({ length: t - f + 1 }, (_, i) => f + i));
    expect(covered).toEqual(Array.from({ length: 1001 }, (_, i) => i));
  });

  it('retries a transient error, and gives up with one clear line when even one block is refused', async () => {
    const { client } = fakeClient([5], 10, new Set([1, 2]));
    const reader = new LogReader(client, { maxSpan: 10n, retryDelayMs: 0 });
    expect((await reader.read({ address: [ADDRESS], topics: [] }, 0n, 9n)).length).toBe(1);

    const { client: tiny } = fakeClient([], 0);
    await expect(new LogReader(tiny, { maxSpan: 8n, retryDelayMs: 0 }).read({ address: [ADDRESS], topics: [] }, 0n, 7n))
      .rejects.toThrow(/^eth_getLogs refuses even the single block 0: /);
    const { client: down } = fakeClient([], 10, new Set([1, 2, 3]));
    await expect(new LogReader(down, { maxSpan: 10n, retryDelayMs: 0 }).read({ address: [ADDRESS], topics: [] }, 0n, 9n))
      .rejects.toThrow(/header not found/);
  });

  it.each([
    ['query returned more than 10000 results', true],
    ['Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range', true],
    ['block range is too wide', true],
    ['exceed maximum block range: 5000', true],
    ['eth_getLogs is limited to a 10 block range', true],
    ['header not found', false],
    ['execution reverted', false],
  ])('tells a limit from another error: %s', (message, limit) => {
    expect(isLimitError(new RpcRequestError({ body: {}, url: 'http://x', error: { code: -32000, message } }))).toBe(limit);
  });
});
