/**
 * Errors of the pure domain. One base (`DomainError`) with a stable `name`, a `shortMessage`,
 * optional `details` and `cause`; each subclass carries its data in typed fields.
 */

/** Base class of every error thrown by `shared/domain`. */
export class DomainError extends Error {
  override name: string = 'DomainError'
  /** The message without details, for one-line logs. */
  readonly shortMessage: string
  /** Extra context (multi-line allowed), appended to `message`. */
  readonly details: string | undefined

  /**
   * @param shortMessage one sentence a person understands
   * @param opts optional `details` (appended to the message) and `cause`
   */
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(opts.details ? `${shortMessage}\n${opts.details}` : shortMessage, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
  }
}

/** One problem found in a policy document: where (JSON path) and why. */
export interface PolicyIssue {
  /** JSON path of the offending value, e.g. `$.caps.perOperator` or `$.operators.deny[2]`. */
  path: string
  /** Reason, in words a person understands. */
  message: string
}

/** A policy document was refused; `issues` lists every problem with its path. */
export class PolicyError extends DomainError {
  override name = 'PolicyError' as const
  readonly issues: PolicyIssue[]

  /** @param issues every problem found (at least one) */
  constructor(issues: PolicyIssue[]) {
    super(`Policy is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}).`, {
      details: issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'),
    })
    this.issues = issues
  }
}
/** Narrowed type of a {@link PolicyError} (for typed catch blocks). */
export type PolicyErrorType = PolicyError & { name: 'PolicyError' }

/** One named constraint that takes part in an infeasibility. */
export interface ConflictingConstraint {
  /** Stable constraint name, e.g. `turnoverCapPerRun`, `caps.perOperator`. */
  constraint: string
  /** What it demands, in words. */
  detail: string
}

/** The policy cannot be satisfied by any allocation of a position; names the constraints that conflict. */
export class InfeasiblePolicyError extends DomainError {
  override name = 'InfeasiblePolicyError' as const
  readonly position: string
  readonly conflicts: ConflictingConstraint[]

  /**
   * @param p.position the position (vault id) whose LP is infeasible
   * @param p.conflicts the constraints that cannot hold together
   */
  constructor(p: { position: string; conflicts: ConflictingConstraint[]; cause?: unknown }) {
    super(`Policy is infeasible for position ${p.position}: ${[...new Set(p.conflicts.map((c) => c.constraint))].join(' vs ')} cannot all hold.`, {
      details: p.conflicts.map((c) => `  ${c.constraint}: ${c.detail}`).join('\n'),
      cause: p.cause,
    })
    this.position = p.position
    this.conflicts = p.conflicts
  }
}
/** Narrowed type of a {@link InfeasiblePolicyError} (for typed catch blocks). */
export type InfeasiblePolicyErrorType = InfeasiblePolicyError & { name: 'InfeasiblePolicyError' }

/** A solver failed to reach an optimum (numerical trouble, iteration limit, or an unexpected status). */
export class SolverError extends DomainError {
  override name = 'SolverError' as const
  readonly solver: 'fast' | 'highs'

  /** @param p.solver which solver failed; @param p.reason what happened */
  constructor(p: { solver: 'fast' | 'highs'; reason: string; details?: string; cause?: unknown }) {
    super(`${p.solver} solver failed: ${p.reason}`, { details: p.details, cause: p.cause })
    this.solver = p.solver
  }
}
/** Narrowed type of a {@link SolverError} (for typed catch blocks). */
export type SolverErrorType = SolverError & { name: 'SolverError' }

/** One position a run would drain: how much stake leaves it and the constraints that push it out. */
export interface DrainedPosition {
  position: string
  /** Stake the plan takes out of allocation (net) for reasons other than a slash response or a deny list, wei. */
  removed: bigint
  /** The stake the fraction is of (the position's available stake), wei. */
  of: bigint
  /** removed ÷ of. */
  fraction: number
  /** The constraints that cause the removal (forced removals, raised turnover, binding rows), each in words. */
  causes: ConflictingConstraint[]
}

/** A run would remove more than `maxExitFractionPerRun` of a position's stake without a slash response or a deny list: refused, nothing is sent. */
export class DrainRefusedError extends DomainError {
  override name = 'DrainRefusedError' as const
  readonly positions: DrainedPosition[]
  readonly limit: number

  /**
   * @param p.positions the positions that would be drained (at least one)
   * @param p.limit the policy's maxExitFractionPerRun
   */
  constructor(p: { positions: DrainedPosition[]; limit: number }) {
    const pc = (x: number) => `${(x * 100).toFixed(2)} %`
    const first = p.positions[0] as DrainedPosition
    const by = [...new Set(p.positions.flatMap((d) => d.causes.map((c) => c.constraint)))].join(', ')
    super(
      `Refused to drain position ${first.position}${p.positions.length > 1 ? ` (and ${p.positions.length - 1} more)` : ''}: the plan takes ${pc(first.fraction)} of its stake out of allocation, above maxExitFractionPerRun ${pc(p.limit)}, because of ${by || 'the policy'}. Nothing was sent; set allowFullExit for a deliberate exit.`,
      {
        details: p.positions.map((d) => [`  position ${d.position}: takes ${pc(d.fraction)} of its stake out of allocation`, ...d.causes.map((c) => `    ${c.constraint}: ${c.detail}`)].join('\n')).join('\n'),
      },
    )
    this.positions = p.positions
    this.limit = p.limit
  }
}
/** Narrowed type of a {@link DrainRefusedError} (for typed catch blocks). */
export type DrainRefusedErrorType = DrainRefusedError & { name: 'DrainRefusedError' }

/** Policy positions that name no vault the bot reads: the run would plan nothing for them, forever. */
export class UnknownPositionError extends DomainError {
  override name = 'UnknownPositionError' as const
  /** The policy's `positions[].vault` values that match nothing. */
  readonly positions: string[]
  /** The vault / position ids the bot does read (universe and configuration). */
  readonly known: string[]

  /**
   * @param p.positions the unmatched policy positions (at least one)
   * @param p.known what they could have named
   */
  constructor(p: { positions: string[]; known: string[] }) {
    super(`Policy position${p.positions.length === 1 ? '' : 's'} ${p.positions.join(', ')} name${p.positions.length === 1 ? 's' : ''} no vault the bot reads: fix policy.positions or add the vault to the configuration.`, {
      details: `  known vaults / positions: ${p.known.length > 0 ? p.known.join(', ') : '(none)'}`,
    })
    this.positions = p.positions
    this.known = p.known
  }
}
/** Narrowed type of a {@link UnknownPositionError} (for typed catch blocks). */
export type UnknownPositionErrorType = UnknownPositionError & { name: 'UnknownPositionError' }
