/**
 * The executor on the real local world: the KMS signing path accepted and mined by Anvil, sign-once under retries
 * and DynamoDB races, the nonce lock (busy, expiry, fencing), simulation reverts decoded by name, confirmation depth;
 * plus the pure pieces (fees, nonce, broadcast classification, kill-point hook).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Address, erc20Abi, parseGwei, recoverTransactionAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { classifyBroadcastError } from '../../shared/execution/broadcast.js'
import { crashPoint } from '../../shared/execution/crashPoint.js'
import { GasPriceTooHighError } from '../../shared/execution/errors.js'
import { executeCalls } from '../../shared/execution/executeCalls.js'
import { bumpFees, capFees } from '../../shared/execution/fees.js'
import { chooseNonce } from '../../shared/execution/nonce.js'
import { isTransientRpcError } from '../../shared/execution/retry.js'
import { networkRestakeDelegatorAbi } from '../../shared/protocols/symbiotic/abis.js'
import { createReader } from '../../shared/chain/client.js'
import { SimulationRevertedError } from '../../shared/chain/errors.js'
import type { PlannedCall } from '../../shared/execution/types.js'
import { kmsSigner } from '../../shared/chain/signers/kmsSigner.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { StaleWriteError } from '../../shared/store/errors.js'
import { IntentStore } from '../../shared/store/intents.js'
import { LockBusyError, LockLostError, LockStore, signerLockId } from '../../shared/store/locks.js'
import { RunStore } from '../../shared/store/runs.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { kmsDouble } from '../faults/kmsDouble.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const curator = privateKeyToAccount(w.curatorKey)
const delegator = w.seeded.vaults[0]!.delegator
const subnetwork = w.seeded.networks[0]!.subnetworks[0]!.id
const operators = w.seeded.operators.map((o) => o.address)
const FAST = { pollMs: 40, rpcBackoffMs: 40, rebroadcastEveryMs: 400, leaseMs: 30_000 }
let revert: () => Promise<void>
let nextBaseFee = 0n
const pendingBaseFee = async (): Promise<bigint> => (await c.public.getBlock({ blockTag: 'pending' })).baseFeePerGas ?? 0n

beforeEach(async () => {
  revert = await snapshot(c)
  nextBaseFee = await pendingBaseFee()
})
afterEach(async () => {
  await revert()
  // evm_revert does not restore Anvil's next-block base fee: put it back so later files are not priced out.
  await c.public.request({ method: 'anvil_setNextBlockBaseFeePerGas' as never, params: [`0x${nextBaseFee.toString(16)}`] as never })
})

async function stores() {
  const config = await withFreshTables(w)
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
  return {
    config,
    client: createReader({ rpcUrl: config.rpcUrl, chainId: config.chainId }),
    intents: new IntentStore({ client: doc, tableName: config.tables.intents }),
    runs: new RunStore({ client: doc, tableName: config.tables.runs }),
    locks: new LockStore({ client: doc, tableName: config.tables.locks }),
  }
}

const sharesCall = (operator: Address, shares: bigint): PlannedCall => ({
  address: delegator,
  abi: networkRestakeDelegatorAbi,
  functionName: 'setOperatorNetworkShares',
  args: [subnetwork, operator, shares],
  description: `shares ${shares}`,
})
const approveCall = (spender: Address, amount: bigint): PlannedCall => ({ address: w.seeded.token, abi: erc20Abi, functionName: 'approve', args: [spender, amount], description: `approve ${amount}` })

describe('KMS signer on Anvil (KMS answered by a node:crypto double at the SDK boundary; KMS has no local equivalent)', () => {
  it('a transaction signed through the KMS path is accepted by Anvil and mined, and a retried run signs nothing new', async () => {
    const s = await stores()
    const kms = kmsDouble()
    const account = await kmsSigner({ client: kms.client, keyId: kms.keyId })
    await c.test.setBalance({ address: account.address, value: 10n ** 18n })
    const calls = [approveCall(curator.address, 123n), approveCall(delegator, 456n)]
    const runId = 'kms-run'
    const first = await executeCalls({ client: s.client, account, calls, intents: s.intents, locks: s.locks, runId, options: FAST })
    expect(first.map((e) => e.index)).toEqual([0, 1])
    for (const e of first) {
      const tx = await c.public.getTransaction({ hash: e.txHash })
      expect(tx.from.toLowerCase()).toBe(account.address.toLowerCase())
      expect((await c.public.getTransactionReceipt({ hash: e.txHash })).status).toBe('success')
      const intent = await s.intents.get(e.intentId)
      expect(await recoverTransactionAddress({ serializedTransaction: intent!.rawTx as never })).toBe(account.address)
    }
    expect(await c.public.readContract({ address: w.seeded.token, abi: erc20Abi, functionName: 'allowance', args: [account.address, delegator] })).toBe(456n)
    const signs = kms.calls.filter((x) => x.command === 'Sign').length
    expect(signs).toBe(2)

    // The same run retried (a Lambda retry): the stored intents are used, KMS is not asked to sign again.
    const again = await executeCalls({ client: s.client, account, calls, intents: s.intents, locks: s.locks, runId, options: FAST })
    expect(again.map((e) => e.txHash)).toEqual(first.map((e) => e.txHash))
    expect(kms.calls.filter((x) => x.command === 'Sign').length).toBe(signs)
    expect(await c.public.getTransactionCount({ address: account.address })).toBe(2)
  })

  it('two executors racing on the same intents (a DynamoDB race): one signature persisted per intent, each call mined once', async () => {
    const s = await stores()
    const kms = kmsDouble()
    const account = await kmsSigner({ client: kms.client, keyId: kms.keyId })
    await c.test.setBalance({ address: account.address, value: 10n ** 18n })
    const calls = [approveCall(curator.address, 7n), approveCall(delegator, 8n)]
    // Lock-less on purpose: only the conditional put on runId#index stands between them.
    const [a, b] = await Promise.all([
      executeCalls({ client: s.client, account, calls, intents: s.intents, runId: 'race', options: FAST }),
      executeCalls({ client: s.client, account, calls, intents: s.intents, runId: 'race', options: FAST }),
    ])
    expect(a.map((e) => e.txHash)).toEqual(b.map((e) => e.txHash))
    expect(await c.public.getTransactionCount({ address: account.address })).toBe(2)
    for (const e of a) expect((await s.intents.get(e.intentId))?.txHashes).toEqual([e.txHash])
  })
})

describe('nonce lock', () => {
  it('is exclusive while the lease lives, can be taken over after it expires, and fences the old holder', async () => {
    const s = await stores()
    const lockId = signerLockId(31337, curator.address)
    const first = await s.locks.acquire({ lockId, runId: 'run-a', leaseMs: 60_000 })
    const busy = await s.locks.acquire({ lockId, runId: 'run-b', leaseMs: 60_000 }).catch((e: unknown) => e)
    expect(busy).toBeInstanceOf(LockBusyError)
    expect(busy).toMatchObject({ name: 'LockBusyError', holderRunId: 'run-a' })

    // An expired lease (a crashed holder) is taken over; the new holder learns who it was.
    const clockAhead = new LockStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: s.config.dynamoEndpoint }), tableName: s.config.tables.locks, clock: () => Date.now() + 120_000 })
    const second = await clockAhead.acquire({ lockId, runId: 'run-b', leaseMs: 300_000 })
    expect(second.previous?.runId).toBe('run-a')

    // The old holder can neither renew nor persist an intent under its lost lease.
    await expect(s.locks.renew(first, 60_000)).rejects.toThrowError(LockLostError)
    const intent = { intentId: 'run-a#0', runId: 'run-a', actionIndex: 0, status: 'signed' as const, from: curator.address, to: delegator, data: '0x', nonce: 0, rawTx: '0x', txHash: '0x', txHashes: ['0x'], createdAt: Date.now() }
    await expect(s.intents.create(intent, s.locks.guard(first, { leaseMs: 60_000, nextNonce: 1, openIntent: intent.intentId }))).rejects.toThrowError(LockLostError)
    expect(await s.intents.get('run-a#0')).toBeUndefined()
    expect(await s.locks.release(first)).toBe(false)

    // The live holder persists under its guard; the stored next nonce and the open set follow atomically.
    await s.intents.create({ ...intent, intentId: 'run-b#0', runId: 'run-b', nonce: 41 }, clockAhead.guard(second, { leaseMs: 300_000, nextNonce: 42, openIntent: 'run-b#0' }))
    const item = await s.locks.get(lockId)
    expect(item?.nextNonce).toBe(42)
    expect([...(item?.openIntents ?? [])]).toEqual(['run-b#0'])
    await expect(s.intents.create({ ...intent, intentId: 'run-b#0', runId: 'run-b', nonce: 41 })).rejects.toThrowError(StaleWriteError)
    expect(await clockAhead.release(second)).toBe(true)
    const free = await s.locks.get(lockId)
    expect(free?.owner).toBeUndefined()
    expect(free?.nextNonce).toBe(42)
  })

  it('executeCalls gives up cleanly when another run holds the signer lock: nothing sent', async () => {
    const s = await stores()
    await s.locks.acquire({ lockId: signerLockId(31337, curator.address), runId: 'other', leaseMs: 60_000 })
    const nonce = await c.public.getTransactionCount({ address: curator.address })
    await expect(executeCalls({ client: s.client, account: curator, calls: [sharesCall(operators[0]!, 5n * 10n ** 18n)], intents: s.intents, locks: s.locks, runId: 'loser', options: FAST })).rejects.toThrowError(LockBusyError)
    expect(await c.public.getTransactionCount({ address: curator.address })).toBe(nonce)
    expect(await s.intents.get('loser#0')).toBeUndefined()
  })
})

describe('simulation and depth', () => {
  it('a revert in simulation is decoded by name (custom error of the Symbiotic ABI) and nothing is signed or sent', async () => {
    const s = await stores()
    const current = await c.public.readContract({ address: delegator, abi: networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [subnetwork, operators[0]!] })
    const nonce = await c.public.getTransactionCount({ address: curator.address })
    const error = await executeCalls({ client: s.client, account: curator, calls: [sharesCall(operators[1]!, 9n * 10n ** 18n), sharesCall(operators[0]!, current)], intents: s.intents, locks: s.locks, runId: 'revert', options: FAST }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SimulationRevertedError)
    expect(error).toMatchObject({ name: 'SimulationRevertedError', reason: 'AlreadySet()', actionIndex: 1 })
    expect(await c.public.getTransactionCount({ address: curator.address })).toBe(nonce)
    expect(await s.intents.get('revert#0')).toBeUndefined()
  })

  it('waits for the configured confirmation depth before recording an intent as mined', async () => {
    const s = await stores()
    let done = false
    const run = executeCalls({ client: s.client, account: curator, calls: [sharesCall(operators[2]!, 11n * 10n ** 18n)], intents: s.intents, locks: s.locks, runId: 'depth', confirmations: 4, options: FAST }).finally(() => (done = true))
    // Blocks only come when we mine them: until then the intent stays `broadcast`.
    while ((await s.intents.get('depth#0'))?.status !== 'broadcast') await new Promise((r) => setTimeout(r, 30))
    // Sample (head, status) as blocks come; the property: never `mined` while the receipt is less than 4 blocks deep.
    const samples: { head: bigint; status?: string }[] = []
    while (!done) {
      const head = await c.public.getBlockNumber({ cacheTime: 0 })
      samples.push({ head, status: (await s.intents.get('depth#0'))?.status })
      await c.test.mine({ blocks: 1 })
      await new Promise((r) => setTimeout(r, 60))
    }
    const [executed] = await run
    const head = await c.public.getBlockNumber({ cacheTime: 0 })
    expect(head).toBeGreaterThanOrEqual(executed!.blockNumber + 3n)
    expect(samples.filter((x) => x.head < executed!.blockNumber + 3n).length).toBeGreaterThan(0)
    for (const x of samples) if (x.head < executed!.blockNumber + 3n) expect(x.status, `head ${x.head}`).not.toBe('mined')
    expect((await s.intents.get('depth#0'))?.status).toBe('mined')
  })

  it('defers with GasPriceTooHighError before taking the lock when the network is above the cap', async () => {
    const s = await stores()
    await c.public.request({ method: 'anvil_setNextBlockBaseFeePerGas' as never, params: [`0x${parseGwei('300').toString(16)}`] as never })
    await c.test.mine({ blocks: 1 })
    const error = await executeCalls({ client: s.client, account: curator, calls: [sharesCall(operators[3]!, 12n * 10n ** 18n)], intents: s.intents, locks: s.locks, runId: 'gas', maxFeePerGas: parseGwei('100'), options: FAST }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(GasPriceTooHighError)
    expect(error).toMatchObject({ name: 'GasPriceTooHighError', reason: 'gasTooHigh', capPerGas: parseGwei('100') })
    expect(await s.locks.get(signerLockId(31337, curator.address))).toBeUndefined()
  })
})

describe('pure pieces', () => {
  it.each([
    [{ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, undefined, { maxFeePerGas: 113n, maxPriorityFeePerGas: 12n }],
    [{ maxFeePerGas: 8n, maxPriorityFeePerGas: 0n }, undefined, { maxFeePerGas: 9n, maxPriorityFeePerGas: 1n }],
    [{ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, 120n, { maxFeePerGas: 113n, maxPriorityFeePerGas: 12n }],
    [{ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, 112n, undefined],
  ] as const)('bumpFees(%o, cap %s) → %o (≥ 12.5 %, never above the cap)', (prev, cap, expected) => {
    expect(bumpFees(prev, { cap })).toEqual(expected)
  })

  it('bumpFees follows a higher network price, clamped to the cap', () => {
    expect(bumpFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { cap: 150n, network: { maxFeePerGas: 200n, maxPriorityFeePerGas: 20n } })).toEqual({ maxFeePerGas: 150n, maxPriorityFeePerGas: 20n })
  })

  it('capFees limits maxFeePerGas to the cap and throws GasPriceTooHighError when base fee + tip is above it', () => {
    expect(capFees({ baseFeePerGas: 10n, maxFeePerGas: 50n, maxPriorityFeePerGas: 2n }, 30n)).toEqual({ baseFeePerGas: 10n, maxFeePerGas: 30n, maxPriorityFeePerGas: 2n })
    expect(() => capFees({ baseFeePerGas: 29n, maxFeePerGas: 60n, maxPriorityFeePerGas: 2n }, 30n)).toThrowError(GasPriceTooHighError)
  })

  it.each([
    [{ pending: 5 }, 5],
    [{ pending: 5, stored: 7 }, 7],
    [{ pending: 9, stored: 7 }, 9],
    [{ pending: 4, stored: 5, floor: 6 }, 6],
  ])('chooseNonce(%o) = %i', (p, n) => {
    expect(chooseNonce(p)).toBe(n)
  })

  it.each([
    ['transaction already imported', 'known'],
    ['already known', 'known'],
    ['nonce too low', 'nonceUsed'],
    ['replacement transaction underpriced', 'underpriced'],
    ['max fee per gas less than block base fee', 'belowBaseFee'],
    ['insufficient funds for gas * price + value', undefined],
  ])('classifies "%s" as %s', (message, outcome) => {
    expect(classifyBroadcastError(message)).toBe(outcome)
  })

  it('treats transport failures as transient and node answers as final', () => {
    expect(isTransientRpcError(Object.assign(new Error('HTTP request failed.'), { name: 'HttpRequestError', status: 503 }))).toBe(true)
    expect(isTransientRpcError(Object.assign(new Error('The request took too long to respond.'), { name: 'TimeoutError' }))).toBe(true)
    expect(isTransientRpcError(new Error('wrapped', { cause: new TypeError('fetch failed') }))).toBe(true)
    expect(isTransientRpcError(Object.assign(new Error('nonce too low'), { name: 'TransactionRejectedRpcError' }))).toBe(false)
  })

  it('the kill-point hook is inert unless AUTOPILOT_CRASH_AT names the point', () => {
    const before = process.env.AUTOPILOT_CRASH_AT
    delete process.env.AUTOPILOT_CRASH_AT
    expect(() => crashPoint('after-sign')).not.toThrow()
    process.env.AUTOPILOT_CRASH_AT = 'after-persist@99'
    expect(() => crashPoint('after-sign')).not.toThrow()
    expect(() => crashPoint('after-persist')).not.toThrow()
    if (before === undefined) delete process.env.AUTOPILOT_CRASH_AT
    else process.env.AUTOPILOT_CRASH_AT = before
  })
})
