/** `autopilot runs`: the newest recorded runs (rebalance, score, watch) from the run store, as a table or JSON. */
import type { Decision } from '../../shared/domain/index.js'
import type { RunKind, RunRecord } from '../../shared/store/runs.js'
import { eigenLayerSummary } from '../dashboard/view.js'
import { type CliIo, CliUsageError, EXIT, STORE_FLAGS, STORE_HELP, fail, fitLines, openRunStore, parseArgs, stringFlag, terminalWidth, textTable, toJson } from './common.js'

/** Help text of `autopilot runs`. */
export const RUNS_USAGE = `usage: autopilot runs [--kind rebalance|score|watch|all] [--limit N] [--json] [store flags]
       autopilot runs yield --config FILE [--period day|week|month] [--json]   realised yield and losses over time

Lists the newest runs first: when, kind, status, block, calls sent, and why (skip reason, error, or
what was done). Show one in full with \`autopilot explain RUN\`.

  --kind K     rebalance (default), score, watch, or all
  --limit N    at most N runs per kind (default 20, max 500)
  --json       machine-readable output: { table, runs: [...] }

${STORE_HELP}

Exit codes: 0 listed (also when there are none) · 1 the store could not be read · 2 usage`

const KINDS: RunKind[] = ['rebalance', 'score', 'watch']

/** One line of the listing. */
export interface RunSummary {
  runId: string
  kind: RunKind
  status: string
  trigger: string
  startedAt: string
  blockNumber?: string
  calls: number
  txHashes: string[]
  summary: string
}

/** What a run did, in one line. */
export function summarizeRun(r: RunRecord): string {
  if (r.error) return `${r.error.name}: ${r.error.message.split('\n')[0]}`
  const eigen = eigenLayerSummary(r.decision)
  if (eigen) return eigen
  const d = r.decision as (Decision & { paused?: boolean }) | { events?: { kind: string; outcome?: string }[]; derisk?: { status: string } } | undefined
  if (r.kind === 'watch') {
    const events = (d as { events?: { kind: string; outcome?: string }[] } | undefined)?.events ?? []
    const kinds = [...new Set(events.map((e) => e.kind))].join(', ')
    const derisk = (d as { derisk?: { status: string; txHashes?: string[] } } | undefined)?.derisk
    return `${events.length} event(s)${kinds ? ` (${kinds})` : ''}${derisk ? `; de-risk ${derisk.status}, ${derisk.txHashes?.length ?? 0} tx` : ''}`
  }
  if (r.kind === 'score') return r.status === 'succeeded' ? 'scores recorded' : r.status
  if (d && 'kind' in d && d.kind === 'skip') return `skip (${d.reason}): ${d.detail}`
  if (d && 'kind' in d && d.kind === 'act') {
    const sent = (r.actions ?? []).filter((a) => a.txHash).length
    return `${d.actions.length} call(s)${d.derisk ? ' (de-risk)' : ''}, ${sent} sent, +${(d.gainPerYear / 1e18).toFixed(4)}/yr expected${d.paused ? ', paused' : ''}`
  }
  return r.status
}

/** The listing row of a run. */
export function runSummary(r: RunRecord): RunSummary {
  const txHashes = (r.actions ?? []).map((a) => a.txHash).filter((h): h is string => typeof h === 'string')
  return {
    runId: r.runId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    startedAt: new Date(r.startedAt).toISOString(),
    ...(r.blockNumber !== undefined ? { blockNumber: r.blockNumber.toString() } : {}),
    calls: r.actions?.length ?? 0,
    txHashes,
    summary: summarizeRun(r),
  }
}

/**
 * The runs as a table when it fits `width`, else one block per run (head line, run id, wrapped summary): the run id is
 * never shortened, since it is what `autopilot explain` takes.
 */
export function runsListing(runs: ReturnType<typeof runSummary>[], width: number): string {
  const rows = runs.map((r) => [r.startedAt.replace('T', ' ').slice(0, 19), r.kind, r.status, r.blockNumber ?? '—', String(r.calls), String(r.txHashes.length), r.runId, r.summary.length > 90 ? `${r.summary.slice(0, 89)}…` : r.summary])
  const table = textTable(['started (UTC)', 'kind', 'status', 'block', 'calls', 'sent', 'run', 'what'], rows, [1, 2, 6, 7], Number.POSITIVE_INFINITY)
  if (Math.max(...table.split('\n').map((l) => l.length)) <= width) return table
  return runs
    .map((r) =>
      fitLines([`${r.startedAt.replace('T', ' ').slice(0, 19)}  ${r.kind}  ${r.status}${r.blockNumber ? `  block ${r.blockNumber}` : ''}  ${r.calls} call(s), ${r.txHashes.length} sent`, `  ${r.runId}`, `  ${r.summary}`].join('\n'), width),
    )
    .join('\n\n')
}

/**
 * Runs `autopilot runs …`.
 * @param args arguments after `runs`
 * @param io where to print
 * @returns the exit code
 */
export async function runsCommand(args: string[], io: CliIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  if (args[0] === 'yield') return (await import('./yield.js')).yieldCommand(args.slice(1), io, env)
  try {
    const p = parseArgs(args, { ...STORE_FLAGS, kind: 'string', limit: 'string', json: 'boolean' })
    if (p.help) {
      io.stdout(RUNS_USAGE)
      return EXIT.ok
    }
    const kind = stringFlag(p, 'kind') ?? 'rebalance'
    if (kind !== 'all' && !(KINDS as string[]).includes(kind)) throw new CliUsageError(`--kind must be rebalance, score, watch or all, not "${kind}"`)
    const limitText = stringFlag(p, 'limit') ?? '20'
    const limit = Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliUsageError(`--limit must be an integer from 1 to 500, not "${limitText}"`)
    const store = await openRunStore(p, env)
    try {
      const kinds = kind === 'all' ? KINDS : [kind as RunKind]
      const lists = await Promise.all(kinds.map((k) => store.runs.list(k, limit)))
      const runs = lists
        .flat()
        .sort((a, b) => b.startedAt - a.startedAt)
        .map(runSummary)
      if (p.flags.json) io.stdout(toJson({ table: store.table, runs }))
      else if (runs.length === 0) io.stdout(`no ${kind === 'all' ? '' : `${kind} `}runs in ${store.table}\n`)
      else io.stdout(`${runsListing(runs, terminalWidth())}\n`)
      return EXIT.ok
    } finally {
      store.close()
    }
  } catch (e) {
    return fail(e, io, RUNS_USAGE)
  }
}
