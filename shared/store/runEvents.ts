/**
 * Run events: a run store that tells subscribers when a run starts and finishes (after the write committed), so
 * notifications, metrics and live views subscribe instead of subclassing a store.
 */
import type { RunRecord, RunStorePort } from './ports.js'

/** The run as it was started (what subscribers need to describe it). */
export type StartedRun = Pick<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt'> & Partial<Pick<RunRecord, 'protocol' | 'triggerKind'>>

/** A run event. */
export type RunEvent = { type: 'started'; run: StartedRun } | { type: 'finished'; run: StartedRun; fields: Parameters<RunStorePort['finish']>[1] }

/** A subscriber; its errors are its own (a listener that throws fails the caller's write path only after the write). */
export type RunListener = (e: RunEvent) => void | Promise<void>

/**
 * Wraps a run store so that every start and finish is told to the listeners, in order, after the write committed.
 * A run finished by another process than the one that started it is described from its stored record.
 */
export function observeRuns(inner: RunStorePort, ...listeners: RunListener[]): RunStorePort {
  const started = new Map<string, StartedRun>()
  const tell = async (e: RunEvent) => {
    for (const l of listeners) await l(e)
  }
  return {
    get: (runId) => inner.get(runId),
    list: (kind, limit) => inner.list(kind, limit),
    latest: (kind, status, filter) => inner.latest(kind, status, filter),
    async start(run) {
      await inner.start(run)
      started.set(run.runId, run)
      await tell({ type: 'started', run })
    },
    async finish(runId, fields) {
      await inner.finish(runId, fields)
      const run = started.get(runId) ?? (await inner.get(runId)) ?? { runId, kind: 'rebalance', trigger: 'unknown', startedAt: 0 }
      started.delete(runId)
      await tell({ type: 'finished', run, fields })
    },
  }
}
