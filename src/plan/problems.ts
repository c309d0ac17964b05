/**
 * The problem sink every planner reports into: errors (`MicrosegProblem`, thrown together as one
 * `MicrosegError`) and warnings (dropped when the model acknowledges their id). Replaces
 * `problems` arrays passed as out-parameters.
 */
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { IrPolicy } from '../ir/types';

/** Collects the problems and warnings of one planning run. */
export class ProblemSink {
  /** Warnings not acknowledged by the model, in the order they were reported. */
  public readonly warnings: MicrosegWarning[] = [];
  private readonly problems: MicrosegProblem[] = [];
  private readonly acknowledged: Set<string>;

  constructor(policy: Pick<IrPolicy, 'acknowledged'>) {
    this.acknowledged = new Set(policy.acknowledged.map(a => a.id));
  }

  /** Records an error (thrown by {@link throwIfAny}). */
  public error(problem: MicrosegProblem): void {
    this.problems.push(problem);
  }

  /** Records a warning unless the model acknowledges its id. */
  public warn(id: string, path: string, message: string): void {
    if (!this.acknowledged.has(id)) this.warnings.push({ id, path, message });
  }

  /** Records warnings (each unless acknowledged). */
  public warnAll(warnings: MicrosegWarning[]): void {
    for (const w of warnings) this.warn(w.id, w.path, w.message);
  }

  /** Whether an error was recorded. */
  public get failed(): boolean {
    return this.problems.length > 0;
  }

  /** Throws every recorded error as one `MicrosegError` (and forgets them), if any. */
  public throwIfAny(): void {
    const list = this.problems.splice(0);
    throwProblems(list);
  }
}

/** Throws the problems, if any, as one error. */
export function throwProblems(problems: MicrosegProblem[]): void {
  if (problems.length > 0) throw MicrosegError.fromProblems(problems);
}
