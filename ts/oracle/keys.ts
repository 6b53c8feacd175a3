// The oracle service's keys, each from the environment, a file or an encrypted keystore; never from argv.
//   ORACLE_<ROLE>_PRIVATE_KEY | ORACLE_<ROLE>_KEY_FILE | ORACLE_<ROLE>_KEYSTORE with ORACLE_<ROLE>_KEYSTORE_PASSWORD(_FILE)
// Roles: REPORTER (signs SaleReports; must be an authorised reporter), RELAYER (sends relaySale and publishRoot; pays
// gas; default: the reporter's key), FEED_UPDATER (local floor feeds; default: the reporter's key, as the deploy
// script makes it the feeds' updater), TRAIT_SIGNER (signs trait roots; needed with --trait-table only).
import { readFileSync } from 'node:fs';
import type { Hex, LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { decryptKeystore } from '../keeper/account.js';

export type KeyRole = 'REPORTER' | 'RELAYER' | 'FEED_UPDATER' | 'TRAIT_SIGNER';

export const keySources = (role: KeyRole) =>
  `ORACLE_${role}_PRIVATE_KEY, ORACLE_${role}_KEY_FILE, or ORACLE_${role}_KEYSTORE with ORACLE_${role}_KEYSTORE_PASSWORD(_FILE)`;

/** The account of `role`, or null when none of its variables is set. Throws one line when a key is set but unusable. */
export function roleAccount(env: NodeJS.ProcessEnv, role: KeyRole): LocalAccount | null {
  const p = `ORACLE_${role}`;
  if (env[`${p}_PRIVATE_KEY`]) return fromHex(env[`${p}_PRIVATE_KEY`]!, `${p}_PRIVATE_KEY`);
  if (env[`${p}_KEY_FILE`]) return fromHex(readText(env[`${p}_KEY_FILE`]!, `${p}_KEY_FILE`), `${p}_KEY_FILE`);
  if (env[`${p}_KEYSTORE`]) {
    let password = env[`${p}_KEYSTORE_PASSWORD`];
    if (password === undefined && env[`${p}_KEYSTORE_PASSWORD_FILE`]) password = readText(env[`${p}_KEYSTORE_PASSWORD_FILE`]!, `${p}_KEYSTORE_PASSWORD_FILE`);
    if (password === undefined) throw new Error(`${p}_KEYSTORE needs ${p}_KEYSTORE_PASSWORD or ${p}_KEYSTORE_PASSWORD_FILE`);
    try {
      return privateKeyToAccount(decryptKeystore(readText(env[`${p}_KEYSTORE`]!, `${p}_KEYSTORE`), password));
    } catch (e) {
      throw new Error(`${p}_KEYSTORE: ${(e as Error).message.replace(/^KEEPER_KEYSTORE:? ?/, '')}`);
    }
  }
  return null;
}

function readText(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new Error(`${name}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function fromHex(raw: string, name: string): LocalAccount {
  let key = raw.trim();
  if (!key.startsWith('0x')) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`${name} must be 32 bytes of hex`);
  return privateKeyToAccount(key as Hex);
}
