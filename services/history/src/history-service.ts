// OrderHistoryService handlers: the reads of the projection, and how far
// behind the events it is. Without customer_id, ListOrderHistory lists every
// summary (what the invariant checker compares with orders, payments and
// shipping).
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { decodePageToken, notFound, pageSize, pageTokenPatterns, type Database, type KafkaBus } from "@meshmart/platform";
import { OrderHistoryService } from "@meshmart/proto/history/v1/history_pb";
import { OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import * as store from "./history-store.ts";
import type { ProjectionProgress } from "./projection-progress.ts";
import type { ProjectionControl } from "./projection-rebuild.ts";
import type { StatusName } from "./summary-fold.ts";

export interface HistoryServiceDeps {
  db: Database;
  progress: ProjectionProgress;
  control: ProjectionControl;
  bus: () => KafkaBus;
  /** The consumer group, and the prefix its topics carry. */
  group: string;
  topicPrefix: string;
}

export function createHistoryService({ db, progress, control, bus, group, topicPrefix }: HistoryServiceDeps): ServiceImpl<typeof OrderHistoryService> {
  return {
    async listOrderHistory(req) {
      const filter: store.SummaryFilter = {
        customerId: req.customerId || undefined,
        status: req.status === OrderStatus.UNSPECIFIED ? undefined : (OrderStatus[req.status] as StatusName),
      };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.createdAndId);
      const { summaries, next } = await store.listSummaries(db, filter, pageSize(req.pageSize), after);
      return { orders: summaries, nextPageToken: next ?? "" };
    },

    async getOrderHistory({ orderId }) {
      const order = await store.getSummary(db, orderId);
      if (!order) throw notFound("order history of order", orderId);
      return { order };
    },

    async getProjectionStatus() {
      const now = Date.now();
      const [state, orders, topics] = await Promise.all([
        control.state(),
        store.countSummaries(db),
        Promise.all(
          progress.readings().map(async (reading) => {
            // Asked of Kafka (committed offsets): exact, and right after a rebuild's reset too. -1 when Kafka does not answer.
            const pending = await bus()
              .groupLag(group, [topicPrefix + reading.topic])
              .catch(() => -1);
            return {
              topic: topicPrefix + reading.topic,
              eventsApplied: BigInt(reading.eventsApplied),
              pendingMessages: BigInt(pending),
              ...(reading.lastEventTime ? { lastEventTime: timestampFromDate(reading.lastEventTime) } : {}),
              lagSeconds: progress.lagSeconds(reading.topic, pending, now),
            };
          }),
        ),
      ]);
      return { topics, rebuilding: state.rebuilding, orders: BigInt(orders) };
    },
  };
}
