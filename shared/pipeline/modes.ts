/**
 * The policy's mode as a small strategy: whether a run sends, and what it does with a decision instead. `paused` is
 * the webhook/console pause flag over `autopilot`.
 */
import type { Policy } from '../domain/index.js'

/** How a run treats an `act` decision. */
export type ModeName = 'autopilot' | 'propose' | 'dry-run' | 'paused'

export interface Mode {
  name: ModeName
  /** Opens signer sessions and sends. */
  sends: boolean
  /** Prepares the steps for the owners' signatures (Safe batch) instead of sending. */
  proposes: boolean
  /** Why nothing is sent (shown in the run and the console). */
  note?: string
}

const MODES: Record<ModeName, Mode> = {
  autopilot: { name: 'autopilot', sends: true, proposes: false },
  propose: { name: 'propose', sends: false, proposes: true, note: 'policy mode propose prepares a batch for the owners and sends nothing' },
  'dry-run': { name: 'dry-run', sends: false, proposes: false, note: 'policy mode dry-run sends nothing' },
  paused: { name: 'paused', sends: false, proposes: false, note: 'rebalancing is paused: the planned calls are recorded, not sent' },
}

/** The mode of one run: the policy's, or `paused` when the pause flag is set on an autopilot policy. */
export function modeOf(policy: Pick<Policy, 'mode'>, paused: boolean): Mode {
  if (policy.mode === 'autopilot') return paused ? MODES.paused : MODES.autopilot
  return MODES[policy.mode]
}
