/** The autopilot stack: DynamoDB tables from the shared definitions (functions, schedules, API, KMS and alarms are added by issue 6). */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb'
import type { Construct } from 'constructs'
import { TABLES, type TableName } from '../shared/store/tables.js'

/** Stack parameters. */
export interface AutopilotStackProps extends StackProps {
  chainId: number
}

/** One stack for the whole autopilot. */
export class AutopilotStack extends Stack {
  readonly tables: Record<TableName, TableV2>
  constructor(scope: Construct, id: string, props: AutopilotStackProps) {
    super(scope, id, props)
    const attr = (t: 'S' | 'N') => (t === 'S' ? AttributeType.STRING : AttributeType.NUMBER)
    this.tables = Object.fromEntries(
      TABLES.map((t) => [
        t.name,
        new TableV2(this, `${t.name}Table`, {
          partitionKey: { name: t.partitionKey.name, type: attr(t.partitionKey.type) },
          sortKey: t.sortKey ? { name: t.sortKey.name, type: attr(t.sortKey.type) } : undefined,
          globalSecondaryIndexes: t.indexes?.map((i) => ({ indexName: i.name, partitionKey: { name: i.partitionKey.name, type: attr(i.partitionKey.type) }, sortKey: i.sortKey ? { name: i.sortKey.name, type: attr(i.sortKey.type) } : undefined })),
          timeToLiveAttribute: t.ttlAttribute,
          billing: Billing.onDemand(),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      ]),
    ) as Record<TableName, TableV2>
  }
}
