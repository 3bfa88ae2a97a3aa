/**
 * Stack parameters from CDK context (cdk.json or `-c key=value`), validated with zod at synth time: the
 * chain, the protocol configuration (file), the policy (file, validated with the policy schema), the
 * schedules, the RPC secret and operational knobs. Documented in docs/deploy.md.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import * as z from 'zod'
import { ProtocolConfigSchema, configuredPositionIds } from '../shared/config/config.js'
import { unknownPositions } from '../shared/domain/index.js'
import { loadPolicyOrThrow, type Policy } from '../shared/domain/index.js'
import { REPO_ROOT } from './bundling.js'

/** Prefix of every context key. */
export const CONTEXT_PREFIX = 'restake-autopilot:'

const schedule = z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'must be an EventBridge Scheduler expression: rate(10 minutes) or cron(...)')

/** The context keys (without the prefix), their types and defaults. */
export const ContextSchema = z.object({
  chainId: z.coerce.number().int().positive(),
  /** JSON file: protocol addresses, vaults, labels, fromBlock, confirmations; validated here, pushed after deploy with `autopilot config push`. */
  protocolConfigFile: z.string().min(1).default('infra/examples/protocol.example.json'),
  /** JSON policy file, validated here; pushed after deploy with `autopilot policy push` (a policy change is a push, not a deploy). */
  policyFile: z.string().min(1).default('infra/examples/policy.example.json'),
  scoreSchedule: schedule.default('rate(10 minutes)'),
  rebalanceSchedule: schedule.default('rate(6 hours)'),
  watchSchedule: schedule.default('rate(1 minute)'),
  /** EigenLayer function (only deployed when the protocol config has `eigenlayer`): resumes move sagas and plans. */
  eigenlayerSchedule: schedule.default('rate(30 minutes)'),
  /** Name of an existing Secrets Manager secret holding the RPC URL; empty = the stack creates one to fill in. */
  rpcSecretName: z.string().default(''),
  /** E-mail subscribed to the notifications topic (alarms and bot notifications); empty = none. */
  notifyEmail: z.string().default(''),
  logRetentionDays: z.coerce.number().int().positive().default(30),
  /** Reserve concurrency 1 for rebalance and watch (needs ≥ 12 unreserved concurrency in the account). */
  reserveConcurrency: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  /** Watcher: blocks behind the head before an event is acted on (default: protocol config `confirmations`). */
  watchConfirmations: z.coerce.number().int().min(0).optional(),
  /** Watcher: an intent signed/broadcast longer than this is stuck (alarm), minutes. */
  stuckIntentMinutes: z.coerce.number().positive().default(15),
  /** Synthesize the example files' placeholder addresses as they are (infra tests, a first look at the template); never for a deploy. */
  allowExampleAddresses: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
})

/** Validated context. */
export type StackContext = z.output<typeof ContextSchema>

/** The protocol part of the bot configuration (AUTOPILOT_CONFIG without rpcUrl, tables and endpoint). */
export { ProtocolConfigSchema }

/** Everything the stack needs, resolved. */
export interface AutopilotParameters {
  context: StackContext
  /** Protocol config as JSON-ready data (bigints as decimal strings). */
  protocol: Record<string, unknown>
  policy: Policy
}

/** The problem with the context, every issue with its key. */
export class StackParameterError extends Error {
  override name = 'StackParameterError' as const
}

