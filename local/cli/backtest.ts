/** `autopilot backtest`: replays a scenario timeline with the real autopilot against a static baseline on a fresh local chain and reports the outcome read back from it. */
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { parsePolicy } from '../../shared/domain/index.js'
import { runBacktest } from '../backtest/engine.js'
import { backtestJson, formatBacktestTable, renderBacktestHtml } from '../backtest/report.js'
import { ScenarioSchema } from '../world/scenario.js'
import { type CliIo, CliUsageError, EXIT, InvalidInputError, fail, parseArgs, readJson, stringFlag, toJson } from './common.js'

/** Help text of `autopilot backtest`. */
export const BACKTEST_USAGE = `usage: autopilot backtest --scenario FILE --policy FILE [--baseline even|hold] [--html OUT] [--json] [--days N] [--dynamo-endpoint URL] [--quiet]

Starts its own Anvil with the real Symbiotic core (and DynamoDB Local, unless --dynamo-endpoint is given),
seeds the scenario with two twin vaults, and replays the scenario's "timeline" day by day with Anvil time
travel: reward-rate changes, operators joining and leaving, slashes. The real autopilot steers one vault
(scheduled rebalance at the timeline's rebalanceEveryDays, the slash watcher daily); the other holds a static
baseline under the same events. Reports net yield, losses to slashing, number and gas of transactions and
max drawdown for both, all read back from the chain. Needs Java 17 when it starts DynamoDB Local.

  --scenario FILE        a scenario with a "timeline" (e.g. local/scenarios/slashing-cascade.json)
  --policy FILE          the policy the autopilot runs with
  --baseline even|hold   even: every eligible operator gets an equal share of every network at its max limit;
                         hold: the scenario's starting allocation held (default)
  --html OUT             also write the report as a self-contained HTML page with charts
  --days N               replay only the first N days of the timeline
  --dynamo-endpoint URL  use this DynamoDB (fresh tables) instead of starting DynamoDB Local
  --json                 machine-readable report on stdout (amounts as decimal strings)
  --quiet                no progress lines on stderr

Exit codes: 0 report produced · 1 invalid scenario/policy or the replay failed · 2 usage`

/**
 * Runs `autopilot backtest …`.
 * @param args arguments after `backtest`
 * @param io where to print (progress goes to stderr)
 * @returns the exit code
 */
export async function backtestCommand(args: string[], io: CliIo): Promise<number> {
  try {
    const p = parseArgs(args, { scenario: 'string', policy: 'string', baseline: 'string', html: 'string', days: 'string', 'dynamo-endpoint': 'string', json: 'boolean', quiet: 'boolean' })
    if (p.help) {
      io.stdout(BACKTEST_USAGE)
      return EXIT.ok
    }
    const scenarioPath = stringFlag(p, 'scenario', true)
    const policyPath = stringFlag(p, 'policy', true)
    const baseline = stringFlag(p, 'baseline') ?? 'hold'
    if (baseline !== 'even' && baseline !== 'hold') throw new CliUsageError(`--baseline must be even or hold, not "${baseline}"`)
    const daysText = stringFlag(p, 'days')
    const days = daysText === undefined ? undefined : Number(daysText)
    if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new CliUsageError(`--days must be a positive integer, not "${daysText}"`)
    const endpoint = stringFlag(p, 'dynamo-endpoint')
    if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) throw new CliUsageError(`--dynamo-endpoint ${endpoint} is not an http(s) URL`)
    const html = stringFlag(p, 'html')

    const [scenarioDoc, policyDoc] = await Promise.all([readJson(scenarioPath, 'scenario'), readJson(policyPath, 'policy')])
    const scenario = ScenarioSchema.safeParse(scenarioDoc)
    if (!scenario.success) throw new InvalidInputError({ what: 'scenario', path: scenarioPath, reason: scenario.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
    if (!scenario.data.timeline) throw new InvalidInputError({ what: 'scenario', path: scenarioPath, reason: 'it has no "timeline" section to replay' })
    const policy = parsePolicy(policyDoc)
    if (!policy.ok) throw new InvalidInputError({ what: 'policy', path: policyPath, reason: policy.errors.map((e) => `${e.path}: ${e.message}`).join('; ') })

    const t0 = Date.now()
    const quiet = p.flags.quiet === true
    const result = await runBacktest({
      scenario: scenario.data,
      policy: policy.policy,
      policyName: basename(policyPath),
      baseline,
      ...(days !== undefined ? { days } : {}),
      ...(endpoint ? { dynamoEndpoint: endpoint } : {}),
      onStep: (m) => {
        if (!quiet) io.stderr(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${m}`)
      },
    })
    if (html) {
      await mkdir(dirname(html), { recursive: true })
      await writeFile(html, renderBacktestHtml(result), 'utf8')
      if (!quiet) io.stderr(`wrote ${html}`)
    }
    io.stdout(p.flags.json ? toJson(backtestJson(result)) : formatBacktestTable(result))
    return EXIT.ok
  } catch (e) {
    return fail(e, io, BACKTEST_USAGE)
  }
}
