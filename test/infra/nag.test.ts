/** cdk-nag v3 AwsSolutionsChecks: zero unacknowledged findings, and every acknowledgement is a known rule with a written reason. */
import { Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import type { IConstruct } from 'constructs'
import { describe, expect, it } from 'vitest'
import { synth } from './synth.js'

/** Every acknowledgement recorded in the construct tree: rule id → [construct path, reason]. */
function acknowledgements(root: IConstruct): { id: string; path: string; reason: string }[] {
  const out: { id: string; path: string; reason: string }[] = []
  for (const c of root.node.findAll())
    for (const m of c.node.metadata)
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) out.push({ id: id.replace(/^annotation::/i, ''), path: c.node.path, reason: typeof reason === 'string' ? reason : JSON.stringify(reason) })
  return out
}

describe('cdk-nag AwsSolutionsChecks (v3)', () => {
  it('reports no unacknowledged finding', () => {
    const { app } = synth()
    const report = new AwsSolutionsChecks(app).validateScope(app)
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId ?? r.constructPath).join(', ')}`)).toEqual([])
    expect(report.success).toBe(true)
  })

  it('acknowledges only these rules, each next to its resource with a real reason', () => {
    const { app } = synth()
    const acks = acknowledgements(app)
    expect(acks.map((a) => `${a.id} @ ${a.path}`).sort()).toEqual(
      [
        'AwsSolutions-APIG4 @ RestakeAutopilot/WebhookHttp/Api/POST--webhook',
        'AwsSolutions-KMS5 @ RestakeAutopilot/Signer/Key',
        'AwsSolutions-L1 @ RestakeAutopilot/Rebalance',
        'AwsSolutions-L1 @ RestakeAutopilot/Score',
        'AwsSolutions-L1 @ RestakeAutopilot/Watch',
        'AwsSolutions-L1 @ RestakeAutopilot/Webhook',
        'AwsSolutions-SMG4 @ RestakeAutopilot/RpcUrl',
        'AwsSolutions-SMG4 @ RestakeAutopilot/WebhookSecret',
      ].sort(),
    )
    for (const a of acks) {
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(80)
      expect(a.reason).not.toMatch(/^(todo|n\/a|suppress|ignore)/i)
    }
  })

  it('with EigenLayer positions (five functions): still no unacknowledged finding', () => {
    const { app } = synth({ protocolConfigFile: 'infra/examples/protocol.eigenlayer.example.json' })
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([])
    expect(
      acknowledgements(app)
        .filter((a) => a.id === 'AwsSolutions-L1')
        .map((a) => a.path),
    ).toContain('RestakeAutopilot/EigenLayer')
  })

  it('an imported RPC secret needs no SMG4 acknowledgement (nothing created to rotate)', () => {
    const { app } = synth({ rpcSecretName: 'prod/rpc-url' })
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([])
    expect(
      acknowledgements(app)
        .filter((a) => a.id === 'AwsSolutions-SMG4')
        .map((a) => a.path),
    ).toEqual(['RestakeAutopilot/WebhookSecret'])
  })
})
