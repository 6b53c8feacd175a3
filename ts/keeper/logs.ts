// Event reading under a real provider's limits: a topic filter, a block span that halves when the provider refuses a
// range as too wide or its result as too large (and grows back after a run of successes), and a short retry for the
// transient errors (rate limits, a node timing out) that public RPCs return now and then.
import { BaseError, numberToHex, type Address, type Hex, type PublicClient } from 'viem';

/** A log as `eth_getLogs` returns it, with the numbers parsed. */
export interface RawLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
  transactionHash: Hex;
}

export interface LogFilter {
  address: Address[];
  /** eth_getLogs topics: position 0 is usually the list of event signatures wanted. */
  topics: (Hex | Hex[] | null)[];
}

export interface LogReaderOptions {
  /** Widest block span asked for at once (default 5,000). */
  maxSpan?: bigint;
  /** Attempts per range for an error that is not a limit (default 3). */
  attempts?: number;
  /** Pause before a retry, times the attempt number (default 250 ms). */
  retryDelayMs?: number;
  log?: (line: string) => void;
}

/** The words providers use when a range or a result set is over their limit (Alchemy, Infura, QuickNode, Ankr,
 * geth's and erigon's own caps...), and the JSON-RPC code some of them send with it. */
const LIMIT_WORDS =
  /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|more than \d+ (results|logs)|exceeds? (the )?(max|maximum|limit)|limit exceeded|response size|query timeout|returned too many/i;

/** Every message and detail along an error's cause chain, on one line. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let depth = 0; x && depth < 8; depth++) {
    if (x instanceof BaseError) parts.push(x.shortMessage, x.details ?? '');
    else if (x instanceof Error) parts.push(x.message);
    else parts.push(String(x));
    x = (x as { cause?: unknown }).cause;
  }
  return parts.filter(Boolean).join(' | ').replace(/\s+/g, ' ');
}

/** True when the provider refused a range or a result set for its size: asking for half the range may succeed. */
export function isLimitError(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; x && depth < 8; depth++) {
    if ((x as { code?: number }).code === -32005) return true; // "limit exceeded" (EIP-1474), used by Infura for log caps
    x = (x as { cause?: unknown }).cause;
  }
  return LIMIT_WORDS.test(errorText(e));
}

export class LogReader {
  private readonly pub: PublicClient;
  private readonly maxSpan: bigint;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly log: (line: string) => void;
  /** The span that last worked: starts at the maximum, halves on a limit error, doubles after 4 successes (up to
   * half the last refused span, for a while). */
  span: bigint;
  private streak = 0;
  /** Half the span refused last: growth stops there for the next 64 successful requests (a range cap stays; a result
   * cap depends on how dense the logs are, so a wider span is tried again later). */
  private ceiling?: bigint;
  private ceilingTtl = 0;
  /** eth_getLogs requests made, successful or not (for tests and the benchmark). */
  requests = 0;

  constructor(pub: PublicClient, opts: LogReaderOptions = {}) {
    this.pub = pub;
    this.maxSpan = opts.maxSpan ?? 5_000n;
    if (this.maxSpan < 1n) throw new Error('LogReader: maxSpan must be at least 1');
    this.span = this.maxSpan;
    this.attempts = opts.attempts ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 250;
    this.log = opts.log ?? (() => {});
  }

  /** Every log matching `filter` in [from, to], in chain order. Throws when a single block is still refused, or when
   * a range keeps failing for another reason. */
  async read(filter: LogFilter, from: bigint, to: bigint): Promise<RawLog[]> {
    const out: RawLog[] = [];
    let pos = from;
    while (pos <= to) {
      const end = pos + this.span - 1n < to ? pos + this.span - 1n : to;
      let logs: RawLog[];
      try {
        logs = await this.fetch(filter, pos, end);
      } catch (e) {
        if (!isLimitError(e)) throw e;
        if (end === pos) throw new Error(`eth_getLogs refuses even the single block ${pos}: ${errorText(e).slice(0, 200)}`);
        this.span = (end - pos + 1n) / 2n;
        this.ceiling = this.span;
        this.ceilingTtl = 64;
        this.streak = 0;
        this.log(`eth_getLogs over ${end - pos + 1n} blocks refused as too large; trying ${this.span}`);
        continue;
      }
      out.push(...logs);
      pos = end + 1n;
      if (this.ceiling !== undefined && --this.ceilingTtl <= 0) this.ceiling = undefined;
      const limit = this.ceiling ?? this.maxSpan;
      if (++this.streak >= 4 && this.span < limit) {
        this.span = this.span * 2n > limit ? limit : this.span * 2n;
        this.streak = 0;
      }
    }
    out.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    return out;
  }

  private async fetch(filter: LogFilter, from: bigint, to: bigint): Promise<RawLog[]> {
    for (let attempt = 1; ; attempt++) {
      this.requests++;
      try {
        const raw = (await this.pub.request({
          method: 'eth_getLogs',
          params: [{ address: filter.address, topics: filter.topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
        } as never)) as Array<Record<string, string | string[]>>;
        return raw.map((l) => ({
          address: l.address as Address,
          topics: l.topics as Hex[],
          data: l.data as Hex,
          blockNumber: BigInt(l.blockNumber as string),
          blockHash: l.blockHash as Hex,
          logIndex: Number(l.logIndex),
          transactionHash: l.transactionHash as Hex,
        }));
      } catch (e) {
        if (isLimitError(e) || attempt >= this.attempts) throw e;
        await new Promise((r) => setTimeout(r, this.retryDelayMs * attempt));
      }
    }
  }
}
