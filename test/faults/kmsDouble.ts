/**
 * A test double of AWS KMS at the SDK boundary (KMS has no local equivalent): an object with `send(command)` that
 * answers GetPublicKey with the DER SubjectPublicKeyInfo of a secp256k1 key made by `node:crypto`, and Sign
 * (`MessageType: 'DIGEST'`, `ECDSA_SHA_256`) with a DER ECDSA signature over the given 32-byte digest.
 *
 * `crypto.sign()` always hashes its input first, so it cannot sign a digest that is already a hash. The double
 * therefore computes raw ECDSA over the digest with node:crypto's secp256k1 arithmetic: R = k·G comes from
 * `createECDH('secp256k1')` with k as its private key, then s = k⁻¹(z + r·d) mod n. Like KMS, it returns high-s
 * signatures about half of the time and no recovery id.
 */
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms'
import { type KeyObject, createECDH, generateKeyPairSync, randomBytes } from 'node:crypto'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m
function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n
  b = mod(b, m)
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m
    b = (b * b) % m
    e >>= 1n
  }
  return r
}
const toBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`)
const to32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex')

/** DER INTEGER of a non-negative bigint (minimal, with a leading zero when the high bit is set). */
function derInt(v: bigint): Buffer {
  let hex = v.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  let b = Buffer.from(hex, 'hex')
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b])
  return Buffer.concat([Buffer.from([0x02, b.length]), b])
}

/** DER `SEQUENCE { r, s }`. */
export function encodeDerSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInt(r), derInt(s)])
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]))
}

/** Raw ECDSA over a 32-byte digest with node:crypto's curve arithmetic; returns DER (s not normalised). */
export function signDigestWithNodeCrypto(privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  const d = toBig(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'))
  const z = toBig(digest)
  for (;;) {
    const k = mod(toBig(randomBytes(32)), N)
    if (k === 0n) continue
    const ecdh = createECDH('secp256k1')
    ecdh.setPrivateKey(to32(k))
    const R = ecdh.getPublicKey(null, 'uncompressed')
    const r = mod(toBig(R.subarray(1, 33)), N)
    if (r === 0n) continue
    const s = mod(modPow(k, N - 2n, N) * (z + r * d), N)
    if (s === 0n) continue
    return encodeDerSignature(r, s)
  }
}

/** One request the double answered. */
export interface KmsDoubleCall {
  command: 'GetPublicKey' | 'Sign'
  input: Record<string, unknown>
}

/** The double: `client` goes where a KMSClient would; `calls` records what it was asked. */
export interface KmsDouble {
  client: { send: (command: unknown) => Promise<never> }
  keyId: string
  privateKey: KeyObject
  publicKey: KeyObject
  calls: KmsDoubleCall[]
}

/** Creates a KMS double holding a fresh node:crypto secp256k1 key (or `signWith`'s key for Sign, to model a wrong key). */
export function kmsDouble(p: { keyId?: string; signWith?: KeyObject } = {}): KmsDouble {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  const keyId = p.keyId ?? 'alias/autopilot-test'
  const calls: KmsDoubleCall[] = []
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GetPublicKeyCommand) {
      calls.push({ command: 'GetPublicKey', input: { ...command.input } })
      if (command.input.KeyId !== keyId) throw Object.assign(new Error(`key ${command.input.KeyId} not found`), { name: 'NotFoundException' })
      return { KeyId: keyId, KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'], PublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })) }
    }
    if (command instanceof SignCommand) {
      const input = command.input
      calls.push({ command: 'Sign', input: { ...input } })
      if (input.KeyId !== keyId) throw Object.assign(new Error(`key ${input.KeyId} not found`), { name: 'NotFoundException' })
      if (input.MessageType !== 'DIGEST' || input.SigningAlgorithm !== 'ECDSA_SHA_256') throw Object.assign(new Error('expected MessageType DIGEST with ECDSA_SHA_256'), { name: 'ValidationException' })
      const message = input.Message as Uint8Array
      if (message?.length !== 32) throw Object.assign(new Error('a DIGEST message must be 32 bytes'), { name: 'ValidationException' })
      return { KeyId: keyId, SigningAlgorithm: 'ECDSA_SHA_256', Signature: signDigestWithNodeCrypto(p.signWith ?? privateKey, message) }
    }
    throw new Error(`the KMS double does not answer ${(command as object)?.constructor?.name}`)
  }
  return { client: { send: send as (command: unknown) => Promise<never> }, keyId, privateKey, publicKey, calls }
}
