// Prices the items of a new order from catalog's products (through the
// product cache: one BatchGetProducts call for those it does not hold), under
// a deadline. A catalog that cannot answer is a clear Unavailable (and
// no order); an unknown product is FailedPrecondition naming it.
import { Code, ConnectError } from "@connectrpc/connect";
import type { ProductLookup } from "@meshmart/platform";

export interface PricedItem {
  productId: string;
  quantity: number;
  unitPriceMinor: bigint;
}

export interface PricedOrder {
  currencyCode: string;
  totalMinor: bigint;
  items: PricedItem[];
}

export async function priceItems(
  products: ProductLookup,
  items: Array<{ productId: string; quantity: number }>,
  timeoutMs: number,
): Promise<PricedOrder> {
  let response;
  try {
    response = await products.batchGet(items.map((item) => item.productId), timeoutMs);
  } catch (err) {
    const error = ConnectError.from(err);
    throw new ConnectError(`catalog is unavailable, no order was placed: ${error.rawMessage}`, Code.Unavailable, undefined, undefined, err);
  }
  if (response.missingIds.length > 0) {
    throw new ConnectError(`unknown product(s): ${response.missingIds.join(", ")}`, Code.FailedPrecondition);
  }
  const byId = new Map(response.products.map((product) => [product.id, product]));
  const currencies = new Set(response.products.map((product) => product.price?.currencyCode));
  if (currencies.size !== 1) {
    throw new ConnectError(`items are priced in different currencies (${[...currencies].join(", ")})`, Code.FailedPrecondition);
  }
  const priced = items.map((item) => ({
    productId: item.productId,
    quantity: item.quantity,
    unitPriceMinor: byId.get(item.productId)!.price!.unitsMinor,
  }));
  return {
    currencyCode: [...currencies][0]!,
    totalMinor: priced.reduce((sum, item) => sum + item.unitPriceMinor * BigInt(item.quantity), 0n),
    items: priced,
  };
}
