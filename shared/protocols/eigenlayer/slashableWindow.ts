/**
 * Pure: how long stake that leaves an EigenLayer operator stays slashable, in blocks and as a time, for
 * notifications (a de-risk or slash alert says when the exposure really ends). Two delays of the core apply:
 * - a queued withdrawal stays slashable by the old operator's sets for `minWithdrawalDelayBlocks` (DelegationManager);
 * - a deallocation (lower magnitude) or a deregistration from an operator set takes effect only after
 *   `DEALLOCATION_DELAY` blocks (AllocationManager): the stake stays slashable by that set until then.
 * Mainnet: 100800 blocks each (14 days at 12 s per block).
 */

/** Parameters of {@link eigenLayerSlashableWindow}: the two delays (blocks) and the block time used to say them as times. */
export interface EigenLayerSlashableWindowParameters {
  /** DelegationManager `minWithdrawalDelayBlocks()`. */
  minWithdrawalDelayBlocks: number
  /** AllocationManager `DEALLOCATION_DELAY()`. */
  deallocationDelayBlocks: number
  /** Seconds per block (12 on Ethereum mainnet). */
  secondsPerBlock: number
}

/** The two windows in blocks and seconds, and one sentence for a notification. */
export interface EigenLayerSlashableWindowReturnType {
  withdrawal: { blocks: number; seconds: number }
  deallocation: { blocks: number; seconds: number }
  /** E.g. `Withdrawn stake stays slashable for 100800 blocks (≈ 14 days at 12 s/block) after it is queued; …`. */
  text: string
}

/** `≈ 14 days`, `≈ 10 min`, `≈ 3.5 h`: a duration for a person. */
export function formatDuration(seconds: number): string {
  const round = (x: number) => (Number.isInteger(x) ? `${x}` : x.toFixed(1))
  if (seconds >= 2 * 86_400) return `≈ ${round(Math.round((seconds / 86_400) * 10) / 10)} days`
  if (seconds >= 2 * 3_600) return `≈ ${round(Math.round((seconds / 3_600) * 10) / 10)} h`
  if (seconds >= 120) return `≈ ${Math.round(seconds / 60)} min`
  return `${seconds} s`
}

/**
 * How long withdrawn and deallocated stake stays slashable.
 * @example eigenLayerSlashableWindow({ minWithdrawalDelayBlocks: 100800, deallocationDelayBlocks: 100800, secondsPerBlock: 12 }).text
 */
export function eigenLayerSlashableWindow(p: EigenLayerSlashableWindowParameters): EigenLayerSlashableWindowReturnType {
  const withdrawal = { blocks: p.minWithdrawalDelayBlocks, seconds: p.minWithdrawalDelayBlocks * p.secondsPerBlock }
  const deallocation = { blocks: p.deallocationDelayBlocks, seconds: p.deallocationDelayBlocks * p.secondsPerBlock }
  const at = `at ${p.secondsPerBlock} s/block`
  const text =
    `Withdrawn stake stays slashable for ${withdrawal.blocks} blocks (${formatDuration(withdrawal.seconds)} ${at}) after it is queued, ` +
    `and deallocated or deregistered stake for ${deallocation.blocks} blocks (${formatDuration(deallocation.seconds)}) after the change.`
  return { withdrawal, deallocation, text }
}
