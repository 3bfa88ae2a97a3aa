/**
 * Signers without a network: the KMS path (DER → r,s, low-s, recovery id) on real secp256k1 DER signatures made by
 * node:crypto, the KMS-backed viem account against a KMS double at the SDK boundary, and the local-key guard.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto'
import { type Hex, hexToBigInt, keccak256, parseTransaction, recoverAddress, recoverTransactionAddress, toHex, verifyMessage, verifyTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { SECP256K1_N, derToRecoveredSignature, normalizeS, parseDerSignature, spkiToAddress } from '../../shared/chain/signers/der.js'
import { InvalidPrivateKeyError, KmsSignatureError, LocalKeyRefusedError } from '../../shared/chain/signers/errors.js'
import { kmsSigner } from '../../shared/chain/signers/kmsSigner.js'
import { LOCAL_KEY_CHAIN_IDS, localSigner } from '../../shared/chain/signers/localSigner.js'
import { encodeDerSignature, kmsDouble, signDigestWithNodeCrypto } from '../faults/kmsDouble.js'

const HALF_N = SECP256K1_N / 2n

function nodeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  const d = `0x${Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
    .toString('hex')
    .padStart(64, '0')}` as Hex
  return { privateKey, publicKey, spki, address: privateKeyToAccount(d).address }
}

describe('DER → (r, s, yParity) on node:crypto signatures', () => {
  it('reads the address from a node:crypto SubjectPublicKeyInfo (the shape KMS GetPublicKey returns)', () => {
    const k = nodeKey()
    expect(spkiToAddress(k.spki).address).toBe(k.address)
  })

  it('recovers the signer from 64 crypto.sign(sha256, der) signatures, normalising every high s', async () => {
    const k = nodeKey()
    let highS = 0
    for (let i = 0; i < 64; i++) {
      const message = Buffer.from(`restake-autopilot ${i}`)
      const der = new Uint8Array(sign('sha256', message, { key: k.privateKey, dsaEncoding: 'der' }))
      const hash = toHex(createHash('sha256').update(message).digest())
      const { s } = parseDerSignature(der)
      if (s > HALF_N) highS++
      const sig = await derToRecoveredSignature({ der, hash, address: k.address })
      expect(hexToBigInt(sig.s) <= HALF_N).toBe(true)
      expect(await recoverAddress({ hash, signature: sig })).toBe(k.address)
    }
    // ECDSA gives a high s about half of the time: the normalisation path really ran.
    expect(highS).toBeGreaterThan(0)
    expect(highS).toBeLessThan(64)
  })

  it('low-s: (r, s) and (r, n − s) are the same signature with the other recovery id', async () => {
    const k = nodeKey()
    const message = Buffer.from('mirror')
    const hash = toHex(createHash('sha256').update(message).digest())
    const { r, s } = parseDerSignature(new Uint8Array(sign('sha256', message, { key: k.privateKey, dsaEncoding: 'der' })))
    const mirrored = encodeDerSignature(r, SECP256K1_N - s)
    const a = await derToRecoveredSignature({ der: encodeDerSignature(r, s), hash, address: k.address })
    const b = await derToRecoveredSignature({ der: mirrored, hash, address: k.address })
    expect(a.s).toBe(b.s)
    expect(a.yParity).toBe(b.yParity)
    expect(normalizeS(SECP256K1_N - 1n)).toBe(1n)
    expect(normalizeS(HALF_N)).toBe(HALF_N)
  })

  it('the raw-digest signer of the KMS double is real ECDSA: node:crypto verify accepts it', () => {
    const k = nodeKey()
    for (let i = 0; i < 8; i++) {
      const message = Buffer.from(`digest ${i}`)
      const der = signDigestWithNodeCrypto(k.privateKey, createHash('sha256').update(message).digest())
      expect(verify('sha256', message, { key: k.publicKey, dsaEncoding: 'der' }, der)).toBe(true)
    }
  })

  it('refuses malformed DER and a signature that does not recover to the key', async () => {
    const k = nodeKey()
    const other = nodeKey()
    const hash = keccak256('0x01')
    expect(() => parseDerSignature(new Uint8Array([0x31, 0x00]))).toThrowError(/SEQUENCE/)
    expect(() => parseDerSignature(new Uint8Array([...encodeDerSignature(1n, 2n), 0x00]))).toThrowError(/length/)
    expect(() => parseDerSignature(encodeDerSignature(0n, 2n))).toThrowError(/out of range/)
    const der = signDigestWithNodeCrypto(other.privateKey, Buffer.from(hash.slice(2), 'hex'))
    await expect(derToRecoveredSignature({ der, hash, address: k.address })).rejects.toThrowError(/does not recover/)
  })
})

describe('kmsSigner (viem custom account) against a KMS double', () => {
  it('takes its address from GetPublicKey and signs messages, typed data and transactions that recover to it', async () => {
    const kms = kmsDouble()
    const account = await kmsSigner({ client: kms.client, keyId: kms.keyId })
    const expected = spkiToAddress(new Uint8Array(kms.publicKey.export({ type: 'spki', format: 'der' }))).address
    expect(account.address).toBe(expected)
    expect(account.type).toBe('local')

    const signature = await account.signMessage({ message: 'hello restaked world' })
    expect(await verifyMessage({ address: account.address, message: 'hello restaked world', signature })).toBe(true)

    const typed = {
      domain: { name: 'autopilot', version: '1', chainId: 31337 },
      types: {
        Move: [
          { name: 'operator', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Move' as const,
      message: { operator: '0x000000000000000000000000000000000000dEaD' as Hex, amount: 10n ** 18n },
    }
    expect(await verifyTypedData({ address: account.address, signature: await account.signTypedData(typed), ...typed })).toBe(true)

    for (let nonce = 0; nonce < 6; nonce++) {
      const raw = await account.signTransaction({ chainId: 31337, type: 'eip1559', to: '0x000000000000000000000000000000000000dEaD', nonce, gas: 21_000n, maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n, value: 1n })
      const tx = parseTransaction(raw)
      expect(tx.nonce).toBe(nonce)
      expect(hexToBigInt(tx.s!) <= HALF_N).toBe(true)
      expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(account.address)
    }
    const signs = kms.calls.filter((c) => c.command === 'Sign')
    expect(signs.length).toBe(8)
    expect(signs.every((c) => c.input.MessageType === 'DIGEST' && c.input.SigningAlgorithm === 'ECDSA_SHA_256' && (c.input.Message as Uint8Array).length === 32)).toBe(true)
  })

  it('names the key when KMS signs with a key other than the one it reported', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    const kms = kmsDouble({ signWith: other.privateKey })
    const account = await kmsSigner({ client: kms.client, keyId: kms.keyId })
    const error = await account.signMessage({ message: 'x' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KmsSignatureError)
    expect(error).toMatchObject({ name: 'KmsSignatureError' })
    expect((error as Error).message).toContain(kms.keyId)
  })

  it('fails with KmsSignatureError when the key cannot be read', async () => {
    const kms = kmsDouble()
    await expect(kmsSigner({ client: kms.client, keyId: 'alias/missing' })).rejects.toThrowError(KmsSignatureError)
  })
})

describe('localSigner', () => {
  const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
  it('signs on Anvil', () => {
    expect(LOCAL_KEY_CHAIN_IDS).toContain(31337)
    expect(localSigner(key, 31337).address).toBe(privateKeyToAccount(key).address)
  })
  it.each([1, 17000, 8453])('is refused on chain %i unless explicitly allowed', (chainId) => {
    expect(() => localSigner(key, chainId)).toThrowError(LocalKeyRefusedError)
    expect(localSigner(key, chainId, true).address).toBe(privateKeyToAccount(key).address)
  })
  it('rejects a malformed key', () => {
    expect(() => localSigner('0x1234', 31337)).toThrowError(InvalidPrivateKeyError)
  })
})
