// The one key loader (ts/lib/keys.ts): every role reads <ROLE>_PRIVATE_KEY, <ROLE>_KEY_FILE or <ROLE>_KEYSTORE with
// its password, in that order, and refuses a bad one in one line that names the variable and never the secret.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { beforeAll, describe, expect, it } from 'vitest';
import { keySources, requireAccount, roleAccount, roleKey } from '../lib/keys.js';

describe('key loader', () => {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  let dir: string;
  let keystore: string;
  let keystoreAddress: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'key'), `${key.slice(2)}\n`);
    writeFileSync(join(dir, 'pw'), 'open sesame\n');
    const printed = execFileSync('bin/cast', ['wallet', 'new', dir, 'ks', '--unsafe-password', 'open sesame'], { encoding: 'utf8' });
    keystoreAddress = /Address:\s+(0x[0-9a-fA-F]{40})/.exec(printed)![1];
    keystore = join(dir, readdirSync(dir).find((f) => f === 'ks')!);
  });

  it('reads each of the three schemes for any role, in the documented order', () => {
    for (const role of ['SIGNER', 'DEPLOYER', 'KEEPER', 'ORACLE_RELAYER']) {
      expect(roleAccount({ [`${role}_PRIVATE_KEY`]: key }, role)?.address).toBe(address);
      expect(roleAccount({ [`${role}_KEY_FILE`]: join(dir, 'key') }, role)?.address).toBe(address);
      expect(roleAccount({ [`${role}_KEYSTORE`]: keystore, [`${role}_KEYSTORE_PASSWORD`]: 'open sesame' }, role)?.address).toBe(keystoreAddress);
      expect(roleAccount({ [`${role}_KEYSTORE`]: keystore, [`${role}_KEYSTORE_PASSWORD_FILE`]: join(dir, 'pw') }, role)?.address).toBe(keystoreAddress);
    }
    // The raw key wins over a file, a file over a keystore; a blank raw key counts as unset.
    const all = { SIGNER_PRIVATE_KEY: key, SIGNER_KEY_FILE: join(dir, 'none'), SIGNER_KEYSTORE: keystore };
    expect(roleKey(all, 'SIGNER')).toBe(key);
    expect(roleKey({ SIGNER_KEY_FILE: join(dir, 'key'), SIGNER_KEYSTORE: join(dir, 'none') }, 'SIGNER')).toBe(key);
    expect(roleKey({ SIGNER_PRIVATE_KEY: '  ', SIGNER_KEY_FILE: join(dir, 'key') }, 'SIGNER')).toBe(key);
    // Another role's variables are not this role's.
    expect(roleAccount({ KEEPER_PRIVATE_KEY: key }, 'SIGNER')).toBeNull();
  });

  it('refuses a bad key in one line naming the variable, never the secret', () => {
    const secret = 'ab'.repeat(31);
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        roleKey(env, 'DEPLOYER');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refusal({ DEPLOYER_PRIVATE_KEY: secret })).toBe('DEPLOYER_PRIVATE_KEY must be 32 bytes of hex');
    writeFileSync(join(dir, 'short'), secret);
    expect(refusal({ DEPLOYER_KEY_FILE: join(dir, 'short') })).toBe(`DEPLOYER_KEY_FILE (${join(dir, 'short')}) must be 32 bytes of hex`);
    expect(refusal({ DEPLOYER_KEY_FILE: join(dir, 'none') })).toBe(`DEPLOYER_KEY_FILE: cannot read ${join(dir, 'none')} (ENOENT)`);
    expect(refusal({ DEPLOYER_KEYSTORE: keystore })).toBe('DEPLOYER_KEYSTORE needs DEPLOYER_KEYSTORE_PASSWORD or DEPLOYER_KEYSTORE_PASSWORD_FILE');
    expect(refusal({ DEPLOYER_KEYSTORE: keystore, DEPLOYER_KEYSTORE_PASSWORD: 'wrong' })).toBe('DEPLOYER_KEYSTORE: wrong password (or a corrupt keystore)');
    expect(refusal({ DEPLOYER_KEYSTORE: keystore, DEPLOYER_KEYSTORE_PASSWORD_FILE: join(dir, 'none') })).toBe(`DEPLOYER_KEYSTORE_PASSWORD_FILE: cannot read ${join(dir, 'none')} (ENOENT)`);
    expect(refusal({ DEPLOYER_KEYSTORE: join(dir, 'key'), DEPLOYER_KEYSTORE_PASSWORD: 'x' })).toBe('DEPLOYER_KEYSTORE is not JSON');
    writeFileSync(join(dir, 'v1'), '{"version":1}');
    expect(refusal({ DEPLOYER_KEYSTORE: join(dir, 'v1'), DEPLOYER_KEYSTORE_PASSWORD: 'x' })).toBe('DEPLOYER_KEYSTORE is not a version-3 keystore');
    expect(roleKey({}, 'DEPLOYER')).toBeNull();
  });

  it('requireAccount names every variable that could hold the key', () => {
    expect(requireAccount({ SIGNER_PRIVATE_KEY: key }, 'SIGNER').address).toBe(address);
    expect(() => requireAccount({}, 'SIGNER')).toThrow(`no signing key: set ${keySources('SIGNER')}`);
    expect(keySources('SIGNER')).toBe('SIGNER_PRIVATE_KEY, SIGNER_KEY_FILE, or SIGNER_KEYSTORE with SIGNER_KEYSTORE_PASSWORD(_FILE)');
  });
});
