/**
 * A realistic curator setup (2 vaults, 25 labelled operators, 8 services with metadata) synthesizes: neither the
 * policy nor the protocol config travels in a Lambda environment variable (they live in the policies table and
 * are pushed with `autopilot policy push` / `autopilot config push`), so their size no longer matters to the stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { operators, realisticPolicy, realisticProtocol, services, vaults } from './realisticPolicy.js'
import { synth } from './synth.js'

const dir = mkdtempSync(join(tmpdir(), 'ra-infra-policy-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a realistic policy and protocol config', () => {
  it('are valid and far beyond what Lambda environment variables hold (4 KB in total)', () => {
    expect(loadPolicyOrThrow(realisticPolicy).scoring.operatorMetadata).toHaveLength(25)
    expect(JSON.stringify(realisticPolicy).length + JSON.stringify(realisticProtocol).length).toBeGreaterThan(10_000)
  })

  it('synthesize, and no function environment carries either of them', () => {
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(realisticPolicy, null, 2))
    writeFileSync(join(dir, 'protocol.json'), JSON.stringify(realisticProtocol, null, 2))
    const { template } = synth({ policyFile: join(dir, 'policy.json'), protocolConfigFile: join(dir, 'protocol.json') })
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[]
    expect(fns.length).toBeGreaterThanOrEqual(4)
    for (const fn of fns) {
      const env = JSON.stringify(fn.Properties.Environment.Variables)
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('POLICY_JSON')
      for (const leaked of [operators[0]!.label, services[0]!.id, vaults[0]!, 'operatorMetadata']) expect(env).not.toContain(leaked)
    }
  })
})
