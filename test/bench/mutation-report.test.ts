// The mutation table in docs/mutation.md is computed, not typed: a timed-out mutant counts as
// detected but is shown apart, a mutant that did not compile counts neither way, and every
// mutant not caught is listed with where it is and what it changed.

import { describe, expect, it } from 'vitest';
import { mutationTables } from '../../bench/mutation-report.js';

const at = (line: number) => ({ start: { line, column: 1 } });

describe('mutation report', () => {
  it('scores detected (killed or timed out) over detected and missed, leaving out what did not compile', () => {
    const md = mutationTables(
      {
        files: {
          '/repo/src/a.ts': {
            mutants: [
              { mutatorName: 'ConditionalExpression', status: 'Killed', location: at(1) },
              { mutatorName: 'ConditionalExpression', status: 'Killed', location: at(2) },
              { mutatorName: 'EqualityOperator', status: 'Timeout', location: at(3) },
              { mutatorName: 'StringLiteral', status: 'Survived', replacement: '"a|b"', location: at(4) },
              { mutatorName: 'BlockStatement', status: 'NoCoverage', replacement: '{}', location: at(5) },
              { mutatorName: 'ArithmeticOperator', status: 'CompileError', location: at(6) },
            ],
          },
        },
      },
      '/repo',
    );
    const lines = md.split('\n');
    expect(lines).toContain('| src/a.ts | 6 | 2 | 1 | 1 | 1 | 60.0 % |');
    expect(lines).toContain('| **all** | | 2 | 1 | | | **60.0 %** |');
    expect(lines).toContain('<details><summary>2 mutants not caught</summary>');
    expect(lines).toContain('- src/a.ts:4 StringLiteral: `"a\\|b"` (Survived)');
    expect(lines).toContain('- src/a.ts:5 BlockStatement: `{}` (NoCoverage)');
  });
});
