/** Which positions of a universe a policy manages, and the refusal of a policy naming positions the bot does not read. */
import type { Policy } from './policy.js'
import { cmp } from './format.js'
import { UnknownPositionError } from './errors.js'

/** The managed positions of a universe under a policy (policy.positions empty = all), sorted by id. */
export function managedPositions<P extends { id: string; vault: string }>(positions: readonly P[], policy: Policy): P[] {
  const wanted = policy.positions.length === 0 ? undefined : new Set(policy.positions.map((p) => p.vault.toLowerCase()))
  return positions.filter((p) => wanted === undefined || wanted.has(p.vault.toLowerCase()) || wanted.has(p.id.toLowerCase())).sort((a, b) => cmp(a.id, b.id))
}

/**
 * Policy positions that match no position of the universe (by vault or id) and none of `alsoKnown` (positions the
 * configuration gives to another protocol's run), lower-case, sorted.
 */
export function unknownPositions(positions: readonly { id: string; vault: string }[], policy: Policy, alsoKnown: readonly string[] = []): string[] {
  const known = new Set([...positions.flatMap((p) => [p.vault, p.id]), ...alsoKnown].map((x) => x.toLowerCase()))
  return policy.positions
    .map((p) => p.vault.toLowerCase())
    .filter((v) => !known.has(v))
    .sort()
}

/**
 * Refuses a policy whose positions name nothing the bot reads (docs/policy.md): such a position would run as
 * `noChange` forever.
 * @param positions the universe's positions
 * @param alsoKnown positions the configuration gives to other protocols (their runs read them)
 * @throws {UnknownPositionError} naming every unmatched position
 */
export function assertPositionsKnown(positions: readonly { id: string; vault: string }[], policy: Policy, alsoKnown: readonly string[] = []): void {
  const unknown = unknownPositions(positions, policy, alsoKnown)
  if (unknown.length > 0) throw new UnknownPositionError({ positions: unknown, known: [...new Set([...positions.map((p) => p.id), ...alsoKnown])].sort() })
}
