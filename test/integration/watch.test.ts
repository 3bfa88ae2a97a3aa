/**
 * The slash watcher on the real local world: a network's middleware executes a real Symbiotic `slash` on an
 * operator we allocate to; the next watch tick sends the de-risk calls per the policy's slashResponse, the
 * operator's stake in that network drops accordingly, a notification reaches a local HTTP receiver, and a
 * rescan of the same blocks acts no second time.
 */
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Address, type Hex, keccak256, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { networkRestakeDelegatorAbi, slasherAbi } from '../../local/world/abis/symbiotic.js'
import type { Config } from '../../shared/config/config.js'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { signerFromEnv } from '../../shared/services/signer.js'
import type { PublishCommand } from '@aws-sdk/client-sns'
import { createNotifier } from '../../shared/services/notify.js'
import { type WatchContext, asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { withTriggers } from '../../shared/services/triggers.js'
import { encodeJson } from '../../shared/store/client.js'
import { type NotificationReceiver, startNotificationReceiver } from '../setup/receiver.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const basePolicy = JSON.parse(readFileSync('local/scenarios/default.policy.json', 'utf8')) as Record<string, unknown>
let revert: () => Promise<void>
let receiver: NotificationReceiver

beforeEach(async () => {
  revert = await snapshot(c)
  receiver = await startNotificationReceiver()
})
afterEach(async () => {
  await receiver.close()
  await revert()
})

/** The watcher's context, built as the Lambda builds it, on fresh tables, notifying the local receiver. */
async function watchContext(slashResponse: 'zero-out' | 'halve' | 'alert-only'): Promise<WatchContext> {
  const config: Config = await withFreshTables(w)
  const env = {
    AUTOPILOT_CONFIG: encodeJson({ ...config, fromBlock: config.fromBlock.toString() }),
    POLICY_JSON: JSON.stringify({ ...basePolicy, slashResponse, notifications: { webhookUrls: [receiver.url], console: false } }),
    SIGNER_PRIVATE_KEY: w.curatorKey,
  }
  const ctx = asWatchContext(withTriggers(contextFromEnv(env, 'watch-test', { secrets: {}, account: await signerFromEnv(env) })))
  ctx.logger.setLogLevel('SILENT')
  return ctx
}

const vault = w.seeded.vaults[0]!
const network = w.seeded.networks.find((n) => n.label === 'oracle-net')!
const sn = network.subnetworks[0]!.id
const operator = w.seeded.operators.find((o) => o.label === 'op-atlas')!.address.toLowerCase() as Address
const stake = () => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, operator] })
const nonce = () => c.public.getTransactionCount({ address: w.seeded.curator.address })

/** The network's middleware (key derivable from local/world/seed.ts `actor()`) slashes 10 % of the operator's stake captured a second ago. */
async function slash(): Promise<{ txHash: Hex; amount: bigint }> {
  const middleware = privateKeyToAccount(keccak256(stringToHex(`restake-autopilot/local/middleware/${network.label}`)))
  expect(middleware.address.toLowerCase()).toBe(network.middleware.toLowerCase())
  const now = (await c.public.getBlock({ blockTag: 'latest' })).timestamp
  const capture = Number(now) - 1
  const captured = await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [sn, operator, capture, '0x'] })
  const amount = captured / 10n
  const { request } = await c.public.simulateContract({ account: middleware, address: vault.slasher, abi: slasherAbi, functionName: 'slash', args: [sn, operator, amount, capture, '0x'] })
  const txHash = await c.wallet.writeContract(request)
  expect((await c.public.waitForTransactionReceipt({ hash: txHash })).status).toBe('success')
  // Bury it under the confirmation depth the watcher waits for.
  await c.test.mine({ blocks: w.config.confirmations })
  return { txHash, amount }
}

