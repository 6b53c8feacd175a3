// The status page (`make status`): one local, read-only page for the deployment in deployments/<chainId>.json at
// RPC_URL. node:http on a free loopback port; the page is rendered on the server (pool assets, utilisation on the rate
// curve as an SVG, reserve and bad debt, each collection's valuation and status, the open loans nearest liquidation,
// running auctions at their current price, the monitor's recent alerts) and a small script polls /status.json, which
// carries the same sections rendered again, and swaps them in. Nothing on the page can send a transaction.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublicClient, formatUnits, http, type Abi, type Address, type PublicClient } from 'viem';
import { recordPath } from '../deploy/record.js';
import { dutchAuctionAbi, iLendingPoolAbi, iValuationAdminAbi } from '../generated/contracts.js';
import { effectiveDueTime } from '../keeper/keeper.js';
import { LogReader } from '../keeper/logs.js';
import { parseCommand, redactUrl, wantsHelp, CliError } from '../lib/cli.js';
import { applyLog, type Book } from './book.js';
import { loadDeployment } from './main.js';
import { STATUS_NAMES, type Addresses } from './monitor.js';
import { openStore, type Store } from './store.js';

export const STATUS_USAGE = `usage: tsx ts/monitor/status.ts [--deployment <file>] [--port <n>] [--poll <s>] [--state-file <path>]   (make status)
Serves a read-only status page of the deployment (default deployments/<chainId>.json of the chain at RPC_URL) on
127.0.0.1 (--port, default a free one) and prints its URL. The page refreshes itself every --poll seconds (default 5).
Recent alerts come from the monitor's store: REDIS_URL when set, else --state-file (the monitor's default path).
  --help   this text
environment: RPC_URL (required), REDIS_URL (optional)`;

export interface Snapshot {
  block: number;
  timestamp: number;
  sections: Record<string, string>;
  numbers: Record<string, string>;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class StatusSource {
  private readonly reader: LogReader;
  private book: Book = new Map();
  private cursor: bigint;
  private decimals = 18;
  private symbol = '';
  private shareUnit = 0n;
  constructor(private readonly pub: PublicClient, private readonly a: Addresses, startBlock: bigint, private readonly store?: Store) {
    this.reader = new LogReader(pub, { maxSpan: 2_000n });
    this.cursor = startBlock;
  }

  private async init() {
    if (this.shareUnit) return;
    const asset = await this.pub.readContract({ address: this.a.pool, abi: iLendingPoolAbi, functionName: 'asset' });
    const erc20 = [
      { type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] },
      { type: 'function', name: 'symbol', stateMutability: 'view', inputs: [], outputs: [{ type: 'string' }] },
    ] as const;
    this.decimals = Number(await this.pub.readContract({ address: asset, abi: erc20, functionName: 'decimals' }));
    this.symbol = await this.pub.readContract({ address: asset, abi: erc20, functionName: 'symbol' }).catch(() => '');
    this.shareUnit = 10n ** BigInt(await this.pub.readContract({ address: this.a.pool, abi: iLendingPoolAbi, functionName: 'decimals' }));
  }

  private fmt(x: bigint, digits = 4): string {
    const n = Number(formatUnits(x, this.decimals));
    return `${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${this.symbol ? ` ${esc(this.symbol)}` : ''}`;
  }

