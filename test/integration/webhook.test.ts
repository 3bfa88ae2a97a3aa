/**
 * The signed webhook on the real local world (Anvil + Symbiotic + DynamoDB Local): every bad input is refused
 * with nothing executed, a valid request rebalances on chain exactly once, pause/resume gate sending, and
 * derisk-operator zeroes one operator. The last test goes through the local HTTP server.
 */
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Address, Hex } from 'viem'
import { startWebhookServer } from '../../local/webhookServer.js'
import { HttpApiEventSchema, requestFromHttpApiEvent } from '../../functions/webhook/schema.js'
import { networkRestakeDelegatorAbi } from '../../shared/protocols/symbiotic/abis.js'
import type { Config } from '../../shared/config/config.js'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { MAX_BODY_BYTES, SIGNATURE_HEADER, type WebhookRequest, handleWebhook, signWebhook } from '../../shared/services/handleWebhook.js'
import { inlineDispatcher } from '../../shared/services/runWebhookJob.js'
import { signerFromEnv } from '../../shared/services/signer.js'
import { type WebhookContext, asWebhookContext } from '../../shared/services/webhookJob.js'
import { encodeJson } from '../../shared/store/client.js'
import { startNotificationReceiver } from '../setup/receiver.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const SECRET = 'test-webhook-secret-0123456789abcdef'
const basePolicy = JSON.parse(readFileSync('local/scenarios/default.policy.json', 'utf8')) as Record<string, unknown>
let revert: () => Promise<void>

beforeEach(async () => {
  revert = await snapshot(c)
})
afterEach(async () => {
  await revert()
})

/** A context built the way the Lambda builds it (contextFromEnv), on fresh tables. */
async function webhookContext(policyPatch: Record<string, unknown> = {}): Promise<WebhookContext> {
  const config: Config = await withFreshTables(w)
  const env = {
    AUTOPILOT_CONFIG: encodeJson({ ...config, fromBlock: config.fromBlock.toString() }),
    POLICY_JSON: JSON.stringify({ ...basePolicy, notifications: { webhookUrls: [], console: false }, ...policyPatch }),
    SIGNER_PRIVATE_KEY: w.curatorKey,
  }
  const ctx = asWebhookContext(contextFromEnv(env, 'webhook-test', { secrets: {}, account: await signerFromEnv(env) }))
  ctx.logger.setLogLevel('SILENT')
  return ctx
}

function signed(body: unknown, p: { secret?: string; timestamp?: number; raw?: string } = {}): WebhookRequest {
  const raw = p.raw ?? JSON.stringify(body)
  const timestamp = p.timestamp ?? Math.floor(Date.now() / 1000)
  return { method: 'POST', headers: { [SIGNATURE_HEADER]: signWebhook({ secret: p.secret ?? SECRET, body: raw, timestamp }), 'content-type': 'application/json' }, body: new TextEncoder().encode(raw) }
}

const nonce = () => c.public.getTransactionCount({ address: w.seeded.curator.address })
const json = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>

/** Nothing was executed for `id`: no event item, no run, no transaction. */
async function expectNothingExecuted(ctx: WebhookContext, id: string, nonceBefore: number): Promise<void> {
  expect(await ctx.events.get(`webhook:${id}`)).toBeUndefined()
  expect(await ctx.runs.list('rebalance')).toEqual([])
  expect((await ctx.control.getPause()).paused).toBe(false)
  expect(await nonce()).toBe(nonceBefore)
}

