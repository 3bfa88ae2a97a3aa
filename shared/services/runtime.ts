/**
 * What a handler does at the start of every run: ask its {@link PolicySource} for the current policy (and protocol
 * config), so a `autopilot policy push` takes effect on the next run without a deploy, and build the context from
 * them (rebuilt only when a version changes). Every run records the versions it used (run record `policyVersion`,
 * `configVersion`, `policyHash`).
 *
 * Where the settings come from (docs/deploy.md):
 * - the policy: POLICY_JSON / POLICY_PATH when set (local), else the policy store (AUTOPILOT_CONFIG.tables.policies);
 * - the protocol config: AUTOPILOT_CONFIG when it has `vaults` (local), else the policy store (kind `config`).
 */
import { ConfigError, envConfigJson } from '../config/config.js'
import { createLogger } from '../logger.js'
import { type PolicySource, StaticPolicySource, StorePolicySource } from '../store/policies.js'
import { type ContextOptions, contextFromEnv, documentClientFor, policyDocumentFromEnv } from './bootstrap.js'
import type { AutopilotContext } from './context.js'

/** Seconds a store read is reused (POLICY_CACHE_SECONDS, default 30). */
function cacheMs(env: Record<string, string | undefined>): number | undefined {
  if (env.POLICY_CACHE_SECONDS === undefined) return undefined
  const s = Number(env.POLICY_CACHE_SECONDS)
  if (!Number.isFinite(s) || s < 0) throw new ConfigError([`POLICY_CACHE_SECONDS must be a number of seconds ≥ 0, not "${env.POLICY_CACHE_SECONDS}"`])
  return s * 1000
}

/** The part of AUTOPILOT_CONFIG needed to find the store, read before the full configuration exists. */
function storeLocation(env: Record<string, string | undefined>): { protocolInEnv: boolean; table?: string; endpoint?: string } {
  const json = envConfigJson(env) as { vaults?: unknown; tables?: { policies?: unknown }; dynamoEndpoint?: unknown }
  const table = typeof json.tables?.policies === 'string' ? json.tables.policies : undefined
  const endpoint = typeof json.dynamoEndpoint === 'string' ? json.dynamoEndpoint : undefined
  return { protocolInEnv: json.vaults !== undefined, ...(table ? { table } : {}), ...(endpoint ? { endpoint } : {}) }
}

/** The PolicySource `env` describes (see the module comment), with the DynamoDB client it reads through. */
export function policySourceFromEnv(env: Record<string, string | undefined>): { source: PolicySource; dynamo?: ReturnType<typeof documentClientFor> } {
  const loc = storeLocation(env)
  const doc = policyDocumentFromEnv(env)
  const fromEnv = doc === undefined ? undefined : new StaticPolicySource(doc)
  if (fromEnv && loc.protocolInEnv) return { source: fromEnv }
  if (!loc.table) throw new ConfigError(['AUTOPILOT_CONFIG.tables.policies is not set: the policy store is needed (or set POLICY_JSON / POLICY_PATH and the config vaults)'])
  const dynamo = documentClientFor(loc.endpoint, env)
  return { source: new StorePolicySource({ store: { client: dynamo, tableName: loc.table }, ...(fromEnv ? { policy: fromEnv } : {}), config: !loc.protocolInEnv, cacheMs: cacheMs(env) }), dynamo }
}

/**
 * The context of one invocation: the chain sync (docs/sync.md) starts no new chunk after 60 % of the time the Lambda
 * has left (the rest is for reading, planning and sending), so a first sync from the deployment block spreads over
 * runs and each continues where the last stopped. Outside Lambda (no remaining time), no deadline.
 */
export function forInvocation<T extends AutopilotContext>(ctx: T, lambda?: { getRemainingTimeInMillis?: () => number }, now = Date.now()): T {
  const remaining = lambda?.getRemainingTimeInMillis?.()
  return remaining === undefined ? ctx : { ...ctx, syncDeadline: now + Math.floor(remaining * 0.6) }
}

/** A handler's runtime: its logger (for withLambdaContext) and the context of the current run. */
export interface HandlerRuntime<T> {
  logger: ReturnType<typeof createLogger>
  /** Resolves the current policy / config and returns the context built from them (cached while they are unchanged). */
  context(): Promise<T>
}

/**
 * Creates a handler's runtime from `env`.
 * @param wrap turns the base context into the handler's own (e.g. asWatchContext); called once per settings version
 */
export function handlerRuntime<T = AutopilotContext>(env: Record<string, string | undefined>, serviceName: string, options: ContextOptions = {}, wrap: (ctx: AutopilotContext) => T = (ctx) => ctx as T): HandlerRuntime<T> {
  const logger = options.logger ?? createLogger(serviceName)
  const { source, dynamo } = policySourceFromEnv(env)
  let built: { key: string; ctx: T } | undefined
  return {
    logger,
    async context() {
      const settings = await source.current(Date.now())
      const key = `${settings.policyVersion ?? ''}:${settings.policyHash}:${settings.configVersion ?? ''}`
      if (built?.key !== key) built = { key, ctx: wrap(contextFromEnv(env, serviceName, { ...options, logger, settings, ...(dynamo ? { dynamo } : {}) })) }
      return built.ctx
    },
  }
}
