// The error a command throws when its run failed (a rollback, a failed pool): the CLI prints its
// message and exits with its code.

export class RunFailed extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}
