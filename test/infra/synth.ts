/** Synthesizes the stack for infra tests: the context of cdk.json (plus overrides), bundling skipped unless asked. */
import { readFileSync } from 'node:fs'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { parametersFromContext } from '../../infra/params.js'
import { AutopilotStack } from '../../infra/stack.js'

/** cdk.json's context. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context
}

/** The app, stack and template for `overrides` (keys without the `restake-autopilot:` prefix). */
export function synth(overrides: Record<string, unknown> = {}, opts: { bundle?: boolean; outdir?: string } = {}): { app: App; stack: AutopilotStack; template: Template } {
  // The example files' placeholder addresses are what these tests synthesize (test/infra/params.test.ts shows synth refuses them by default).
  const context: Record<string, unknown> = { ...cdkJsonContext(), 'restake-autopilot:allowExampleAddresses': true, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`restake-autopilot:${k}`, v])) }
  if (!opts.bundle) context['aws:cdk:bundling-stacks'] = []
  const app = new App({ context, ...(opts.outdir ? { outdir: opts.outdir } : {}) })
  const stack = new AutopilotStack(app, 'RestakeAutopilot', { params: parametersFromContext((k) => app.node.tryGetContext(k)), env: { account: '123456789012', region: 'eu-west-1' } })
  return { app, stack, template: Template.fromStack(stack) }
}
