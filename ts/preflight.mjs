#!/usr/bin/env node
// One clear line instead of a stack trace from a later tool: checks Node/npm versions and the installed toolchain.
// Usage: node ts/preflight.mjs node   (before installing)   |   node ts/preflight.mjs all   (after installing)
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const die = (msg) => {
  console.error(`preflight: ${msg}`);
  process.exit(1);
};
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 10)) die(`Node.js ${process.versions.node} is too old: install Node.js 20.10 or newer`);
let npmVersion = '';
try {
  npmVersion = execSync('npm --version', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  die('npm is not on PATH: install npm 10 or newer (it ships with Node.js)');
}
if (Number(npmVersion.split('.')[0]) < 10) die(`npm ${npmVersion} is too old: install npm 10 or newer ('npm install -g npm@11')`);
if (process.argv[2] !== 'all') process.exit(0);

const require = createRequire(import.meta.url);
if (!existsSync('node_modules')) die("node_modules is missing: run 'make install'");
const pins = JSON.parse(readFileSync('package.json', 'utf8')).devDependencies;
for (const tool of ['forge', 'anvil', 'cast']) {
  try {
    execSync(`bin/${tool} --version`, { stdio: 'ignore' });
  } catch {
    die(`${tool} is not installed for this platform: run 'make install'`);
  }
}
try {
  const solc = require('solc');
  if (!solc.version().startsWith(pins.solc)) die(`solc ${solc.version()} installed, ${pins.solc} pinned: run 'make install'`);
} catch {
  die("the solc compiler (npm 'solc') cannot be loaded: run 'make install'");
}
if (!existsSync('node_modules/@layerzerolabs/toolbox-foundry/lib/forge-std/Test.sol')) die("forge-std is missing: run 'make install'");