describe('webhook: refused requests execute nothing', () => {
  it.each([
    ['a forged signature', 401, 'invalid signature', (b: unknown) => signed(b, { secret: 'not-the-secret-0123456789abcdef' })],
    ['a body changed after signing', 401, 'invalid signature', (b: unknown) => ({ ...signed(b), body: new TextEncoder().encode(JSON.stringify({ ...(b as object), action: 'resume' })) })],
    ['a timestamp 6 minutes old', 401, 'stale timestamp', (b: unknown) => signed(b, { timestamp: Math.floor(Date.now() / 1000) - 360 })],
    ['a timestamp 6 minutes ahead', 401, 'stale timestamp', (b: unknown) => signed(b, { timestamp: Math.floor(Date.now() / 1000) + 360 })],
    ['no signature header', 401, 'missing or malformed signature header', (b: unknown) => ({ ...signed(b), headers: {} })],
    ['a garbled signature header', 401, 'missing or malformed signature header', (b: unknown) => ({ ...signed(b), headers: { [SIGNATURE_HEADER]: 'v1=zz,t=abc' } })],
    ['a GET', 405, 'method not allowed', (b: unknown) => ({ ...signed(b), method: 'GET' })],
  ])('%s → %i', async (_what, status, error, make) => {
    const ctx = await webhookContext()
    const before = await nonce()
    const id = `bad-${status}-${Math.random().toString(36).slice(2)}`
    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, make({ id, action: 'pause' }))
    expect(res.statusCode).toBe(status)
    expect(json(res).error).toBe(error)
    await expectNothingExecuted(ctx, id, before)
  })

  it('a body over 16 KiB → 413', async () => {
    const ctx = await webhookContext()
    const before = await nonce()
    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'big', action: 'pause', reason: 'x'.repeat(MAX_BODY_BYTES) }))
    expect(res.statusCode).toBe(413)
    await expectNothingExecuted(ctx, 'big', before)
  })

  it('a malformed body → 400 with the JSON path of every error', async () => {
    const ctx = await webhookContext()
    const before = await nonce()
    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: '', action: 'explode', operator: 'nope', extra: true }))
    expect(res.statusCode).toBe(400)
    expect(json(res).issues).toEqual([
      { path: '$.id', message: 'id must not be empty' },
      { path: '$.action', message: 'action must be one of "rebalance", "pause", "resume", "derisk-operator"' },
      { path: '$.operator', message: 'operator must be an address: 0x followed by 40 hex digits' },
      { path: '$', message: 'Unrecognized key: "extra"' },
    ])
    await expectNothingExecuted(ctx, '', before)
  })

  it('derisk-operator without an operator, and an operator on another action → 400 at $.operator', async () => {
    const ctx = await webhookContext()
    const before = await nonce()
    const missing = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'd1', action: 'derisk-operator' }))
    expect(missing.statusCode).toBe(400)
    expect(json(missing).issues).toEqual([{ path: '$.operator', message: 'operator is required for action "derisk-operator"' }])
    const extra = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'd2', action: 'pause', operator: w.seeded.operators[0]!.address }))
    expect(json(extra).issues).toEqual([{ path: '$.operator', message: 'operator is only allowed with action "derisk-operator"' }])
    await expectNothingExecuted(ctx, 'd1', before)
    await expectNothingExecuted(ctx, 'd2', before)
  })

  it('a body that is not JSON → 400 at $', async () => {
    const ctx = await webhookContext()
    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed(undefined, { raw: '{"id": "x", action' }))
    expect(res.statusCode).toBe(400)
    expect(json(res).issues).toEqual([{ path: '$', message: 'body is not valid UTF-8 JSON' }])
  })
})

