/**
 * The owner's policy: one JSON document, validated by zod (zod/mini), JSON Schema generated from the same schema.
 * Every field is documented with a `` check (that text ends up in `policy.schema.json` and
 * `docs/policy.md`). Addresses are normalised to lower case, service ids likewise.
 */
import * as z from 'zod/mini'
import '../zodLocale.js'
import { PolicyError, type PolicyIssue } from './errors.js'

export type { PolicyIssue }

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/
const SERVICE_ID_RE = /^0x[0-9a-fA-F]{64}$/
const MEMBER_RE = /^0x(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/
const SNS_ARN_RE = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/

/** EVM address: `0x` + 40 hex digits, normalised to lower case. */
const AddressSchema = z.string().check(z.regex(ADDRESS_RE, 'must be an address: 0x followed by 40 hex digits'), z.toLowerCase())

/** Service id: bytes32 subnetwork / operator-set key, `0x` + 64 hex digits, lower case. */
const ServiceIdSchema = z.string().check(z.regex(SERVICE_ID_RE, 'must be a service id: 0x followed by 64 hex digits (network address ++ uint96 identifier)'), z.toLowerCase())

const fraction = (what: string) => z.number().check(z.minimum(0, `${what} must be ≥ 0`), z.maximum(1, `${what} must be ≤ 1 (a fraction: 1 = 100 %)`))

const RiskGroupSchema = z.strictObject({
  group: z.string().check(z.minLength(1, 'group name must not be empty')),
  members: z._default(z.array(z.string().check(z.regex(MEMBER_RE, 'must be an operator address (0x + 40 hex) or a service id (0x + 64 hex)'), z.toLowerCase())), []),
  cap: fraction('cap'),
})

const OverrideSchema = z.strictObject({
  operator: z.optional(AddressSchema),
  service: z.optional(ServiceIdSchema),
  probabilityPerYear: fraction('probabilityPerYear'),
})

const ContractRiskSchema = z.strictObject({
  audits: z.int().check(z.minimum(0, 'audits must be ≥ 0')),
  ageDays: z.int().check(z.minimum(0, 'ageDays must be ≥ 0')),
  tvlUsd: z.optional(z.number().check(z.minimum(0, 'tvlUsd must be ≥ 0'))),
})

const ServiceMetadataSchema = z.strictObject({
  service: ServiceIdSchema,
  label: z.optional(z.string()),
  contractRisk: z.optional(ContractRiskSchema),
  haircut: z.optional(fraction('haircut')),
  severity: z.optional(fraction('severity')),
  riskGroup: z.optional(z.string().check(z.minLength(1))),
  profitFromCorruption: z.optional(z.number().check(z.positive('profitFromCorruption must be > 0 (collateral tokens an attacker gains)'))),
  attackThreshold: z.optional(z.number().check(z.positive('attackThreshold must be > 0'), z.maximum(1, 'attackThreshold must be ≤ 1 (a fraction of the stake)'))),
})

const OperatorMetadataSchema = z.strictObject({
  operator: AddressSchema,
  label: z.optional(z.string()),
  commission: z.optional(fraction('commission')),
  riskGroup: z.optional(z.string().check(z.minLength(1))),
})

/** The shape of a policy document, before cross-field checks and normalisation (./policyDocs.ts generates the JSON Schema from it). */
export const PolicyObjectSchema = z.strictObject({
  $schema: z.optional(z.string()),
  version: z.literal(1, 'version must be 1'),
  positions: z._default(
    z.array(
      z.strictObject({
        vault: AddressSchema,
        label: z.optional(z.string()),
      }),
    ),
    [],
  ),
  operators: z._default(
    z.strictObject({
      allow: z.optional(z.array(AddressSchema)),
      deny: z._default(z.array(AddressSchema), []),
    }),
    { deny: [] },
  ),
  services: z._default(
    z.strictObject({
      allow: z.optional(z.array(ServiceIdSchema)),
      deny: z._default(z.array(ServiceIdSchema), []),
      denyRedistributing: z._default(z.boolean(), true),
    }),
    { deny: [], denyRedistributing: true },
  ),
  caps: z._default(
    z.strictObject({
      perOperator: z._default(fraction('caps.perOperator'), 0.25),
      perService: z._default(fraction('caps.perService'), 0.5),
      perRiskGroup: z._default(z.array(RiskGroupSchema), []),
    }),
    { perOperator: 0.25, perService: 0.5, perRiskGroup: [] },
  ),
  minOperatorsPerService: z._default(z.int('minOperatorsPerService must be a whole number').check(z.minimum(1, 'minOperatorsPerService must be ≥ 1'), z.maximum(1000, 'minOperatorsPerService must be ≤ 1000')), 2),
  riskBudget: z._default(fraction('riskBudget'), 0.01),
  maxCompoundedSlashProbability: z._default(fraction('maxCompoundedSlashProbability'), 0.1),
  minSecuritySlack: z._default(z.number().check(z.minimum(0, 'minSecuritySlack must be ≥ 0'), z.maximum(1000, 'minSecuritySlack must be ≤ 1000')), 0),
  shockFraction: z._default(fraction('shockFraction'), 0.1),
  maxLossFraction: z._default(fraction('maxLossFraction'), 1),
  var99Fraction: z._default(fraction('var99Fraction'), 1),
  leverageCap: z._default(z.number().check(z.minimum(1, 'leverageCap must be ≥ 1 (1 = no restaking amplification)'), z.maximum(1000, 'leverageCap must be ≤ 1000')), 2),
  turnoverCapPerRun: z._default(z.number().check(z.minimum(0, 'turnoverCapPerRun must be ≥ 0'), z.maximum(2000, 'turnoverCapPerRun must be ≤ 2000')), 0.25),
  maxExitFractionPerRun: z._default(fraction('maxExitFractionPerRun'), 0.25),
  allowFullExit: z._default(z.boolean(), false),
  minNetGainBpsPerYear: z._default(z.number().check(z.minimum(0, 'minNetGainBpsPerYear must be ≥ 0')), 5),
  gas: z._default(
    z.strictObject({
      maxFeePerGasGwei: z._default(z.number().check(z.positive('maxFeePerGasGwei must be > 0')), 50),
      estimatedGasPerCall: z._default(z.int().check(z.positive('estimatedGasPerCall must be > 0')), 80_000),
    }),
    { maxFeePerGasGwei: 50, estimatedGasPerCall: 80_000 },
  ),
  cooldownSeconds: z._default(z.int().check(z.minimum(0, 'cooldownSeconds must be ≥ 0')), 21_600),
  mode: z._default(z.enum(['autopilot', 'propose', 'dry-run'], 'mode must be one of "autopilot", "propose", "dry-run"'), 'propose'),
  slashResponse: z._default(z.enum(['zero-out', 'halve', 'alert-only'], 'slashResponse must be one of "zero-out", "halve", "alert-only"'), 'zero-out'),
  notifications: z._default(
    z.strictObject({
      webhookUrls: z._default(z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })), []),
      targets: z._default(z.array(z.strictObject({ format: z.enum(['slack', 'discord', 'json'], 'format must be one of "slack", "discord", "json"'), url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }) })), []),
      snsTopicArn: z.optional(z.string().check(z.regex(SNS_ARN_RE, 'must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)'))),
      console: z._default(z.boolean(), true),
    }),
    { webhookUrls: [], targets: [], console: true },
  ),
  scoring: z._default(
    z.strictObject({
      priorAlpha: z._default(z.number().check(z.positive('priorAlpha must be > 0')), 0.1),
      priorBeta: z._default(z.number().check(z.positive('priorBeta must be > 0')), 9.9),
      defaultSeverity: z._default(fraction('defaultSeverity'), 0.25),
      defaultHaircut: z._default(fraction('defaultHaircut'), 0.5),
      defaultAttackThreshold: z._default(z.number().check(z.positive('defaultAttackThreshold must be > 0'), z.maximum(1, 'defaultAttackThreshold must be ≤ 1')), 1 / 3),
      slashProbabilityOverrides: z._default(z.array(OverrideSchema), []),
      serviceMetadata: z._default(z.array(ServiceMetadataSchema), []),
      operatorMetadata: z._default(z.array(OperatorMetadataSchema), []),
    }),
    {
      priorAlpha: 0.1,
      priorBeta: 9.9,
      defaultSeverity: 0.25,
      defaultHaircut: 0.5,
      defaultAttackThreshold: 1 / 3,
      slashProbabilityOverrides: [],
      serviceMetadata: [],
      operatorMetadata: [],
    },
  ),
})