describe('watch: a real slash on stake we allocate', () => {
  it('zero-out: the next tick zeroes the operator in that network, notifies with tx hashes and the exposure window, and acts once', async () => {
    const ctx = await watchContext('zero-out')
    expect((await watchEvents(ctx)).status).toBe('initialised')
    expect(await stake()).toBeGreaterThan(0n)

    const { txHash } = await slash()
    const stakeBefore = await stake()
    expect(stakeBefore).toBeGreaterThan(0n)
    const nonceBefore = await nonce()
    const tick = await watchEvents(ctx)
    expect(tick.error).toBeUndefined()
    expect(tick.status).toBe('advanced')
    const ev = tick.events.find((e) => e.kind === 'Slash')!
    expect(ev).toMatchObject({ txHash, subnetwork: sn, operator, held: true, outcome: 'derisked' })
    expect(tick.derisk?.status).toBe('succeeded')
    expect(tick.derisk!.txHashes.length).toBeGreaterThan(0)
    expect(await nonce()).toBe(nonceBefore + tick.derisk!.txHashes.length)
    expect(await stake()).toBe(0n)
    const run = await ctx.runs.get(tick.derisk!.runId)
    expect(run?.trigger).toBe(`watch:slash:${ev.key}`)

    // One notification for the slash, delivered to the local receiver.
    const slashes = receiver.received.filter((n) => n.kind === 'slash')
    expect(slashes).toHaveLength(1)
    const n = slashes[0]!
    expect(n).toMatchObject({ operator, service: sn, runId: tick.derisk!.runId })
    expect(n.txHashes).toEqual([txHash, ...tick.derisk!.txHashes])
    expect(n.text).toContain('zero-out')
    expect(n.text).toContain(txHash)
    for (const h of tick.derisk!.txHashes) expect(n.text).toContain(h)
    const residual = n.residualExposure!.find((r) => r.operator === operator && r.service === sn)!
    expect(BigInt(residual.stake)).toBe(stakeBefore)
    const block = await c.public.getBlock({ blockNumber: BigInt((run!.blockNumber as bigint).toString()) })
    expect(BigInt(residual.until)).toBe(block.timestamp + 7n * 86_400n)
    expect(n.text).toContain(`until ${residual.untilIso}`)

    // The event is recorded as done; a later tick and a rescan of the same blocks act no second time.
    expect((await ctx.events.get(ev.key))?.status).toBe('done')
    const nonceAfter = await nonce()
    expect(['up-to-date', 'advanced']).toContain((await watchEvents(ctx)).status)
    const cursorId = `symbiotic:${w.config.chainId}`
    const cursor = (await ctx.cursors.get(cursorId))!
    const back = ev.blockNumber - 1n
    await ctx.cursors.advance(cursorId, { from: cursor.block, to: back, blockHash: (await c.public.getBlock({ blockNumber: back })).hash, now: Date.now() })
    const rescan = await watchEvents(ctx)
    expect(rescan.events.find((e) => e.key === ev.key)?.outcome).toBe('already-handled')
    expect(rescan.derisk).toBeUndefined()
    expect(await nonce()).toBe(nonceAfter)
    expect(receiver.received.filter((x) => x.kind === 'slash')).toHaveLength(1)
  })

  it('halve: the operator keeps at most half of its stake in that network', async () => {
    const ctx = await watchContext('halve')
    await watchEvents(ctx)
    await slash()
    const before = await stake()
    const tick = await watchEvents(ctx)
    expect(tick.derisk?.status).toBe('succeeded')
    const after = await stake()
    expect(after).toBeLessThan(before)
    expect(after).toBeLessThanOrEqual(before / 2n)
    expect(receiver.received.find((n) => n.kind === 'slash')?.text).toContain('halve')
  })

  it('alert-only: nothing is sent, the stake stays, the alert reaches SNS and the webhook (a dead URL is reported, not thrown)', async () => {
    const ctx = await watchContext('alert-only')
    // SNS answered by a test double at the SDK boundary (an object with send()).
    const published: PublishCommand[] = []
    const sns = { send: async (cmd: PublishCommand) => (published.push(cmd), { MessageId: 'm-1' }) }
    const reports: Awaited<ReturnType<NonNullable<WatchContext['notify']>>>[] = []
    const notify = createNotifier({ snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:autopilot', sns, webhookUrls: [receiver.url, 'http://127.0.0.1:9/unreachable'] })
    ctx.notify = async (n) => {
      const r = await notify(n)
      reports.push(r)
      return r
    }
    await watchEvents(ctx)
    const { txHash } = await slash()
    const before = await stake()
    const nonceBefore = await nonce()
    const tick = await watchEvents(ctx)
    expect(tick.status).toBe('advanced')
    expect(tick.derisk).toBeUndefined()
    expect(tick.events.find((e) => e.kind === 'Slash')?.outcome).toBe('alerted')
    expect(await nonce()).toBe(nonceBefore)
    expect(await stake()).toBe(before)
    const n = receiver.received.find((x) => x.kind === 'slash')!
    expect(n.subject).toContain('alert only')
    expect(n.txHashes).toEqual([txHash])
    expect(n.text).toContain('alert-only → nothing sent')
    expect(published).toHaveLength(1)
    expect(published[0]!.input).toMatchObject({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:autopilot', Message: n.text, MessageAttributes: { kind: { DataType: 'String', StringValue: 'slash' } } })
    expect(published[0]!.input.Subject!.length).toBeLessThanOrEqual(100)
    expect(published[0]!.input.Subject).toMatch(/^[\x20-\x7e]+$/)
    expect(reports[0]!.delivered.sort()).toEqual(['sns:arn:aws:sns:eu-west-1:123456789012:autopilot', `webhook:${receiver.url}`].sort())
    expect(reports[0]!.failed.map((f) => f.target)).toEqual(['webhook:http://127.0.0.1:9/unreachable'])
  })
})
