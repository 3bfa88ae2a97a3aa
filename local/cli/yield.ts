/** `autopilot runs yield`: realised yield and losses per period of chain time, beside what the stored runs planned. */
import { redactRpcUrl as redact } from '../../shared/chain/rpc/transport.js'
import { PERIOD_SECONDS, type YieldPeriod, type YieldView, createYieldReader } from '../dashboard/realised.js'
import { type CliIo, CliUsageError, EXIT, STORE_FLAGS, fail, fitLines, openRunStore, parseArgs, stringFlag, terminalWidth, textTable, toJson } from './common.js'
import { readConfiguredUniverse } from './plan.js'

/** Help text of `autopilot runs yield`. */
export const YIELD_USAGE = `usage: autopilot runs yield --config FILE [--rpc URL] [--period day|week|month] [--json] [store flags]

Realised yield and losses of every vault in the config, per period of chain time: what its stakers were paid
(DistributeRewards of its staker rewards contracts, token units) and what it lost to slashes, each annualised
(%/yr) against the vault's active stake over the period, beside the net yield the stored rebalance runs planned
for it (planned, not realised). Dates are chain time (a reward at the capture timestamp it pays for); on a
time-travelled chain they differ from wall time and the output says by how much. The rewards come from the chain
sync's store (the deployed chainLogs table when the config names the tables, else a sync in memory), never from one
eth_getLogs over the whole history.

  --config FILE       the bot config (JSON): vaults, staker rewards, labels, and the run store (tables.runs)
  --rpc URL           JSON-RPC endpoint (default: the config's rpcUrl)
  --period P          day, week (default) or month (30 days)
  --json              machine-readable output (the console's /api/yield view)

Store flags (see autopilot runs --help) override where the runs are read.

Exit codes: 0 printed · 1 invalid config, chain or store unreadable · 2 usage`

/**
 * Runs `autopilot runs yield …`.
 * @param args arguments after `runs yield`
 * @param io where to print
 * @returns the exit code
 */
export async function yieldCommand(args: string[], io: CliIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    const p = parseArgs(args, { ...STORE_FLAGS, rpc: 'string', period: 'string', json: 'boolean' })
    if (p.help) {
      io.stdout(YIELD_USAGE)
      return EXIT.ok
    }
    const period = (stringFlag(p, 'period') ?? 'week') as YieldPeriod
    if (!Object.hasOwn(PERIOD_SECONDS, period)) throw new CliUsageError(`--period must be day, week or month, not "${period}"`)
    if (stringFlag(p, 'config') === undefined) throw new CliUsageError('--config FILE is required (the vaults and their staker rewards contracts)')
    const { config, client, universe, chainId, rpcUrl, logs } = await readConfiguredUniverse(p)
    const store = await openRunStore(p, env)
    try {
      const runs = await store.runs.list('rebalance', 500)
      const labels = Object.fromEntries(Object.entries(config.labels).map(([k, v]) => [k.toLowerCase(), v]))
      const view = await createYieldReader({ config, client })({ period, live: { universe, labels, ...(logs ? { logs } : {}) }, runs })
      if (p.flags.json) io.stdout(toJson({ chainId, blockNumber: universe.blockNumber, rpc: redact(rpcUrl), runsTable: store.table, ...view }))
      else io.stdout(yieldText(view, { chainId, blockNumber: universe.blockNumber, width: terminalWidth(env) }))
      return EXIT.ok
    } finally {
      store.close()
    }
  } catch (e) {
    return fail(e, io, YIELD_USAGE)
  }
}

const rate = (v: number | null) => (v === null ? '—' : `${v < 0 ? '−' : ''}${(Math.abs(v) * 100).toFixed(Math.abs(v) < 0.01 ? 3 : 2)} %`)

/** The terminal rendering of a {@link YieldView}: one table per vault, newest period first, fitted to `width`. */
export function yieldText(v: YieldView, p: { chainId: number; blockNumber: bigint; width: number }): string {
  const strip = (s: string) => s.replace(` ${v.token}`, '')
  const out = [fitLines(`Realised yield and losses per ${v.period}, chain ${p.chainId} at block ${p.blockNumber}; ${v.chainTimeNote}.`, p.width), '']
  for (const pos of v.positions) {
    const t = pos.totals
    out.push(fitLines(`${pos.label} (${pos.id}), ${t.start.slice(0, 10)} → ${t.end.slice(0, 10)} chain time:`, p.width))
    const rows = [...pos.periods].reverse().map((x) => [`${x.start.slice(0, 10)}${x.partial ? ' (so far)' : ''}`, strip(x.rewards), rate(x.rewardYield), strip(x.losses), strip(x.net), rate(x.netYield), rate(x.planned)])
    out.push(textTable([`${v.period} from`, `rewards ${v.token}`, 'realised %/yr', `slashed ${v.token}`, `net ${v.token}`, 'net %/yr', 'planned %/yr'], rows, [], p.width))
    out.push(
      fitLines(
        `Total: rewards ${t.rewards} (realised ${rate(t.rewardYield)}/yr), slashed ${t.losses} (${rate(t.lossRate)}/yr), net ${t.net} (realised ${rate(t.netYield)}/yr); planned net ${t.planned === null ? '— (no stored run)' : `${rate(t.planned)}/yr (mean of ${t.plannedRuns} run plan(s))`}.${t.other.length ? ` Also paid: ${t.other.join(', ')} (no %/yr without a price).` : ''}`,
        p.width,
      ),
      '',
    )
  }
  out.push(...v.sources.map((s) => fitLines(`· ${s}`, p.width)), '')
  return out.join('\n')
}
