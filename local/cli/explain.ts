/** `autopilot explain RUN`: one recorded run in full — decision, scores, plan, binding constraints, every action with its reasons and tx hash. */
import type { Decision, Plan, UniverseScores } from '../../shared/domain/index.js'
import { explainRun } from '../../shared/domain/index.js'
import type { RunRecord } from '../../shared/store/runs.js'
import { type CliIo, EXIT, RunNotFoundError, STORE_FLAGS, STORE_HELP, fail, openRunStore, parseArgs, terminalWidth, textTable, toJson } from './common.js'
import { summarizeRun } from './runs.js'

/** Help text of `autopilot explain`. */
export const EXPLAIN_USAGE = `usage: autopilot explain RUN [--json] [--all-operators] [store flags]

Prints one recorded run: what triggered it and how it ended; for a rebalance the decision, the service
and operator scores with their terms, the plan per position (current → target), the binding policy
constraints, and every call in execution order with its reasons, status, tx hash and gas; for a score
run the scores; for a watch run the events it saw and what it did. RUN is a run id from \`autopilot runs\`.

  --all-operators   list every operator, not only those holding stake now or in the plan
  --json            the whole run record as JSON (amounts as decimal strings)

${STORE_HELP}

Exit codes: 0 explained · 1 no such run, or the store could not be read · 2 usage`

/**
 * Runs `autopilot explain …`.
 * @param args arguments after `explain`
 * @param io where to print
 * @returns the exit code
 */
export async function explainCommand(args: string[], io: CliIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    const p = parseArgs(args, { ...STORE_FLAGS, json: 'boolean', 'all-operators': 'boolean' }, { min: 1, max: 1 })
    if (p.help) {
      io.stdout(EXPLAIN_USAGE)
      return EXIT.ok
    }
    const runId = p.positionals[0]!
    const store = await openRunStore(p, env)
    try {
      const run = await store.runs.get(runId)
      if (!run) throw new RunNotFoundError({ runId, table: store.table })
      io.stdout(p.flags.json ? toJson(run) : explainRecord(run, { allOperators: p.flags['all-operators'] === true, width: terminalWidth() }))
      return EXIT.ok
    } finally {
      store.close()
    }
  } catch (e) {
    return fail(e, io, EXPLAIN_USAGE)
  }
}

/** The text of one run record (pure). */
export function explainRecord(run: RunRecord, opts: { allOperators?: boolean; width?: number } = {}): string {
  const out: string[] = []
  const took = run.finishedAt !== undefined ? ` in ${((run.finishedAt - run.startedAt) / 1000).toFixed(1)} s` : ''
  out.push(`Run ${run.runId}`)
  out.push(
    `  ${run.kind}, ${run.status}${took}; started ${new Date(run.startedAt).toISOString()} by ${run.trigger}${run.blockNumber !== undefined ? `; block ${run.blockNumber}` : ''}${run.chainId !== undefined ? ` on chain ${run.chainId}` : ''}`,
  )
  out.push(`  ${summarizeRun(run)}`)
  if (run.error) out.push('', `Error: ${run.error.name}: ${run.error.message}`)
  const scores = run.scores as UniverseScores | undefined
  const plan = run.plan as Plan | undefined
  const decision = run.decision as Decision | undefined
  let explained = false
  if (scores && plan && decision && 'kind' in decision && Array.isArray(plan.positions) && Array.isArray(plan.binding)) {
    try {
      out.push('', explainRun({ scores, plan, decision }, opts).trimEnd())
      explained = true
    } catch {
      // A plan of another shape (e.g. an EigenLayer rebalance): fall back to the scores and the raw decision below.
    }
  }
  if (!explained && scores && Array.isArray(scores.services)) out.push('', scoreTables(scores))
  if (!explained && decision && run.kind === 'rebalance')
    out.push(
      '',
      'Decision (as recorded)',
      JSON.stringify(decision, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2),
    )
  if (run.kind === 'watch' && run.decision) {
    const events = (run.decision as { events?: Record<string, unknown>[] }).events ?? []
    out.push('', 'Events')
    out.push(
      textTable(
        ['block', 'kind', 'operator', 'subnetwork', 'amount', 'held', 'outcome', 'tx'],
        events.map((e) => [String(e.block ?? ''), String(e.kind ?? ''), String(e.operator ?? '—'), String(e.subnetwork ?? '—'), String(e.amount ?? '—'), e.held ? 'yes' : 'no', String(e.outcome ?? ''), String(e.tx ?? '')]),
        [1, 2, 3, 6, 7],
      ),
    )
    const derisk = (run.decision as { derisk?: { runId: string; status: string; txHashes: string[] } }).derisk
    if (derisk) out.push(`De-risk run ${derisk.runId}: ${derisk.status}, ${derisk.txHashes.length} tx (autopilot explain ${derisk.runId})`)
  }
  const actions = run.actions ?? []
  if (actions.length > 0) {
    out.push('', 'Recorded calls')
    // One block per call (not a table): the full tx hash stays copyable at any terminal width.
    for (const a of actions)
      out.push(
        `  #${a.index}  ${a.status}${a.blockNumber !== undefined ? `  block ${a.blockNumber}` : ''}${a.gasUsed !== undefined ? `  ${a.gasUsed} gas` : ''}`,
        `      ${a.description}`,
        ...(a.txHash ? [`      tx ${a.txHash}`] : []),
        ...(a.note ? [`      ${a.note}`] : []),
      )
  }
  return `${out.join('\n')}\n`
}

function scoreTables(s: UniverseScores): string {
  const pc = (v: number) => `${(v * 100).toFixed(2)} %`
  return [
    `Scores at block ${s.blockNumber} (HHI of our allocation ${s.herfindahl.toFixed(3)})`,
    textTable(
      ['service', 'r/yr', 'p/yr', 'sev', 'E[loss]/yr', 'ops', 'score', 'score band'],
      s.services.map((x) => [x.label, pc(x.rewardRatePerYear), pc(x.slashProbabilityPerYear), pc(x.severity), pc(x.expectedLossPerYear), String(x.operatorCount), x.score.toFixed(1), x.band]),
    ),
    '',
    textTable(
      ['operator', 'services', 'P(op slashed)/yr, all svcs', 'concentration', 'score', 'score band'],
      s.operators.map((o) => [o.label, String(o.serviceCount), pc(o.compoundedSlashProbability), pc(o.concentration), o.score.toFixed(1), o.band]),
    ),
  ].join('\n')
}
