// The keeper's signing account, from the environment or an encrypted keystore; never from the command line (argv is
// readable by every local process and lands in shell history).
import { createDecipheriv, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, keccak256, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export const KEY_SOURCES =
  'KEEPER_PRIVATE_KEY, KEEPER_KEY_FILE, or KEEPER_KEYSTORE with KEEPER_KEYSTORE_PASSWORD(_FILE)';

/** The account named by the environment, or null when none of the key variables is set. Throws one clear line when
 * a key is set but unusable. */
export function accountFromEnv(env: NodeJS.ProcessEnv): LocalAccount | null {
  if (env.KEEPER_PRIVATE_KEY) return fromHex(env.KEEPER_PRIVATE_KEY, 'KEEPER_PRIVATE_KEY');
  if (env.KEEPER_KEY_FILE) return fromHex(readText(env.KEEPER_KEY_FILE, 'KEEPER_KEY_FILE'), `KEEPER_KEY_FILE (${env.KEEPER_KEY_FILE})`);
  if (env.KEEPER_KEYSTORE) {
    let password = env.KEEPER_KEYSTORE_PASSWORD;
    if (password === undefined && env.KEEPER_KEYSTORE_PASSWORD_FILE) {
      password = readText(env.KEEPER_KEYSTORE_PASSWORD_FILE, 'KEEPER_KEYSTORE_PASSWORD_FILE');
    }
    if (password === undefined) throw new Error('KEEPER_KEYSTORE needs KEEPER_KEYSTORE_PASSWORD or KEEPER_KEYSTORE_PASSWORD_FILE');
    const json = readText(env.KEEPER_KEYSTORE, 'KEEPER_KEYSTORE');
    return privateKeyToAccount(decryptKeystore(json, password));
  }
  return null;
}

/** A secret file's text, or one error line naming the variable and the path (never the content). */
export function readText(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new Error(`${name}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A 32-byte hex private key (0x optional) as an account, or one error line naming where it came from. */
export function fromHex(raw: string, name: string): LocalAccount {
  let key = raw.trim();
  if (!key.startsWith('0x')) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`${name} must be 32 bytes of hex`);
  return privateKeyToAccount(key as Hex);
}

/** Decrypts a Web3 Secret Storage (v3) keystore, as written by `cast wallet new` / geth: scrypt or PBKDF2-SHA256,
 * AES-128-CTR, and a keccak MAC that tells a wrong password from a corrupt file. */
export function decryptKeystore(json: string, password: string): Hex {
  let ks: {
    version?: number;
    crypto?: Record<string, any>;
    Crypto?: Record<string, any>;
  };
  try {
    ks = JSON.parse(json);
  } catch {
    throw new Error('KEEPER_KEYSTORE is not JSON');
  }
  const c = ks.crypto ?? ks.Crypto;
  if (ks.version !== 3 || !c) throw new Error('KEEPER_KEYSTORE is not a version-3 keystore');
  if (c.cipher !== 'aes-128-ctr') throw new Error(`KEEPER_KEYSTORE: unsupported cipher ${c.cipher}`);
  const p = c.kdfparams ?? {};
  const salt = Buffer.from(hexToBytes(`0x${p.salt}`));
  let derived: Buffer;
  if (c.kdf === 'scrypt') {
    derived = scryptSync(password.normalize('NFKC'), salt, p.dklen, { N: p.n, r: p.r, p: p.p, maxmem: 256 * p.n * p.r + 1024 * 1024 });
  } else if (c.kdf === 'pbkdf2' && p.prf === 'hmac-sha256') {
    derived = pbkdf2Sync(password.normalize('NFKC'), salt, p.c, p.dklen, 'sha256');
  } else {
    throw new Error(`KEEPER_KEYSTORE: unsupported key derivation ${c.kdf}`);
  }
  const ciphertext = Buffer.from(hexToBytes(`0x${c.ciphertext}`));
  const mac = hexToBytes(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])));
  const expected = hexToBytes(`0x${c.mac}`);
  if (expected.length !== mac.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) {
    throw new Error('KEEPER_KEYSTORE: wrong password (or a corrupt keystore)');
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(hexToBytes(`0x${c.cipherparams.iv}`)));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (key.length !== 32) throw new Error('KEEPER_KEYSTORE: the decrypted key is not 32 bytes');
  return bytesToHex(key);
}
