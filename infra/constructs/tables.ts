/** The DynamoDB tables, built from shared/store/tables.ts (the same definitions the local world creates): on-demand, PITR on, TTL where items expire, retained on stack deletion. */
import { RemovalPolicy } from 'aws-cdk-lib'
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { Construct } from 'constructs'
import { TABLES, type TableName } from '../../shared/store/tables.js'

const attr = (t: 'S' | 'N') => (t === 'S' ? AttributeType.STRING : AttributeType.NUMBER)

/** One TableV2 per shared table definition. */
export class AutopilotTables extends Construct {
  /** Tables by logical name. */
  readonly byName: Record<TableName, TableV2>

  constructor(scope: Construct, id: string) {
    super(scope, id)
    this.byName = Object.fromEntries(
      TABLES.map((t) => [
        t.name,
        new TableV2(this, `${t.name}Table`, {
          partitionKey: { name: t.partitionKey.name, type: attr(t.partitionKey.type) },
          sortKey: t.sortKey ? { name: t.sortKey.name, type: attr(t.sortKey.type) } : undefined,
          globalSecondaryIndexes: t.indexes?.map((i) => ({
            indexName: i.name,
            partitionKey: { name: i.partitionKey.name, type: attr(i.partitionKey.type) },
            sortKey: i.sortKey ? { name: i.sortKey.name, type: attr(i.sortKey.type) } : undefined,
          })),
          timeToLiveAttribute: t.ttlAttribute,
          billing: Billing.onDemand(),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: true,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      ]),
    ) as Record<TableName, TableV2>
  }
}
