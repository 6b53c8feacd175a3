// Signing keys come from the environment or a file, never from argv (argv is visible to every local process).
import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export function loadAccount(env: NodeJS.ProcessEnv = process.env) {
  let key = env.SIGNER_PRIVATE_KEY?.trim();
  if (!key && env.SIGNER_KEY_FILE) key = readFileSync(env.SIGNER_KEY_FILE, "utf8").trim();
  if (!key) throw new Error("no signing key: set SIGNER_PRIVATE_KEY or SIGNER_KEY_FILE");
  if (!key.startsWith("0x")) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("signing key must be 32 bytes of hex");
  return privateKeyToAccount(key as Hex);
}
