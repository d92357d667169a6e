/**
 * The answer of {@link ConsumerPositions.holdReaders}: either no process reads any of the
 * consumers named, and (where the log can) none may start until `release`; or one does, and
 * `busy` says which in words for operators, e.g. `a Leadline worker is running against this
 * database (it reads projection:tenants)`.
 */
export type ReaderHold =
  | {
      held: true;
      /** Lets readers start again. Safe to call more than once. */
      release(): Promise<void>;
    }
  | { held: false; busy: string };
