/**
 * The KMS double (test/faults/kmsDouble.ts) served over HTTP on a free loopback port, for code in another process (a
 * bundled Lambda): it answers the AWS JSON 1.1 protocol the real `@aws-sdk/client-kms` speaks (`X-Amz-Target:
 * TrentService.GetPublicKey` / `TrentService.Sign`, blobs as base64) with the in-process double's answers. Point the
 * client at it with `AWS_ENDPOINT_URL_KMS=<url>`.
 */
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Address, type Hex, bytesToHex } from 'viem'
import { publicKeyToAddress } from 'viem/accounts'
import { type KmsDouble, kmsDouble } from '../faults/kmsDouble.js'

/** A running KMS HTTP double. */
export interface KmsHttpDouble {
  url: string
  keyId: string
  /** The Ethereum address of the double's key. */
  address: Address
  calls: KmsDouble['calls']
  stop: () => Promise<void>
}

const toJson = (o: Record<string, unknown>) => JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))

/** Starts the double with a fresh secp256k1 key. */
export async function startKmsHttpDouble(): Promise<KmsHttpDouble> {
  const kms = kmsDouble()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '')
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>
      const command =
        target === 'TrentService.GetPublicKey'
          ? new GetPublicKeyCommand(input as never)
          : target === 'TrentService.Sign'
            ? new SignCommand({ ...(input as { KeyId: string; SigningAlgorithm: 'ECDSA_SHA_256' }), Message: new Uint8Array(Buffer.from(String(input.Message), 'base64')) })
            : undefined
      if (!command) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnsupportedOperationException', message: target }))
        return
      }
      kms.client.send(command).then(
        (out) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(toJson(out as Record<string, unknown>)),
        (e: Error) => res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: e.name, message: e.message })),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const spki = new Uint8Array(kms.publicKey.export({ type: 'spki', format: 'der' }))
  const address = publicKeyToAddress(bytesToHex(spki.subarray(spki.length - 65)) as Hex)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keyId: kms.keyId,
    address,
    calls: kms.calls,
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}
