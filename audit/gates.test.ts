// Each audit gate and engine verdict fed a run that was skipped, timed out or checked nothing: all must FAIL under
// CI (issue 19). No tool runs here; the one shell test runs invariants/engines.sh's Echidna branch, which only asks
// `docker info`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySkipRule, forgeVerdict, halmosCountProblem, loadGates, medusaVerdict, policyFrom, skipVerdict } from './gates.js';
import { judgeHalmos, propertiesFrom, type ProofResult } from './halmos.js';
import { parseEngineLines } from './invariants.js';
import { ROOT } from './lib.js';
import { judgeMythril, parseCoverage, type ContractRun } from './mythril.js';

const ci = policyFrom({ CI: 'true' }, { allowSkip: { echidna: 'no Docker engine on this machine, by design' } });
const local = policyFrom({}, { allowSkip: {} });

describe('the skip rule', () => {
  it("turns a tool's SKIP into FAIL under CI unless audit/gates.json allows it, and keeps the reason", () => {
    const skipped = { tool: 'medusa', status: 'skip' as const, headline: 'Go is not installed' };
    expect(applySkipRule(skipped, ci)).toMatchObject({ status: 'fail', headline: expect.stringContaining('Go is not installed') });
    expect(applySkipRule(skipped, local)).toMatchObject({ status: 'skip' });
    const echidna = applySkipRule({ ...skipped, tool: 'echidna' }, ci);
    expect(echidna.status).toBe('skip');
    expect(echidna.headline).toContain('allowed to skip: no Docker engine');
    expect(applySkipRule({ tool: 'x', status: 'pass', headline: 'ok' }, ci).status).toBe('pass');
  });

  it('lets AUDIT_ALLOW_SKIP add an engine for one run, visibly', () => {
    const p = policyFrom({ CI: 'true', AUDIT_ALLOW_SKIP: 'medusa' }, { allowSkip: {} });
    expect(skipVerdict('medusa', 'no Go', p)).toEqual({ status: 'SKIP', detail: 'no Go (allowed to skip: allowed for this run by AUDIT_ALLOW_SKIP)' });
    expect(skipVerdict('forge', 'no forge', p).status).toBe('FAIL');
  });

  it('commits the allow-list and the proof count with reasons', () => {
    const g = loadGates();
    expect(Object.keys(g.allowSkip)).toEqual(['echidna']);
    expect(g.halmos.proofs).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'gates-'));
    writeFileSync(join(dir, 'g.json'), JSON.stringify({ allowSkip: { medusa: 'why' }, halmos: { proofs: 3 } }));
    expect(() => loadGates(join(dir, 'g.json'))).toThrow(/reason/);
  });
});

describe('halmos', () => {
  const proof = (name: string, outcome: ProofResult['outcome'] = 'pass'): ProofResult => ({ contract: 'C', name: `${name}(uint256)`, outcome, seconds: 1 });
  it('fails when no proof ran, fewer than committed ran, or one timed out', () => {
    expect(judgeHalmos([], 3)).toMatchObject({ status: 'fail', headline: expect.stringContaining('nothing checked') });
    expect(judgeHalmos([proof('check_a'), proof('check_b')], 3)).toMatchObject({ status: 'fail', headline: expect.stringContaining('only 2 of the 3') });
    expect(judgeHalmos([proof('check_a'), proof('check_b', 'timeout'), proof('check_c')], 3)).toMatchObject({ status: 'fail', headline: expect.stringContaining('check_b (timeout)') });
    expect(halmosCountProblem(4, 3)).toContain('update halmos.proofs');
    expect(judgeHalmos([proof('check_a'), proof('check_b'), proof('check_c')], 3).status).toBe('pass');
  });
  it("states each proof's property from its NatSpec", () => {
    const props = propertiesFrom([{ path: 'X.t.sol', text: '    /// @notice Deposit never mints more\n    /// than the exact amount.\n    function check_x(uint64 a) public pure {}' }]);
    expect(props).toEqual({ check_x: 'Deposit never mints more than the exact amount.' });
    const r = judgeHalmos([proof('check_x')], 1, props);
    expect(r.details?.join('\n')).toContain('| C.check_x | Deposit never mints more than the exact amount. | pass |');
  });
});

