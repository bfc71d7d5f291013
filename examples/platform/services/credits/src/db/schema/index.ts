// The credits service's Drizzle schema: drizzle-kit generates ../../../drizzle from it.
// schemakit lints this source directly (tree-sitter), so a problem points at its line here.
import { index, integer, pgEnum, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// Namespace this service's tables — see the guideline's "Schema Isolation".
export const creditsSchema = pgSchema('credits');

// DELIBERATE (ISO002): a module-level pgEnum lands in public, not in the credits schema.
// Use creditsSchema.enum('transaction_type', [...]) instead.
export const transactionTypeEnum = pgEnum('transaction_type', [
  'purchase',
  'usage',
  'refund',
  'bonus',
  'adjustment',
]);

export const balances = creditsSchema.table(
  'balances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id').notNull(),
    amount: integer('amount').default(0).notNull(),
    version: integer('version').default(1).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
  },
  (table) => [uniqueIndex('idx_balances_user_id').on(table.userId)],
);

export const transactions = creditsSchema.table(
  'transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id').notNull(),
    type: transactionTypeEnum('type').notNull(),
    amount: integer('amount').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),
  },
  (table) => [index('idx_transactions_user_id').on(table.userId)],
);

export type Balance = typeof balances.$inferSelect;
export type NewBalance = typeof balances.$inferInsert;
