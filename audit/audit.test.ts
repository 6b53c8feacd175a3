// Unit tests for the audit gates: the parts that decide pass or fail must be right without running any tool.
import { describe, expect, it } from 'vitest';
import { compareConfigs } from './configs.js';
import { parseLcov, pct, thresholds } from './coverage.js';
import { parseHalmos } from './halmos.js';
import { parseCounts } from './invariants.js';
import { diffLayout, erc7201Slot, slotsOf, type Layout } from './layout.js';
import { AuditError, compileFailure } from './lib.js';
import { functionName, parseMythril, selectorMap } from './mythril.js';
import { checkSizes } from './sizes.js';
import { findingKey, parseSlither } from './slither.js';
import { retriage } from './retriage.js';
import { type TriageEntry, codeHash, gate, loadTriage, skeleton } from './triage.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each fake function lives in its own fake file `<name>.sol` whose text is `function <name>() {}` (readFake), so a
// finding's code is the hash of that line, and an entry made with entry() lists it.
const snippetOf = (name: string) => `function ${name}() {}`;
const readFake = (file: string) => snippetOf(file.replace(/\.sol$/, ''));
const fn = (contract: string, name: string) => ({
  type: 'function',
  name,
  source_mapping: { filename_relative: `${name}.sol`, start: 0, length: snippetOf(name).length, lines: [1] },
  type_specific_fields: { parent: { type: 'contract', name: contract } },
});
const parseSlitherT = (json: any) => parseSlither(json, readFake);
const detector = (check: string, impact: string, elements: any[]) => ({ check, impact, confidence: 'High', description: `${check} found\nmore`, elements });
const entry = (key: string, severity: any = 'High'): TriageEntry => ({
  key, severity, status: 'false-positive', reason: 'explained at length here', by: 't', date: '2026-11-21',
  ...(key.endsWith(':*') ? {} : { code: [codeHash(snippetOf(key.split('.').pop()!))] }),
});

