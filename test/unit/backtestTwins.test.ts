/** The backtest twins every vault of a scenario (local/backtest/world.ts), not only the first: one autopilot and one baseline twin each. */
import { describe, expect, it } from 'vitest'
import { twinScenario } from '../../local/backtest/world.js'
import { loadScenario } from '../../local/world/scenario.js'

describe('twinScenario', () => {
  it('clones every vault of a multi-vault scenario into an autopilot and a baseline twin, keeping each its slasher, delegator and deposits', () => {
    const scenario = loadScenario('local/scenarios/two-vaults.json')
    const twins = twinScenario(scenario, 'even').vaults
    expect(twins.map((v) => v.label)).toEqual(['autopilot-steady', 'autopilot-guarded', 'baseline-steady', 'baseline-guarded'])
    for (const [i, v] of scenario.vaults.entries()) {
      for (const twin of [twins[i]!, twins[i + scenario.vaults.length]!]) {
        expect({ slasher: twin.slasher, delegator: twin.delegator, deposits: twin.deposits }).toEqual({ slasher: v.slasher, delegator: v.delegator, deposits: v.deposits })
      }
    }
    expect(twins.slice(2).every((v) => v.initialAllocation === 'even')).toBe(true)
  })

  it('keeps the names `autopilot` and `baseline` for a one-vault scenario', () => {
    const twins = twinScenario(loadScenario('local/scenarios/slashing-cascade.json'), 'hold').vaults
    expect(twins.map((v) => v.label)).toEqual(['autopilot', 'baseline'])
  })
})
