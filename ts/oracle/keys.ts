// The oracle service's keys, each from the environment, a file or an encrypted keystore; never from argv.
//   ORACLE_<ROLE>_PRIVATE_KEY | ORACLE_<ROLE>_KEY_FILE | ORACLE_<ROLE>_KEYSTORE with ORACLE_<ROLE>_KEYSTORE_PASSWORD(_FILE)
// Roles: REPORTER (signs SaleReports; must be an authorised reporter), RELAYER (sends relaySale and publishRoot; pays
// gas; default: the reporter's key), FEED_UPDATER (local floor feeds; default: the reporter's key, as the deploy
// script makes it the feeds' updater), TRAIT_SIGNER (signs trait roots; needed with --trait-table only).
import type { LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { decryptKeystore, fromHex, readText } from '../keeper/account.js';

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
