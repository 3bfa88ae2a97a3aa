/**
 * Use case `webhook`: a signed request from a monitoring system → pause, resume, rebalance or de-risk one
 * operator — exactly once per event id.
 *
 * Signature: header `x-autopilot-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`
 * (several `v1=` entries are allowed, e.g. during a secret rotation; one match suffices). Checks, in order,
 * each answering before anything is read or executed:
 *   405 not POST · 413 body > 16 KiB · 401 missing/garbled header · 401 timestamp more than 5 minutes off ·
 *   401 no signature matches (constant-time compare) · 400 not JSON / invalid body (every zod issue with its
 *   JSON path) · 409 the event id was already received (conditional put in the `events` table, kept 7 days).
 * Accepted: pause/resume set the flag at once (200); rebalance/derisk-operator are dispatched — through the
 * jobs topic in AWS (202, because a rebalance outlives API Gateway's 30 s limit; the rebalance function runs
 * the job on delivery, so this function holds no signer and no KMS grant), or inline locally (200 with the
 * run's outcome, 502 if the run failed).
 * A job that failed may be re-sent with the same id (a new signature); a done one answers 409.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import * as z from 'zod/mini'
import '../zodLocale.js'
import { errorSummary } from '../errors.js'
import { jsonPath } from '../domain/policy.js'
import { type ClaimedEvent, DuplicateEventError } from '../store/events.js'
import { JOB_LEASE_MS, type JobDispatcher, WEBHOOK_ID_TTL_SECONDS, type WebhookContext, type WebhookJob } from './webhookJob.js'

/** Header carrying the timestamp and signature. */
export const SIGNATURE_HEADER = 'x-autopilot-signature'
/** Largest accepted body, bytes. */
export const MAX_BODY_BYTES = 16 * 1024
/** Accepted clock difference between signer and us, seconds. */
export const TOLERANCE_SECONDS = 300
export { WEBHOOK_ID_TTL_SECONDS }

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/

/** Refinements on `operator` run only when the body is an object whose action and operator are themselves valid. */
const operatorRuleApplies = (p: { value: unknown; issues: { path?: PropertyKey[] }[] }) => isObject(p.value) && !p.issues.some((i) => i.path?.[0] === 'action' || i.path?.[0] === 'operator')

/** The request body, validated with zod; `operator` is required for (and only allowed with) `derisk-operator`. */
export const WebhookBodySchema = z
  .strictObject({
    id: z.string().check(z.minLength(1, 'id must not be empty'), z.maxLength(128, 'id must be at most 128 characters'), z.regex(/^[A-Za-z0-9._:-]*$/, 'id may only contain letters, digits and . _ : -')),
    action: z.enum(['rebalance', 'pause', 'resume', 'derisk-operator'], 'action must be one of "rebalance", "pause", "resume", "derisk-operator"'),
    operator: z.optional(z.string().check(z.regex(ADDRESS_RE, 'operator must be an address: 0x followed by 40 hex digits'), z.toLowerCase())),
    reason: z.optional(z.string().check(z.maxLength(500, 'reason must be at most 500 characters'))),
  })
  .check(
    z.refine((b) => b.action !== 'derisk-operator' || b.operator !== undefined, { message: 'operator is required for action "derisk-operator"', path: ['operator'], when: operatorRuleApplies }),
    z.refine((b) => b.action === 'derisk-operator' || b.operator === undefined, { message: 'operator is only allowed with action "derisk-operator"', path: ['operator'], when: operatorRuleApplies }),
  )

/** A valid webhook body. */
export type WebhookBody = z.output<typeof WebhookBodySchema>

/** A webhook request, transport-neutral: the raw body bytes are what was signed. */
export interface WebhookRequest {
  method: string
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>
  body: Uint8Array
}

/** The HTTP answer (API Gateway v2 proxy result shape). */
export interface WebhookResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/** Dependencies of {@link handleWebhook}. */
export interface HandleWebhookParameters {
  ctx: WebhookContext
  /** The shared HMAC secret. */
  secret: string
  /** How rebalance / derisk-operator jobs run: the jobs topic in AWS ({@link ./webhookJob.ts}), inline locally ({@link ./runWebhookJob.ts}). */
  dispatch: JobDispatcher
}

/** The header value for `body` signed with `secret` at `timestamp` (unix seconds): `t=…,v1=…`. */
export function signWebhook(p: { secret: string; body: string | Uint8Array; timestamp: number }): string {
  return `t=${p.timestamp},v1=${hmacHex(p.secret, p.timestamp, typeof p.body === 'string' ? new TextEncoder().encode(p.body) : p.body)}`
}

/** Verifies, validates, claims and executes one webhook request; never throws for bad input. */
export async function handleWebhook(p: HandleWebhookParameters, req: WebhookRequest): Promise<WebhookResponse> {
  const { ctx } = p
  if (req.method.toUpperCase() !== 'POST') return reply(405, { error: 'method not allowed', allow: 'POST' }, { allow: 'POST' })
  if (req.body.byteLength > MAX_BODY_BYTES) return reply(413, { error: 'body too large', limitBytes: MAX_BODY_BYTES })

  // Authenticate before reading the body.
  const header = req.headers[SIGNATURE_HEADER]
  const sig = header ? parseSignatureHeader(header) : undefined
  if (!sig) return reply(401, { error: 'missing or malformed signature header', expected: `${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>` })
  const nowSeconds = Math.floor(ctx.clock() / 1000)
  if (Math.abs(nowSeconds - sig.timestamp) > TOLERANCE_SECONDS) return reply(401, { error: 'stale timestamp', toleranceSeconds: TOLERANCE_SECONDS })
  const expected = Buffer.from(hmacHex(p.secret, sig.timestamp, req.body), 'hex')
  // Compare every candidate (no early exit) in constant time.
  let valid = false
  for (const candidate of sig.signatures) {
    const got = Buffer.from(candidate, 'hex')
    if (got.length === expected.length && timingSafeEqual(got, expected)) valid = true
  }
  if (!valid) return reply(401, { error: 'invalid signature' })

  // Validate.
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(req.body))
  } catch {
    return reply(400, { error: 'invalid body', issues: [{ path: '$', message: 'body is not valid UTF-8 JSON' }] })
  }
  const parsed = WebhookBodySchema.safeParse(json)
  if (!parsed.success) return reply(400, { error: 'invalid body', issues: parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })) })
  const body = parsed.data

  return applyControlAction({ ctx, dispatch: p.dispatch }, { ...body, eventId: `webhook:${body.id}`, source: 'webhook' })
}

