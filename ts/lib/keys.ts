// Every signing key the tools use, loaded one way: from the environment, a file, or an encrypted keystore; never from
// the command line (argv is readable by every local process and lands in shell history). One scheme per role:
//   <ROLE>_PRIVATE_KEY           the key itself (32 bytes of hex, 0x optional)
//   <ROLE>_KEY_FILE              a file holding it
//   <ROLE>_KEYSTORE              a Web3 Secret Storage v3 keystore (`cast wallet new`, geth), unlocked by
//                                <ROLE>_KEYSTORE_PASSWORD or <ROLE>_KEYSTORE_PASSWORD_FILE
// taken in that order. Roles: KEEPER (the keeper), SIGNER (the EIP-712 signer, ts/pricer/sign.ts), DEPLOYER (the
// deploy and upgrade relayer; ETH_KEYSTORE + ETH_PASSWORD, handed to forge, also still work there),
// ORACLE_REPORTER, ORACLE_RELAYER, ORACLE_FEED_UPDATER, ORACLE_TRAIT_SIGNER (the oracle service).
import { createDecipheriv, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, keccak256, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** The variables that can hold `role`'s key, for messages and `--help`. */
export const keySources = (role: string) =>
  `${role}_PRIVATE_KEY, ${role}_KEY_FILE, or ${role}_KEYSTORE with ${role}_KEYSTORE_PASSWORD(_FILE)`;

/** `role`'s private key as the environment gives it, or null when none of its variables is set. Throws one line
 * naming the variable (never the secret) when one is set but unusable. */
export function roleKey(env: NodeJS.ProcessEnv, role: string): Hex | null {
  const name = (suffix: string) => `${role}_${suffix}`;
  const raw = env[name('PRIVATE_KEY')]?.trim();
  if (raw) return parseKey(raw, name('PRIVATE_KEY'));
  const file = env[name('KEY_FILE')];
  if (file) return parseKey(readText(file, name('KEY_FILE')), `${name('KEY_FILE')} (${file})`);
  const keystore = env[name('KEYSTORE')];
  if (keystore) {
    let password = env[name('KEYSTORE_PASSWORD')];
    const passwordFile = env[name('KEYSTORE_PASSWORD_FILE')];
    if (password === undefined && passwordFile) password = readText(passwordFile, name('KEYSTORE_PASSWORD_FILE'));
    if (password === undefined) {
      throw new Error(`${name('KEYSTORE')} needs ${name('KEYSTORE_PASSWORD')} or ${name('KEYSTORE_PASSWORD_FILE')}`);
    }
    return decryptKeystore(readText(keystore, name('KEYSTORE')), password, name('KEYSTORE'));
  }
  return null;
}

/** `role`'s account, or null when none of its variables is set (see `roleKey`). */
export function roleAccount(env: NodeJS.ProcessEnv, role: string): LocalAccount | null {
  const key = roleKey(env, role);
  return key === null ? null : privateKeyToAccount(key);
}

/** `role`'s account; without one, one line naming every variable that could hold it. */
export function requireAccount(env: NodeJS.ProcessEnv, role: string): LocalAccount {
  const account = roleAccount(env, role);
  if (!account) throw new Error(`no signing key: set ${keySources(role)}`);
  return account;
}

/** A secret file's text, or one error line naming the variable and the path (never the content). */
export function readText(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new Error(`${name}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A 32-byte hex private key (0x optional), or one error line naming where it came from. */
export function parseKey(raw: string, name: string): Hex {
  let key = raw.trim();
  if (!key.startsWith('0x')) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`${name} must be 32 bytes of hex`);
  return key as Hex;
}

/** Decrypts a Web3 Secret Storage (v3) keystore: scrypt or PBKDF2-SHA256, AES-128-CTR, and a keccak MAC that tells a
 * wrong password from a corrupt file. `name` (the variable that named the file) leads every error line. */
export function decryptKeystore(json: string, password: string, name: string): Hex {
  let ks: { version?: number; crypto?: Record<string, any>; Crypto?: Record<string, any> };
  try {
    ks = JSON.parse(json);
  } catch {
    throw new Error(`${name} is not JSON`);
  }
  const c = ks.crypto ?? ks.Crypto;
  if (ks.version !== 3 || !c) throw new Error(`${name} is not a version-3 keystore`);
  if (c.cipher !== 'aes-128-ctr') throw new Error(`${name}: unsupported cipher ${c.cipher}`);
  const p = c.kdfparams ?? {};
  const salt = Buffer.from(hexToBytes(`0x${p.salt}`));
  let derived: Buffer;
  if (c.kdf === 'scrypt') {
    derived = scryptSync(password.normalize('NFKC'), salt, p.dklen, { N: p.n, r: p.r, p: p.p, maxmem: 256 * p.n * p.r + 1024 * 1024 });
  } else if (c.kdf === 'pbkdf2' && p.prf === 'hmac-sha256') {
    derived = pbkdf2Sync(password.normalize('NFKC'), salt, p.c, p.dklen, 'sha256');
  } else {
    throw new Error(`${name}: unsupported key derivation ${c.kdf}`);
  }
  const ciphertext = Buffer.from(hexToBytes(`0x${c.ciphertext}`));
  const mac = hexToBytes(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])));
  const expected = hexToBytes(`0x${c.mac}`);
  if (expected.length !== mac.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) {
    throw new Error(`${name}: wrong password (or a corrupt keystore)`);
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(hexToBytes(`0x${c.cipherparams.iv}`)));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (key.length !== 32) throw new Error(`${name}: the decrypted key is not 32 bytes`);
  return bytesToHex(key);
}
