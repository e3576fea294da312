// CloudWatch source at the SDK boundary: CloudWatch cannot run here, so aws-sdk-client-mock stands
// in for GetMetricData and these tests check what is sent (queries, period, windows, paging) and
// how each answer and failure becomes series or errors. The query parser is tested by table.

import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  InvalidParameterValueException,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DependencyError, exitCodeFor, UsageError } from '../../src/core/errors.js';
import {
  CloudWatchSource,
  MAX_DATAPOINTS,
  periodSeconds,
  timeWindows,
} from '../../src/metrics/cloudwatch.js';
import { parseCloudWatchQuery } from '../../src/metrics/cloudwatch-query.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 2, 1);
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const ELB = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/web/123}:Sum';

describe('parseCloudWatchQuery accepts', () => {
  const metric = (over: object) => ({ kind: 'metric', id: 'q1', returnData: true, ...over });
  it.each([
    {
      query: ELB,
      parts: [
        metric({
          name: ELB,
          namespace: 'AWS/ApplicationELB',
          metric: 'RequestCount',
          dimensions: [{ name: 'LoadBalancer', value: 'app/web/123' }],
          stat: 'Sum',
        }),
      ],
    },
    {
      query: 'AWS/EC2:CPUUtilization:average',
      parts: [
        metric({
          name: 'AWS/EC2:CPUUtilization:Average',
          namespace: 'AWS/EC2',
          metric: 'CPUUtilization',
          dimensions: [],
          stat: 'Average',
        }),
      ],
    },
    {
      query:
        ' AWS/ApplicationELB : TargetResponseTime { LoadBalancer = app/web/1 , TargetGroup = targetgroup/api/2 } : P99.9 ',
      parts: [
        metric({
          name: 'AWS/ApplicationELB:TargetResponseTime{LoadBalancer=app/web/1,TargetGroup=targetgroup/api/2}:p99.9',
          namespace: 'AWS/ApplicationELB',
          metric: 'TargetResponseTime',
          dimensions: [
            { name: 'LoadBalancer', value: 'app/web/1' },
            { name: 'TargetGroup', value: 'targetgroup/api/2' },
          ],
          stat: 'p99.9',
        }),
      ],
    },
    {
      query: '"Shop:Checkout":"Latency ms"{Route="/a,b","x\\"y"=1}:tm(10%:90%)',
      parts: [
        metric({
          name: '"Shop:Checkout":Latency ms{Route="/a,b","x\\"y"=1}:TM(10%:90%)',
          namespace: 'Shop:Checkout',
          metric: 'Latency ms',
          dimensions: [
            { name: 'Route', value: '/a,b' },
            { name: 'x"y', value: '1' },
          ],
          stat: 'TM(10%:90%)',
        }),
      ],
    },
    {
      query: 'AWS/Lambda:Invocations{FunctionName=f,Resource=f:live}:pr(:300)',
      parts: [
        metric({
          name: 'AWS/Lambda:Invocations{FunctionName=f,Resource=f:live}:PR(:300)',
          namespace: 'AWS/Lambda',
          metric: 'Invocations',
          dimensions: [
            { name: 'FunctionName', value: 'f' },
            { name: 'Resource', value: 'f:live' },
          ],
          stat: 'PR(:300)',
        }),
      ],
    },
    {
      query: 'SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) GROUP BY LoadBalancer',
      parts: [
        {
          kind: 'expression',
          id: 'q1',
          name: 'SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) GROUP BY LoadBalancer',
          expression:
            'SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) GROUP BY LoadBalancer',
          insights: true,
          returnData: true,
        },
      ],
    },
    {
      query: `expr: SEARCH('{AWS/EC2,InstanceId} MetricName="CPU;Utilization"', 'Average')`,
      parts: [
        {
          kind: 'expression',
          id: 'q1',
          name: `SEARCH('{AWS/EC2,InstanceId} MetricName="CPU;Utilization"', 'Average')`,
          expression: `SEARCH('{AWS/EC2,InstanceId} MetricName="CPU;Utilization"', 'Average')`,
          insights: false,
          returnData: true,
        },
      ],
    },
  ])('$query', ({ query, parts }) => {
    expect(parseCloudWatchQuery(query)).toEqual(parts);
  });

  it('ids name parts; the parts an expression uses are fetched, not returned', () => {
    const parts = parseCloudWatchQuery(
      'all=AWS/ELB:RequestCount{LoadBalancer=a}:Sum; bad = AWS/ELB:HTTPCode_Backend_5XX{LoadBalancer=a}:Sum; ' +
        'rate=expr:100*bad/all; AWS/ELB:Latency{LoadBalancer=a}:p99',
    );
    expect(parts.map((p) => [p.id, p.name, p.returnData])).toEqual([
      ['all', 'all', false],
      ['bad', 'bad', false],
      ['rate', 'rate', true],
      ['q4', 'AWS/ELB:Latency{LoadBalancer=a}:p99', true],
    ]);
  });

  it('a generated id steps around an explicit one; a word inside quotes is no reference', () => {
    const parts = parseCloudWatchQuery(`q2=A/B:C:Sum; A/B:D:Sum; e=expr:SEARCH('q2', 'Sum')`);
    expect(parts.map((p) => [p.id, p.returnData])).toEqual([
      ['q2', true],
      ['q2_', true],
      ['e', true],
    ]);
  });
});

