// Cancels and compensates sagas past their deadline. Runs in every replica;
// FOR UPDATE SKIP LOCKED gives each expired order to exactly one of them.
import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Logger, Worker } from "@meshmart/platform";
import type { OrderSaga } from "./order-saga.ts";
import { lockExpiredOrders } from "./order-store.ts";

export function startDeadlineSweeper(db: Database, saga: OrderSaga, logger: Logger, intervalMs: number): Worker {
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        await db.transaction(async (tx) => {
          for (const row of await lockExpiredOrders(tx, 100)) {
            await saga.apply(tx, row, { type: "DeadlinePassed" });
          }
        });
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
    },
  };
}