/** Adds the cross-field checks to a parsed policy (an issue per problem, each with its path). */
function crossFieldChecks(p: z.output<typeof PolicyObjectSchema>, ctx: z.core.$RefinementCtx<z.output<typeof PolicyObjectSchema>>): void {
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })

  // Allowed and denied at once.
  for (const kind of ['operators', 'services'] as const) {
    const allow = new Set(p[kind].allow ?? [])
    p[kind].deny.forEach((d, i) => {
      if (allow.has(d)) add([kind, 'deny', i], `${d} is also in ${kind}.allow; a${kind === 'operators' ? 'n operator' : ' service'} cannot be both allowed and denied`)
    })
  }
  // Too few allowed operators for the diversification rule: no service could ever be served.
  const allowOps = p.operators.allow
  if (allowOps !== undefined) {
    const deny = new Set(p.operators.deny)
    const usable = new Set(allowOps.filter((o) => !deny.has(o))).size
    if (usable < p.minOperatorsPerService) {
      add(['minOperatorsPerService'], `minOperatorsPerService is ${p.minOperatorsPerService} but only ${usable} operator${usable === 1 ? ' is' : 's are'} allowed (and not denied): no service could receive stake`)
    }
  }
  // Duplicate keys that would make the document ambiguous.
  const dup = <T>(items: T[], key: (t: T) => string, path: (i: number) => (string | number)[], what: (k: string) => string) => {
    const seen = new Map<string, number>()
    items.forEach((it, i) => {
      const k = key(it)
      const first = seen.get(k)
      if (first !== undefined) add(path(i), `${what(k)} appears twice (first at index ${first})`)
      else seen.set(k, i)
    })
  }
  dup(
    p.positions,
    (x) => x.vault,
    (i) => ['positions', i, 'vault'],
    (k) => `position ${k}`,
  )
  dup(
    p.caps.perRiskGroup,
    (x) => x.group,
    (i) => ['caps', 'perRiskGroup', i, 'group'],
    (k) => `risk group "${k}"`,
  )
  dup(
    p.scoring.serviceMetadata,
    (x) => x.service,
    (i) => ['scoring', 'serviceMetadata', i, 'service'],
    (k) => `metadata for service ${k}`,
  )
  dup(
    p.scoring.operatorMetadata,
    (x) => x.operator,
    (i) => ['scoring', 'operatorMetadata', i, 'operator'],
    (k) => `metadata for operator ${k}`,
  )
  dup(
    p.scoring.slashProbabilityOverrides,
    (x) => `${x.operator ?? '*'}/${x.service ?? '*'}`,
    (i) => ['scoring', 'slashProbabilityOverrides', i],
    (k) => `an override for ${k}`,
  )
  // Overrides must say what they apply to.
  p.scoring.slashProbabilityOverrides.forEach((o, i) => {
    if (o.operator === undefined && o.service === undefined) add(['scoring', 'slashProbabilityOverrides', i], 'give an operator, a service, or both')
  })
  // Contract risk given twice.
  p.scoring.serviceMetadata.forEach((m, i) => {
    if (m.contractRisk !== undefined && m.haircut !== undefined) add(['scoring', 'serviceMetadata', i], 'give either contractRisk or haircut, not both')
  })
  // Risk groups named in metadata must exist.
  const groups = new Set(p.caps.perRiskGroup.map((g) => g.group))
  for (const [list, key] of [
    ['serviceMetadata', 'service'],
    ['operatorMetadata', 'operator'],
  ] as const) {
    p.scoring[list].forEach((m, i) => {
      if (m.riskGroup !== undefined && !groups.has(m.riskGroup)) {
        add(['scoring', list, i, 'riskGroup'], `risk group "${m.riskGroup}" of ${key} ${(m as Record<string, unknown>)[key]} is not defined in caps.perRiskGroup`)
      }
    })
  }
}

