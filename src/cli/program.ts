// shadowcast's commands, arguments and options, as commander definitions: built by `program()`
// without parsing anything, so main.ts runs it and bench/cli-reference.ts documents it
// (docs/cli-reference.md). Actions load their command's module only when it runs.

import { Command, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { MODEL_NAMES } from '../forecast/names.js';
import { DEFAULT_POLICY_DIR } from '../policy/paths.js';
import { DEFAULT_COUPLING } from '../risk/propagate-compile.js';
import { inputOptions, parseCount } from './input-flags.js';
import { parseCoupling } from './risk-flags.js';

function levelOption(): Option {
  return new Option('--level <p>', 'interval coverage, between 0 and 1').default(0.8).argParser(parseLevel);
}

function parseZones(text: string): string[] {
  const zones = text.split(',').map((z) => z.trim());
  if (zones.some((z) => z === '') || new Set(zones).size !== zones.length || zones.length < 2) {
    throw new UsageError(`--zones "${text}": expected two or more distinct names, comma-separated (a,b,c)`);
  }
  return zones;
}

function parseRate(text: string): number {
  const v = Number(text);
  if (!(v >= 0 && Number.isFinite(v)))
    throw new UsageError(`--failure-rate "${text}": expected a number >= 0`);
  return v;
}

function parseLevel(text: string): number {
  const v = Number(text);
  if (!(v > 0 && v < 1))
    throw new UsageError(`--level "${text}": expected a number between 0 and 1, e.g. 0.8`);
  return v;
}

/** An action whose module loads when the command runs: a command loads only what it uses. */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>) {
  return async (...args: A): Promise<void> => (await load())(...args);
}

