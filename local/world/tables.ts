/** Creates the autopilot's tables in DynamoDB Local from the same definitions the CDK stack uses. */
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb'
import { TABLES, type TableNames } from '../../shared/store/tables.js'

/** Creates every table in `names` (PAY_PER_REQUEST) and enables TTL where defined. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const t of TABLES) {
    const keys = [t.partitionKey, ...(t.sortKey ? [t.sortKey] : []), ...(t.indexes ?? []).flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])])]
    const attrs = [...new Map(keys.map((k) => [k.name, k])).values()]
    await client.send(
      new CreateTableCommand({
        TableName: names[t.name],
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attrs.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: [{ AttributeName: t.partitionKey.name, KeyType: 'HASH' }, ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' as const }] : [])],
        GlobalSecondaryIndexes: t.indexes?.map((i) => ({
          IndexName: i.name,
          KeySchema: [{ AttributeName: i.partitionKey.name, KeyType: 'HASH' as const }, ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' as const }] : [])],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    )
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: names[t.name] })
    if (t.ttlAttribute) await client.send(new UpdateTimeToLiveCommand({ TableName: names[t.name], TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } }))
  }
}