/** Normalises list order (sorted, de-duplicated) so that equal policies are byte-identical. */
function normalise(p: z.output<typeof PolicyObjectSchema>): z.output<typeof PolicyObjectSchema> {
  const uniq = <T extends string>(xs: T[]): T[] => [...new Set(xs)].sort()
  return {
    ...p,
    operators: { ...p.operators, ...(p.operators.allow ? { allow: uniq(p.operators.allow) } : {}), deny: uniq(p.operators.deny) },
    services: { ...p.services, ...(p.services.allow ? { allow: uniq(p.services.allow) } : {}), deny: uniq(p.services.deny) },
    caps: { ...p.caps, perRiskGroup: p.caps.perRiskGroup.map((g) => ({ ...g, members: uniq(g.members) })) },
  }
}

/**
 * The policy schema (zod/mini). Parse with {@link parsePolicy}; the output type {@link Policy} has every
 * default applied, addresses and service ids lower-cased, allow/deny lists sorted and de-duplicated.
 */
export const PolicySchema = z.pipe(PolicyObjectSchema.check(z.superRefine(crossFieldChecks)), z.transform(normalise))

/** A validated policy (defaults applied). */
export type Policy = z.output<typeof PolicySchema>
/** A policy document as written by a person (defaults optional). */
export type PolicyInput = z.input<typeof PolicySchema>