describe('slither keys and gate', () => {
  it('keys by check + contract + function, never by line', () => {
    expect(findingKey('reentrancy-eth', [fn('LendingPool', 'withdraw')])).toBe('reentrancy-eth:LendingPool.withdraw');
    const node = { type: 'node', name: 'x = 1', source_mapping: { lines: [99] }, type_specific_fields: { parent: fn('Pool', 'borrow') } };
    expect(findingKey('divide-before-multiply', [node])).toBe('divide-before-multiply:Pool.borrow');
    expect(findingKey('missing-inheritance', [{ type: 'contract', name: 'Pool' }])).toBe('missing-inheritance:Pool');
  });

  it('fails on an untriaged high or medium finding and passes once it is triaged', () => {
    const findings = parseSlitherT({
      success: true,
      results: { detectors: [detector('arbitrary-send-eth', 'High', [fn('Pool', 'sweep')]), detector('assembly', 'Informational', [fn('Pool', '_slot')])] },
    });
    const before = gate(findings, { tool: 'slither', entries: [] });
    expect(before.untriagedGated.map((f) => f.key)).toEqual(['arbitrary-send-eth:Pool.sweep']);
    expect(before.untriagedOther).toHaveLength(1);
    const after = gate(findings, { tool: 'slither', entries: [entry('arbitrary-send-eth:Pool.sweep'), entry('gone:Old.fn', 'Low')] });
    expect(after.untriagedGated).toHaveLength(0);
    expect(after.stale.map((e) => e.key)).toEqual(['gone:Old.fn']);
  });

  it('does not let a low triage cover a finding that became medium', () => {
    const findings = parseSlitherT({ success: true, results: { detectors: [detector('timestamp', 'Medium', [fn('Auction', 'price')])] } });
    expect(gate(findings, { tool: 'slither', entries: [entry('timestamp:Auction.price', 'Low')] }).untriagedGated).toHaveLength(1);
  });

  it('keys a local variable by contract, function and name', () => {
    const local = { type: 'variable', name: 'closed', type_specific_fields: { parent: fn('LendingPool', 'repay') } };
    expect(findingKey('uninitialized-local', [local])).toBe('uninitialized-local:LendingPool.repay.closed');
    const state = { type: 'variable', name: 'ASSET', type_specific_fields: { parent: { type: 'contract', name: 'PoolBase' } } };
    expect(findingKey('naming-convention', [state])).toBe('naming-convention:PoolBase.ASSET');
  });

  it('fails on any untriaged severity listed in failOn, and a whole-check entry covers only low findings', () => {
    const findings = parseSlitherT({
      success: true,
      results: {
        detectors: [
          detector('timestamp', 'Low', [fn('Pool', 'accrue')]),
          detector('timestamp', 'Medium', [fn('Pool', 'settle')]),
          detector('assembly', 'Informational', [fn('Pool', '_slot')]),
        ],
      },
    });
    const all = ['High', 'Medium', 'Low', 'Informational', 'Optimization'] as any;
    const strict = gate(findings, { tool: 'slither', failOn: all, entries: [] });
    expect(strict.untriagedGated).toHaveLength(3);
    const cls = { ...entry('timestamp:*', 'Low') };
    const g = gate(findings, { tool: 'slither', failOn: all, entries: [cls] });
    // The class entry covers the low finding, never the medium one; the informational one is still new.
    expect(g.untriagedGated.map((f) => f.key).sort()).toEqual(['assembly:Pool._slot', 'timestamp:Pool.settle']);
    expect(g.stale).toHaveLength(0);
  });

  it('validates triage files: class entries only below medium, failOn keeps high and medium, reasons required', () => {
    const dir = mkdtempSync(join(tmpdir(), 'triage-'));
    const file = (body: unknown) => {
      const p = join(dir, `t${Math.random()}.json`);
      writeFileSync(p, JSON.stringify(body));
      return p;
    };
    expect(() => loadTriage(file({ entries: [entry('reentrancy-eth:*', 'Medium')] }), 'slither')).toThrow(/whole-check/);
    expect(() => loadTriage(file({ failOn: ['High'], entries: [] }), 'slither')).toThrow(/failOn/);
    expect(() => loadTriage(file({ entries: [{ ...entry('a:B.c'), reason: '' }] }), 'slither')).toThrow(/reason/);
    expect(loadTriage(file({ failOn: ['High', 'Medium', 'Low'], entries: [entry('timestamp:*', 'Low')] }), 'slither').failOn).toEqual(['High', 'Medium', 'Low']);
  });

  it('lists new findings as entries to fill in, and pending and stale entries', () => {
    const findings = parseSlitherT({
      success: true,
      results: { detectors: [detector('incorrect-equality', 'Medium', [fn('Pool', 'accrue')]), detector('unused-return', 'Medium', [fn('Auction', 'buy')])] },
    });
    const sk = skeleton(gate(findings, { tool: 'slither', entries: [] }), 'me', '2026-11-22');
    expect(sk[0]).toMatchObject({ key: 'incorrect-equality:Pool.accrue', severity: 'Medium', reason: '', by: 'me', date: '2026-11-22' });
    const r = retriage('slither', findings, {
      entries: [entry('unused-return:Auction.buy', 'Medium'), { ...entry('incorrect-equality:Pool.accrue', 'Medium'), reason: '' }, entry('gone:X.y', 'Low')],
    });
    // The entry with an empty reason is still to do; the one with a reason is done; the unmatched one is stale.
    expect(r.fresh.map((e) => e.key)).toEqual(['incorrect-equality:Pool.accrue']);
    expect(r.stale.map((e) => e.key)).toEqual(['gone:X.y']);
  });

  it('refuses a failed slither run', () => {
    expect(() => parseSlitherT({ success: false, error: 'boom' })).toThrow(AuditError);
  });

  it('does not let an entry cover new code under the same key, and reports the entry as changed', () => {
    const triaged = entry('incorrect-equality:Pool.accrue', 'Medium');
    const node = (text: string, start: number) => ({
      type: 'node', name: text, source_mapping: { filename_relative: 'Pool.sol', start, length: text.length, lines: [1] },
      type_specific_fields: { parent: fn('Pool', 'accrue') },
    });
    const file = 'if (debt == 0) return; if (paid == debt) close();';
    const read = () => file;
    const one = (n: any) => parseSlither({ success: true, results: { detectors: [detector('incorrect-equality', 'Medium', [fn('Pool', 'accrue'), n])] } }, read);
    const old = one(node('debt == 0', 4));
    const pinned = { ...triaged, code: [old[0].code!] };
    expect(gate(old, { tool: 'slither', entries: [pinned] }).untriagedGated).toHaveLength(0);
    // Same check, same function, other code: a new finding, not covered, and the entry is reported.
    const fresh = one(node('paid == debt', 27));
    const g = gate(fresh, { tool: 'slither', entries: [pinned] });
    expect(g.untriagedGated.map((f) => f.key)).toEqual(['incorrect-equality:Pool.accrue']);
    expect(g.changed.map((c) => c.entry.key)).toEqual(['incorrect-equality:Pool.accrue']);
    // Whitespace alone is not a change.
    expect(codeHash('debt  ==\n 0')).toBe(codeHash('debt == 0'));
    // An entry without code is refused outright (except whole-check entries).
    const dir = mkdtempSync(join(tmpdir(), 'triage-'));
    const p = join(dir, 't.json');
    writeFileSync(p, JSON.stringify({ failOn: ['High', 'Medium'], entries: [{ ...triaged, code: undefined }] }));
    expect(() => loadTriage(p, 'slither')).toThrow(/needs 'code'/);
  });

  it('lists the findings a whole-check entry covers', () => {
    const findings = parseSlitherT({ success: true, results: { detectors: [detector('timestamp', 'Low', [fn('Pool', 'a')]), detector('timestamp', 'Low', [fn('Pool', 'b')])] } });
    const g = gate(findings, { tool: 'slither', failOn: ['High', 'Medium', 'Low'] as any, entries: [entry('timestamp:*', 'Low')] });
    expect(g.classes.map((c) => [c.entry.key, c.findings.map((f) => f.key)])).toEqual([['timestamp:*', ['timestamp:Pool.a', 'timestamp:Pool.b']]]);
  });
});

