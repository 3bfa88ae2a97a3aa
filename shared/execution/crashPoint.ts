/**
 * Kill points for the fault suite. Inert unless the environment variable `AUTOPILOT_CRASH_AT` is set to
 * `<point>` or `<point>@<n>` (the n-th time the point is reached in this process, default 1): then the process
 * SIGKILLs itself there, exactly as a Lambda timeout or an out-of-memory kill would stop it. Documented in docs/execution.md.
 */

/** The three moments between which a crash changes what the next run must do. */
export type CrashPoint = 'after-sign' | 'after-persist' | 'after-broadcast'

const reached = new Map<CrashPoint, number>()

/** SIGKILLs this process if `AUTOPILOT_CRASH_AT` names `point` (and its occurrence); otherwise does nothing. */
export function crashPoint(point: CrashPoint): void {
  const spec = process.env.AUTOPILOT_CRASH_AT
  if (!spec) return
  const [name, nth] = spec.split('@')
  if (name !== point) return
  const count = (reached.get(point) ?? 0) + 1
  reached.set(point, count)
  if (count === Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL')
}
