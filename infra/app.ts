/** CDK app entry: validates the context, creates the App and the autopilot stack, and registers cdk-nag's AwsSolutions checks. */
import { App, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { parametersFromContext } from './params.js'
import { AutopilotStack } from './stack.js'

const app = new App()
Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
new AutopilotStack(app, 'RestakeAutopilot', {
  params: parametersFromContext((k) => app.node.tryGetContext(k)),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
})
app.synth()
