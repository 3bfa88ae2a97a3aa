/** The scenario format (local/scenarios/*.json): who exists in the local world, with what yield, risk and history. Validated with zod. */
import { readFileSync } from 'node:fs'
import * as z from 'zod'

const tokens = z
  .string()
  .regex(/^\d+(\.\d{1,18})?$/, 'a decimal token amount such as "1500" or "0.25"')
  .describe('Token amount in whole tokens (18 decimals), as a string to stay exact')

const label = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')

const SubnetworkSchema = z.object({
  identifier: z.number().int().min(0).describe('uint96 subnetwork identifier'),
  maxNetworkLimit: tokens.describe('Limit the network sets for each vault (setMaxNetworkLimit)'),
  rewardRatePerYear: z.number().min(0).max(1).describe('Staker rewards the network pays, per unit of allocated stake per year (0.05 = 5 %)'),
})

const NetworkSchema = z.object({
  label,
  subnetworks: z.array(SubnetworkSchema).min(1),
})

const OperatorSchema = z.object({
  label,
  networks: z.array(label).min(1).describe('Networks the operator opts into'),
})

const VaultSchema = z.object({
  label,
  delegator: z.enum(['network-restake', 'full-restake']).default('network-restake'),
  slasher: z.enum(['instant', 'veto']).default('instant'),
  deposits: z.array(tokens).min(1).describe('One depositor per entry'),
  initialAllocation: z.enum(['even', 'none']).default('even').describe('How the vault starts: limits and shares split evenly over every eligible operator'),
})

const SlashSchema = z.object({
  day: z.number().int().min(1),
  network: label,
  identifier: z.number().int().min(0).default(0),
  operator: label,
  fraction: z.number().gt(0).max(1).describe("Fraction of the operator's stake in that subnetwork to slash"),
})

const TimelineEventSchema = z.discriminatedUnion('kind', [
  z
    .object({
      day: z.number().int().min(1),
      kind: z.literal('reward-rate'),
      network: label,
      identifier: z.number().int().min(0).default(0),
      rewardRatePerYear: z.number().min(0).max(1).describe('New staker reward rate of the subnetwork from this day on'),
    })
    .describe('A network changes what it pays'),
  z
    .object({
      day: z.number().int().min(1),
      kind: z.literal('operator-joins'),
      operator: label.describe('A new operator (not in `operators`), or one that left before'),
      networks: z.array(label).min(1).describe('Networks it opts into; it also opts into every vault'),
    })
    .describe('An operator registers (if new) and opts into networks and the vaults'),
  z
    .object({
      day: z.number().int().min(1),
      kind: z.literal('operator-leaves'),
      operator: label,
      networks: z.array(label).optional().describe('Networks it opts out of (default: every network it is in)'),
    })
    .describe('An operator opts out of networks'),
  z
    .object({
      day: z.number().int().min(1),
      kind: z.literal('slash'),
      network: label,
      identifier: z.number().int().min(0).default(0),
      operator: label,
      fraction: z.number().gt(0).max(1).describe("Fraction of the operator's stake in that subnetwork to slash, in every vault"),
    })
    .describe('A network slashes an operator'),
])

/** One event of a scenario timeline (played by the backtest, local/backtest/timeline.ts). */
export type TimelineEvent = z.infer<typeof TimelineEventSchema>

const TimelineSchema = z
  .object({
    days: z.number().int().min(1).describe('Days the backtest replays after the history'),
    rewardIntervalDays: z.number().int().min(1).default(7).describe('Networks pay rewards every this many days'),
    rebalanceEveryDays: z.number().int().min(1).default(7).describe("The autopilot's scheduled rebalance runs every this many days (day 0 included)"),
    rewardLookbackDays: z.number().positive().default(28).describe('Window over which the autopilot measures reward rates during the backtest'),
    events: z.array(TimelineEventSchema).default([]),
  })
  .describe('What happens after the history, for backtests: reward-rate changes, operators joining and leaving, slashes')