describe('parseCloudWatchQuery refuses', () => {
  const stats =
    'SampleCount, Average, Sum, Minimum, Maximum, IQM, pNN, tmNN, wmNN, tcNN, tsNN (NN a percentile such as 99 or 99.9) or TM(a:b), WM(a:b), TC(a:b), TS(a:b), PR(a:b)';
  it.each([
    ['', 'CloudWatch query "": the query is empty'],
    [
      'AWS/EC2',
      'CloudWatch query "AWS/EC2" at column 8: expected Namespace:Metric{Dimension=Value,...}:Statistic, or expr: or SELECT for an expression',
    ],
    [
      'AWS/EC2:CPUUtilization',
      'CloudWatch query "AWS/EC2:CPUUtilization" at column 23: missing \':\' and a statistic after the metric (such as :Average or :p99)',
    ],
    [
      'AWS/EC2:CPUUtilization:',
      'CloudWatch query "AWS/EC2:CPUUtilization:" at column 24: missing the statistic after ":" (such as Average or p99)',
    ],
    [
      'AWS/EC2:CPUUtilization:Avg',
      `CloudWatch query "AWS/EC2:CPUUtilization:Avg" at column 24: unknown statistic "Avg" (did you mean Average?); use ${stats}`,
    ],
    [
      'AWS/EC2:CPUUtilization:p101',
      'CloudWatch query "AWS/EC2:CPUUtilization:p101" at column 24: statistic "p101": the percentile 101 must be above 0 and at most 100',
    ],
    [
      'AWS/EC2:CPUUtilization:TM(:)',
      'CloudWatch query "AWS/EC2:CPUUtilization:TM(:)" at column 24: statistic "TM(:)" needs at least one bound, as in TM(10%:90%)',
    ],
    [
      'AWS/EC2:CPUUtilization:PR(10%:)',
      'CloudWatch query "AWS/EC2:CPUUtilization:PR(10%:)" at column 24: statistic "PR(10%:)": bound "10%" must be a number',
    ],
    [
      'AWS/EC2:{InstanceId=i-1}:Sum',
      'CloudWatch query "AWS/EC2:{InstanceId=i-1}:Sum" at column 9: expected a metric name, found "{"',
    ],
    [
      'AWS/EC2:CPUUtilization{InstanceId}:Average',
      'CloudWatch query "AWS/EC2:CPUUtilization{InstanceId}:Average" at column 34: dimension "InstanceId" needs a value (write InstanceId=value)',
    ],
    [
      'AWS/EC2:CPUUtilization{}:Average',
      'CloudWatch query "AWS/EC2:CPUUtilization{}:Average" at column 23: empty {}: leave the braces out for a metric without dimensions',
    ],
    [
      'AWS/EC2:CPUUtilization{InstanceId=i-1:Average',
      `CloudWatch query "AWS/EC2:CPUUtilization{InstanceId=i-1:Average" at column 46: the dimensions opened at column 23 are never closed with '}'`,
    ],
    [
      'AWS/EC2:CPUUtilization{A=1,A=2}:Sum',
      'CloudWatch query "AWS/EC2:CPUUtilization{A=1,A=2}:Sum" at column 28: dimension "A" is given twice',
    ],
    [
      'AWS/EC2:CPUUtilization{A=1,}:Sum',
      'CloudWatch query "AWS/EC2:CPUUtilization{A=1,}:Sum" at column 28: expected a dimension name, found "}"',
    ],
    [
      'AWS/EC2:CPUUtilization{A=}:Sum',
      'CloudWatch query "AWS/EC2:CPUUtilization{A=}:Sum" at column 26: expected a value for dimension "A", found "}"',
    ],
    [
      '"AWS/EC2:CPUUtilization:Sum',
      'CloudWatch query "\\"AWS/EC2:CPUUtilization:Sum" at column 1: the quote " is never closed',
    ],
    [
      '"a\\n":M:Sum',
      'CloudWatch query "\\"a\\\\n\\":M:Sum" at column 3: unknown escape \\n (only \\" and \\\\)',
    ],
    [
      "expr:SEARCH('{AWS/EC2} x, 'Sum')",
      `CloudWatch query "expr:SEARCH('{AWS/EC2} x, 'Sum')" at column 31: the quote ' is never closed`,
    ],
    [
      'M1=AWS/EC2:CPUUtilization:Sum',
      'CloudWatch query "M1=AWS/EC2:CPUUtilization:Sum" at column 1: "M1" is not a valid id (a lowercase letter, then letters, digits or _)',
    ],
    [
      'a=A/B:C:Sum; a=A/B:D:Sum',
      'CloudWatch query "a=A/B:C:Sum; a=A/B:D:Sum" at column 14: id "a" names two parts',
    ],
    ['A/B:C:Sum;', 'CloudWatch query "A/B:C:Sum;" at column 10: part 2 is empty (a stray \';\'?)'],
    ['e=expr:  ', 'CloudWatch query "e=expr:  " at column 3: expr: needs an expression after it'],
    [
      'SELECT AVG(a) FROM b; SELECT AVG(c) FROM d',
      'CloudWatch query "SELECT AVG(a) FROM b; SELECT AVG(c) FROM d" at column 23: GetMetricData takes one Metrics Insights (SELECT) query per call',
    ],
    [
      'a=expr:b*2; b=expr:a+1',
      'CloudWatch query "a=expr:b*2; b=expr:a+1": every part is used by an expression, so nothing would be returned',
    ],
  ])('%j', (query, message) => {
    expect(() => parseCloudWatchQuery(query)).toThrow(new UsageError(message));
  });

  it('more than 500 parts', () => {
    const query = Array.from({ length: 501 }, (_, i) => `A/B:M${i}:Sum`).join(';');
    expect(() => parseCloudWatchQuery(query)).toThrow('501 parts; GetMetricData takes at most 500');
  });
});

