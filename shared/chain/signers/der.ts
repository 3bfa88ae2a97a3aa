/**
 * secp256k1 signature plumbing for KMS: DER (X.690) ECDSA-Sig-Value → (r, s), low-s normalisation (EIP-2),
 * recovery id by recovering against the expected address, and the SubjectPublicKeyInfo → address step.
 * Recovery uses @noble/curves (the version viem pins, so the bundle holds one copy) imported statically: viem's
 * `recoverAddress` imports it with `import()`, which keeps the whole module in the bundle (Schnorr, hash-to-curve:
 * ≈ 7 KB, and their tables built at load; docs/architecture.md, "Bundles").
 */
import { secp256k1 } from '@noble/curves/secp256k1'
import { type Address, type Hex, hexToBigInt, toHex } from 'viem'
import { publicKeyToAddress } from 'viem/accounts'

/** Order n of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const HALF_N = SECP256K1_N / 2n

/** A signature as Ethereum wants it. */
export interface RecoveredSignature {
  r: Hex
  s: Hex
  yParity: 0 | 1
}

/** Reads one DER length at `at`; returns [length, offset of the content]. */
function readLength(der: Uint8Array, at: number): [number, number] {
  const first = der[at]
  if (first === undefined) throw new Error('DER: truncated length')
  if (first < 0x80) return [first, at + 1]
  const bytes = first & 0x7f
  if (bytes === 0 || bytes > 2) throw new Error('DER: unsupported length form')
  let len = 0
  for (let i = 1; i <= bytes; i++) len = (len << 8) | (der[at + i] ?? 0)
  return [len, at + 1 + bytes]
}

/** Reads a DER INTEGER at `at`; returns [value, offset after it]. */
function readInteger(der: Uint8Array, at: number): [bigint, number] {
  if (der[at] !== 0x02) throw new Error('DER: expected INTEGER')
  const [len, start] = readLength(der, at + 1)
  if (len === 0 || start + len > der.length) throw new Error('DER: bad INTEGER length')
  let v = 0n
  for (let i = start; i < start + len; i++) v = (v << 8n) | BigInt(der[i]!)
  return [v, start + len]
}

/** Parses a DER `SEQUENCE { r INTEGER, s INTEGER }` (what KMS Sign returns for ECDSA). */
export function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  if (der[0] !== 0x30) throw new Error('DER: expected SEQUENCE')
  const [len, start] = readLength(der, 1)
  if (start + len !== der.length) throw new Error('DER: SEQUENCE length does not match')
  const [r, next] = readInteger(der, start)
  const [s, end] = readInteger(der, next)
  if (end !== der.length) throw new Error('DER: trailing bytes')
  if (r <= 0n || r >= SECP256K1_N || s <= 0n || s >= SECP256K1_N) throw new Error('DER: r or s out of range')
  return { r, s }
}

/** Low-s normalisation: Ethereum accepts only s ≤ n/2, so s > n/2 becomes n − s (the same signature, mirrored). */
export function normalizeS(s: bigint): bigint {
  return s > HALF_N ? SECP256K1_N - s : s
}

/** Turns a DER signature over `hash` into (r, s, yParity) for `address`; throws if neither recovery id recovers it. */
export async function derToRecoveredSignature(p: { der: Uint8Array; hash: Hex; address: Address }): Promise<RecoveredSignature> {
  const { r, s } = parseDerSignature(p.der)
  const sig = { r: toHex(r, { size: 32 }), s: toHex(normalizeS(s), { size: 32 }) }
  const signature = new secp256k1.Signature(r, normalizeS(s))
  for (const yParity of [0, 1] as const) {
    let recovered: Address
    try {
      recovered = publicKeyToAddress(`0x${signature.addRecoveryBit(yParity).recoverPublicKey(p.hash.slice(2)).toHex(false)}`)
    } catch {
      continue // no point on the curve for this recovery id
    }
    if (recovered.toLowerCase() === p.address.toLowerCase()) return { ...sig, yParity }
  }
  throw new Error(`signature does not recover to ${p.address}`)
}

/** The Ethereum address of a DER SubjectPublicKeyInfo holding an uncompressed secp256k1 point (KMS GetPublicKey). */
export function spkiToAddress(spki: Uint8Array): { address: Address; publicKey: Hex } {
  // The BIT STRING at the end holds 0x00 (unused bits) + 0x04 ‖ X ‖ Y: 65 bytes of point.
  if (spki.length < 65 || spki[spki.length - 65] !== 0x04) throw new Error('public key is not an uncompressed EC point')
  if (!hasSecp256k1Oid(spki)) throw new Error('public key is not on secp256k1 (ECC_SECG_P256K1)')
  const publicKey = toHex(spki.subarray(spki.length - 65))
  return { address: publicKeyToAddress(publicKey), publicKey }
}

const SECP256K1_OID = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a] // 1.3.132.0.10
function hasSecp256k1Oid(spki: Uint8Array): boolean {
  outer: for (let i = 0; i + SECP256K1_OID.length <= spki.length; i++) {
    for (let j = 0; j < SECP256K1_OID.length; j++) if (spki[i + j] !== SECP256K1_OID[j]) continue outer
    return true
  }
  return false
}

/** r and s as bigints (for tests and diagnostics). */
export function signatureValues(sig: RecoveredSignature): { r: bigint; s: bigint } {
  return { r: hexToBigInt(sig.r), s: hexToBigInt(sig.s) }
}