export function program(): Command {
  const root = new Command('shadowcast')
    .description('Keeps infrastructure ahead of demand and of failures.')
    // One line for a usage error and a pointer to the help, not the whole help (51 lines).
    .showHelpAfterError('(run the command with --help for its usage)')
    .exitOverride();

  inputOptions(root.command('forecast').description("forecast a series' demand with an interval"))
    .requiredOption('--horizon <h>', 'steps (48) or a duration (48h, 2d)')
    .addOption(levelOption())
    .addOption(new Option('--model <name>', 'forecasting model').choices(MODEL_NAMES).default('auto'))
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'))
    .option('--out <dir>', 'also write forecast.json and forecast.svg here (atomically)')
    .option(
      '--signal <file...>',
      'leading signals (CSV, each series one signal): kept only when they improve the backtest',
      [] as string[],
    )
    .option('--max-lag <d>', 'longest lag tried for a --signal (a duration: 6h, 3d)', '1d')
    .action(lazy(async () => (await import('./forecast.js')).forecastCommand));

  inputOptions(root.command('backtest').description('score every model on a rolling-origin backtest'))
    .requiredOption('--horizon <h>', 'steps (48) or a duration (48h, 2d)')
    .option('--folds <k>', 'number of rolling origins', parseCount('--folds'), 3)
    .addOption(levelOption())
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'))
    .action(lazy(async () => (await import('./backtest.js')).backtestCommand));

  // ── risk: node failure risk and how failures spread over the service graph ──
  const risk = root
    .command('risk')
    .description('score node failure risk and spread it over the service graph');
  risk
    .command('propagate')
    .description('spread failure probabilities over the service graph by Monte Carlo')
    .requiredOption(
      '--graph <file>',
      'JSON {"nodes": [...], "edges": [...]} or CSV from,to,weight[,timestamp]',
    )
    .option('--nodes <file>', 'nodes CSV id,group,tier,criticality,capacity,load (with a CSV graph)')
    .requiredOption(
      '--initial <file>',
      "each node's own failure probability: CSV node,score or node,timestamp,score, or JSON",
    )
    .requiredOption('--trials <n>', 'Monte Carlo trials', parseCount('--trials'))
    .option('--seed <s>', 'random seed (same seed, same result)', parseCount('--seed'), 1)
    .option(
      '--coupling <c>',
      "how strongly a dependency's failure takes down its callers",
      parseCoupling,
      DEFAULT_COUPLING,
    )
    .option(
      '--half-life <dur>',
      'an observed call weighs half as much every DUR before --as-of (default: no decay)',
    )
    .option('--as-of <time>', 'time the call weights are valued at (default: the latest observation)')
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'))
    .action(lazy(async () => (await import('./risk-propagate.js')).riskPropagateCommand));
  risk
    .command('score')
    .description("score each row's failure probability, causally (row i uses rows up to i)")
    .requiredOption(
      '--input <file>',
      'CSV timestamp,value | timestamp,metric1,metric2,... | node,metric,timestamp,value',
    )
    .option('--model <file>', 'model from `risk train` (default: the built-in model)')
    .addOption(new Option('--format <f>', 'output format').choices(['csv', 'json']).default('csv'))
    .addOption(
      new Option('--criticality <c>', 'workload criticality for the standby decision (json)').default(
        'normal',
      ),
    )
    .option('--tz <zone>', 'zone of timestamps without an offset', 'UTC')
    .action(lazy(async () => (await import('./risk-score.js')).riskScoreCommand));
  risk
    .command('train')
    .description('fit and calibrate a risk model from labelled history')
    .requiredOption('--input <file>', 'node metrics, as for `risk score`')
    .requiredOption(
      '--labels <file>',
      'CSV [node,]timestamp (one row per failure) or [node,]timestamp,label (0/1 per row)',
    )
    .requiredOption('--out <file>', 'where to write the model (JSON)')
    .option('--horizon <dur>', 'a score is the probability of failing within this long', '1h')
    .option('--limit <x>', "the value at which a metric's resource runs out, in the input's units", '1')
    .option('--seed <s>', 'seed of the fit/calibration split', parseCount('--seed'), 1)
    .option('--tz <zone>', 'zone of timestamps without an offset', 'UTC')
    .action(lazy(async () => (await import('./risk-train.js')).riskTrainCommand));
  // ── end risk ──

  root
    .command('simulate')
    .description(
      'replay demand through forecast, plan and a simulated fleet, beside reactive and static baselines',
    )
    .requiredOption(
      '--demand <file>',
      'demand CSV: timestamp,value | timestamp,a,b,... | series,timestamp,value',
    )
    .option('--series <name>', 'which series to use when the file holds several')
    .option('--tz <zone>', 'IANA time zone for timestamps without an offset', 'UTC')
    .option('--pool <name>', "whose policy to use (default: the policy directory's only pool)")
    .option('--policy <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .option('--events <file...>', 'event calendars the forecaster is told of (.ics, .yaml)', [] as string[])
    .option('--failures <file>', 'node crashes to replay: CSV timestamp[,instance]')
    .option('--failure-rate <r>', 'random crashes per instance-hour', parseRate, 0)
    .option(
      '--inject <spec...>',
      'faults: crash@+2d, slow-provisioning@+1d/6h:3, failed-step@+4d, metrics-outage@+5d/2h, zone-outage@+3d/2h:ZONE, missed-event:NAME (quote a NAME with spaces: "missed-event:Black Friday")',
      [] as string[],
    )
    .option(
      '--zones <names>',
      "zones the pool's instances spread over, comma-separated (e.g. a,b,c)",
      parseZones,
    )
    .option('--history <d>', 'leading part of the trace used only as forecast history', '14d')
    .addOption(
      new Option(
        '--resample <how>',
        'demand between samples: hold each sample for its interval, or interpolate',
      )
        .choices(['step', 'linear'])
        .default('step'),
    )
    .option('--refit <d>', 'refit the forecast when new samples arrive, at most this often', '1h')
    .option('--seed <s>', 'random seed of the fleet (same seed, same run)', parseCount('--seed'), 1)
    .option('--static-extra <k>', 'k of the static N+k baseline', parseCount('--static-extra'), 2)
    .option(
      '--workers <n>',
      'threads fitting forecasts ahead of the replay (0: on the main thread; default: one a core)',
      parseCount('--workers'),
    )
    .option(
      '--timeline <file>',
      "write every arm's ready capacity, instances and shortfall a minute, and shadowcast's weights and step (CSV)",
    )
    .option(
      '--report <file>',
      "write the replay as one HTML page: demand against each arm's ready capacity, shortfall, migrations and rollbacks",
    )
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'))
    .action(lazy(async () => (await import('./simulate.js')).simulateCommand));

  // ── deploy: plan, apply, roll back, and the journal's history (README, "Deployer and journal") ──
  const targetOption = () =>
    new Option('--target <t>', 'deploy target: the simulated fleet in --state, or Pulumi stacks')
      .choices(['sim', 'pulumi'])
      .default('sim');
  const stateOption = () => new Option('--state <dir>', 'state directory').default('.shadowcast');
  const lockWaitOption = () =>
    new Option(
      '--lock-wait <dur>',
      "wait this long for another process's migration of the pool (0: skip at once)",
    ).default('0');
  const pulumiOptions = (cmd: Command) =>
    cmd
      .option(
        '--stack-template <file>',
        '--target pulumi: a Pulumi.<stack>.yaml whose shadowcast:* and provider settings every pool stack gets',
      )
      .option('--stack-name <template>', "--target pulumi: each pool's stack, <pool> replaced", '<pool>')
      .option(
        '--health <file>',
        '--target pulumi: gate metrics, a CSV of series <pool>:<metric>, timestamp, value',
      );
  pulumiOptions(
    root
      .command('run')
      .description(
        "the main job for every pool: ingest, forecast, node risk, plan, apply; on each pool's policy schedule, or --once",
      )
      .option(
        '--once',
        'run every pool once and exit (default: run on each policy schedule until SIGTERM)',
        false,
      )
      .option('--immediately', 'scheduled mode: also run every pool once at start', false)
      .option(
        '--at <time>',
        "with --once: run as of this time (ISO-8601): a live source is read up to it, and the simulated fleet's clock moves on to it (a schedule replayed from a CSV)",
      )
      .option('--specs <dir>', 'directory of forecast specs', 'forecasts')
      .option('--state <dir>', 'state directory: journal, locks, plans, forecasts, reports', '.shadowcast')
      .option('--policies <dir>', 'policy directory (defaults.yaml, pools/<pool>.yaml)', 'policies')
      .option('--pools <names...>', 'only these pools')
      .option('--shard <i/n>', 'run only the pools of shard i of n (0 <= i < n), by a hash of the pool name')
      .addOption(
        new Option(
          '--target <name>',
          'deploy target: the simulated fleet in the state directory, or Pulumi stacks',
        )
          .choices(['sim', 'pulumi'])
          .default('sim'),
      )
      .option(
        '--metrics-port <n>',
        'serve /metrics here (scheduled default 9464; --once: only if given)',
        parseCount('--metrics-port'),
      )
      .option('--metrics-host <addr>', 'address /metrics listens on', '127.0.0.1')
      .option('--webhook <url>', 'POST every alert here as JSON (default: $SHADOWCAST_WEBHOOK_URL)')
      .addOption(
        new Option(
          '--log-level <level>',
          'JSON logs on stderr at this level (default info; warn with --once)',
        ).choices(['debug', 'info', 'warn', 'error', 'silent']),
      )
      .option(
        '--lock-wait <dur>',
        "wait this long for another process's migration of a pool (0: skip it)",
        '0',
      )
      .option('--concurrency <n>', 'pools run at the same time', parseCount('--concurrency'), 1)
      .option('--no-report', 'do not write the run report')
      .option(
        '--keep-reports <n>',
        'run reports kept in STATE/reports (oldest removed)',
        parseCount('--keep-reports'),
        200,
      )
      .option(
        '--checkpoint <hook>',
        'before each step: a shell command or http(s) URL, given the step as JSON',
      )
      .option('--restore <hook>', 'the same, after each step lands and before its health gate')
      .option('--hook-timeout <dur>', 'longest a hook may run', '60s'),
  ).action(lazy(async () => (await import('./run.js')).runCommand));

  root
    .command('plan')
    .description(
      "plan each pool's migration from its forecast, node risk and the target's state; changes nothing",
    )
    .option('--pool <name>', 'only this pool')
    .addOption(targetOption())
    .addOption(stateOption())
    .option('--policies <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .option('--specs <dir>', 'directory of forecast specs', 'forecasts')
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'));
  pulumiOptions(root.commands.at(-1)!).action(lazy(async () => (await import('./plan.js')).planCommand));
  root
    .command('apply')
    .description(
      "apply each pool's latest plan through the executor and its journal (asks first, unless --yes)",
    )
    .option('--pool <name>', 'only this pool')
    .addOption(targetOption())
    .option('--yes', 'apply without asking (needed when stdin is not a terminal)', false)
    .option(
      '--inject <spec...>',
      'faults, steps numbered from 1: step=N:update-failure, step=N:gate-failure, step=N:metrics-outage, step=N:slow-update[:FACTOR], step=N:kill[:after-intent|after-apply|mid-bake|mid-rollback]',
      [] as string[],
    )
    .addOption(stateOption())
    .option('--policies <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .addOption(lockWaitOption())
    .option('--retry', 'apply a plan again that a migration rolled back', false)
    .option(
      '--checkpoint <hook>',
      'command (step JSON on stdin) or http(s) URL (POSTed it) run before each step',
    )
    .option('--restore <hook>', 'the same, after each step lands and before its health gate')
    .option('--hook-timeout <dur>', 'longest a hook may run', '60s');
  pulumiOptions(root.commands.at(-1)!).action(lazy(async () => (await import('./apply.js')).applyCommand));
  root
    .command('rollback')
    .description('take a pool back to the last known-good state of its newest migration, from the journal')
    .argument('<pool>', 'pool name')
    .addOption(targetOption())
    .addOption(stateOption())
    .option('--policies <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .addOption(lockWaitOption());
  pulumiOptions(root.commands.at(-1)!).action(lazy(async () => (await import('./apply.js')).rollbackCommand));
  root
    .command('history')
    .description('migrations from the journal: outcome, steps, durations, reasons')
    .option('--pool <name>', 'only this pool')
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'table']).default('table'))
    .addOption(stateOption())
    .action(lazy(async () => (await import('./history.js')).historyCommand));
  // ── end deploy ──

  // ── policy: the reviewed YAML that says what shadowcast may do for each pool ──
  const policy = root.command('policy').description('check, explain and compare policy files');
  policy
    .command('validate')
    .description('check policy files; print every problem as file:line:col: message')
    .argument('[files...]', `policy YAML files (default: every one under --policies)`)
    .option('--policies <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .addOption(
      new Option(
        '--format <f>',
        'text: file:line:col: message on stderr; github: workflow annotations (::error file=F,line=L,col=C::message) on stdout',
      )
        .choices(['text', 'github'])
        .default('text'),
    )
    .action(lazy(async () => (await import('./policy.js')).policyValidateCommand));
  policy
    .command('explain')
    .description("a pool's effective policy and where each value came from")
    .argument('<pool>', 'pool name (policies/pools/<pool>.yaml)')
    .option('--policies <dir>', 'policy directory', DEFAULT_POLICY_DIR)
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'json']).default('table'))
    .action(lazy(async () => (await import('./policy.js')).policyExplainCommand));
  policy
    .command('diff')
    .description(
      'markdown for a pull request: what a policy change does, in numbers, on the current forecast',
    )
    .argument('<base>', 'policy directory, or git ref (reads its policies directory)')
    .argument('<head>', 'policy directory, or git ref')
    .option('--policies <dir>', 'where policies live inside a git ref', DEFAULT_POLICY_DIR)
    .option('--specs <dir>', 'forecast specs, for the sizes on the current forecast', 'forecasts')
    .option('--no-forecast', 'compare the fields and rules only, without forecasting')
    .action(lazy(async () => (await import('./policy-diff.js')).policyDiffCommand));
  policy
    .command('comment')
    .description(
      "markdown for the pull request's one comment: the head's policies validated, then policy diff of base and head",
    )
    .requiredOption('--base <dir>', 'the policies before: a policy directory, or git ref')
    .requiredOption('--head <dir>', 'the policies after: a policy directory, or git ref')
    .option('--base-label <text>', 'what the comment calls the base (default: --base)')
    .option('--head-label <text>', 'what the comment calls the head (default: --head)')
    .option('--policies <dir>', 'where policies live inside a git ref', DEFAULT_POLICY_DIR)
    .option('--specs <dir>', 'forecast specs, for the sizes on the current forecast', 'forecasts')
    .option('--no-forecast', 'compare the fields and rules only, without forecasting')
    .action(lazy(async () => (await import('./policy-comment.js')).policyCommentCommand));
  // ── end policy ──

  return root;
}
