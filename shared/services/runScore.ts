/** Use case `score`: read the universe, score every operator and service, store the scores as a run. */
import { randomUUID } from 'node:crypto'
import { SyncBehindError } from '../chain/sync/index.js'
import { errorSummary } from '../errors.js'
import { scoreUniverse } from '../domain/index.js'
import type { AutopilotContext } from './context.js'
import { readUniverse } from './readUniverse.js'

/** Result of a score run. */
export interface RunScoreResult {
  runId: string
  /** `skipped`: the chain sync has not caught up yet (a first sync spreads over runs); nothing was scored on partial history. */
  status: 'succeeded' | 'skipped' | 'failed'
  blockNumber?: bigint
  error?: { name: string; message: string }
}

/** Reads, scores and records; never sends anything. */
export async function runScore(ctx: AutopilotContext, trigger = 'schedule'): Promise<RunScoreResult> {
  const startedAt = ctx.clock()
  const runId = `score-${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`
  await ctx.runs.start({ runId, kind: 'score', trigger, startedAt })
  try {
    const { universe, universeHash } = await readUniverse(ctx)
    ctx.onProgress?.({ type: 'read', runId, blockNumber: universe.blockNumber, positions: universe.positions.length, operators: universe.operators.length, services: universe.services.length })
    const scores = scoreUniverse(universe, ctx.policy, { now: universe.timestamp })
    await ctx.runs.finish(runId, { status: 'succeeded', finishedAt: ctx.clock(), chainId: universe.chainId, blockNumber: universe.blockNumber, universeHash, scores })
    return { runId, status: 'succeeded', blockNumber: universe.blockNumber }
  } catch (e) {
    const error = errorSummary(e)
    if (e instanceof SyncBehindError) {
      await ctx.runs.finish(runId, { status: 'skipped', finishedAt: ctx.clock(), error })
      ctx.logger.info('score run skipped: the chain sync has not caught up', { runId, error })
      return { runId, status: 'skipped', error }
    }
    await ctx.runs.finish(runId, { status: 'failed', finishedAt: ctx.clock(), error })
    ctx.logger.error('score run failed', { runId, error })
    return { runId, status: 'failed', error }
  }
}