describe('mythril', () => {
  it('keys issues by SWC id, contract and function name', () => {
    const f = parseMythril({ success: true, issues: [{ 'swc-id': '106', severity: 'High', function: 'kill(address)', title: 'Unprotected Selfdestruct', description: 'x' }] }, 'Fixture');
    expect(f[0]).toMatchObject({ key: 'SWC-106:Fixture.kill', severity: 'High' });
  });
  it("names bytecode-mode functions from our selectors, not Mythril's guesses, and merges repeats", () => {
    // deposit(uint256) = 0xb6b55f25
    const sel = selectorMap({ 'deposit(uint256)': 'b6b55f25' });
    expect(functionName('_function_0xb6b55f25', sel)).toBe('deposit');
    expect(functionName('_function_0x12345678', sel)).toBe('_function_0x12345678');
    expect(functionName('deposit(uint256)', sel)).toBe('deposit');
    // Seen on LendingPoolExtension: Mythril's database offers two signatures for symbol()'s selector 0x95d89b41.
    const sym = selectorMap({ 'symbol()': '95d89b41' });
    expect(functionName('link_classic_internal(uint64,int64) or symbol()', sym)).toBe('symbol');
    const issue = { 'swc-id': '116', severity: 'Low', function: '_function_0xb6b55f25', title: 't', description: 'd' };
    expect(parseMythril({ issues: [issue, issue, { ...issue, severity: 'Medium' }] }, 'Pool', sel)).toEqual([
      expect.objectContaining({ key: 'SWC-116:Pool.deposit', severity: 'Medium' }),
    ]);
  });
});

describe('coverage', () => {
  const lcov = [
    'TN:', 'SF:src/A.sol', 'DA:1,1', 'DA:2,0', 'BRDA:2,0,0,1', 'BRDA:2,0,1,-', 'end_of_record',
    'SF:test/A.t.sol', 'DA:1,0', 'end_of_record',
  ].join('\n');
  it('counts src/ only, from DA and BRDA records', () => {
    expect(parseLcov(lcov, 'src')).toEqual([{ file: 'src/A.sol', lines: 2, linesHit: 1, branches: 2, branchesHit: 1 }]);
    expect(pct(0, 0)).toBe(100);
  });
  it('allows threshold overrides locally and refuses them under CI', () => {
    expect(thresholds({ COVERAGE_MIN_LINES: '50' }).lines).toBe(50);
    expect(thresholds({}).branches).toBe(90);
    expect(() => thresholds({ CI: 'true', COVERAGE_MIN_LINES: '50' })).toThrow(AuditError);
  });
});

