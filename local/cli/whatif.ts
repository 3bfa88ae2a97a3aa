/**
 * `autopilot whatif`: reads the chain like `plan`, then plans today and under one hypothetical change — a slash of an
 * operator, a denied service or operator, or an edited policy — and prints the risk figures before → after and every
 * stake the plan would move differently. Pure planning: nothing is written or sent.
 */
import type { Address } from 'viem'
import { parsePolicy } from '../../shared/domain/index.js'
import { type WhatIfChange, formatWhatIf, whatIf } from '../../shared/domain/whatif.js'
import { type CliIo, CliUsageError, EXIT, InvalidInputError, fail, fitLines, parseArgs, readJson, stringFlag, toJson } from './common.js'
import { readLiveInputs } from './plan.js'

/** Help text of `autopilot whatif`. */
export const WHATIF_USAGE = `usage: autopilot whatif --policy FILE --config FILE [--rpc URL] CHANGE [--json]

Plans today and under one hypothetical change, and shows the difference before anything is pushed or sent:
the planned risk figures (expected loss, worst operator's P(slashed)/yr, leverage, …) against the policy's
limits, and every (service, operator) target that moves.

CHANGE is one of:
  --slash OPERATOR --fraction F [--service S]   OPERATOR slashed by F (0 < F ≤ 1) in S, or in every service where it
                                                holds our stake; the policy's slashResponse applies
  --deny-service S                              S added to services.deny
  --deny-operator OPERATOR                      OPERATOR added to operators.deny
  --edited-policy FILE                          plan under FILE instead of --policy (e.g. before autopilot policy push)

OPERATOR and S are addresses / subnetwork ids or their labels in the config.

Exit codes: 0 compared · 1 invalid input, unknown operator/service, chain unreadable · 2 usage`

/**
 * Runs `autopilot whatif …`.
 * @returns the exit code
 */
export async function whatifCommand(args: string[], io: CliIo): Promise<number> {
  try {
    const p = parseArgs(args, { policy: 'string', config: 'string', rpc: 'string', slash: 'string', fraction: 'string', service: 'string', 'deny-service': 'string', 'deny-operator': 'string', 'edited-policy': 'string', json: 'boolean' })
    if (p.help) {
      io.stdout(WHATIF_USAGE)
      return EXIT.ok
    }
    const chosen = ['slash', 'deny-service', 'deny-operator', 'edited-policy'].filter((k) => p.flags[k] !== undefined)
    if (chosen.length !== 1) throw new CliUsageError('give exactly one change: --slash, --deny-service, --deny-operator or --edited-policy')
    if (p.flags.slash === undefined && (p.flags.fraction !== undefined || p.flags.service !== undefined)) throw new CliUsageError('--fraction and --service go with --slash')
    const live = await readLiveInputs(p)
    const byLabel = new Map(Object.entries(live.config.labels).map(([k, v]) => [v.toLowerCase(), k.toLowerCase()]))
    const id = (v: string) => (/^0x[0-9a-fA-F]+$/.test(v) ? v.toLowerCase() : (byLabel.get(v.toLowerCase()) ?? v))
    let change: WhatIfChange
    const slash = stringFlag(p, 'slash')
    if (slash !== undefined) {
      const fraction = Number(stringFlag(p, 'fraction', true))
      if (!(fraction > 0 && fraction <= 1)) throw new CliUsageError(`--fraction ${stringFlag(p, 'fraction')} is not in (0, 1]`)
      const service = stringFlag(p, 'service')
      change = { kind: 'slash', operator: id(slash) as Address, fraction, ...(service ? { service: id(service) as `0x${string}` } : {}) }
    } else if (p.flags['deny-service'] !== undefined) change = { kind: 'denyService', service: id(stringFlag(p, 'deny-service', true)) as `0x${string}` }
    else if (p.flags['deny-operator'] !== undefined) change = { kind: 'denyOperator', operator: id(stringFlag(p, 'deny-operator', true)) as Address }
    else {
      const path = stringFlag(p, 'edited-policy', true)
      const parsed = parsePolicy(await readJson(path, 'policy'))
      if (!parsed.ok) throw new InvalidInputError({ what: 'policy', path, reason: parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ') })
      change = { kind: 'policy', policy: parsed.policy, label: path }
    }
    const r = whatIf({ universe: live.universe, policy: live.policy, change, now: live.universe.timestamp })
    if (p.flags.json) {
      const { scores: _s, universe: _u, ...scenario } = r.scenario
      io.stdout(
        toJson({
          chainId: live.chainId,
          blockNumber: live.universe.blockNumber,
          description: r.description,
          change: r.change.kind === 'policy' ? { kind: 'policy', label: r.change.label } : r.change,
          lostToSlash: r.lostToSlash,
          figures: r.figures,
          moves: r.moves,
          baseline: r.baseline,
          scenario: { plan: scenario.plan, error: scenario.error },
          sent: false,
        }),
      )
      return EXIT.ok
    }
    const labels = Object.fromEntries(Object.entries(live.config.labels).map(([k, v]) => [k.toLowerCase(), v]))
    const collateral = live.universe.positions[0]?.collateral
    const token = (collateral && labels[collateral.toLowerCase()]) || 'tokens'
    io.stdout(fitLines(`Read chain ${live.chainId} at block ${live.universe.blockNumber} (chain time ${new Date(Number(live.universe.timestamp) * 1000).toISOString()}). Policy ${live.policyPath}.\n`))
    io.stdout(fitLines(formatWhatIf(r, { token, label: (k) => labels[k.toLowerCase()] ?? `${k.slice(0, 8)}…${k.slice(-4)}` })))
    io.stdout('Nothing was written or sent: `autopilot whatif` only plans.\n')
    return EXIT.ok
  } catch (e) {
    return fail(e, io, WHATIF_USAGE)
  }
}
