/**
 * Errors of the traffic engine: the shared `MicrosegError` with the traffic codes
 * (`FlowLogUnreadable`, `InventoryUnreadable`, `InvalidOption`, `MissingDependency`, `EngineFailed`). Any of them makes
 * `discover` and `simulate` exit 2: a partial read of the logs is never a clean result.
 */
import { ErrorCode, MicrosegError } from '../model/errors';

/** A coded traffic error; `where` is the file or option at fault. */
export class TrafficError extends MicrosegError {
  constructor(code: ErrorCode, where: string, message: string, hint?: string) {
    super({ code, path: where, message, hint });
  }
}