/** Result of {@link parsePolicy}. */
export type ParsePolicyResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyIssue[] }

/** Formats a zod path as a JSON path: `$.caps.perRiskGroup[0].cap`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$'
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (typeof seg === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += `.${seg}`
    else out += `[${JSON.stringify(String(seg))}]`
  }
  return out
}

function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  return `${typeof v} ${String(v)}`
}

/** Turns zod issues into policy issues with JSON paths and plain reasons. */
function toPolicyIssues(issues: readonly z.core.$ZodIssue[], input: unknown): PolicyIssue[] {
  const out: PolicyIssue[] = []
  const valueAt = (path: readonly PropertyKey[]): unknown => {
    let v: unknown = input
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return undefined
      v = (v as Record<PropertyKey, unknown>)[seg]
    }
    return v
  }
  for (const iss of issues) {
    switch (iss.code) {
      case 'unrecognized_keys':
        for (const k of iss.keys) out.push({ path: jsonPath([...iss.path, k]), message: `unknown field "${k}" (check the spelling; see docs/policy.md)` })
        break
      case 'invalid_type': {
        const v = valueAt(iss.path)
        const expected = iss.expected === 'int' ? 'a whole number' : iss.expected
        out.push({
          path: jsonPath(iss.path),
          message: v === undefined ? `required field is missing (expected ${expected})` : `expected ${expected}, got ${describeValue(v)}`,
        })
        break
      }
      default:
        out.push({ path: jsonPath(iss.path), message: iss.message })
    }
  }
  // Stable order: by path, then message.
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0))
}

/**
 * Validates a policy document.
 * @param input parsed JSON (unknown shape)
 * @returns the policy with defaults applied, or every problem with its JSON path and reason
 */
export function parsePolicy(input: unknown): ParsePolicyResult {
  const r = PolicySchema.safeParse(input)
  if (r.success) return { ok: true, policy: r.data }
  return { ok: false, errors: toPolicyIssues(r.error.issues, input) }
}

/**
 * Validates a policy document or throws.
 * @throws {PolicyError} listing every problem
 */
export function loadPolicyOrThrow(input: unknown): Policy {
  const r = parsePolicy(input)
  if (!r.ok) throw new PolicyError(r.errors)
  return r.policy
}

/** The default policy: `{ version: 1 }` with every default applied. */
export function defaultPolicy(): Policy {
  return loadPolicyOrThrow({ version: 1 })
}