/** A control order after authentication: pause, resume, rebalance or de-risk one operator, under a unique event id. */
export interface ControlAction {
  /** `webhook:<id>` or `console:<id>`: the id claimed in the events table (the audit trail). */
  eventId: string
  source: 'webhook' | 'console'
  action: WebhookBody['action']
  operator?: string | undefined
  reason?: string | undefined
}

/** What {@link applyControlAction} needs: the events table (claims, audit), the pause flag, the clock and, optionally, notifications. */
export interface ApplyControlActionParameters {
  ctx: Pick<WebhookContext, 'events' | 'control' | 'clock' | 'logger' | 'notify'>
  dispatch: JobDispatcher
}

/**
 * Applies one authenticated control order exactly once — the signed webhook and the local console both come here, so
 * both go through the same pause flag, the same events-table claim (the audit trail: who, when, what, outcome) and
 * the same notifications. Claim the id; pause/resume set the flag at once (200); rebalance/derisk-operator are
 * dispatched (202 queued, or 200/502 with the outcome when run inline). A replayed id answers 409.
 */
export async function applyControlAction(p: ApplyControlActionParameters, body: ControlAction): Promise<WebhookResponse> {
  const { ctx } = p
  const { eventId } = body
  // Claim the id: from here on the event is acted on at most once.
  const control = body.action === 'pause' || body.action === 'resume'
  let claimed: ClaimedEvent
  try {
    claimed = await ctx.events.claim({ eventId, source: body.source, status: control ? 'running' : 'accepted', now: ctx.clock(), ttlSeconds: WEBHOOK_ID_TTL_SECONDS, leaseMs: JOB_LEASE_MS, detail: JSON.stringify(body) })
  } catch (e) {
    if (e instanceof DuplicateEventError) return reply(409, { error: 'replay', eventId, status: e.existing?.status, result: e.existing?.result ? (JSON.parse(e.existing.result) as unknown) : undefined })
    throw e
  }
  ctx.logger.info(`${body.source} order accepted`, { eventId, action: body.action, attempt: claimed.attempts })

  if (body.action === 'pause' || body.action === 'resume') {
    let state: Awaited<ReturnType<WebhookContext['control']['setPaused']>>
    try {
      state = await ctx.control.setPaused(body.action === 'pause', { by: eventId, reason: body.reason, now: ctx.clock() })
    } catch (e) {
      // Not applied: free the id so the sender may retry it.
      await ctx.events.transition(eventId, ['running'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error: errorSummary(e) }) }).catch(() => undefined)
      ctx.logger.error(`${body.source} pause/resume failed`, { eventId, error: errorSummary(e) })
      return reply(500, { error: `${body.action} not applied; retry with the same id`, eventId })
    }
    const result = { eventId, action: body.action, paused: state.paused, version: state.version }
    await ctx.events.transition(eventId, ['running'], 'done', { now: ctx.clock(), result: JSON.stringify(result) })
    await ctx.notify?.({
      kind: 'control',
      subject: `rebalancing ${state.paused ? 'paused' : 'resumed'} (${eventId})`,
      text: `Rebalancing was ${state.paused ? 'paused: runs still plan and record, but send nothing' : 'resumed: runs send again'} by ${eventId}${body.reason ? ` — reason: ${body.reason}` : ''}.`,
      at: new Date(ctx.clock()).toISOString(),
      txHashes: [],
    })
    return reply(200, result)
  }

  const job: WebhookJob = { eventId, action: body.action, ...(body.operator ? { operator: body.operator } : {}), ...(body.reason ? { reason: body.reason } : {}) }
  try {
    const started = await p.dispatch(job)
    if (!started.queued) return reply(started.outcome.status === 'failed' ? 502 : 200, started.outcome)
    return reply(202, { eventId, action: job.action, accepted: true, messageId: started.messageId })
  } catch (e) {
    // Not queued: free the id so the sender may retry it.
    await ctx.events.transition(eventId, ['accepted'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error: errorSummary(e) }) }).catch(() => undefined)
    ctx.logger.error(`${body.source} job not dispatched`, { eventId, error: errorSummary(e) })
    return reply(500, { error: 'job not dispatched; retry with the same id', eventId })
  }
}

/** Parses `t=<digits>,v1=<64 hex>[,v1=…]`; undefined when garbled. */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined
  const signatures: string[] = []
  for (const part of header.split(',')) {
    const [k, v, ...rest] = part.trim().split('=')
    if (rest.length > 0 || v === undefined) return undefined
    if (k === 't' && /^\d{1,12}$/.test(v)) timestamp = Number(v)
    else if (k === 'v1' && /^[0-9a-fA-F]{64}$/.test(v)) signatures.push(v.toLowerCase())
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures }
}

function hmacHex(secret: string, timestamp: number, body: Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

function reply(statusCode: number, body: unknown, headers: Record<string, string> = {}): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
