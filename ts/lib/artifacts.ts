// Reads forge build artifacts (out/<File>.sol/<Contract>.json) into viem-ready ABI + bytecode.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Abi, Hex } from 'viem';

export interface Artifact {
  abi: Abi;
  bytecode: Hex;
  /** The runtime code, for calls that place it at an address without deploying (eth_call state override). */
  deployedBytecode: Hex;
}

export function loadArtifact(contract: string, file = `${contract}.sol`, outDir = 'out'): Artifact {
  const path = join(outDir, file, `${contract}.json`);
  if (!existsSync(path)) throw new Error(`artifact ${path} not found: run 'make build' first`);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  return { abi: json.abi as Abi, bytecode: json.bytecode.object as Hex, deployedBytecode: json.deployedBytecode.object as Hex };
}
