// The layer rule of eslint.config.js: an import from one directory of src/ into another it may
// not use fails `npm run lint`, with a message naming what it may use. Linted here with the very
// config objects `npm run lint` uses, on a file placed in each layer.

import { readFileSync } from 'node:fs';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the lint config is plain JavaScript, without type declarations.
import { LAYERS, layerRules } from '../../eslint.config.js';

const layers = LAYERS as Record<string, string[]>;

function lint(file: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  return linter
    .verify(code, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layerRules], file)
    .map((m) => m.message);
}

describe('the import layers', () => {
  it.each([
    ['src/core/plan.ts', "import { planOnce } from '../pipeline/plan-once.js';"],
    ['src/core/seams.ts', "import type { Policy } from '../policy/types.js';"],
    ['src/forecast/auto.ts', "import { sameState } from '../deploy/transitions.js';"],
    ['src/plan/plan.ts', "import { Executor } from '../deploy/executor.js';"],
    ['src/deploy/executor.ts', "import { runPool } from '../pipeline/pool-run.js';"],
    ['src/deploy/sim/fleet.ts', "export { planOnce } from '../../pipeline/plan-once.js';"],
    ['src/pipeline/run.ts', "import { runReport } from '../report/run-report.js';"],
    ['src/report/format.ts', "import { program } from '../cli/program.js';"],
    ['src/risk/score.ts', "import type { Policy } from '../policy/types.js';"],
  ])('%s may not: %s', (file, code) => {
    const layer = file.split('/')[1]!;
    const allowed = layers[layer]!.map((d) => `src/${d}`).join(', ') || 'itself';
    expect(lint(file, code)).toEqual([
      `'${code.match(/'([^']+)'/)![1]}' import is restricted from being used by a pattern. src/${layer} may import only ${allowed} (the layers in eslint.config.js)`,
    ]);
  });

  it.each([
    ['src/core/plan.ts', "import { WEIGHT_EPSILON } from './seams.js';"],
    ['src/plan/plan.ts', "import type { Policy } from '../policy/types.js';"],
    ['src/deploy/executor.ts', "import { sameState } from '../core/pool-state.js';"],
    ['src/pipeline/pool-run.ts', "import { Executor } from '../deploy/executor.js';"],
    ['src/report/run-report.ts', "import { runPool } from '../pipeline/pool-run.js';"],
    ['src/cli/run.ts', "import { runReport } from '../report/run-report.js';"],
    ['test/plan/plan.test.ts', "import { runPool } from '../../src/pipeline/pool-run.js';"],
  ])('%s may: %s', (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });

  it('puts every directory of src/ in a layer, below the ones that use it', () => {
    const order = Object.keys(layers);
    for (const [layer, allowed] of Object.entries(layers)) {
      for (const d of allowed)
        expect(order.indexOf(d), `${layer} uses ${d}`).toBeLessThan(order.indexOf(layer));
    }
  });

  it('is the table docs/architecture.md shows', () => {
    const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('<!-- layers:start -->'), doc.indexOf('<!-- layers:end -->'));
    const rows = Object.entries(layers).map(
      ([layer, allowed]) => `| \`src/${layer}\` | ${allowed.length ? allowed.join(', ') : 'nothing else'} |`,
    );
    expect(table.split('\n').filter((l) => l.startsWith('| `'))).toEqual(rows);
  });
});