describe('periods and windows', () => {
  it.each([
    [60_000, 60],
    [300_000, 300],
    [3_600_000, 3600],
    [1_000, 1],
    [30_000, 30],
  ])('step %i ms is a period of %i s', (step, period) => {
    expect(periodSeconds(step)).toBe(period);
  });

  it.each([90_000, 45_000, 60_500, 0, -60_000])('step %i ms is refused', (step) => {
    expect(() => periodSeconds(step)).toThrow(
      new UsageError(
        `CloudWatch period ${step / 1000}s (step ${step} ms) must be a multiple of 60 seconds (or 1, 5, 10, 20, 30 s for high-resolution metrics)`,
      ),
    );
  });

  it.each([
    { name: 'fits in one', queries: 1, minutes: 1000, windows: [[0, 1000]] },
    { name: 'exactly the limit', queries: 1, minutes: MAX_DATAPOINTS, windows: [[0, MAX_DATAPOINTS]] },
    {
      name: 'one period more',
      queries: 1,
      minutes: MAX_DATAPOINTS + 1,
      windows: [
        [0, MAX_DATAPOINTS],
        [MAX_DATAPOINTS, MAX_DATAPOINTS + 1],
      ],
    },
    {
      name: 'three queries share the limit',
      queries: 3,
      minutes: 80_000,
      windows: [
        [0, 33_600],
        [33_600, 67_200],
        [67_200, 80_000],
      ],
    },
  ])('$name', ({ queries, minutes, windows }) => {
    const got = timeWindows(T0, T0 + minutes * MIN, MIN, queries);
    expect(got).toEqual(windows.map(([a, b]) => [T0 + a! * MIN, T0 + b! * MIN]));
    for (const [a, b] of got) expect(((b - a) / MIN) * queries).toBeLessThanOrEqual(MAX_DATAPOINTS);
  });
});