  async snapshot(): Promise<Snapshot> {
    await this.init();
    const a = this.a;
    const blk = await this.pub.getBlock({ blockTag: 'latest' });
    const blockNumber = blk.number!;
    if (blockNumber >= this.cursor) {
      for (const log of await this.reader.read({ address: [a.pool, a.auction], topics: [] }, this.cursor, blockNumber)) applyLog(this.book, a.pool, a.auction, log);
      this.cursor = blockNumber + 1n;
    }
    const r = <T>(address: Address, abi: Abi, functionName: string, args: unknown[] = []) =>
      this.pub.readContract({ address, abi, functionName, args, blockNumber }) as Promise<T>;
    const [totalAssets, cash, totalDebt, reserve, [bad, absorbed], [ratePerSec, util], rc, share] = await Promise.all([
      r<bigint>(a.pool, iLendingPoolAbi, 'totalAssets'),
      r<bigint>(a.pool, iLendingPoolAbi, 'cash'),
      r<bigint>(a.pool, iLendingPoolAbi, 'totalDebt'),
      r<bigint>(a.pool, iLendingPoolAbi, 'reserve'),
      r<[bigint, bigint]>(a.pool, iLendingPoolAbi, 'badDebt'),
      r<[bigint, bigint]>(a.pool, iLendingPoolAbi, 'borrowRate'),
      r<{ baseRate: bigint; slope1: bigint; slope2: bigint; kinkBps: number; borrowPaused: boolean }>(a.pool, iLendingPoolAbi, 'rateConfig'),
      r<bigint>(a.pool, iLendingPoolAbi, 'convertToAssets', [this.shareUnit]),
    ]);
    const year = 31_536_000;
    const apr = (perSec: bigint) => (Number(perSec) * year) / 1e16;
    const utilPct = Number(util) / 1e16;
    const numbers: Record<string, string> = {
      'total-assets': this.fmt(totalAssets),
      cash: this.fmt(cash),
      'total-debt': this.fmt(totalDebt),
      reserve: this.fmt(reserve),
      'bad-debt': this.fmt(bad),
      'bad-debt-absorbed': this.fmt(absorbed),
      utilisation: `${utilPct.toFixed(2)} %`,
      'borrow-apr': `${apr(ratePerSec).toFixed(2)} %`,
      'share-price': this.fmt(share, 6),
      block: String(blockNumber),
    };
    const pool = `<table>
<tr><th>pool assets</th><td id="total-assets">${numbers['total-assets']}</td></tr>
<tr><th>idle cash</th><td id="cash">${numbers.cash}</td></tr>
<tr><th>live debt</th><td id="total-debt">${numbers['total-debt']}</td></tr>
<tr><th>utilisation</th><td id="utilisation">${numbers.utilisation}</td></tr>
<tr><th>borrow rate (APR)</th><td id="borrow-apr">${numbers['borrow-apr']}${rc.borrowPaused ? ' <b class="bad">borrows paused</b>' : ''}</td></tr>
<tr><th>one share is worth</th><td id="share-price">${numbers['share-price']}</td></tr>
<tr><th>first-loss reserve</th><td id="reserve">${numbers.reserve}</td></tr>
<tr><th>bad debt written off</th><td id="bad-debt">${numbers['bad-debt']}</td></tr>
<tr><th>&nbsp;of which the reserve absorbed</th><td id="bad-debt-absorbed">${numbers['bad-debt-absorbed']}</td></tr>
</table>`;
    // The rate curve (APR against utilisation) with the kink and the pool's current point.
    const kink = rc.kinkBps / 10_000;
    const rateAt = (u: number) => (u <= kink ? apr(rc.baseRate) + (apr(rc.slope1) * u) / kink : apr(rc.baseRate) + apr(rc.slope1) + (apr(rc.slope2) * (u - kink)) / (1 - kink));
    const W = 360, H = 200, P = 30;
    const top = rateAt(1) * 1.05 || 1;
    const X = (u: number) => P + u * (W - 2 * P);
    const Y = (rate: number) => H - P - (rate / top) * (H - 2 * P);
    const pts = [0, kink, 1].map((u) => `${X(u).toFixed(1)},${Y(rateAt(u)).toFixed(1)}`).join(' ');
    const cu = Math.min(1, utilPct / 100);
    const curve = `<svg id="rate-curve" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="borrow rate against utilisation">
<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#888"/><line x1="${P}" y1="${P}" x2="${P}" y2="${H - P}" stroke="#888"/>
<polyline points="${pts}" fill="none" stroke="#2a6fdb" stroke-width="2"/>
<line x1="${X(kink).toFixed(1)}" y1="${P}" x2="${X(kink).toFixed(1)}" y2="${H - P}" stroke="#bbb" stroke-dasharray="4 3"/>
<text x="${X(kink).toFixed(1)}" y="${P - 6}" font-size="11" text-anchor="middle">kink ${(kink * 100).toFixed(0)} %</text>
<circle id="util-point" cx="${X(cu).toFixed(1)}" cy="${Y(rateAt(cu)).toFixed(1)}" r="5" fill="#d33"/>
<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">utilisation (now ${utilPct.toFixed(2)} %)</text>
<text x="8" y="${P - 6}" font-size="11">${top.toFixed(0)} % APR</text>
</svg>`;

    const collections = await Promise.all(a.collections.map(async (c) => {
      const [[price, status], [, ceiling, debt, frozen]] = await Promise.all([
        r<[bigint, number]>(a.valuation, iValuationAdminAbi, 'priceView', [c]),
        r<[number, bigint, bigint, boolean]>(a.pool, iLendingPoolAbi, 'collectionState', [c]),
      ]);
      return { c, price, status, ceiling, debt, frozen };
    }));
    const collRows = collections.map((x) => `<tr data-collection="${x.c}"><td class="addr">${x.c}</td><td>${x.status === 0 ? this.fmt(x.price) : '–'}</td><td class="${x.status === 0 ? 'ok' : 'bad'}">${esc(STATUS_NAMES[x.status] ?? x.status)}</td><td>${this.fmt(x.debt, 2)} / ${this.fmt(x.ceiling, 0)}${x.frozen ? ' <b class="bad">frozen</b>' : ''}</td></tr>`).join('\n');
    const coll = `<table><tr><th>collection</th><th>valuation (unit)</th><th>status</th><th>debt / ceiling</th></tr>\n${collRows}</table>`;

    const live = [...this.book].filter(([, e]) => e.loan.auctionStart === 0);
    const hfs = await Promise.all(live.map(([, e]) => r<bigint>(a.pool, iLendingPoolAbi, 'healthFactor', [e.loan]).catch(() => null)));
    const debts = await Promise.all(live.map(([, e]) => r<bigint>(a.pool, iLendingPoolAbi, 'debtOf', [e.loan])));
    const ranked = live.map(([id, e], i) => ({ id, e, hf: hfs[i], debt: debts[i] })).sort((x, y) => (x.hf === null ? -1 : y.hf === null ? 1 : x.hf < y.hf ? -1 : x.hf > y.hf ? 1 : 0)).slice(0, 10);
    // The due date the pool applies: extended by the valuation's outage seconds since the term began, by one term at
    // most (the same function as the keeper's); the extension is shown when there is one.
    const outages = new Map<string, Promise<readonly [bigint, bigint] | null>>();
    const durations = new Map<string, Promise<number | null>>();
    const dues = await Promise.all(ranked.map(async ({ e: { loan } }) => {
      const c = loan.collection.toLowerCase();
      if (!outages.has(c)) outages.set(c, r<readonly [bigint, bigint]>(a.valuation, iValuationAdminAbi, 'outage', [loan.collection]).catch(() => null));
      const k = `${c}:${loan.termsId}`;
      if (!durations.has(k)) durations.set(k, r<{ duration: number }>(a.pool, iLendingPoolAbi, 'terms', [loan.collection, loan.termsId]).then((t) => t.duration, () => null));
      const [outage, duration] = await Promise.all([outages.get(c)!, durations.get(k)!]);
      return outage === null || duration === null ? null : effectiveDueTime(loan, duration, outage, blk.timestamp);
    }));
    const when = (t: bigint | number) => new Date(Number(t) * 1000).toISOString().slice(0, 16).replace('T', ' ');
    const dueCell = (loan: { dueTime: number }, due: bigint | null) => {
      if (due === null) return `${when(loan.dueTime)} <span class="ext">(before any outage extension: the valuation's outage is unreadable)</span>`;
      const ext = due - BigInt(loan.dueTime);
      return ext === 0n ? when(due) : `${when(due)} <span class="ext">(extended ${ext} s, ${(Number(ext) / 3600).toFixed(1)} h, by oracle outages)</span>`;
    };
    const loans = ranked.length
      ? `<table><tr><th>loan</th><th>collateral</th><th>debt</th><th>health factor</th><th>due</th></tr>\n${ranked.map((x, i) => `<tr data-loan="${x.id}"><td>${x.id}</td><td class="addr">${x.e.loan.collection} #${x.e.loan.tokenId}</td><td>${this.fmt(x.debt)}</td><td class="${x.hf !== null && x.hf < 10n ** 18n ? 'bad' : ''}">${x.hf === null ? 'valuation unavailable' : (Number(x.hf) / 1e18).toFixed(4)}</td><td class="due">${dueCell(x.e.loan, dues[i])}</td></tr>`).join('\n')}</table>`
      : '<p>no open loans</p>';

    const running = [...this.book].filter(([, e]) => e.auction);
    const prices = await Promise.all(running.map(([id, e]) => r<bigint>(a.auction, dutchAuctionAbi, 'currentPrice', [BigInt(id), e.loan, e.auction]).catch(() => null)));
    const auctions = running.length
      ? `<table><tr><th>loan</th><th>round</th><th>current price</th><th>start → reserve</th><th>debt</th></tr>\n${running.map(([id, e], i) => `<tr data-auction="${id}"><td>${id}</td><td>${e.auction!.round}</td><td class="price">${prices[i] === null ? 'ended' : this.fmt(prices[i]!)}</td><td>${this.fmt(e.auction!.startPrice, 2)} → ${this.fmt(e.auction!.reservePrice, 2)}</td><td>${this.fmt(e.loan.frozenDebt)}</td></tr>`).join('\n')}</table>`
      : '<p>no running auctions</p>';

    const recent = this.store ? (await this.store.recent(15)).map((j) => JSON.parse(j) as { severity: string; rule: string; message: string; block: number; timestamp: number }) : [];
    const alerts = recent.length
      ? `<ul>${recent.map((x) => `<li class="${esc(x.severity)}"><b>${esc(x.severity)}</b> ${esc(x.rule)} · block ${x.block} · ${new Date(x.timestamp * 1000).toISOString().slice(0, 19).replace('T', ' ')}<br>${esc(x.message)}</li>`).join('')}</ul>`
      : '<p>no alerts recorded</p>';
    const head = `block <span id="block">${blockNumber}</span> · ${new Date(Number(blk.timestamp) * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    return { block: Number(blockNumber), timestamp: Number(blk.timestamp), numbers, sections: { head, pool, curve, coll, loans, auctions, alerts } };
  }
}

export function renderPage(s: Snapshot, title: string, pollMs: number): string {
  const sec = (id: string, h: string) => `<section><h2>${h}</h2><div id="sec-${id}">${s.sections[id]}</div></section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 "DejaVu Sans",system-ui,sans-serif;margin:1.5em;color:#222;max-width:1100px}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.2em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}th{font-weight:600;color:#555}
.addr{font-family:"DejaVu Sans Mono",monospace;font-size:12px}.bad{color:#c00}.ok{color:#080}
.grid{display:grid;grid-template-columns:minmax(300px,1fr) 380px;gap:1em}
li.critical b{color:#c00}li.warning b{color:#b60}li{margin-bottom:.4em}#stale{color:#c00}
</style></head><body>
<h1>${esc(title)}</h1><div id="sec-head">${s.sections.head}</div> <span id="stale"></span>
<div class="grid">${sec('pool', 'Pool')}${sec('curve', 'Utilisation on the rate curve')}</div>
${sec('coll', 'Collections')}${sec('loans', 'Open loans nearest liquidation')}${sec('auctions', 'Running auctions')}${sec('alerts', 'Recent alerts')}
<script>
(() => {
  async function poll() {
    try {
      const res = await fetch('status.json', { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const s = await res.json();
      for (const [id, html] of Object.entries(s.sections)) {
        const el = document.getElementById('sec-' + id);
        if (el && el.innerHTML !== html) el.innerHTML = html;
      }
      document.getElementById('stale').textContent = '';
    } catch (e) {
      document.getElementById('stale').textContent = '(not updating: ' + e.message + ')';
    }
    setTimeout(poll, ${pollMs});
  }
  setTimeout(poll, ${pollMs});
})();
</script></body></html>`;
}

export async function startStatusServer(opts: { source: StatusSource; title: string; port?: number; pollMs?: number }): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const pollMs = opts.pollMs ?? 5_000;
  // One snapshot at a time: a page polling faster than the chain answers shares the one in flight.
  let inflight: Promise<Snapshot> | null = null;
  const snap = () => (inflight ??= opts.source.snapshot().finally(() => (inflight = null)));
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/') {
        const s = await snap();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(renderPage(s, opts.title, pollMs));
      } else if (path === '/status.json') {
        const s = await snap();
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(s));
      } else res.writeHead(404).end('not found\n');
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`cannot read the chain: ${((e as { shortMessage?: string }).shortMessage ?? (e as Error).message).split('\n')[0]}\n`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', ok);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, server, close: () => new Promise((ok) => server.close(() => ok())) };
}

const OPTIONS = { deployment: { type: 'string' }, port: { type: 'string' }, poll: { type: 'string' }, 'state-file': { type: 'string' } } as const;

async function cliMain(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(STATUS_USAGE);
    return 0;
  }
  let values;
  const rpcUrl = process.env.RPC_URL?.trim();
  try {
    values = parseCommand(argv, { name: 'status', usage: STATUS_USAGE, options: OPTIONS }).values;
    if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new CliError(`--port: ${values.port} is not a port number`);
    if (values.poll !== undefined && !(Number(values.poll) > 0)) throw new CliError(`--poll: ${values.poll} is not a positive number of seconds`);
    if (!rpcUrl) throw new CliError('RPC_URL is not set');
  } catch (e) {
    console.error(`status: ${(e as Error).message}`);
    return 2;
  }
  const pub = createPublicClient({ transport: http(rpcUrl, { timeout: 15_000, retryCount: 1 }) }) as PublicClient;
  let chainId: number;
  try {
    chainId = await pub.getChainId();
  } catch {
    console.error(`status: cannot reach the RPC at ${redactUrl(rpcUrl)}`);
    return 1;
  }
  let dep;
  try {
    dep = loadDeployment(values.deployment ?? recordPath(chainId), chainId);
  } catch (e) {
    console.error(`status: ${(e as Error).message}`);
    return 2;
  }
  const store = await openStore({
    redisUrl: process.env.REDIS_URL?.trim() || undefined,
    file: values['state-file'] ?? join('cache', 'monitor', `${chainId}-${dep.addrs.pool.toLowerCase()}.json`),
    prefix: `monitor:${chainId}:${dep.addrs.pool.toLowerCase()}:`,
  }).catch(() => undefined);
  const source = new StatusSource(pub, dep.addrs, dep.startBlock, store);
  const s = await startStatusServer({ source, title: `Pool ${dep.addrs.pool} · chain ${chainId}`, port: values.port ? Number(values.port) : 0, pollMs: Number(values.poll ?? 5) * 1000 }).catch((e) => {
    console.error(`status: cannot listen: ${(e as Error).message}`);
    return null;
  });
  if (!s) return 1;
  console.log(`status page of pool ${dep.addrs.pool} (chain ${chainId} at ${redactUrl(rpcUrl)}): ${s.url}  (Ctrl-C stops it)`);
  await new Promise<void>((ok) => {
    process.once('SIGINT', ok);
    process.once('SIGTERM', ok);
  });
  await s.close();
  await store?.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cliMain(process.argv.slice(2)).then((code) => process.exit(code));
}