describe('mythril', () => {
  const run = (name: string, outcome: ContractRun['outcome']): ContractRun => ({ name, outcome, seconds: 1, issues: 0, log: `reports/x/mythril/${name}.log` });
  it('fails when a contract timed out, errored or had no bytecode, or when nothing was analysed, and names them', () => {
    expect(judgeMythril([run('A', 'done'), run('B', 'timeout')], 0)).toEqual({ status: 'fail', problems: ['1 contract(s) did not finish: B (timeout, log reports/x/mythril/B.log)'] });
    expect(judgeMythril([run('A', 'error'), run('B', 'empty')], 0).problems[0]).toContain('2 contract(s) did not finish: A (error');
    expect(judgeMythril([], 0).problems).toContain('nothing checked: no contract analysed');
    expect(judgeMythril([run('A', 'done')], 1).status).toBe('fail');
    expect(judgeMythril([run('A', 'done')], 0).status).toBe('pass');
  });
  it('reads the instruction coverage of the analysed code', () => {
    const log = 'mythril.laser.plugin.plugins.coverage.coverage_plugin [INFO]: Achieved 12.50% coverage for code: 6000\nAchieved 63.25% coverage for code: 6080aa';
    expect(parseCoverage(log, '6080aa')).toBe(63.25);
    expect(parseCoverage(log)).toBe(63.25);
    expect(parseCoverage('nothing')).toBeUndefined();
  });
});

