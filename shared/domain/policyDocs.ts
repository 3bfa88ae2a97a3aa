/**
 * The policy's documentation: one description per field of a policy document, and the JSON Schema generated from
 * {@link PolicyObjectSchema} with them (what `autopilot policy schema` writes to policy.schema.json and editors show).
 * Apart from policy.ts so the Lambda bundles, which only validate, leave the text out; a unit test fails when a
 * field has no description or a description names no field.
 */
import * as z from 'zod/mini'
import { PolicyObjectSchema } from './policy.js'

/** Description of every field, by path: `caps.perOperator`, `positions[]` (an array's items), `positions[].vault`. */
export const POLICY_FIELD_DOCS: Readonly<Record<string, string>> = {
  $schema: 'Optional pointer to this JSON Schema, for editors. Ignored.',
  version: 'Policy format version. Always 1.',
  positions: 'Positions (vaults) the bot manages. Empty = every position read from chain.',
  'positions[].vault': 'Vault address of the position (Symbiotic vault; EigenLayer: the position id).',
  'positions[].label': 'Human label shown in explanations.',
  operators: 'Allow / deny lists of operators.',
  'operators.allow': 'If present, only these operators may receive stake.',
  'operators.allow[]': 'EVM address (0x + 40 hex digits), case-insensitive, stored lower-case.',
  'operators.deny': 'Operators that must never hold stake; stake on them is removed at once (not limited by the turnover cap).',
  'operators.deny[]': 'EVM address (0x + 40 hex digits), case-insensitive, stored lower-case.',
  services: 'Allow / deny lists of services (subnetworks / operator sets).',
  'services.allow': 'If present, only these services may receive stake.',
  'services.allow[]': 'Service id (Symbiotic subnetwork or EigenLayer operator set): 0x + 64 hex digits, stored lower-case.',
  'services.deny': 'Services that must never be secured; stake in them is removed at once (not limited by the turnover cap).',
  'services.deny[]': 'Service id (Symbiotic subnetwork or EigenLayer operator set): 0x + 64 hex digits, stored lower-case.',
  'services.denyRedistributing': 'Never secure an EigenLayer redistributing operator set (slashed funds go to a recipient its AVS chose instead of being burned); stake in one is removed at once like a deny-listed service. On by default.',
  caps: "Concentration caps, each a fraction of the position's active stake.",
  'caps.perOperator': "Max stake one operator secures across all services, as a fraction of the position's active stake.",
  'caps.perService': "Max stake allocated to one service (all operators), as a fraction of the position's active stake.",
  'caps.perRiskGroup': 'Caps on groups of operators/services that may fail together.',
  'caps.perRiskGroup[]': 'A set of operators/services that fail together (same client software, same team, same cloud), capped together.',
  'caps.perRiskGroup[].group': 'Name of the risk group (unique), e.g. "same-client-team".',
  'caps.perRiskGroup[].members': 'Operator addresses and/or service ids in the group. Stake on a (service, operator) pair counts once if its operator or its service is a member.',
  'caps.perRiskGroup[].cap': "Max stake allocated to pairs in the group, as a fraction of the position's active stake.",
  minOperatorsPerService: "Diversification: every operator holds at most 1/m of a service's allocation, so a served service has at least m operators.",
  riskBudget: "Max expected annual loss (Σ p·severity·contract factor·stake) as a fraction of the position's active stake.",
  maxCompoundedSlashProbability: 'Max probability per year that an operator is slashed by at least one of the services it secures for us: 1 − Π(1 − p).',
  minSecuritySlack:
    'Cryptoeconomic security (docs/risk.md): an operator whose slack γ = 1/I − 1 (I = Σ 1/ρ over the services it holds stake in) is below this gets no new stake. 0 = only operators for whom an attack could pay are held back.',
  shockFraction: 'Shock ψ for the network cascade bound (1 + 1/min γ)·ψ: the fraction of stake a sudden shock removes (docs/risk.md).',
  maxLossFraction: 'Max loss of a position if every service it secures slashes at once (Σ min(1, severity·contract factor)·stake, capped at active stake), as a fraction of its active stake. 1 = no cap.',
  var99Fraction: 'Max one-year slashing value-at-risk at 99 % of a position, as a fraction of its active stake; the risk budget is tightened until the plan meets it (docs/risk.md). 1 = no cap.',
  leverageCap: 'Restaking leverage cap k: Σ over services of the network limits ≤ k × active stake.',
  turnoverCapPerRun:
    'Max stake moved in one run, Σ|target − current| over (service, operator) pairs, as a fraction of active stake (may exceed 1 with restaking: a full reshuffle at leverage k moves up to 2k). Forced removals (deny lists, slash response) do not count.',
  maxExitFractionPerRun:
    "Drain guard: a run that would take more than this fraction of a position's available stake out of allocation (net: a move between pairs drains nothing), for reasons other than a slash response or a deny list, is refused (DrainRefusedError) and sends nothing. A typo such as caps.perOperator 0.001 cannot empty a vault.",
  allowFullExit: 'A deliberate exit: lifts maxExitFractionPerRun, so a run may remove any part of the stake. Recorded in the plan of every run it lets through. Off by default.',
  minNetGainBpsPerYear: 'Act only if the plan improves net expected yield by at least this many basis points of stake per year, after gas.',
  gas: 'Gas limits and estimates.',
  'gas.maxFeePerGasGwei': 'Gas price cap (gwei): above it the run is skipped (gasTooHigh) and no transaction pays more.',
  'gas.estimatedGasPerCall': 'Gas assumed per curator call when weighing gain against cost.',
  cooldownSeconds: 'Minimum time between two rebalances (seconds). De-risk runs ignore it.',
  mode: 'autopilot = send transactions; propose = prepare and record them, do not send; dry-run = plan and explain only.',
  slashResponse: 'What to do when a slash of an operator we delegate to is seen: remove all its stake in the slashing service, halve it, or only alert.',
  notifications: 'Where notifications go.',
  'notifications.webhookUrls': 'URLs that receive a JSON POST for every run outcome and slash alert.',
  'notifications.targets': "Typed webhook targets: each gets every notification in its platform's format.",
  'notifications.targets[]': 'One webhook target: a Slack incoming webhook, a Discord webhook, or a generic JSON receiver.',
  'notifications.targets[].format': 'slack = Block Kit message; discord = one embed, mentions disabled; json = the notification object as webhookUrls receive it.',
  'notifications.targets[].url': 'The http(s) webhook URL (Slack: https://hooks.slack.com/services/…; Discord: https://discord.com/api/webhooks/…).',
  'notifications.snsTopicArn': 'SNS topic for notifications (AWS deployments).',
  'notifications.console': 'Also print notifications to the console / log.',
  scoring: 'Parameters of scoring (see shared/domain/score.ts).',
  'scoring.priorAlpha': 'Beta prior α: prior slash events (p = (α + slashes) / (α + β + exposure years)).',
  'scoring.priorBeta': 'Beta prior β: prior slash-free years.',
  'scoring.defaultSeverity': 'Fraction of allocated stake lost per slash when neither metadata nor history gives one.',
  'scoring.defaultHaircut': 'Contract-risk haircut of a service without metadata (treated like a new, unaudited contract).',
  'scoring.defaultAttackThreshold': 'Attack threshold α of a service without one in its metadata: the fraction of the stake securing it that an attacker must control (1/3: BFT safety).',
  'scoring.slashProbabilityOverrides': 'Owner-set slash probabilities that win over the estimate.',
  'scoring.slashProbabilityOverrides[]': 'Replaces the estimated slash probability of matching (operator, service) pairs. The most specific match wins: operator+service, then operator, then service.',
  'scoring.slashProbabilityOverrides[].operator': 'Operator the override applies to (omit = every operator).',
  'scoring.slashProbabilityOverrides[].service': 'Service the override applies to (omit = every service).',
  'scoring.slashProbabilityOverrides[].probabilityPerYear': 'Slash probability per year to use instead of the Beta-prior estimate.',
  'scoring.serviceMetadata': 'Per-service facts: label, contract risk, severity, risk group.',
  'scoring.serviceMetadata[]': 'What the owner knows about a service that the chain does not say.',
  'scoring.serviceMetadata[].service': 'Service id (Symbiotic subnetwork or EigenLayer operator set): 0x + 64 hex digits, stored lower-case.',
  'scoring.serviceMetadata[].label': 'Human label shown in explanations.',
  'scoring.serviceMetadata[].contractRisk': 'Facts from which the contract-risk haircut is derived (see docs/policy.md for the formula).',
  'scoring.serviceMetadata[].contractRisk.audits': 'Number of independent audits of the service contracts.',
  'scoring.serviceMetadata[].contractRisk.ageDays': 'Days since the service contracts went live.',
  'scoring.serviceMetadata[].contractRisk.tvlUsd': 'Value secured by the service, USD (optional; more battle-tested when larger).',
  'scoring.serviceMetadata[].haircut': 'Contract-risk haircut given directly (instead of contractRisk): expected loss is multiplied by (1 + haircut).',
  'scoring.serviceMetadata[].severity': 'Fraction of allocated stake lost per slash event (overrides history and scoring.defaultSeverity).',
  'scoring.serviceMetadata[].riskGroup': 'Name of a group in caps.perRiskGroup this service belongs to.',
  'scoring.serviceMetadata[].profitFromCorruption':
    "π: what an attacker gains by corrupting the service, in whole collateral tokens (18 decimals, the unit of the vaults' collateral). Without it the service's security is reported as unknown, never as safe.",
  'scoring.serviceMetadata[].attackThreshold': 'α: fraction of the stake securing the service that an attacker must control (default scoring.defaultAttackThreshold).',
  'scoring.operatorMetadata': 'Per-operator facts: label, commission, risk group.',
  'scoring.operatorMetadata[]': 'What the owner knows about an operator that the chain does not say.',
  'scoring.operatorMetadata[].operator': 'EVM address (0x + 40 hex digits), case-insensitive, stored lower-case.',
  'scoring.operatorMetadata[].label': 'Human label shown in explanations.',
  'scoring.operatorMetadata[].commission': 'Commission the operator takes from rewards (overrides the on-chain value).',
  'scoring.operatorMetadata[].riskGroup': 'Name of a group in caps.perRiskGroup this operator belongs to.',
}