/** Reads and validates the context of `node` (an App or Stack `node.tryGetContext`). */
export function parametersFromContext(get: (key: string) => unknown): AutopilotParameters {
  const raw = Object.fromEntries(
    Object.keys(ContextSchema.shape)
      .map((k) => [k, get(`${CONTEXT_PREFIX}${k}`)])
      .filter(([, v]) => v !== undefined && v !== null),
  )
  const parsed = ContextSchema.safeParse(raw)
  if (!parsed.success) throw new StackParameterError(`Invalid context: ${parsed.error.issues.map((i) => `${CONTEXT_PREFIX}${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const context = parsed.data
  const read = (file: string, what: string): unknown => {
    const path = isAbsolute(file) ? file : join(REPO_ROOT, file)
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as unknown
    } catch (e) {
      throw new StackParameterError(`Cannot read the ${what} ${path}: ${(e as Error).message}`)
    }
  }
  const protocolRaw = read(context.protocolConfigFile, 'protocol config')
  const protocolParsed = ProtocolConfigSchema.safeParse(protocolRaw)
  if (!protocolParsed.success) throw new StackParameterError(`Invalid protocol config ${context.protocolConfigFile}: ${protocolParsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const protocol = JSON.parse(JSON.stringify(protocolParsed.data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>
  const policyRaw = read(context.policyFile, 'policy')
  let policy: Policy
  try {
    policy = loadPolicyOrThrow(policyRaw)
  } catch (e) {
    throw new StackParameterError(`Invalid policy ${context.policyFile}: ${(e as Error).message}`)
  }
  const issues = obviousMistakes(protocolParsed.data, policy, context)
  if (issues.length > 0) throw new StackParameterError(`Refused to synthesize: ${issues.join('; ')}`)
  return { context, protocol, policy }
}

/** An address of one repeated hex digit (0x1111…1111, 0x0000…0000): a placeholder, never a deployed contract or key. */
const PLACEHOLDER_RE = /^0x([0-9a-f])\1{39}$/i

/**
 * Settings that validate but cannot be meant for a deploy: the example files' placeholder addresses (unless
 * `allowExampleAddresses`), and policy positions that name no vault of the protocol config (the run would fail every
 * time with UnknownPositionError).
 */
export function obviousMistakes(protocol: z.output<typeof ProtocolConfigSchema>, policy: Policy, context: Pick<StackContext, 'protocolConfigFile' | 'policyFile' | 'allowExampleAddresses'>): string[] {
  const issues: string[] = []
  if (!context.allowExampleAddresses) {
    const placeholders: [string, string][] = [
      ...protocol.vaults.map((v, i): [string, string] => [`${context.protocolConfigFile} $.vaults[${i}].address`, v.address]),
      ...(protocol.eigenlayer?.positions ?? []).flatMap((p, i): [string, string][] => [
        [`${context.protocolConfigFile} $.eigenlayer.positions[${i}].strategy`, p.strategy],
        ...p.stakers.flatMap((st, j): [string, string][] => [
          [`${context.protocolConfigFile} $.eigenlayer.positions[${i}].stakers[${j}].address`, st.address],
          ...(st.roles ? [[`${context.protocolConfigFile} $.eigenlayer.positions[${i}].stakers[${j}].roles.rolesModifier`, st.roles.rolesModifier] as [string, string]] : []),
        ]),
      ]),
      ...policy.positions.map((p, i): [string, string] => [`${context.policyFile} $.positions[${i}].vault`, p.vault]),
      ...(protocol.extraVaults ?? []).map((v, i): [string, string] => [`${context.protocolConfigFile} $.extraVaults[${i}]`, v]),
    ]
    for (const [where, a] of placeholders) if (PLACEHOLDER_RE.test(a)) issues.push(`${where} is the placeholder ${a} of the example files: replace it with your own (or set ${CONTEXT_PREFIX}allowExampleAddresses for a look at the template)`)
  }
  const ours = new Set(protocol.vaults.map((v) => v.address.toLowerCase()))
  ;(protocol.extraVaults ?? []).forEach((v, i) => {
    if (ours.has(v.toLowerCase())) issues.push(`${context.protocolConfigFile} $.extraVaults[${i}] ${v} is also in $.vaults: a vault we steer is read already; extraVaults are others' vaults`)
  })
  const unknown = unknownPositions([], policy, configuredPositionIds(protocol))
  if (unknown.length > 0) issues.push(`${context.policyFile} $.positions names ${unknown.join(', ')}, not a vault or position of ${context.protocolConfigFile} (every run would fail with UnknownPositionError)`)
  return issues
}
