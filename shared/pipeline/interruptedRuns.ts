/**
 * Closing runs a crash left `running`: the pipeline's job after it opens a signer session (the executor only lists
 * them in `session.resumed.interruptedRuns`; it never touches the run store).
 */
import { RunInterruptedError } from '../execution/errors.js'
import { StaleWriteError } from '../store/errors.js'
import type { IntentStorePort, RecordedAction, RunStorePort } from '../store/ports.js'

/** Closes each listed run that is still `running`; returns the ids it closed. */
export async function closeInterruptedRuns(runs: RunStorePort, intents: IntentStorePort, runIds: readonly string[], closedBy: string): Promise<string[]> {
  const closed: string[] = []
  for (const runId of runIds) if (await closeInterruptedRun(runs, intents, runId, closedBy)) closed.push(runId)
  return closed
}

/** Finishes a run left `running` as `failed` (RunInterruptedError), with its actions rebuilt from its intents. Returns true if it closed it. */
export async function closeInterruptedRun(runs: RunStorePort, intents: IntentStorePort, runId: string, closedBy: string): Promise<boolean> {
  const run = await runs.get(runId)
  if (run?.status !== 'running') return false
  const own = await intents.listByRun(runId)
  const actions: RecordedAction[] = own.map((i) => ({
    index: i.actionIndex,
    kind: i.functionName ?? 'call',
    description: i.description ?? `${i.functionName ?? 'call'} on ${i.to}`,
    reasons: [i.reason ?? `settled by run ${closedBy} after run ${runId} was interrupted`],
    txHash: i.minedTxHash ?? i.txHash,
    status: i.status === 'mined' ? 'mined' : i.status === 'reverted' ? 'reverted' : i.status === 'superseded' || i.status === 'failed' ? 'skipped' : 'sent',
    blockNumber: i.blockNumber !== undefined ? BigInt(i.blockNumber) : undefined,
    gasUsed: i.gasUsed !== undefined ? BigInt(i.gasUsed) : undefined,
  }))
  const summary = own.length === 0 ? 'no transaction of it was persisted' : own.map((i) => `#${i.actionIndex} ${i.status}`).join(', ')
  const interrupted = new RunInterruptedError({ runId, closedBy, summary })
  try {
    await runs.finish(runId, {
      status: 'failed',
      finishedAt: Date.now(),
      actions,
      error: { name: interrupted.name, message: interrupted.shortMessage },
    })
    return true
  } catch (e) {
    if (e instanceof StaleWriteError) return false // it finished after all
    throw e
  }
}