describe('webhook: accepted requests', () => {
  it('rebalance: sends the plan on chain once and notifies with the tx hashes; the replayed request → 409 and sends nothing', async () => {
    const hook = await startNotificationReceiver()
    const { received } = hook
    const ctx = await webhookContext({ notifications: { webhookUrls: [hook.url], console: false } })
    const vault = w.seeded.vaults[0]!
    const sn = w.seeded.networks.find((n) => n.label === 'bridge-net')!.subnetworks[0]!.id
    const stakesBefore = await Promise.all(w.seeded.operators.map((o) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, o.address] })))
    const before = await nonce()
    const req = signed({ id: 'rebalance-1', action: 'rebalance' })

    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, req)
    expect(res.statusCode).toBe(200)
    const out = json(res) as { status: string; runId: string; txHashes: Hex[] }
    expect(out.status).toBe('succeeded')
    expect(out.txHashes.length).toBeGreaterThan(0)
    for (const h of out.txHashes) expect((await c.public.getTransactionReceipt({ hash: h })).status).toBe('success')
    expect(await nonce()).toBe(before + out.txHashes.length)
    const stakesAfter = await Promise.all(w.seeded.operators.map((o) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, o.address] })))
    expect(stakesAfter).not.toEqual(stakesBefore)
    const run = await ctx.runs.get(out.runId)
    expect(run?.trigger).toBe('webhook:rebalance-1')
    expect((await ctx.events.get('webhook:rebalance-1'))?.status).toBe('done')

    const replay = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, req)
    expect(replay.statusCode).toBe(409)
    expect(json(replay)).toMatchObject({ error: 'replay', eventId: 'webhook:rebalance-1', status: 'done', result: { runId: out.runId, status: 'succeeded' } })
    expect(await nonce()).toBe(before + out.txHashes.length)
    expect(await ctx.runs.list('rebalance')).toHaveLength(1)
    // One 'sent' notification for the run, with every tx hash.
    await hook.close()
    expect(received.map((n) => n.kind)).toEqual(['sent'])
    expect(received[0]).toMatchObject({ runId: out.runId, txHashes: out.txHashes })
    for (const h of out.txHashes) expect(received[0]!.text).toContain(h)
  })

  it('pause stops sending (the plan is recorded), resume sends again', async () => {
    const ctx = await webhookContext()
    const before = await nonce()
    const paused = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'p1', action: 'pause', reason: 'incident 42' }))
    expect(paused.statusCode).toBe(200)
    expect(json(paused)).toMatchObject({ action: 'pause', paused: true })
    expect(await ctx.control.getPause()).toMatchObject({ paused: true, by: 'webhook:p1', reason: 'incident 42' })

    const whilePaused = json(await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'r1', action: 'rebalance' })))
    expect(whilePaused).toMatchObject({ status: 'skipped', paused: true, txHashes: [] })
    expect(await nonce()).toBe(before)
    const run = await ctx.runs.get(whilePaused.runId as string)
    expect(run?.status).toBe('skipped')
    expect(run?.actions?.length).toBeGreaterThan(0)

    expect(json(await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'p2', action: 'resume' })))).toMatchObject({ action: 'resume', paused: false })
    const resumed = json(await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'r2', action: 'rebalance' })))
    expect(resumed.status).toBe('succeeded')
    expect(await nonce()).toBeGreaterThan(before)
  })

  it('derisk-operator: the operator holds no stake in any service afterwards, despite the cooldown', async () => {
    const ctx = await webhookContext({ cooldownSeconds: 86_400 * 365 })
    const vault = w.seeded.vaults[0]!
    const op = w.seeded.operators.find((o) => o.label === 'op-delta')!.address.toLowerCase() as Address
    const services = w.seeded.networks.flatMap((n) => n.subnetworks.map((s) => s.id))
    const stake = (sn: Hex) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] })
    expect((await Promise.all(services.map(stake))).some((s) => s > 0n)).toBe(true)
    // A first rebalance starts the cooldown.
    expect(json(await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'warmup', action: 'rebalance' }))).status).toBe('succeeded')
    expect((await Promise.all(services.map(stake))).some((s) => s > 0n)).toBe(true)

    const res = await handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, signed({ id: 'derisk-delta', action: 'derisk-operator', operator: op, reason: 'key compromise' }))
    expect(res.statusCode).toBe(200)
    const out = json(res) as { status: string; txHashes: string[]; runId: string }
    expect(out.status).toBe('succeeded')
    expect(out.txHashes.length).toBeGreaterThan(0)
    expect(await Promise.all(services.map(stake))).toEqual(services.map(() => 0n))
    expect((await ctx.runs.get(out.runId))?.trigger).toBe(`webhook:derisk-delta:derisk:${op}`)
    // The overlay was one-off: the context's policy still allows the operator.
    expect(ctx.policy.operators.deny).not.toContain(op)
  })

  it('through the local HTTP server: the same answers, and a signed curl example', async () => {
    const ctx = await webhookContext()
    const server = await startWebhookServer({
      port: 0,
      secret: SECRET,
      handler: async (event) => handleWebhook({ ctx, secret: SECRET, dispatch: inlineDispatcher(ctx) }, requestFromHttpApiEvent(HttpApiEventSchema.parse(event))),
    })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/)
      expect(server.curlExample).toContain(`${SIGNATURE_HEADER}: t=`)
      expect(server.curlExample).toContain('"action":"rebalance"')
      const body = JSON.stringify({ id: 'http-pause', action: 'pause' })
      const post = (headers: Record<string, string>, b = body) => fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b })
      const ok = await post({ [SIGNATURE_HEADER]: signWebhook({ secret: SECRET, body, timestamp: Math.floor(Date.now() / 1000) }) })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toMatchObject({ paused: true })
      const replay = await post({ [SIGNATURE_HEADER]: signWebhook({ secret: SECRET, body, timestamp: Math.floor(Date.now() / 1000) }) })
      expect(replay.status).toBe(409)
      const forged = await post({ [SIGNATURE_HEADER]: signWebhook({ secret: 'wrong-secret-0123456789abcdef', body, timestamp: Math.floor(Date.now() / 1000) }) })
      expect(forged.status).toBe(401)
    } finally {
      await server.stop()
    }
  })
})
