// The fault switch: off unless configured. It makes chosen RPC methods or event
// handlers fail with a chosen code, or stall, for a chosen fraction of calls,
// so that retries, outlier detection, dead-lettering and saga deadlines can be
// exercised for real. Configured by FAULTS (and, when FAULT_ADMIN is enabled,
// replaced at run time through POST /admin/faults).
//
//   FAULTS="ListProducts=stall:1500, PlaceOrder=fail:unavailable@0.3, event:PaymentRequested=fail:internal@0.5"
//
// A target is an RPC method name (or Service/Method) or `event:<event type>`;
// an action is `fail:<connect code>` or `stall:<ms>`; `@fraction` defaults to 1.
//
// Test-only crash points, for the fault scenarios (a process that dies at the
// worst moment of the event backbone, which no signal sent from outside can
// time): the action `crash` kills the process itself with SIGKILL, and two
// targets name where it may happen:
//   relay:after-publish        the relay published a batch to Kafka and has not
//                              marked its rows published yet (they go out again:
//                              consumers see duplicates)
//   committed:<event type>     a consumer's handler and inbox record committed,
//                              its Kafka offset is not committed yet (the event
//                              is redelivered after the restart)
//   FAULTS="relay:after-publish=crash@0.2, committed:PaymentRequested=crash"
// payments also stalls or fails its provider calls on `provider:charge` and
// `provider:refund`, shipping its carrier calls on `carrier:book` and
// `carrier:cancel`.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";

export type FaultAction = { kind: "fail"; code: Code } | { kind: "stall"; ms: number } | { kind: "crash" };

export interface FaultRule {
  target: string;
  action: FaultAction;
  fraction: number;
}

const codeByName = new Map(
  Object.entries(Code)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), value as Code]),
);

/** Parses a FAULTS specification; throws an Error naming the bad rule. */
export function parseFaults(spec: string): FaultRule[] {
  return spec
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([\w.:/-]+)=(?:(fail|stall):([\w]+)|(crash))(?:@([\d.]+))?$/.exec(part);
      if (!match) throw new Error(`fault rule "${part}" is not <target>=fail:<code>|stall:<ms>|crash[@fraction]`);
      const [, target, failOrStall, argumentText, crash, fractionText] = match as unknown as [string, string, string?, string?, string?, string?];
      const fraction = fractionText === undefined ? 1 : Number(fractionText);
      if (!(fraction >= 0 && fraction <= 1)) throw new Error(`fault rule "${part}": fraction must be between 0 and 1`);
      if (crash) return { target, action: { kind: "crash" as const }, fraction };
      const kind = failOrStall!;
      const argument = argumentText!;
      if (kind === "fail") {
        const code = codeByName.get(argument.toLowerCase());
        if (code === undefined) throw new Error(`fault rule "${part}": unknown code "${argument}"`);
        return { target, action: { kind: "fail", code }, fraction };
      }
      const ms = Number(argument);
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`fault rule "${part}": stall needs milliseconds`);
      return { target, action: { kind: "stall", ms }, fraction };
    });
}

export class FaultSwitch {
  private rules: FaultRule[];

  constructor(
    rules: FaultRule[] = [],
    private readonly random: () => number = Math.random,
    /** What `crash` does: SIGKILL to this very process (no exit handler, no flush, no commit). */
    private readonly crash: (target: string) => void = () => process.kill(process.pid, "SIGKILL"),
  ) {
    this.rules = rules;
  }

  get active(): readonly FaultRule[] {
    return this.rules;
  }

  replace(rules: FaultRule[]): void {
    this.rules = rules;
  }

  /** Applies the first rule matching any of `targets`: throws, stalls, or does nothing. */
  async inject(targets: string[], signal?: AbortSignal): Promise<void> {
    const rule = this.rules.find((candidate) => targets.includes(candidate.target));
    if (!rule || this.random() >= rule.fraction) return;
    if (rule.action.kind === "fail") {
      throw new ConnectError(`injected fault on ${rule.target}`, rule.action.code);
    }
    if (rule.action.kind === "crash") {
      this.crash(rule.target);
      return;
    }
    await sleep(rule.action.ms, undefined, { signal }).catch(() => {});
  }

  /** Server interceptor applying the RPC rules. */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      if (this.rules.length > 0) {
        await this.inject([req.method.name, `${req.service.typeName}/${req.method.name}`], req.signal);
      }
      return next(req);
    };
  }

  /** Applies the rules for an event handler (target `event:<type>`). */
  async beforeEvent(eventType: string): Promise<void> {
    if (this.rules.length === 0) return;
    const short = eventType.split(".").at(-1) ?? eventType;
    await this.inject([`event:${eventType}`, `event:${short}`]);
  }

  /** Test-only crash point: a consumer's effects committed, its offset not yet (target `committed:<type>`). */
  async afterCommit(eventType: string): Promise<void> {
    if (this.rules.length === 0) return;
    const short = eventType.split(".").at(-1) ?? eventType;
    await this.inject([`committed:${eventType}`, `committed:${short}`]);
  }

  /** Test-only crash point: the relay published a batch and has not marked it (target `relay:after-publish`). */
  async afterPublish(): Promise<void> {
    if (this.rules.length === 0) return;
    await this.inject(["relay:after-publish"]);
  }
}