type JsonNode = { properties?: Record<string, JsonNode>; items?: JsonNode; [k: string]: unknown }

/** A field of a generated schema: its path and its node. */
export interface PolicyField {
  path: string
  node: JsonNode
}

/** Every field of a generated schema (the root excluded). */
export function policyFieldPaths(schema: JsonNode): PolicyField[] {
  const out: PolicyField[] = []
  const walk = (node: JsonNode, path: string) => {
    if (path) out.push({ path, node })
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, path ? `${path}.${k}` : k)
    if (node.items && typeof node.items === 'object' && !Array.isArray(node.items)) walk(node.items, `${path}[]`)
  }
  walk(schema, '')
  return out
}

/**
 * JSON Schema (draft 2020-12) of a policy document, generated from {@link PolicyObjectSchema} with the
 * descriptions of {@link POLICY_FIELD_DOCS}. Only the CLI and tests call it.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PolicyObjectSchema, { io: 'input', target: 'draft-2020-12' }) as JsonNode
  for (const field of policyFieldPaths(schema)) {
    const text = POLICY_FIELD_DOCS[field.path]
    if (text !== undefined) field.node.description = text
  }
  const { $schema, ...rest } = schema
  return {
    $schema,
    $id: 'https://restake-autopilot.local/policy.schema.json',
    title: 'restake-autopilot policy',
    description:
      'Policy of restake-autopilot: which positions, operators and services, the caps and risk limits, and how to act. Generated from shared/domain/policy.ts (PolicySchema); do not edit by hand. Cross-field rules (allowed and denied at once, duplicates, unknown risk groups) are checked by `autopilot policy validate` only.',
    ...rest,
  }
}
