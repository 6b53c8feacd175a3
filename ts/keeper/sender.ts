// The keeper's transactions: its own nonce counter (so a pass can send many without waiting for each receipt), a
// record of every transaction still pending, and replacement by fee at the same nonce when one sits unmined. A
// transaction is never sent again at a new nonce while it is pending: a stuck one is re-priced, not duplicated.
import {
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';

export interface TxRequest {
  to: Address;
  data: Hex;
  gas: bigint;
}

export interface PendingTx {
  /** What the transaction does, e.g. `start`, `buy`, `settle`, `claim`, `approve`. */
  label: string;
  loanId?: bigint;
  /** What to report once it is mined. */
  note?: string;
  nonce: number;
  request: TxRequest;
  /** Every hash sent at this nonce, the first one first (a replacement adds one). */
  hashes: Hex[];
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** When the latest version was sent (ms, the sender's clock) and at which block. */
  sentAt: number;
  sentBlock: bigint;
}

export interface Mined {
  tx: PendingTx;
  receipt: TransactionReceipt;
}

export interface SenderOptions {
  /** Replace a transaction still unmined this long after its latest version was sent (default 45 s)... */
  replaceAfterMs?: number;
  /** ...or this many blocks after (default 3), whichever comes first. */
  replaceAfterBlocks?: number;
  /** Fee increase of a replacement, in percent of the previous fees (default 25; nodes demand at least 10). */
  bumpPercent?: number;
  /** Never offer more than this max fee per gas (default: no cap). A transaction stuck at the cap is reported. */
  maxFeePerGasCap?: bigint;
  /** Fixed fees instead of `eth_feeHistory`'s estimate (tests). */
  fees?: () => Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>;
  now?: () => number;
  log?: (line: string) => void;
  alert?: (line: string) => void;
}

export class Sender {
  private readonly pub: PublicClient;
  private readonly wallet: WalletClient;
  private readonly account: Account | Address;
  private readonly address: Address;
  private readonly opts: SenderOptions;
  private next?: number;
  /** Nonces below this were pending in the node at start-up and were not sent by this sender. */
  private foreignUpTo?: number;
  private quote?: { fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }; block: bigint; at: number };
  /** Pending transactions by nonce. */
  readonly pending = new Map<number, PendingTx>();
  /** Replacements sent since the start (a metric). */
  replacements = 0;

  constructor(pub: PublicClient, wallet: WalletClient, account: Account | Address, opts: SenderOptions = {}) {
    this.pub = pub;
    this.wallet = wallet;
    this.account = account;
    this.address = typeof account === 'string' ? account : account.address;
    this.opts = opts;
  }

  /** The pending transaction for `loanId`, if any. */
  pendingFor(loanId: bigint): PendingTx | undefined {
    for (const tx of this.pending.values()) if (tx.loanId === loanId) return tx;
    return undefined;
  }

  pendingLabel(label: string): PendingTx | undefined {
    for (const tx of this.pending.values()) if (tx.label === label) return tx;
    return undefined;
  }

  /** Sends at the next nonce of this sender's own counter and returns at once (the receipt comes from `poll`). */
  async send(label: string, request: TxRequest, loanId?: bigint, note?: string): Promise<PendingTx> {
    if (this.next === undefined) await this.syncNonce();
    if (this.foreignUpTo !== undefined) {
      // Transactions of this account that another process (or this one before a restart) left in the mempool: one of
      // them may be this very action. Send nothing until they are mined or dropped.
      const latest = await this.pub.getTransactionCount({ address: this.address, blockTag: 'latest' });
      if (latest < this.foreignUpTo) {
        throw new Error(`${this.foreignUpTo - latest} earlier transaction(s) of this account are pending (nonces ${latest}..${this.foreignUpTo - 1}); waiting for them`);
      }
      this.foreignUpTo = undefined;
      await this.syncNonce();
    }
    const nonce = this.next!;
    // Fees and block change slowly next to a pass that sends hundreds of transactions: read them once a second.
    if (!this.quote || this.clock() - this.quote.at > 1_000) {
      const [fees, block] = await Promise.all([this.fees(), this.pub.getBlockNumber({ cacheTime: 0 })]);
      this.quote = { fees, block, at: this.clock() };
    }
    const { fees, block } = this.quote;
    let hash: Hex;
    try {
      hash = await this.broadcast(request, nonce, fees);
    } catch (e) {
      // The nonce may or may not have been used: ask the node again before the next send.
      this.next = undefined;
      throw e;
    }
    this.next = nonce + 1;
    const tx: PendingTx = { label, loanId, note, nonce, request, hashes: [hash], ...fees, sentAt: this.clock(), sentBlock: block };
    this.pending.set(nonce, tx);
    return tx;
  }

  /** Looks at every pending transaction: returns those mined (any of their versions), and replaces by fee those that
   * stayed unmined too long. */
  async poll(): Promise<Mined[]> {
    if (this.pending.size === 0) return [];
    const mined: Mined[] = [];
    const block = await this.pub.getBlockNumber({ cacheTime: 0 });
    const confirmedNonce = await this.pub.getTransactionCount({ address: this.address, blockTag: 'latest' });
    for (const [nonce, tx] of [...this.pending].sort((a, b) => a[0] - b[0])) {
      if (nonce < confirmedNonce) {
        // Its nonce is used: by one of its versions (read its receipt), or by a transaction this sender does not know.
        this.pending.delete(nonce);
        const receipt = await this.receiptOf(tx);
        if (receipt) mined.push({ tx, receipt });
        else this.opts.alert?.(`nonce ${nonce} (${tx.label}) was used by another transaction of this account; dropping ours`);
        continue;
      }
      const age = this.clock() - tx.sentAt;
      if (age >= (this.opts.replaceAfterMs ?? 45_000) || block - tx.sentBlock >= BigInt(this.opts.replaceAfterBlocks ?? 3)) {
        await this.replace(tx, block);
      }
    }
    return mined;
  }

  /** Polls until nothing is pending or `timeoutMs` has passed; returns what was mined meanwhile. */
  async settle(timeoutMs: number, intervalMs = 250): Promise<Mined[]> {
    const deadline = Date.now() + timeoutMs;
    const out: Mined[] = [];
    for (;;) {
      out.push(...(await this.pollReceiptsOnly()));
      if (this.pending.size === 0 || Date.now() >= deadline) return out;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Forgets the counter when nothing of this sender is pending, so the next send reads the nonce from the node again.
   * The counter only pipelines the sends of one pass; between passes the account may have sent a transaction of its
   * own (an operator's approval, transfer or claim), and a counter kept over it would make the next send fail as
   * "nonce too low" and lose that action for the pass. One nonce read per pass that sends, none otherwise. */
  forgetNonceIfIdle(): void {
    if (this.pending.size === 0) this.next = undefined;
  }

  /** Reads the next nonce from the node (pending transactions included) and reports ones this sender did not send. */
  async syncNonce(): Promise<void> {
    const [latest, pendingCount] = await Promise.all([
      this.pub.getTransactionCount({ address: this.address, blockTag: 'latest' }),
      this.pub.getTransactionCount({ address: this.address, blockTag: 'pending' }),
    ]);
    const ours = this.pending.size ? Math.max(...this.pending.keys()) + 1 : 0;
    if (pendingCount > latest && pendingCount > ours) {
      this.opts.alert?.(`${pendingCount - latest} transaction(s) of ${this.address} not sent by this process are pending in the node's mempool (nonces ${latest}..${pendingCount - 1}); sending nothing until they are mined`);
      this.foreignUpTo = pendingCount;
    }
    this.next = Math.max(pendingCount, ours);
  }

  /** Receipts of the pending transactions whose nonce the chain has used: one nonce read per poll, then one receipt
   * read per mined transaction (never one per pending transaction per poll: a crash can leave hundreds pending). */
  private async pollReceiptsOnly(): Promise<Mined[]> {
    const out: Mined[] = [];
    if (this.pending.size === 0) return out;
    const used = await this.pub.getTransactionCount({ address: this.address, blockTag: 'latest' });
    const done = [...this.pending].filter(([nonce]) => nonce < used);
    const receipts = await Promise.all(done.map(([, tx]) => this.receiptOf(tx)));
    done.forEach(([nonce, tx], i) => {
      const receipt = receipts[i];
      if (!receipt) return; // a node behind: the receipt of a block it counted is not served yet; next poll
      this.pending.delete(nonce);
      out.push({ tx, receipt });
    });
    return out;
  }

  private async receiptOf(tx: PendingTx): Promise<TransactionReceipt | undefined> {
    for (const hash of tx.hashes) {
      const r = await this.pub.getTransactionReceipt({ hash }).catch(() => undefined);
      if (r) return r;
    }
    return undefined;
  }

  private async replace(tx: PendingTx, block: bigint): Promise<void> {
    const bump = BigInt(100 + (this.opts.bumpPercent ?? 25));
    const market = await this.fees();
    const up = (old: bigint, now: bigint) => {
      const bumped = (old * bump + 99n) / 100n;
      return bumped > now ? bumped : now;
    };
    let maxFeePerGas = up(tx.maxFeePerGas, market.maxFeePerGas);
    let maxPriorityFeePerGas = up(tx.maxPriorityFeePerGas, market.maxPriorityFeePerGas);
    const cap = this.opts.maxFeePerGasCap;
    if (cap !== undefined && maxFeePerGas > cap) {
      if (tx.maxFeePerGas >= cap) {
        this.opts.alert?.(`${tx.label}${tx.loanId !== undefined ? ` of loan ${tx.loanId}` : ''} (nonce ${tx.nonce}) is stuck at the fee cap ${cap} wei/gas`);
        tx.sentAt = this.clock();
        tx.sentBlock = block;
        return;
      }
      maxFeePerGas = cap;
      if (maxPriorityFeePerGas > cap) maxPriorityFeePerGas = cap;
    }
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    let hash: Hex;
    try {
      hash = await this.broadcast(tx.request, tx.nonce, { maxFeePerGas, maxPriorityFeePerGas });
    } catch (e) {
      // Most often "nonce too low": the previous version was mined meanwhile; the next poll finds its receipt.
      this.opts.log?.(`replacing ${tx.label} at nonce ${tx.nonce} failed: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    tx.hashes.push(hash);
    tx.maxFeePerGas = maxFeePerGas;
    tx.maxPriorityFeePerGas = maxPriorityFeePerGas;
    tx.sentAt = this.clock();
    tx.sentBlock = block;
    this.replacements++;
    this.opts.log?.(`${tx.label}${tx.loanId !== undefined ? ` of loan ${tx.loanId}` : ''} unmined at nonce ${tx.nonce}: replaced at max fee ${maxFeePerGas} wei/gas (tx ${hash})`);
  }

  private async broadcast(request: TxRequest, nonce: number, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<Hex> {
    return this.wallet.sendTransaction({
      account: this.account,
      chain: this.wallet.chain ?? null,
      to: request.to,
      data: request.data,
      gas: request.gas,
      nonce,
      type: 'eip1559',
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    } as never);
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.opts.fees) return this.opts.fees();
    const f = await this.pub.estimateFeesPerGas();
    return { maxFeePerGas: f.maxFeePerGas!, maxPriorityFeePerGas: f.maxPriorityFeePerGas! };
  }

  private clock(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }
}
