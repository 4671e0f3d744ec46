/**
 * The app's SQLite schema, and the migration of a database written by an earlier version of the app. Every table is
 * created when missing; a column added later is added to an old database; the jobs table is rebuilt where its
 * checks predate the portal flow.
 */
import { randomBytes } from "node:crypto"
import type Database from "better-sqlite3"

/**
 * The jobs table. A service job id is unique per API (the direct and the portal flow number their jobs apart), so
 * the index over it (below) includes whether the job is a portal job.
 */
const jobsTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  flow TEXT NOT NULL CHECK (flow IN ('WAIT_FOR_CALLBACK', 'POLLING', 'PORTAL')),
  title TEXT NOT NULL,
  owner_pin TEXT,
  signature_job_id TEXT,
  status_url TEXT,
  status TEXT NOT NULL DEFAULT 'CREATING',
  contract BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_error TEXT,
  ref TEXT,
  status_since TEXT,
  cancellation_url TEXT
);`

const jobsColumns =
  "id, flow, title, owner_pin, signature_job_id, status_url, status, contract, created_at, updated_at, last_error, ref, status_since, cancellation_url"

export const schema = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  pin TEXT NOT NULL,
  created_at TEXT NOT NULL
);
${jobsTable("jobs")}
CREATE TABLE IF NOT EXISTS signers (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  pin TEXT NOT NULL,
  href TEXT,
  status TEXT NOT NULL DEFAULT 'WAITING',
  since TEXT,
  email TEXT,
  PRIMARY KEY (job_id, position)
);
CREATE TABLE IF NOT EXISTS signed_documents (
  job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  pdf BLOB NOT NULL,
  stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_sessions (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner_pin, id);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_ref ON jobs(ref);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_service_id ON jobs(flow = 'PORTAL', signature_job_id);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id, id);
`

/**
 * A database of an earlier version is brought up to date: job references (each old job gets one), the monotonic
 * status columns, the portal flow's columns, and the jobs table rebuilt where its flow check predates the portal flow
 * (SQLite cannot change a check in place; the documented copy-and-rename, with foreign keys off meanwhile).
 */
export const migrate = (db: Database.Database): void => {
  const columns = db.prepare("PRAGMA table_info(jobs)").all() as Array<{ name: string }>
  if (columns.length === 0) return
  const names = new Set(columns.map((c) => c.name))
  if (!names.has("ref")) {
    db.exec("ALTER TABLE jobs ADD COLUMN ref TEXT")
    const set = db.prepare("UPDATE jobs SET ref = ? WHERE id = ?")
    for (const row of db.prepare("SELECT id FROM jobs").all() as Array<{ id: number }>) set.run(newRef(), row.id)
  }
  if (!names.has("status_since")) db.exec("ALTER TABLE jobs ADD COLUMN status_since TEXT")
  if (!names.has("cancellation_url")) db.exec("ALTER TABLE jobs ADD COLUMN cancellation_url TEXT")
  const signerColumns = db.prepare("PRAGMA table_info(signers)").all() as Array<{ name: string }>
  if (!signerColumns.some((c) => c.name === "email")) db.exec("ALTER TABLE signers ADD COLUMN email TEXT")
  const sql = (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get() as { sql: string }
  ).sql
  if (!sql.includes("'PORTAL'")) {
    db.pragma("foreign_keys = OFF")
    db.transaction(() => {
      db.exec(jobsTable("jobs_next"))
      db.exec(`INSERT INTO jobs_next (${jobsColumns}) SELECT ${jobsColumns} FROM jobs`)
      db.exec("DROP TABLE jobs")
      db.exec("ALTER TABLE jobs_next RENAME TO jobs")
    })()
    db.pragma("foreign_keys = ON")
  }
}

/** 128 random bits, URL-safe. */
export const newRef = (): string => randomBytes(16).toString("base64url")
