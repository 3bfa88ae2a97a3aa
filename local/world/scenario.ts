/** The scenario format (local/scenarios/*.json): who exists in the local world, with what yield, risk and history. Validated with zod. */
import { readFileSync } from 'node:fs'
import { z } from 'zod'

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
  })

export type Scenario = z.infer<typeof ScenarioSchema>

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
