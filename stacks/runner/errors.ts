// The one error a runner's args fail with: which arg, and what is wrong with it.

/** An arg that cannot be used: `key` names it (`shards`, `secretEnv.AWS_KEY.secret`). */
export class RunnerArgsError extends Error {
  override readonly name = 'RunnerArgsError';
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}
