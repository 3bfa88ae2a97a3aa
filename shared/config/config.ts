/** The bot's configuration (chain, protocol addresses, tables, signer), validated with zod (zod/mini); parsed once per cold start. */
import * as z from 'zod/mini'
import '../zodLocale.js'
import { RestakeError } from '../errors.js'
import { TABLE_NAMES, type TableNames } from '../store/tables.js'
import { lowerHex, toAddr } from '../address.js'

const address = z.pipe(z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte hex address')), z.transform(toAddr))

/**
 * Zod (zod/mini) schema of the configuration. Derive variants with the standalone helpers
 * (`z.omit(ConfigSchema, …)`, `z.partial(ConfigSchema, …)`).
 */
const roleKey = z.pipe(
  z.string().check(z.regex(/^0x[0-9a-fA-F]{64}$/, 'a bytes32: 0x + 64 hex digits')),
  z.transform((k: string) => lowerHex(k)),
)

export const ConfigSchema = z.object({
  chainId: z.coerce.number().check(z.int(), z.positive()),
  rpcUrl: z.string().check(z.url()),
  /** Further RPC URLs in order of preference: the bot fails over to them when the ones before fail (docs/rpc.md). */
  rpcUrls: z.optional(z.array(z.string().check(z.url()))),
  /** Provider limits (docs/rpc.md): a fixed eth_getLogs span, JSON-RPC batch size, the node's eth_call gas cap. */
  rpc: z.optional(
    z.object({
      /** Fixed eth_getLogs span in blocks; absent = adaptive. */
      getLogsRange: z.optional(z.number().check(z.int(), z.positive())),
      /** JSON-RPC requests per HTTP batch (default 50). */
      batchSize: z.optional(z.number().check(z.int(), z.positive())),
      /** The node's eth_call gas cap; multicalls are split under it (default 50,000,000). */
      maxCallGas: z.optional(z.number().check(z.int(), z.minimum(1_000_000))),
    }),
  ),
  symbiotic: z.object({
    operatorVaultOptInService: address,
    operatorNetworkOptInService: address,
    /** The core's VaultFactory: when given, a configured vault it did not create is refused before anything is read (docs/protocols.md). */
    vaultFactory: z.optional(address),
    /** The DefaultStakerRewardsFactory whose entities `autopilot init` searches for a vault's staker rewards (not read by the functions). */
    stakerRewardsFactory: z.optional(address),
    /** Further core addresses of the chain, for reference (presets: infra/examples/protocol.mainnet.json); not read by the functions. */
    networkRegistry: z.optional(address),
    operatorRegistry: z.optional(address),
    networkMiddlewareService: z.optional(address),
  }),
  vaults: z.array(z.object({ address, stakerRewards: z._default(z.array(address), []) })).check(z.minLength(1)),
  /**
   * Vaults of others, read for the security figures only (docs/risk.md): their stake per (operator, service) on our
   * services adds into σ_{N(s)}, so that a service's security is not judged from our vaults alone. Never planned or sent to.
   */
  extraVaults: z.optional(z.array(address)),
  labels: z._default(z.record(z.string(), z.string()), {}),
  fromBlock: z._default(z.coerce.bigint(), 0n),
  rewardLookbackDays: z._default(z.number().check(z.positive()), 90),
  confirmations: z._default(z.number().check(z.int(), z.minimum(1)), 1),
  tables: z.object(Object.fromEntries(TABLE_NAMES.map((name) => [name, z.string().check(z.minLength(3))])) as Record<keyof TableNames, z.ZodMiniString<string>>),
  /** DynamoDB endpoint override (DynamoDB Local); absent in AWS. */
  dynamoEndpoint: z.optional(z.string().check(z.url())),
  /** DAO mode (docs/dao.md): the Safe holds the curator roles; the bot sends through the Safe's Zodiac Roles v2 module. */
  dao: z.optional(
    z.object({
      /** The Safe that holds the curator roles and executes the calls. */
      safe: address,
      /** The Roles v2 modifier enabled as a module on the Safe. */
      rolesModifier: address,
      /** The role (bytes32) the bot's signer is a member of. */
      roleKey,
      /** MultiSendCallOnly used by proposals (default: the canonical 1.4.1 deployment). */
      multiSendCallOnly: z.optional(address),
    }),
  ),
  /** Where `propose` mode writes its files (Transaction Builder JSON, MultiSend, review); absent = only in the run record. */
  proposalsDir: z.optional(z.string().check(z.minLength(1))),
  /**
   * EigenLayer (docs/eigenlayer.md): the v1.x core contracts and our positions (our staker accounts over one strategy
   * each). Absent = Symbiotic only. A staker with `roles` is a Safe 1.4.1 the bot's one signer moves through the Safe's
   * Zodiac Roles v2 module (shared/protocols/eigenlayer/stakerRoles.ts); one without is an EOA whose key comes from
   * `EIGENLAYER_STAKER_KEYS` (Anvil only).
   */
  eigenlayer: z.optional(
    z.object({
      delegationManager: address,
      strategyManager: address,
      allocationManager: address,
      rewardsCoordinator: address,
      /** First block to scan for EigenLayer events (the core's deployment block); a number, default 0. */
      fromBlock: z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
      /** Block time used to express the withdrawal delay in seconds (default 12). */
      secondsPerBlock: z.optional(z.number().check(z.positive())),
      positions: z
        .array(
          z.object({
            /** Position id (default `eigenlayer:<strategy>`); policy `positions` may name it or the strategy. */
            id: z.optional(z.string().check(z.minLength(1))),
            strategy: address,
            /**
             * Our staker accounts: one operator each. `operator` pins a staker to the operator it may delegate to.
             * `roles`: the staker is a Safe; the bot sends `execTransactionWithRole` to its Roles modifier with this role.
             */
            stakers: z.array(z.object({ address, operator: z.optional(address), roles: z.optional(z.object({ rolesModifier: address, roleKey })) })).check(z.minLength(1)),
          }),
        )
        .check(z.minLength(1)),
    }),
  ),
})

export type Config = z.infer<typeof ConfigSchema>

/**
 * The protocol part of the configuration (what a curator edits: addresses, vaults, labels, fromBlock…): the
 * configuration without rpcUrl, tables, endpoint and chainId, which come from the deployment. Stored in the
 * policy store as kind `config` (docs/deploy.md) and validated with this schema before it is written.
 */
export const ProtocolConfigSchema = /* @__PURE__ */ z.omit(ConfigSchema, { rpcUrl: true, tables: true, dynamoEndpoint: true, chainId: true })

/**
 * Every position id a configuration gives the bot to read, over all protocols: Symbiotic vault addresses, EigenLayer
 * position ids and strategies (policy `positions` may name either). What a policy position must match.
 */
export function configuredPositionIds(config: Pick<Config, 'vaults' | 'eigenlayer'>): string[] {
  const el = config.eigenlayer?.positions ?? []
  return [...config.vaults.map((v) => v.address), ...el.flatMap((p) => [p.id ?? `eigenlayer:${p.strategy}`, p.strategy])].map((x) => x.toLowerCase())
}

/** Invalid configuration: lists every problem. */
export class ConfigError extends RestakeError {
  override name = 'ConfigError' as const
  constructor(issues: string[]) {
    super('Invalid configuration.', { details: issues.join('; ') })
  }
}

/** Validates a configuration object; throws ConfigError listing every issue with its path. */
export function parseConfig(input: unknown): Config {
  const out = ConfigSchema.safeParse(input)
  if (!out.success) throw new ConfigError(out.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`))
  return out.data
}

/**
 * Reads the configuration from the environment: `AUTOPILOT_CONFIG` (JSON), `protocol` (the stored protocol config, when
 * the policy store holds it) over its protocol fields, and `RPC_URL` over its rpcUrl. `RPC_URL` (or the RPC secret) may
 * list several URLs separated by commas or whitespace: the first becomes `rpcUrl`, the others lead `rpcUrls` (failover,
 * docs/rpc.md), so provider keys stay in the secret.
 */
export function configFromEnv(env: Record<string, string | undefined>, protocol?: Record<string, unknown>): Config {
  const json = { ...envConfigJson(env), ...protocol }
  const [rpcUrl, ...more] = (env.RPC_URL ?? '').split(/[\s,]+/).filter(Boolean)
  const rpcUrls = more.length ? { rpcUrls: [...more, ...((json.rpcUrls as unknown[] | undefined) ?? [])] } : {}
  return parseConfig({ ...json, ...(rpcUrl ? { rpcUrl, ...rpcUrls } : {}) })
}

/** AUTOPILOT_CONFIG as JSON, not yet validated (in AWS it holds only chainId and tables; the rest is in the policy store). */
export function envConfigJson(env: Record<string, string | undefined>): Record<string, unknown> {
  const raw = env.AUTOPILOT_CONFIG
  if (!raw) throw new ConfigError(['AUTOPILOT_CONFIG is not set'])
  try {
    return JSON.parse(raw) as Record<string, unknown>
  } catch (e) {
    throw new ConfigError([`AUTOPILOT_CONFIG is not JSON: ${(e as Error).message}`])
  }
}

/** The chain id of AUTOPILOT_CONFIG: all a signer needs, known before the protocol config is read from the store. */
export function chainIdFromEnv(env: Record<string, string | undefined>): number {
  const out = z.pick(ConfigSchema, { chainId: true }).safeParse(envConfigJson(env))
  if (!out.success) throw new ConfigError(out.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`))
  return out.data.chainId
}
