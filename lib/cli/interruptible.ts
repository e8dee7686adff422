import { EXIT } from "../model/errors.ts";
import { type Io, reportError } from "./output.ts";

export interface InterruptibleSteps {
  /** Said on the first Ctrl-C, while the work winds down. */
  stopping: string;
  /**
   * Said when the work ended because of Ctrl-C (exit code 130), e.g. how to finish or undo.
   * Without it an interrupted run is reported like any other error.
   */
  interrupted?: string;
  /** A command's own handling of an error: an exit code, or undefined to report it as usual. */
  onError?(e: unknown): number | undefined;
}

/**
 * Runs a command's long work under Ctrl-C: the first press aborts `signal` and says `stopping`,
 * a second quits at once. Errors become their exit code here, so the interrupt scope is always
 * released before the command returns. The runtime is loaded here, not at the top, to keep
 * `labs --help` fast (see command.ts).
 */
export async function interruptible(
  io: Io,
  steps: InterruptibleSteps,
  work: (signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const { interruptScope } = await import("../runtime/interrupt.ts");
  const { isInterrupted } = await import("../runtime/process.ts");
  const scope = interruptScope(() => io.err(steps.stopping));
  try {
    return await work(scope.signal);
  } catch (e) {
    const own = steps.onError?.(e);
    if (own !== undefined) return own;
    if (steps.interrupted !== undefined && (isInterrupted(e) || scope.signal.aborted)) {
      io.err(steps.interrupted);
      return EXIT.interrupted;
    }
    return reportError(e, io);
  } finally {
    scope.dispose();
  }
}
