// The load a scenario runs, as the runner sees it: started at a rate, stopped,
// and everything it did recorded in the scenario's history (the operations,
// the accepted orders; timeline.ts makes the per-second series from it). The
// driver behind it is order-load.ts, on the project's open-loop generator.
import type { LoadShape } from "./scenario-definitions.ts";
import type { History } from "./history.ts";

export interface Shopper {
  customerId: string;
  token: string;
}

export interface LoadStart {
  gatewayUrl: string;
  shoppers: Shopper[];
  products: Array<{ id: string }>;
  history: History;
  shape: LoadShape;
}

export interface RunningLoad {
  /** Stops starting new orders; resolves once every attempt in flight has answered (or timed out). */
  stop(): Promise<void>;
}

export type LoadDriver = (start: LoadStart) => RunningLoad;
