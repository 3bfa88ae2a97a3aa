/** CDK app entry: creates the App and the autopilot stack. */
import { App } from 'aws-cdk-lib'
import { AutopilotStack } from './stack.js'

const app = new App()
new AutopilotStack(app, 'RestakeAutopilot', {
  chainId: Number(app.node.tryGetContext('restake-autopilot:chainId') ?? 1),
})
app.synth()
