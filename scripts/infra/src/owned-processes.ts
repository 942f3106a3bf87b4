// Servers started without `detached` belong to the process that started them
// and are stopped when it ends (end of a test run, Ctrl-C in `make dev`), so a
// JVM or a postmaster never outlives its owner unnoticed. Servers run in their
// own session (spawn `detached`) so that a terminal's Ctrl-C reaches the owner
// only, and the owner decides the order of shutdown.
//
// On SIGINT/SIGTERM/SIGHUP: if the owner has its own handler (e.g. dev.ts
// draining its services first), we leave the servers running until the
// process actually exits; if nobody else listens, we stop them and re-raise
// the signal so the process still dies the default way.
// A SIGKILLed owner cannot clean up: its servers keep running and the next
// start for the same profile reuses them.

type StopNow = () => void;

const owned = new Map<number, StopNow>();
const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const signalHandlers = new Map<NodeJS.Signals, () => void>();

/** Registers a server to stop (synchronously: send a signal) when this process ends. */
export function adopt(pid: number, stopNow: StopNow): void {
  owned.set(pid, stopNow);
  if (owned.size === 1) install();
}

/** Forgets a server that was stopped or handed over. */
export function release(pid: number): void {
  owned.delete(pid);
  if (owned.size === 0) uninstall();
}

function stopAll(): void {
  for (const stopNow of owned.values()) {
    try {
      stopNow();
    } catch {
      // best effort: the process is on its way out
    }
  }
  owned.clear();
}

function install(): void {
  process.on("exit", stopAll);
  for (const sig of signals) {
    const handler = () => {
      if (process.listenerCount(sig) > 1) return;
      stopAll();
      uninstall();
      process.kill(process.pid, sig);
    };
    signalHandlers.set(sig, handler);
    process.on(sig, handler);
  }
}

function uninstall(): void {
  process.off("exit", stopAll);
  for (const [sig, handler] of signalHandlers) process.off(sig, handler);
  signalHandlers.clear();
}
