/**
 * A viem custom account backed by an AWS KMS `ECC_SECG_P256K1` key: GetPublicKey gives the address; every
 * signature is KMS Sign over the 32-byte digest (`MessageType: 'DIGEST'`, `ECDSA_SHA_256`), DER → (r, s),
 * low-s normalised, recovery id found by recovering against the key's address. The private key never leaves KMS.
 */
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms'
import { type Hex, type LocalAccount, type SignableMessage, type TransactionSerializable, hashMessage, hashTypedData, hexToBytes, keccak256, serializeSignature, serializeTransaction } from 'viem'
import { toAccount } from 'viem/accounts'
import { derToRecoveredSignature, type RecoveredSignature, spkiToAddress } from './der.js'
import { KmsSignatureError } from './errors.js'

/** The part of the KMS client the signer uses (`KMSClient` fits; tests pass a small object with `send`). */
export interface KmsSendClient {
  send: KMSClient['send']
}

/** Parameters of {@link kmsSigner}. */
export interface KmsSignerParameters {
  /** A KMS client (region and credentials from the Lambda environment). */
  client: KmsSendClient
  /** Key id, ARN or alias of an ECC_SECG_P256K1 SIGN_VERIFY key. */
  keyId: string
}

/**
 * Creates the KMS-backed account (one GetPublicKey call).
 * @example const account = await kmsSigner({ client: new KMSClient({}), keyId: process.env.KMS_KEY_ID! })
 */
export async function kmsSigner({ client, keyId }: KmsSignerParameters): Promise<LocalAccount> {
  let key: { address: Hex; publicKey: Hex }
  try {
    const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }))
    if (out.KeySpec && out.KeySpec !== 'ECC_SECG_P256K1') throw new Error(`key spec is ${out.KeySpec}, expected ECC_SECG_P256K1`)
    if (!out.PublicKey) throw new Error('GetPublicKey returned no key')
    key = spkiToAddress(out.PublicKey)
  } catch (cause) {
    throw new KmsSignatureError({ keyId, problem: `cannot read the public key (${(cause as Error).message})`, cause })
  }
  const address = key.address

  /** KMS Sign on a 32-byte digest, returned as an Ethereum (r, s, yParity) signature. */
  const signDigest = async (hash: Hex): Promise<RecoveredSignature> => {
    let der: Uint8Array | undefined
    try {
      const out = await client.send(new SignCommand({ KeyId: keyId, Message: hexToBytes(hash), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))
      der = out.Signature
    } catch (cause) {
      throw new KmsSignatureError({ keyId, problem: `Sign failed (${(cause as Error).message})`, cause })
    }
    if (!der) throw new KmsSignatureError({ keyId, problem: 'Sign returned no signature' })
    try {
      return await derToRecoveredSignature({ der, hash, address })
    } catch (cause) {
      throw new KmsSignatureError({ keyId, problem: `unusable signature (${(cause as Error).message})`, cause })
    }
  }

  const account = toAccount({
    address,
    async sign({ hash }) {
      return serializeSignature(await signDigest(hash))
    },
    async signMessage({ message }: { message: SignableMessage }) {
      return serializeSignature(await signDigest(hashMessage(message)))
    },
    async signTransaction(transaction, options) {
      const serializer = options?.serializer ?? serializeTransaction
      const tx = transaction as TransactionSerializable
      const signable = tx.type === 'eip4844' ? { ...tx, sidecars: false } : tx
      const signature = await signDigest(keccak256(await serializer(signable as never)))
      return (await serializer(tx as never, signature)) as Hex
    },
    async signTypedData(typedData) {
      return serializeSignature(await signDigest(hashTypedData(typedData as never)))
    },
  })
  return { ...account, publicKey: key.publicKey, source: 'kms' } as LocalAccount
}