describe('layout', () => {
  const base = (members: { name: string; type: string }[], storage: Layout['storage'] = []): Layout => ({
    contract: 'Pool',
    source: 'src/Pool.sol',
    storage,
    namespaces: [{ id: 'erc7201:nftlend.storage.Pool', struct: 'PoolStorage', declaredIn: 'Pool', slot: '0x01', members: members.map((m) => ({ name: m.name, shape: { type: m.type } })) }],
  });
  it('derives the documented Governed slot from its namespace', () => {
    expect(erc7201Slot('nftlend.storage.Governed')).toBe('0x5b3a630ba85749325efb592c825831f8de02354dafe4104e313e56745c0bc900');
  });
  it('accepts appends and rejects reorders, type changes and removals', () => {
    const v1 = base([{ name: 'a', type: 'uint256' }, { name: 'b', type: 'address' }]);
    expect(diffLayout(v1, base([{ name: 'a', type: 'uint256' }, { name: 'b', type: 'address' }, { name: 'c', type: 'bool' }]))).toEqual([]);
    expect(diffLayout(v1, base([{ name: 'b', type: 'address' }, { name: 'a', type: 'uint256' }]))).not.toEqual([]);
    expect(diffLayout(v1, base([{ name: 'a', type: 'uint128' }, { name: 'b', type: 'address' }]))).not.toEqual([]);
    expect(diffLayout(v1, base([{ name: 'a', type: 'uint256' }]))).not.toEqual([]);
    expect(diffLayout(v1, { ...v1, namespaces: [] })).not.toEqual([]);
  });
  it('allows an append into the free bytes of an inline struct, and refuses one that grows it', () => {
    const struct = (types: string[]) => ({ type: 'struct PoolBase.Market', kind: 'struct' as const, members: types.map((t, i) => ({ name: `m${i}`, shape: { type: t } })) });
    const withInline = (types: string[]) => base([{ name: 'market', type: 'struct PoolBase.Market' }, { name: 'after', type: 'uint256' }]);
    const v = (types: string[]): Layout => {
      const l = withInline(types);
      l.namespaces[0].members[0].shape = struct(types);
      return l;
    };
    // main's Market: cash (14) + reserve (13) + nextLoanId (4) = 31 bytes; auctionsOpen (1) fills the slot.
    expect(diffLayout(v(['uint112', 'uint104', 'uint32']), v(['uint112', 'uint104', 'uint32', 'bool']))).toEqual([]);
    // Two full words: a bool needs a third slot and would move `after`.
    expect(diffLayout(v(['uint128', 'uint128']), v(['uint128', 'uint128', 'bool']))[0]).toMatch(/grow it from 1 to 2 slot/);
    expect(slotsOf({ type: 'uint256[8]', kind: 'array', inner: { type: 'uint256' } })).toBe(8);
    expect(slotsOf({ type: 'uint64[5]', kind: 'array', inner: { type: 'uint64' } })).toBe(2);
    expect(slotsOf(struct(['address', 'uint96', 'address']))).toBe(2);
    expect(slotsOf({ type: 'weird' })).toBeUndefined();
  });

  it('rejects a change to plain storage slots', () => {
    const s = [{ label: 'x', slot: '0', offset: 0, type: 'uint256' }];
    expect(diffLayout(base([], s), base([], [{ ...s[0], type: 'uint128' }]))).not.toEqual([]);
  });
});

describe('sizes, halmos, invariants', () => {
  it('flags sizes above EIP-170 and differences from the snapshot', () => {
    const big = { Pool: { source: 'src/Pool.sol', runtime: 24_577, initcode: 25_000 } };
    expect(checkSizes(big, big).problems).toHaveLength(1);
    expect(checkSizes({ Pool: { ...big.Pool, runtime: 100 } }, { Pool: { ...big.Pool, runtime: 90 } }).changes).toHaveLength(1);
  });
  it('reads halmos exit codes: 0 proved, 1 counterexample, 2 timeout', () => {
    const r = parseHalmos({ test_results: { 't.sol:C': [{ name: 'check_a()', exitcode: 0, time: [1] }, { name: 'check_b()', exitcode: 2, time: [60] }] } });
    expect(r.map((p) => p.outcome)).toEqual(['pass', 'timeout']);
  });
  it('reads forge and medusa result lines', () => {
    expect(parseCounts('Suite result: ok. 3 passed; 0 failed; 0 skipped\nSuite result: FAILED. 1 passed; 2 failed;')).toEqual({ passed: 4, failed: 2 });
    expect(parseCounts('Test summary: 4 test(s) passed, 0 test(s) failed')).toEqual({ passed: 4, failed: 0 });
  });
});

