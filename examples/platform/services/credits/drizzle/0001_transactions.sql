-- DELIBERATE (ISO002): a module-level pgEnum('transaction_type', ...) lands in public.
CREATE TYPE "public"."transaction_type" AS ENUM('purchase', 'usage', 'refund', 'bonus', 'adjustment');
--> statement-breakpoint
CREATE TABLE "credits"."transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" text NOT NULL,
	"type" "transaction_type" NOT NULL,
	"amount" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_transactions_user_id" ON "credits"."transactions" USING btree ("user_id");
--> statement-breakpoint
-- DELIBERATE (ISO007): the credits service creates a table inside the auth schema.
CREATE TABLE "auth"."credit_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
