// A service entry point for the platform's process tests (service-process.test.ts):
// what every main.ts does (runService), with routes that take their time and a
// stream that lasts until the service drains, and one setting of its own.
import { setTimeout as sleep } from "node:timers/promises";
import { runService } from "./service.ts";
import { int } from "./config.ts";

await runService({
  // Any name of the topology: this one has no database and no events to start.
  name: "gateway",
  config: { TEST_SLOW_MS: int({ min: 0, max: 60_000 }) },
  http: (app, runtime) => {
    app.use(async (ctx, next) => {
      if (ctx.path === "/slow") {
        await sleep(runtime.config.TEST_SLOW_MS);
        ctx.body = { slept: runtime.config.TEST_SLOW_MS };
        return;
      }
      if (ctx.path === "/stream") {
        // A long-lived response (like WatchStock): it ends when the service starts draining.
        ctx.status = 200;
        ctx.res.write("open\n");
        await new Promise((resolve) => runtime.draining.addEventListener("abort", resolve, { once: true }));
        ctx.body = "drained\n";
        return;
      }
      await next();
      return;
    });
  },
});
