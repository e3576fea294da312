// The built-in risk model that ships (src/risk/default-model.json) is exactly what
// `npm run train-default` trains from the data in bench/data: nobody can change the model, the
// training or its data without the committed file following.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainDefaultModel } from '../../bench/default-model.js';

const root = resolve(import.meta.dirname, '..', '..');

describe('the shipped default risk model', () => {
  it('is what npm run train-default trains', () => {
    const committed = JSON.parse(
      readFileSync(join(root, 'src', 'risk', 'default-model.json'), 'utf8'),
    ) as unknown;
    const trained = JSON.parse(JSON.stringify(trainDefaultModel())) as unknown;
    expect(trained).toEqual(committed);
  }, 180_000);
});