describe('invariant engines', () => {
  const forgeOk = '[PASS] invariant_properties() (runs: 100, calls: 3200, reverts: 10)\nSuite result: ok. finished in 12.3s\n17 tests passed';
  it('forge: fails when killed at its bound, cut short, with no campaign or no calls', () => {
    expect(forgeVerdict(forgeOk, 0, 100)).toMatchObject({ status: 'PASS' });
    expect(forgeVerdict(forgeOk, 124, 100, 600)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('timed out') });
    expect(forgeVerdict(forgeOk, 0, 10_000)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('cut short: 100 of 10000 runs') });
    expect(forgeVerdict('Suite result: ok. 0 passed', 0, 100)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('nothing checked') });
    expect(forgeVerdict('[PASS] invariant_properties() (runs: 100, calls: 0, reverts: 0)', 0, 100)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('0 calls') });
  });
  it('medusa: fails with 0 properties, 0 calls, no summary (killed) or a failed test', () => {
    const line = (calls: number) => `fuzz: elapsed: 3m0s, calls: ${calls} (208/sec), seq/s: 6, branches hit: 900`;
    expect(medusaVerdict(`${line(37512)}\nTest summary: 52 test(s) passed, 0 test(s) failed`, 0)).toMatchObject({ status: 'PASS', detail: expect.stringContaining('37512 calls in 180 s') });
    expect(medusaVerdict(`${line(37512)}\nTest summary: 0 test(s) passed, 0 test(s) failed`, 0)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('0 properties') });
    expect(medusaVerdict(`${line(0)}\nTest summary: 52 test(s) passed, 0 test(s) failed`, 0)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('0 calls') });
    expect(medusaVerdict(line(900), 124)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('timed out') });
    expect(medusaVerdict(line(900), 0)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('no test summary') });
    expect(medusaVerdict(`${line(10)}\nTest summary: 51 test(s) passed, 1 test(s) failed`, 1).status).toBe('FAIL');
  });
  it('an engine that cannot run: SKIP locally, FAIL under CI unless allowed', () => {
    expect(skipVerdict('medusa', 'Go is not installed', ci).status).toBe('FAIL');
    expect(skipVerdict('medusa', 'Go is not installed', local)).toEqual({ status: 'SKIP', detail: 'Go is not installed' });
    expect(skipVerdict('echidna', 'no Docker', ci).status).toBe('SKIP');
  });
  it('reads engines.sh summary lines with their counts', () => {
    expect(parseEngineLines('[invariants] forge: PASS seed 0xab: 320000 calls in 653 s (490 calls/s), 10000 runs; 17 tests passed\n[invariants] echidna: SKIP no Docker')).toEqual([
      { engine: 'forge', status: 'PASS', detail: 'seed 0xab: 320000 calls in 653 s (490 calls/s), 10000 runs; 17 tests passed', calls: 320000, runs: 10000 },
      { engine: 'echidna', status: 'SKIP', detail: 'no Docker', calls: undefined, runs: undefined },
    ]);
  });

  const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
  it.skipIf(dockerUp)('engines.sh: Echidna without Docker fails under CI once the allow-list leaves it out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engines-'));
    const gates = join(dir, 'gates.json');
    writeFileSync(gates, JSON.stringify({ allowSkip: {}, halmos: { proofs: 1 } }));
    const run = (env: Record<string, string>) =>
      spawnSync('bash', ['invariants/engines.sh', 'echidna'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INVARIANT_LOG_DIR: dir, INVARIANT_SUMMARY: '', ...env } });
    const strict = run({ CI: 'true', AUDIT_GATES_FILE: gates });
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('[invariants] echidna: FAIL did not run: no running Docker engine here');
    const allowed = run({ CI: 'true' });
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('[invariants] echidna: SKIP no running Docker engine here (allowed to skip:');
  });

  it('the verdict CLI exits 1 on FAIL and answers --help', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-'));
    writeFileSync(join(dir, 'medusa.txt'), 'fuzz: elapsed: 10s, calls: 0 (0/sec)\nTest summary: 0 test(s) passed, 0 test(s) failed');
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const r = spawnSync(tsx, ['audit/gates.ts', 'medusa', join(dir, 'medusa.txt'), '0'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL nothing checked/);
    expect(execFileSync(tsx, ['audit/gates.ts', '--help'], { cwd: ROOT, encoding: 'utf8' })).toContain('usage:');
  });
});

describe("AUDIT.md's generated parts", () => {
  it('counts nSLOC without comments, NatSpec or blank lines, and keeps comment markers inside strings', async () => {
    const { nsloc, declarations, render } = await import('./scope.js');
    const src = ['// SPDX', '/// @notice x', 'contract A {', '', '    /* block', '       comment */ uint256 x; // tail', '    string s = "a // b";', '}'].join('\n');
    expect(nsloc(src)).toBe(4);
    expect(declarations('abstract contract B {}\ncontract A is B {}\nlibrary L {}\ninterface I {}')).toEqual({
      declares: ['abstract contract B', 'contract A', 'library L', 'interface I'],
      deployable: ['A'],
    });
    const doc = 'x\n<!-- generated:scope (make audit-scope) -->\nold\n<!-- /generated:scope -->\ny\n';
    expect(render(doc, { scope: ['| new |'] })).toBe('x\n<!-- generated:scope (make audit-scope) -->\n| new |\n<!-- /generated:scope -->\ny\n');
    expect(() => render('no blocks', { scope: [] })).toThrow(/no <!-- generated:scope/);
  });
});

describe('halmos property column', () => {
  it("falls back to docs/audit-tooling.md's proof table for a proof without NatSpec", async () => {
    const { propertiesFromDocs } = await import('./halmos.js');
    const md = '| `PoolPackingCheck.check_rates_unpackInvertsPack(uint256)` | pack ∘ unpack is the identity on every rates word | 0.03 s |\n| other | row |';
    expect(propertiesFromDocs(md)).toEqual({ check_rates_unpackInvertsPack: 'pack ∘ unpack is the identity on every rates word' });
  });
});
