// Toolchain benchmark (not a test): cold install from the npm registry into an empty directory with an empty npm
// cache, a full forced compile through bin/solc (solcjs shim, or native solc when one is found), and the same with
// native solc forced when one exists. Prints a table; numbers vary with the machine and the registry.
import { execFileSync, execSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../lib/cli.js';

cli({
  name: 'bench',
  usage: `usage: tsx ts/bench/toolchain.ts      (make bench)
Benchmarks the toolchain (not a test): a cold npm install into an empty directory with an empty cache, a full forced
compile through bin/solc (solcjs shim), and with native solc when one is found; prints a table. Takes minutes.
  --help   this text`,
});

const time = (fn: () => void): number => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const rows: [string, string][] = [];

const dir = mkdtempSync(join(tmpdir(), 'nftlend-install-'));
try {
  copyFileSync('package.json', join(dir, 'package.json'));
  copyFileSync('package-lock.json', join(dir, 'package-lock.json'));
  const s = time(() =>
    execSync(`npm install --no-audit --no-fund --loglevel=error --cache ${join(dir, '.npm-cache')}`, { cwd: dir, stdio: 'ignore' }),
  );
  rows.push(['cold install (npm install, empty cache)', `${s.toFixed(1)} s`]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const which = execFileSync('bin/solc', ['--which'], { encoding: 'utf8' }).trim();
const out = mkdtempSync(join(tmpdir(), 'nftlend-out-'));
const build = (env: NodeJS.ProcessEnv) =>
  time(() =>
    execFileSync('bin/forge', ['build', '--force'], {
      stdio: 'ignore',
      env: { ...process.env, FOUNDRY_OUT: join(out, 'o'), FOUNDRY_CACHE_PATH: join(out, 'c'), ...env },
    }),
  );
try {
  const shim = build({ SOLC_FORCE_SHIM: '1' });
  rows.push(['full compile, solcjs shim (src + test + script)', `${shim.toFixed(1)} s`]);
  if (which.startsWith('solc: native')) rows.push(['full compile, native solc', `${build({}).toFixed(1)} s`]);
  else rows.push(['full compile, native solc', 'no native solc 0.8.24 on this machine']);
} finally {
  rmSync(out, { recursive: true, force: true });
}

console.log(which);
for (const [k, v] of rows) console.log(`${k.padEnd(50)} ${v}`);