describe('CloudWatchSource', () => {
  const cw = mockClient(CloudWatchClient);
  let messages: string[];
  let source: CloudWatchSource;
  beforeEach(() => {
    cw.reset();
    messages = [];
    source = new CloudWatchSource({
      region: 'eu-west-1',
      client: new CloudWatchClient({ region: 'eu-west-1' }),
      onMessage: (m) => messages.push(m),
    });
  });
  afterEach(() => cw.reset());

  const page = (
    results: { id: string; label?: string; minutes: number[]; values: number[]; status?: string }[],
    next?: string,
  ) =>
    ({
      MetricDataResults: results.map((r) => ({
        Id: r.id,
        Label: r.label ?? r.id,
        Timestamps: r.minutes.map(at),
        Values: r.values,
        StatusCode: r.status ?? (next ? 'PartialData' : 'Complete'),
      })),
      NextToken: next,
      $metadata: {},
    }) as GetMetricDataCommandOutput;
  const inputs = () => cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);

  it('follows three pages, merges each query across them and sorts by time; sends the exact input', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce(page([{ id: 'q1', minutes: [0, 5], values: [1, 2] }], 'page-2'))
      .resolvesOnce(page([{ id: 'q1', minutes: [15, 10], values: [4, 3] }], 'page-3'))
      .resolvesOnce(page([{ id: 'q1', minutes: [20], values: [5] }]));
    const set = await source.range(ELB, T0, T0 + 25 * MIN, 5 * MIN);
    expect(set.repairs).toEqual([]);
    expect(set.series).toEqual([
      {
        name: ELB,
        labels: { LoadBalancer: 'app/web/123' },
        timestamps: [0, 5, 10, 15, 20].map((m) => T0 + m * MIN),
        values: Float64Array.from([1, 2, 3, 4, 5]),
        stepMs: 5 * MIN,
      },
    ]);
    const query = {
      Id: 'q1',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCount',
          Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/123' }],
        },
        Period: 300,
        Stat: 'Sum',
      },
      ReturnData: true,
    };
    const sent = {
      MetricDataQueries: [query],
      StartTime: at(0),
      EndTime: at(25),
      ScanBy: 'TimestampAscending',
    };
    expect(inputs()).toEqual([
      { ...sent, NextToken: undefined },
      { ...sent, NextToken: 'page-2' },
      { ...sent, NextToken: 'page-3' },
    ]);
    expect(messages).toEqual([]);
  });

  it('cuts a long range into windows under the datapoint limit and joins them', async () => {
    const days = 80; // 115,200 one-minute periods: two windows for one query
    cw.on(GetMetricDataCommand)
      .resolvesOnce(page([{ id: 'q1', minutes: [0, 1], values: [1, 2] }]))
      .resolvesOnce(page([{ id: 'q1', minutes: [MAX_DATAPOINTS, MAX_DATAPOINTS + 1], values: [3, 4] }]));
    const set = await source.range(
      'AWS/EC2:CPUUtilization{InstanceId=i-1}:Maximum',
      T0,
      T0 + days * 1440 * MIN,
      MIN,
    );
    expect(inputs().map((i) => [i.StartTime, i.EndTime])).toEqual([
      [at(0), at(MAX_DATAPOINTS)],
      [at(MAX_DATAPOINTS), at(days * 1440)],
    ]);
    expect(inputs().every((i) => i.MetricDataQueries![0]!.MetricStat!.Period === 60)).toBe(true);
    expect(set.series[0]!.timestamps).toEqual(
      [0, 1, MAX_DATAPOINTS, MAX_DATAPOINTS + 1].map((m) => T0 + m * MIN),
    );
    expect([...set.series[0]!.values]).toEqual([1, 2, 3, 4]);
  });

  it('keeps a timestamp two windows both return once, and reports it', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce(page([{ id: 'q1', minutes: [0, MAX_DATAPOINTS], values: [1, 2] }]))
      .resolvesOnce(page([{ id: 'q1', minutes: [MAX_DATAPOINTS, MAX_DATAPOINTS + 1], values: [2, 3] }]));
    const set = await source.range('A/B:C:Sum', T0, T0 + (MAX_DATAPOINTS + 2) * MIN, MIN);
    expect([...set.series[0]!.values]).toEqual([1, 2, 3]);
    expect(set.repairs).toEqual([
      { series: 'A/B:C:Sum', kind: 'duplicate-dropped', at: T0 + MAX_DATAPOINTS * MIN, count: 1 },
    ]);
  });

  it('sends expressions with the metrics they use hidden, and names the result by its id', async () => {
    cw.on(GetMetricDataCommand).resolves(page([{ id: 'rate', minutes: [0, 5], values: [0.5, 0.25] }]));
    const set = await source.range(
      'all=AWS/ELB:RequestCount{LoadBalancer=a}:Sum; bad=AWS/ELB:HTTPCode_ELB_5XX{LoadBalancer=a}:Sum; rate=expr:100*bad/all',
      T0,
      T0 + 10 * MIN,
      5 * MIN,
    );
    expect(inputs()[0]!.MetricDataQueries).toEqual([
      expect.objectContaining({ Id: 'all', ReturnData: false }),
      expect.objectContaining({ Id: 'bad', ReturnData: false }),
      { Id: 'rate', Expression: '100*bad/all', Period: 300, ReturnData: true },
    ]);
    expect(set.series.map((s) => [s.name, s.labels, [...s.values]])).toEqual([
      ['rate', undefined, [0.5, 0.25]],
    ]);
  });

  it('a Metrics Insights query returning several series: one per label, merged across pages', async () => {
    const q =
      'SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) GROUP BY LoadBalancer';
    cw.on(GetMetricDataCommand)
      .resolvesOnce(
        page(
          [
            { id: 'q1', label: 'app/web/1', minutes: [0], values: [10] },
            { id: 'q1', label: 'app/api/2', minutes: [0], values: [20] },
          ],
          'next',
        ),
      )
      .resolvesOnce(
        page([
          { id: 'q1', label: 'app/web/1', minutes: [1], values: [11] },
          { id: 'q1', label: 'app/api/2', minutes: [1], values: [21] },
        ]),
      );
    const set = await source.range(q, T0, T0 + 2 * MIN, MIN);
    expect(inputs()[0]!.MetricDataQueries).toEqual([
      { Id: 'q1', Expression: q, Period: 60, ReturnData: true },
    ]);
    expect(set.series.map((s) => [s.name, [...s.values]])).toEqual([
      ['app/web/1', [10, 11]],
      ['app/api/2', [20, 21]],
    ]);
  });

  it('a metric without data in the range is no series, as Prometheus answers a query that matches nothing', async () => {
    cw.on(GetMetricDataCommand).resolves(page([{ id: 'q1', minutes: [], values: [] }]));
    const set = await source.range('A/B:C:Sum', T0, T0 + 10 * MIN, MIN);
    expect(set).toEqual({ series: [], repairs: [] });
  });

  it('of several labels, only those with data are series', async () => {
    cw.on(GetMetricDataCommand).resolves(
      page([
        { id: 'e', label: 'i-1', minutes: [0, 1], values: [1, 2] },
        { id: 'e', label: 'i-2', minutes: [], values: [] },
        { id: 'e', label: 'i-3', minutes: [0], values: [3] },
      ]),
    );
    const set = await source.range("e=expr:SEARCH('{AWS/EC2,InstanceId} CPU', 'Sum')", T0, T0 + 2 * MIN, MIN);
    expect(set.series.map((s) => [s.name, [...s.values]])).toEqual([
      ['i-1', [1, 2]],
      ['i-3', [3]],
    ]);
  });

  it('uses a 5-minute period without a step, and takes a client it builds itself', async () => {
    cw.on(GetMetricDataCommand).resolves(page([{ id: 'q1', minutes: [0], values: [1] }]));
    const own = new CloudWatchSource({ region: 'us-east-2' });
    await own.range('A/B:C:Sum', T0, T0 + 10 * MIN);
    expect(inputs()[0]!.MetricDataQueries![0]!.MetricStat!.Period).toBe(300);
  });

  it('passes on the messages CloudWatch attaches, and partial data it cannot page past', async () => {
    cw.on(GetMetricDataCommand).resolves({
      ...page([{ id: 'e', minutes: [0], values: [1], status: 'PartialData' }]),
      Messages: [{ Code: 'MaxMetricsExceeded', Value: 'Maximum number of allowed metrics exceeded' }],
    });
    await source.range("e=expr:SEARCH('{AWS/EC2} CPU', 'Sum')", T0, T0 + MIN, MIN);
    expect(messages).toEqual([
      'CloudWatch: MaxMetricsExceeded: Maximum number of allowed metrics exceeded',
      'CloudWatch: "e": partial data (no further page to read)',
    ]);
  });

  it.each([
    {
      status: 'Forbidden',
      message:
        'CloudWatch in eu-west-1 refused access to "A/B:C:Sum" (Forbidden: Authentication too complex to retrieve cross region data)',
    },
    {
      status: 'InternalError',
      message: 'CloudWatch in eu-west-1 had an internal error reading "A/B:C:Sum" (InternalError: try again)',
    },
  ])('a result with status $status is a DependencyError', async ({ status, message }) => {
    const value =
      status === 'Forbidden' ? 'Authentication too complex to retrieve cross region data' : 'try again';
    const out = page([{ id: 'q1', minutes: [], values: [] }]);
    out.MetricDataResults![0]!.StatusCode = status as 'Forbidden';
    out.MetricDataResults![0]!.Messages = [{ Code: status, Value: value }];
    cw.on(GetMetricDataCommand).resolves(out);
    const err = await source.range('A/B:C:Sum', T0, T0 + MIN, MIN).catch((e: unknown) => e);
    expect(err).toEqual(new DependencyError(message));
    expect(exitCodeFor(err)).toBe(3);
  });

  it.each([
    {
      name: 'an AWS validation error is the query’s fault, with AWS’s message',
      error: new InvalidParameterValueException({
        message: 'The value 7 for parameter Period is not a valid period.',
        $metadata: {},
      }),
      expected: new UsageError(
        'CloudWatch refused the query "A/B:C:Sum": The value 7 for parameter Period is not a valid period.',
      ),
      code: 2,
    },
    {
      name: 'the generic ValidationError too',
      error: Object.assign(new Error('1 validation error detected: Value at id failed'), {
        name: 'ValidationError',
      }),
      expected: new UsageError(
        'CloudWatch refused the query "A/B:C:Sum": 1 validation error detected: Value at id failed',
      ),
      code: 2,
    },
    {
      name: 'no credentials anywhere in the chain',
      error: Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      expected: new DependencyError(
        'CloudWatch in eu-west-1 has no credentials (tried the default chain: environment, shared config and SSO, IMDS/IRSA): Could not load credentials from any providers',
      ),
      code: 3,
    },
    {
      name: 'credentials refused',
      error: Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
      }),
      expected: new DependencyError(
        'CloudWatch in eu-west-1 refused the credentials (ExpiredTokenException): The security token included in the request is expired',
      ),
      code: 3,
    },
    {
      name: 'throttled after the SDK’s retries',
      error: Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { attempts: 3 } }),
      expected: new DependencyError(
        'CloudWatch in eu-west-1 throttled the requests after 3 attempts: Rate exceeded',
      ),
      code: 3,
    },
    {
      name: 'the network',
      error: Object.assign(new Error('getaddrinfo ENOTFOUND monitoring.eu-west-1.amazonaws.com'), {
        code: 'ENOTFOUND',
        $metadata: { attempts: 3 },
      }),
      expected: new DependencyError(
        'CloudWatch in eu-west-1 is unreachable after 3 attempts: getaddrinfo ENOTFOUND monitoring.eu-west-1.amazonaws.com',
      ),
      code: 3,
    },
    {
      name: 'anything else AWS says',
      error: Object.assign(new Error('We encountered an internal error'), { name: 'InternalServiceFault' }),
      expected: new DependencyError(
        'CloudWatch in eu-west-1 failed (InternalServiceFault): We encountered an internal error',
      ),
      code: 3,
    },
  ])('$name', async ({ error, expected, code }) => {
    cw.on(GetMetricDataCommand).rejects(error);
    const err = await source.range('A/B:C:Sum', T0, T0 + MIN, MIN).catch((e: unknown) => e);
    expect(err).toEqual(expected);
    expect((err as Error).constructor).toBe(expected.constructor);
    expect(exitCodeFor(err)).toBe(code);
    if (err instanceof DependencyError) expect(err.cause).toBe(error);
  });

  it.each([
    {
      name: 'timestamps and values of different lengths',
      answer: { MetricDataResults: [{ Id: 'q1', Timestamps: [at(0)], Values: [], StatusCode: 'Complete' }] },
      message: 'CloudWatch in eu-west-1 returned 1 timestamps but 0 values for "A/B:C:Sum"',
    },
    {
      name: 'a result nobody asked for',
      answer: { MetricDataResults: [{ Id: 'zz', Timestamps: [], Values: [], StatusCode: 'Complete' }] },
      message: 'CloudWatch in eu-west-1 returned a result for query id "zz", which was not asked for',
    },
    {
      name: 'the same NextToken twice',
      answer: { MetricDataResults: [], NextToken: 'again' },
      message: 'CloudWatch in eu-west-1 returned the same NextToken twice (the pages would never end)',
    },
  ])('a malformed answer: $name', async ({ answer, message }) => {
    cw.on(GetMetricDataCommand).resolves({ ...answer, $metadata: {} } as GetMetricDataCommandOutput);
    await expect(source.range('A/B:C:Sum', T0, T0 + MIN, MIN)).rejects.toThrow(new DependencyError(message));
  });

  it('refuses a bad query, period or range before calling AWS', async () => {
    await expect(source.range('A/B:C', T0, T0 + MIN, MIN)).rejects.toThrow(UsageError);
    await expect(source.range('A/B:C:Sum', T0, T0 + MIN, 90_000)).rejects.toThrow(UsageError);
    await expect(source.range('A/B:C:Sum', T0, T0, MIN)).rejects.toThrow(
      new UsageError(`CloudWatch query "A/B:C:Sum": the range must have start < end (got ${T0} and ${T0})`),
    );
    expect(inputs()).toEqual([]);
  });
});