/** Zod schema of a scenario file. */
export const ScenarioSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    epochDurationDays: z.number().int().min(1).default(7),
    token: z.object({ name: z.string(), symbol: z.string() }),
    networks: z.array(NetworkSchema).min(1),
    operators: z.array(OperatorSchema).min(1),
    vaults: z.array(VaultSchema).min(1),
    history: z.object({
      days: z.number().int().min(0).describe('Days of history played before the bot starts (Anvil time travel)'),
      rewardIntervalDays: z.number().int().min(1).default(7),
      slashes: z.array(SlashSchema).default([]),
    }),
    timeline: TimelineSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const nets = new Set(s.networks.map((n) => n.label))
    const ops = new Set(s.operators.map((o) => o.label))
    s.operators.forEach((o, i) =>
      o.networks.forEach((n, j) => {
        if (!nets.has(n)) ctx.addIssue({ code: 'custom', path: ['operators', i, 'networks', j], message: `unknown network "${n}"` })
      }),
    )
    s.history.slashes.forEach((sl, i) => {
      if (!nets.has(sl.network)) ctx.addIssue({ code: 'custom', path: ['history', 'slashes', i, 'network'], message: `unknown network "${sl.network}"` })
      if (!ops.has(sl.operator)) ctx.addIssue({ code: 'custom', path: ['history', 'slashes', i, 'operator'], message: `unknown operator "${sl.operator}"` })
      if (sl.day > s.history.days) ctx.addIssue({ code: 'custom', path: ['history', 'slashes', i, 'day'], message: `day ${sl.day} is after the end of history (${s.history.days})` })
    })
    if (s.timeline) checkTimeline(s.timeline, s.networks, s.operators, (path, message) => ctx.addIssue({ code: 'custom', path: ['timeline', ...path], message }))
  })

export type Scenario = z.infer<typeof ScenarioSchema>

/** A scenario's timeline section. */
export type Timeline = z.infer<typeof TimelineSchema>

/** Timeline rules zod cannot say alone: known networks and subnetworks, operators that exist (or have joined) on the day they act. */
function checkTimeline(t: Timeline, networks: { label: string; subnetworks: { identifier: number }[] }[], operators: { label: string }[], issue: (path: (string | number)[], message: string) => void): void {
  const nets = new Map(networks.map((n) => [n.label, new Set(n.subnetworks.map((s) => s.identifier))]))
  const seeded = new Set(operators.map((o) => o.label))
  const order = t.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.day - b.e.day || a.i - b.i)
  const joined = new Set<string>()
  for (const { e, i } of order) {
    if (e.day > t.days) issue(['events', i, 'day'], `day ${e.day} is after the end of the timeline (${t.days})`)
    const netLabels = 'network' in e ? [e.network] : (e.networks ?? [])
    netLabels.forEach((n, j) => {
      if (!nets.has(n)) issue(['events', i, ...('network' in e ? ['network'] : ['networks', j])], `unknown network "${n}"`)
    })
    if ('identifier' in e && nets.has(e.network) && !nets.get(e.network)!.has(e.identifier)) issue(['events', i, 'identifier'], `network "${e.network}" has no subnetwork ${e.identifier}`)
    if (e.kind === 'operator-joins') joined.add(e.operator)
    else if ('operator' in e && !seeded.has(e.operator) && !joined.has(e.operator)) issue(['events', i, 'operator'], `unknown operator "${e.operator}" (not in operators and not joined before day ${e.day})`)
  }
}

/** Reads and validates a scenario file; throws one error listing every problem with its path. */
export function loadScenario(path: string): Scenario {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown
  const parsed = ScenarioSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  $.${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid scenario ${path}:\n${lines.join('\n')}`)
  }
  return parsed.data
}

/** Parses a whole-token decimal string into wei. */
export function toWei(amount: string): bigint {
  const [whole, frac = ''] = amount.split('.')
  return BigInt(whole ?? '0') * 10n ** 18n + BigInt(frac.padEnd(18, '0') || '0')
}
