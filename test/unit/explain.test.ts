import { describe, expect, it } from 'vitest'
import { diffPlan, gweiToWei } from '../../shared/protocols/symbiotic/diff.js'
import { explainRun, table } from '../../shared/domain/explain.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { E18, NOW, addr, operator, position, service, universe } from './fixtures.js'

function run(extra: Record<string, unknown> = {}) {
  const u = universe(
    [service(1, { rewardRatePerYear: 0.05, label: 'oracle-net/0' }), service(2, { rewardRatePerYear: 0.03 })],
    [operator(3, [1, 2]), operator(4, [1]), operator(5, [2]), operator(6, [1])],
    [position({ vault: 0xa, operators: [3, 4, 5, 6], services: [1, 2], allocations: [[1, 6, 100n * E18]] })],
  )
  const policy = loadPolicyOrThrow({ version: 1, operators: { deny: [addr(6)] }, turnoverCapPerRun: 2, ...extra })
  const scores = scoreUniverse(u, policy, { now: NOW })
  const plan = planAllocation(u, scores, policy, { now: NOW })
  const decision = diffPlan(u, plan, policy, { now: NOW, gasPriceWei: gweiToWei(5) })
  return { scores, plan, decision }
}

describe('Function: explainRun', () => {
  it('prints the decision, score tables, the plan, binding constraints and every action with its reasons', () => {
    const text = explainRun(run())
    expect(text).toMatch(/^Run at block 1234 \(chain 31337\), now 1750000000, solver fast\n\nDecision: ACT — \d+ calls, gain .*\(de-risk: cooldown and threshold not applied\)\n/)
    for (const heading of ['Services (risk bands: low < 25 ≤ medium < 50 ≤ high < 75 ≤ critical)', 'Operators (those holding stake now or in the plan)', 'Binding constraints', 'Actions (in execution order)']) expect(text).toContain(heading)
    expect(text).toContain('oracle-net/0')
    expect(text).toContain(`forced: 0x6666…6666 in 0x1111…0000 100 → 0: operator ${addr(6)} is deny-listed`)
    expect(text).toMatch(/residual exposure: 100 with 0x6666…6666 in 0x1111…0000 stays slashable until 1750604800/)
    expect(text).toMatch(/ {2}1\. setOperatorNetworkShares\(0x1111…0000, 0x[0-9a-f]{4}…[0-9a-f]{4}\) on 0x[0-9a-f]{4}…[0-9a-f]{4}: /)
    expect(text).toMatch(/ {7}- pair 0x[0-9a-f]{4}…[0-9a-f]{4}@0x[0-9a-f]{4}…[0-9a-f]{4}: net value /)
  })

  it('explains a skip', () => {
    const r = run({ operators: { deny: [] } })
    const skip = { kind: 'skip' as const, reason: 'cooldown' as const, detail: 'cooldown ends at 1' }
    const text = explainRun({ ...r, decision: skip })
    expect(text).toContain('Decision: SKIP (cooldown) — cooldown ends at 1\n')
    expect(text).not.toContain('Actions (in execution order)')
  })

  it('is deterministic', () => {
    expect(explainRun(run())).toBe(explainRun(run()))
  })
})

describe('Function: table', () => {
  it('aligns columns: first left, others right', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['xyz', '1'],
          ['k', '22'],
        ],
      ),
    ).toBe('a    bb\n---  --\nxyz   1\nk    22')
  })
})
