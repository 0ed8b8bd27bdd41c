/**
 * Interoperability with typage (the `age-encryption` package, the age authors' TypeScript
 * implementation, used here as the independent oracle): files the vault writes decrypt
 * with typage and files typage writes decrypt with the vault, for both recipient types
 * typage and the vault share (`mlkem768x25519` and `X25519`), binary and armored, across
 * the 64 KiB chunk boundary, on every crypto provider this runtime offers.
 */
import * as typage from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import {
  armorAgeFile,
  encodeAgeIdentity,
  encodeAgeRecipient,
  openAgeFile,
  parseAgeIdentity,
  parseAgeRecipient,
  sealAgeFile,
} from '../../../src/envelope/age.js';
import { testProviders } from '../../helpers/vectors.js';

const SIZES = [0, 1, 65536, 65537, 2 * 65536 + 5];
const TYPES = [
  { name: 'mlkem768x25519', generate: () => typage.generateHybridIdentity() },
  { name: 'X25519', generate: () => typage.generateX25519Identity() },
] as const;

async function typageEncrypt(recipient: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const e = new typage.Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(plaintext);
}

async function typageDecrypt(identity: string, file: Uint8Array): Promise<Uint8Array> {
  const d = new typage.Decrypter();
  d.addIdentity(identity);
  return d.decrypt(file);
}

for (const provider of testProviders()) {
  describe(`age interop with typage (${provider.name} provider)`, () => {
    for (const t of TYPES) {
      it(`${t.name}: typage reads every file the vault writes, binary and armored`, async () => {
        const identity = await t.generate();
        const recipient = await typage.identityToRecipient(identity);
        expect(parseAgeRecipient(recipient).type).toBe(t.name);
        for (const size of SIZES) {
          const plaintext = randomBytes(size);
          const file = sealAgeFile([recipient], plaintext, { provider });
          expect(await typageDecrypt(identity, file)).toEqual(plaintext);
          const armored = new TextDecoder().decode(sealAgeFile([recipient], plaintext, { provider, armor: true }));
          expect(await typageDecrypt(identity, typage.armor.decode(armored))).toEqual(plaintext);
        }
      });

      it(`${t.name}: the vault reads every file typage writes, binary and armored`, async () => {
        const identity = await t.generate();
        const recipient = await typage.identityToRecipient(identity);
        const ids = [parseAgeIdentity(identity)];
        for (const size of SIZES) {
          const plaintext = randomBytes(size);
          const file = await typageEncrypt(recipient, plaintext);
          expect(openAgeFile(ids, file, { provider })).toEqual(plaintext);
          const armored = new TextEncoder().encode(typage.armor.encode(file));
          expect(openAgeFile(ids, armored, { provider })).toEqual(plaintext);
          // Both armor encoders are canonical: one text per file.
          expect(armorAgeFile(file)).toBe(typage.armor.encode(file));
        }
      });
    }

    it('an X-Wing vault key is a typage identity: same recipient string both ways', async () => {
      const pair = provider.kem('X-Wing').keygen();
      const identity = encodeAgeIdentity(pair.secretKey);
      expect(await typage.identityToRecipient(identity)).toBe(encodeAgeRecipient(pair.publicKey));
    });

    it('typage refuses a vault file for another identity, and the vault a typage file for another', async () => {
      const mine = await typage.generateHybridIdentity();
      const theirs = await typage.generateHybridIdentity();
      const file = sealAgeFile([await typage.identityToRecipient(theirs)], Uint8Array.of(1, 2, 3), { provider });
      await expect(typageDecrypt(mine, file)).rejects.toThrow();
      const back = await typageEncrypt(await typage.identityToRecipient(theirs), Uint8Array.of(1, 2, 3));
      expect(() => openAgeFile([parseAgeIdentity(mine)], back, { provider })).toThrow(/age file cannot be decrypted/);
    });
  });
}
