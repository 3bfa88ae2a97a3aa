/** The pure parts of the policy store and its CLI: version keys sort in order, documents hash canonically, diffs read by JSON path. */
import { describe, expect, it } from 'vitest'
import { documentChanges, documentIssues, formatChanges } from '../../local/cli/versions.js'
import { documentHash, documentText, StaticPolicySource, versionRef } from '../../shared/store/policies.js'

describe('policy store keys and hashes', () => {
  it('version keys sort as numbers (history reads newest first by key)', () => {
    const keys = [1, 2, 9, 10, 11, 100, 123456789].map(versionRef)
    expect([...keys].sort()).toEqual(keys)
    expect(versionRef(7)).toBe('v000000007')
  })

  it('the hash is of the canonical text: same document, same hash; any change, another', () => {
    const a = { version: 1, caps: { perOperator: 0.2 } }
    expect(documentHash(documentText(a))).toBe(documentHash(documentText(JSON.parse(JSON.stringify(a)))))
    expect(documentHash(documentText(a))).not.toBe(documentHash(documentText({ version: 1, caps: { perOperator: 0.25 } })))
    expect(documentHash(documentText(a))).toMatch(/^[0-9a-f]{64}$/)
  })

  it('an environment policy has no version, its hash, and the defaults applied', async () => {
    const s = await new StaticPolicySource({ version: 1 }).current()
    expect(s.policyVersion).toBeUndefined()
    expect(s.policyHash).toBe(documentHash(documentText({ version: 1 })))
    expect(s.policy.caps.perOperator).toBe(0.25)
    expect(() => new StaticPolicySource({ version: 2 })).toThrow(/version/)
  })
})

describe('policy diff', () => {
  it('names every change by JSON path: changed, added, removed, array elements', () => {
    const changes = documentChanges({ version: 1, caps: { perOperator: 0.2 }, operators: { deny: ['0xa'] }, mode: 'propose' }, { version: 1, caps: { perOperator: 0.25 }, operators: { deny: ['0xa', '0xb'] }, riskBudget: 0.01 })
    expect(changes).toEqual(
      expect.arrayContaining([
        { op: 'change', path: '$.caps.perOperator', from: 0.2, to: 0.25 },
        { op: 'add', path: '$.operators.deny[1]', to: '0xb' },
        { op: 'remove', path: '$.mode', from: 'propose' },
        { op: 'add', path: '$.riskBudget', to: 0.01 },
      ]),
    )
    expect(changes).toHaveLength(4)
    const text = formatChanges(changes)
    expect(text).toContain('~ $.caps.perOperator: 0.2 → 0.25')
    expect(text).toContain('+ $.operators.deny[1]: "0xb"')
    expect(text).toContain('- $.mode: "propose"')
    expect(formatChanges([])).toContain('no changes')
  })

  it('validates a policy and a protocol config with every problem by path', () => {
    expect(documentIssues('policy', { version: 1 })).toEqual([])
    expect(documentIssues('policy', { version: 1, caps: { perOperator: 2 } }).map((i) => i.path)).toEqual(['$.caps.perOperator'])
    expect(documentIssues('config', { vaults: [] }).map((i) => i.path)).toEqual(expect.arrayContaining(['$.symbiotic', '$.vaults']))
  })
})
