/** Errors of the backtest: stable names, a short message and details (see shared/errors.ts). */
import { RestakeError } from '../../shared/errors.js'

/** The scenario cannot be backtested as given (no timeline, no vault to clone). */
export class BacktestScenarioError extends RestakeError {
  override name = 'BacktestScenarioError' as const
  constructor(p: { scenario: string; reason: string }) {
    super(`Scenario "${p.scenario}" cannot be backtested: ${p.reason}.`, { details: p.reason })
  }
}
/** {@link BacktestScenarioError} with its literal name. */
export type BacktestScenarioErrorType = BacktestScenarioError & { name: 'BacktestScenarioError' }

/** A step of the replay failed (a timeline event, a reward payment or an autopilot run). */
export class BacktestStepError extends RestakeError {
  override name = 'BacktestStepError' as const
  constructor(p: { day: number; step: string; cause?: unknown }) {
    const why = p.cause instanceof Error ? p.cause.message : String(p.cause ?? 'unknown')
    super(`Backtest day ${p.day}: ${p.step} failed.`, { details: why, cause: p.cause })
  }
}
/** {@link BacktestStepError} with its literal name. */
export type BacktestStepErrorType = BacktestStepError & { name: 'BacktestStepError' }
