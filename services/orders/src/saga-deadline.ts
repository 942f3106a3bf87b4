// Cancels and compensates sagas past their deadline. Runs in every replica;
// FOR UPDATE SKIP LOCKED gives each expired order to exactly one of them.
//
// It has a database connection of its own (not the service's pool): when the
// service is saturated, the pool is busy with events and RPCs, and a sweeper
// queued behind them would cancel overdue sagas late. Each pass cancels what
// is overdue in batches until nothing is, then sleeps `intervalMs`.
import { setTimeout as sleep } from "node:timers/promises";
import { Database, type Logger, type Worker } from "@meshmart/platform";
import type { OrderSaga } from "./order-saga.ts";
import { lockExpiredOrders } from "./order-store.ts";

const batchSize = 200;

export function startDeadlineSweeper(connectionString: string, saga: OrderSaga, logger: Logger, intervalMs: number): Worker {
  const db = new Database(connectionString, logger, 1);
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        for (;;) {
          const swept = await db.transaction(async (tx) => {
            const rows = await lockExpiredOrders(tx, batchSize);
            for (const row of rows) await saga.apply(tx, row, { type: "DeadlinePassed" }, "the deadline sweeper");
            return rows.length;
          });
          if (swept < batchSize || controller.signal.aborted) break;
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "deadline sweep failed; will retry");
      }
      await sleep(intervalMs, undefined, { signal: controller.signal }).catch(() => {});
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
      await db.close();
    },
  };
}