describe('config mirrors', () => {
  const forge = { remappings: ['a/=x/'], optimizer: true, optimizer_runs: 200, evm_version: 'cancun', via_ir: false };
  const inv = { invariant: { runs: 10, depth: 5 } };
  const files = {
    slither: { solc_remaps: ['a/=x/'], solc_args: '--optimize --optimize-runs 200 --evm-version cancun' },
    mythril: { remappings: ['a/=x/'], optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', viaIR: false },
    medusa: { fuzzing: { callSequenceLength: 5, testLimit: 50 } },
    echidna: 'seqLen: 5\ntestLimit: 50\n',
  };
  it('passes when every copy matches forge and reports each drift', () => {
    expect(compareConfigs(forge, inv, files)).toEqual([]);
    expect(compareConfigs({ ...forge, optimizer_runs: 999 }, { invariant: { runs: 11, depth: 5 } }, files)).toHaveLength(4);
  });
  it('requires the invariants profile, which compiles other sources, to build into its own out/ and cache', () => {
    const dirs = { test: 'test', out: 'out', cache_path: 'cache' };
    const own = { ...inv, test: 'invariants', out: 'out-invariants', cache_path: 'cache-invariants' };
    expect(compareConfigs({ ...forge, ...dirs }, own, files)).toEqual([]);
    const shared = compareConfigs({ ...forge, ...dirs }, { ...own, out: 'out', cache_path: 'cache' }, files);
    expect(shared).toEqual([
      'foundry.toml: the invariants profile builds into the default out/ (out)',
      'foundry.toml: the invariants profile shares the default cache (cache)',
    ]);
    // Same sources (no test folder of its own): sharing is harmless and allowed.
    expect(compareConfigs({ ...forge, ...dirs }, { ...inv, ...dirs }, files)).toEqual([]);
  });
});

describe('compile failures that forge reports with exit 0', () => {
  it('spots a dead solcjs and a compile error, and ignores warnings', () => {
    expect(compileFailure('Compiling 89 files\nError: solc exited with exit status: 1\nRuntimeError: memory access out of bounds')).toMatch(/solc exited/);
    expect(compileFailure('Error (7576): Undeclared identifier.')).toBeDefined();
    expect(compileFailure('Compiler run successful with warnings:\nWarning (2072): Unused local variable.')).toBeUndefined();
  });
});

describe('SUMMARY.md for an auditor', () => {
  it('lists every finding with its entry, expands whole-check entries and marks what the baseline lacks', async () => {
    const { findingRows, commitLine, invariantIds } = await import('./summary.js');
    const { pin } = await import('./retriage.js');
    const findings = parseSlitherT({
      success: true,
      results: { detectors: [detector('timestamp', 'Low', [fn('Pool', 'a')]), detector('timestamp', 'Low', [fn('Pool', 'b')]), detector('arbitrary-send-erc20', 'High', [fn('Pool', 'borrow')])] },
    });
    const g = gate(findings, { tool: 'slither', failOn: ['High', 'Medium', 'Low'] as any, entries: [entry('timestamp:*', 'Low')] });
    const baseline = { commit: 'abc', date: '2026-12-01', findings: [{ tool: 'slither', key: 'timestamp:Pool.a', code: findings[0].code, severity: 'Low' }] };
    const rows = findingRows('slither', g, baseline);
    // Untriaged first, then by severity; the class entry shows on each finding it covers.
    expect(rows.map((r) => [r.finding.key, r.status, r.isNew])).toEqual([
      ['arbitrary-send-erc20:Pool.borrow', '**untriaged**', true],
      ['timestamp:Pool.a', 'false-positive (via `timestamp:*`)', false],
      ['timestamp:Pool.b', 'false-positive (via `timestamp:*`)', true],
    ]);
    expect(commitLine('abc1234', '')).toBe('abc1234, tree clean');
    expect(commitLine('abc1234', ' M src/A.sol\n?? x.txt')).toContain('**tree dirty** (2 file(s)');
    expect(invariantIds('| A1_LEDGER | book == ledger | property |\n| nope | x | y |')).toEqual([{ id: 'A1_LEDGER', statement: 'book == ledger', checked: 'property' }]);
    // Re-pinning takes the codes the key's findings have now; whole-check entries stay as they are.
    const stalePin = { ...entry('arbitrary-send-erc20:Pool.borrow'), code: ['000000000000'] };
    expect(pin([stalePin, entry('timestamp:*', 'Low')], findings).map((e) => e.code)).toEqual([[findings[2].code], undefined]);
  });
});
