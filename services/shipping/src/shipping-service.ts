// ShippingService handlers: reads for audit (the invariant checker lists every
// shipment) and for operators.
import type { ServiceImpl } from "@connectrpc/connect";
import { ShippingService } from "@meshmart/proto/shipping/v1/shipping_pb";
import { decodePageToken, notFound, pageTokenPatterns, pageSize, type Database } from "@meshmart/platform";
import * as store from "./shipment-store.ts";

export function createShippingService(db: Database): ServiceImpl<typeof ShippingService> {
  return {
    async getShipment({ orderId }) {
      const shipment = await store.getShipment(db, orderId);
      if (!shipment) throw notFound("shipment of order", orderId);
      return { shipment };
    },

    async listShipments(req) {
      const filter = { status: req.status || undefined };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.id);
      const { shipments, more } = await store.listShipments(db, filter, pageSize(req.pageSize, 500), after);
      const last = shipments.at(-1);
      return { shipments, nextPageToken: more && last ? last.orderId : "" };
    },
  };
}
