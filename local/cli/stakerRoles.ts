/**
 * `autopilot dao permissions`, EigenLayer part: the Zodiac Roles v2 scope of every configured staker Safe (config
 * stakers with `roles`), read against the chain (the strategy's token, the operators), and the setup batch each
 * Safe's owners sign (enable the module, scope the role, make the bot a member). The bot sends none of it.
 */
import type { Address, PublicClient } from 'viem'
import { toAddr } from '../../shared/address.js'
import type { Config } from '../../shared/config/config.js'
import type { Policy } from '../../shared/domain/policy.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { type StakerPermissions, stakerPermissions } from '../../shared/protocols/eigenlayer/stakerRoles.js'

/**
 * The role of each staker Safe in `config.eigenlayer`. A staker's `delegateTo` operators: its pinned `operator`, else
 * `policy.operators.allow`, else every operator registered on chain; minus `policy.operators.deny`.
 * @returns one {@link StakerPermissions} per staker Safe (empty when no staker has `roles`)
 */
export async function stakerRolePermissions(client: PublicClient, config: Config, policy: Policy, members: readonly Address[]): Promise<StakerPermissions[]> {
  const el = config.eigenlayer
  if (!el) return []
  const deny = new Set(policy.operators.deny.map(toAddr))
  const out: StakerPermissions[] = []
  for (const p of el.positions) {
    const safes = p.stakers.filter((s) => s.roles)
    if (safes.length === 0) continue
    const read = await readEigenLayerUniverse(client, { ...el, strategy: p.strategy, stakers: p.stakers.map((s) => s.address), fromBlock: BigInt(el.fromBlock ?? 0), labels: config.labels })
    const everyone = policy.operators.allow?.map(toAddr) ?? read.eigenlayer.operators.filter((o) => o.isOperator).map((o) => toAddr(o.address))
    for (const s of safes)
      out.push(
        stakerPermissions({
          delegationManager: el.delegationManager,
          strategyManager: el.strategyManager,
          strategy: p.strategy,
          token: read.eigenlayer.underlying,
          staker: { safe: s.address, rolesModifier: s.roles!.rolesModifier, roleKey: s.roles!.roleKey, operators: (s.operator ? [toAddr(s.operator)] : everyone).filter((o) => !deny.has(o)) },
          peers: safes.map((x) => x.address),
          members,
          labels: config.labels,
        }),
      )
  }
  return out
}
