// Run drizzle-orm's own migrator (drizzle-orm/postgres-js/migrator) on a drizzle-kit folder.
//
//   node migrate.mjs <migrationsFolder> <socketDir> <database> [user] [port]
//
// Connects over the unix socket in <socketDir>: postgres-js takes a `host` containing a '/'
// as a socket directory and connects to <host>/.s.PGSQL.<port>. (A URL's `?host=/dir` is NOT
// understood by postgres-js: unknown query parameters are sent as startup parameters.)
// Exit 0 on success; on failure print the error to stderr and exit 1.
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'

const [folder, socketDir, database, user = 'postgres', port = '5432'] = process.argv.slice(2)
if (!folder || !socketDir || !database) {
  console.error('usage: node migrate.mjs <migrationsFolder> <socketDir> <database> [user] [port]')
  process.exit(2)
}

const client = postgres({
  host: socketDir,
  port: Number(port),
  database,
  username: user,
  max: 1,
  onnotice: () => {}, // "schema drizzle already exists, skipping" and the like
})
try {
  await migrate(drizzle(client), { migrationsFolder: folder })
} catch (error) {
  console.error(`drizzle-orm migrate failed: ${error?.message ?? error}`)
  process.exitCode = 1
} finally {
  await client.end({ timeout: 5 })
}
